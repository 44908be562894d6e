//! The database goes away (issue 6, item 11): calls answer 503 `database_unavailable` with
//! `Retry-After` within 2 s, `/readyz` says 503 at once, the session cache turns off, and
//! service resumes by itself when the database is back. The app reaches PostgreSQL through
//! the kit's `TcpProxy`, which the test cuts (server gone: resets, refused connections),
//! turns into a black hole (network silent) or closes to new connections while the test
//! ends the database's sessions (a server restart), never touching the shared server. SQLite has
//! no network to lose; its analogue — no connection to be had in time, e.g. the single
//! writer held — is tested on both backends.

use crate::system::Capture;
use axum::http::StatusCode;
use gatehouse_store::Backend;
use gatehouse_testkit::{both_backends, queries, test_config, Resp, TestApp, Tokens, PASSWORD};
use serde_json::json;
use std::future::Future;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// What a client may wait for an answer while the database is away.
const ANSWER_BOUND: Duration = Duration::from_secs(2);
/// What `/readyz` may take to say "not ready".
const READY_BOUND: Duration = Duration::from_secs(1);
/// How long recovery may take once the database is back (it takes about a second).
const RECOVERY_BOUND: Duration = Duration::from_secs(5);

/// Run `call`, check it answered 503 `database_unavailable` problem+json with `Retry-After`
/// within [`ANSWER_BOUND`].
async fn unavailable_fast(what: &str, call: impl Future<Output = Resp>) {
    let started = Instant::now();
    let r = call.await;
    let took = started.elapsed();
    assert_eq!(
        r.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{what}: {}",
        r.text
    );
    assert!(r.is_problem(), "{what}: not problem+json");
    assert_eq!(r.code(), "database_unavailable", "{what}");
    assert_eq!(r.headers["retry-after"], "2", "{what}");
    assert!(took < ANSWER_BOUND, "{what} took {took:?}");
}

/// `/readyz` says 503 `not_ready` within [`READY_BOUND`].
async fn not_ready_fast(app: &TestApp) {
    let started = Instant::now();
    let r = app.get("/readyz", None).await;
    let took = started.elapsed();
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::SERVICE_UNAVAILABLE, "not_ready")
    );
    assert!(took < READY_BOUND, "/readyz took {took:?}");
}

/// Wait until the session cache is `on` (or off); it must get there within `bound`.
async fn cache_turns(app: &TestApp, on: bool, bound: Duration) {
    let started = Instant::now();
    while app.core.session_cache.is_enabled() != on {
        assert!(
            started.elapsed() < bound,
            "session cache not {on} after {bound:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Read `GET /v1/me` until the node remembers the session (a login's own change notice may
/// make it forget the first read).
async fn remembered(app: &TestApp, t: &Tokens) {
    let sid = gatehouse_domain::ids::SessionId(t.session_id.parse().unwrap());
    let started = Instant::now();
    while !app.core.session_cache.contains(sid) {
        assert_eq!(
            app.get("/v1/me", Some(&t.access)).await.status,
            StatusCode::OK
        );
        assert!(
            started.elapsed() < RECOVERY_BOUND,
            "session never remembered"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Log in until it works again; how long that took.
async fn login_recovers(app: &TestApp, email: &str) -> Duration {
    let started = Instant::now();
    loop {
        let r = app.login_as(email, PASSWORD).await;
        if r.status == StatusCode::OK {
            return started.elapsed();
        }
        assert_eq!(r.code(), "database_unavailable", "{}", r.text);
        assert!(
            started.elapsed() < RECOVERY_BOUND,
            "no recovery after {RECOVERY_BOUND:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The server goes away: connections reset, new ones refused. Every kind of call answers
/// 503 quickly and changes nothing, logged at WARN and never as an internal error; the
/// cache turns off, so an account disabled elsewhere meanwhile is not served from it after
/// recovery; login, refresh (with the token presented during the outage) and readiness come
/// back by themselves.
#[test]
fn postgres_outage_answers_503_fast_and_recovers() {
    if gatehouse_testkit::skipped(Backend::Postgres) {
        return;
    }
    // Capture this test's logs (see `system::secrets_never_reach_the_logs` for why a
    // second dispatcher and a current-thread runtime).
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_writer(move || writer.clone())
        .finish();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tracing::subscriber::with_default(subscriber, || runtime.block_on(outage_and_recovery()));
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.lines()
            .any(|l| l.contains("WARN") && l.contains("database unavailable")),
        "no WARN for the outage:\n{logs}"
    );
    assert!(
        !logs.lines().any(|l| l.contains("ERROR")),
        "an outage is not an internal error:\n{logs}"
    );
}

async fn outage_and_recovery() {
    let (app, proxy) = TestApp::spawn_behind_proxy(test_config()).await;
    cache_turns(&app, true, RECOVERY_BOUND).await;
    app.register("oona@example.com").await;
    let other = app.register("otto@example.com").await;
    let other_id: Uuid = other.id;
    let t = app.login("oona@example.com").await;
    let o = app.login("otto@example.com").await;
    remembered(&app, &o).await;
    let sessions_before = app.count("sessions").await;

    proxy.cut().await;
    // The change subscription hears the reset at once, and with it the cache goes off.
    cache_turns(&app, false, Duration::from_secs(1)).await;
    // Meanwhile another node, which still reaches the database, disables Otto's account.
    let direct = app.db.0.connect().await;
    queries::set_user_active(&direct, other_id, false).await;

    // All at once, as clients would keep coming: each must still answer within the bound.
    let register = json!({ "email": "ola@example.com", "password": PASSWORD });
    tokio::join!(
        unavailable_fast("login", app.login_as("oona@example.com", PASSWORD)),
        unavailable_fast("refresh", app.refresh(&t.refresh)),
        unavailable_fast("register", app.post("/v1/auth/register", register, None)),
        unavailable_fast("GET /v1/me", app.get("/v1/me", Some(&t.access))),
        unavailable_fast(
            "GET /v1/me, cached before",
            app.get("/v1/me", Some(&o.access))
        ),
        unavailable_fast(
            "GET /v1/me/sessions (AuthSession)",
            app.get("/v1/me/sessions", Some(&t.access)),
        ),
        unavailable_fast(
            "logout",
            app.post("/v1/auth/logout", json!({}), Some(&t.access)),
        ),
        not_ready_fast(&app),
    );
    proxy.restore().await;
    let took = login_recovers(&app, "oona@example.com").await;
    eprintln!("login answered again {took:?} after the database came back");
    // The refresh tried during the outage consumed nothing.
    assert_eq!(app.refresh(&t.refresh).await.status, StatusCode::OK);
    assert_eq!(app.get("/readyz", None).await.status, StatusCode::OK);
    // Nothing the refused calls asked for happened: no account, no session ended, and the
    // failed logins opened none (only the one that worked did).
    assert_eq!(app.count("users").await, 2);
    let still = app.get("/v1/me/sessions", Some(&t.access)).await;
    assert_eq!(still.status, StatusCode::OK, "{}", still.text);
    assert_eq!(app.count("sessions").await, sessions_before + 1);
    // The cache comes back with the subscription, and forgot everything from before: the
    // account disabled during the outage is refused, not served from memory.
    cache_turns(&app, true, RECOVERY_BOUND).await;
    let r = app.get("/v1/me", Some(&o.access)).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
}

/// Half-open: the network goes silent, so connections stay open but nothing answers and no
/// reset ever comes. The pool's acquire timeout still bounds every call, `/readyz` its own
/// check, and the change subscription's quiet check turns the cache off within ~3 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_black_hole_answers_503_fast_and_recovers() {
    if gatehouse_testkit::skipped(Backend::Postgres) {
        return;
    }
    let (app, proxy) = TestApp::spawn_behind_proxy(test_config()).await;
    cache_turns(&app, true, RECOVERY_BOUND).await;
    app.register("bea@example.com").await;
    let t = app.login("bea@example.com").await;
    remembered(&app, &t).await;

    proxy.black_hole().await;
    unavailable_fast("login", app.login_as("bea@example.com", PASSWORD)).await;
    unavailable_fast("refresh", app.refresh(&t.refresh)).await;
    unavailable_fast(
        "GET /v1/me/sessions",
        app.get("/v1/me/sessions", Some(&t.access)),
    )
    .await;
    not_ready_fast(&app).await;
    // The subscription's connection is silent too: its check (2 s quiet, 1 s to answer)
    // finds that out, and from then on nothing is answered from the cache.
    cache_turns(&app, false, Duration::from_secs(5)).await;
    unavailable_fast("GET /v1/me", app.get("/v1/me", Some(&t.access))).await;

    proxy.restore().await;
    login_recovers(&app, "bea@example.com").await;
    assert_eq!(app.refresh(&t.refresh).await.status, StatusCode::OK);
    assert_eq!(app.get("/readyz", None).await.status, StatusCode::OK);
    cache_turns(&app, true, RECOVERY_BOUND).await;
}

/// PostgreSQL restarts (a fast shutdown): it stops accepting, then ends every session with
/// FATAL 57P01 and closes it politely — no reset. The change subscription reports the loss
/// at once rather than after trying to reconnect for the pool's acquire timeout, so the
/// cache is off within moments; calls answer 503 until the server is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restart_turns_the_cache_off_at_once_and_recovers() {
    if gatehouse_testkit::skipped(Backend::Postgres) {
        return;
    }
    let (app, proxy) = TestApp::spawn_behind_proxy(test_config()).await;
    cache_turns(&app, true, RECOVERY_BOUND).await;
    app.register("rex@example.com").await;
    let t = app.login("rex@example.com").await;
    remembered(&app, &t).await;

    proxy.refuse_new().await;
    let direct = app.db.0.connect().await;
    assert!(queries::terminate_other_sessions(&direct).await >= 1);
    cache_turns(&app, false, Duration::from_millis(500)).await;
    tokio::join!(
        unavailable_fast("GET /v1/me", app.get("/v1/me", Some(&t.access))),
        unavailable_fast("login", app.login_as("rex@example.com", PASSWORD)),
        not_ready_fast(&app),
    );

    proxy.restore().await;
    login_recovers(&app, "rex@example.com").await;
    cache_turns(&app, true, RECOVERY_BOUND).await;
    assert_eq!(
        app.get("/v1/me", Some(&t.access)).await.status,
        StatusCode::OK
    );
}

/// No connection to be had in time — here because the test holds them all (on SQLite the
/// one writer; on PostgreSQL the whole pool) — is the same answer as an outage, on both
/// backends: 503 within 2 s, not a 500 after 5 s; nothing changes, and service resumes as
/// soon as a connection is free.
async fn no_connection_in_time_answers_503_fast(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("nell@example.com").await;
    let t = app.login("nell@example.com").await;
    let sessions_before = app.count("sessions").await;

    let mut held = Vec::new();
    while let Ok(tx) = tokio::time::timeout(Duration::from_millis(300), app.core.db.begin()).await {
        held.push(tx.unwrap());
    }
    assert!(!held.is_empty());
    unavailable_fast("login", app.login_as("nell@example.com", PASSWORD)).await;
    unavailable_fast("refresh", app.refresh(&t.refresh)).await;

    drop(held);
    assert_eq!(app.count("sessions").await, sessions_before);
    assert_eq!(app.refresh(&t.refresh).await.status, StatusCode::OK);
    app.login("nell@example.com").await;
}
both_backends!(no_connection_in_time_answers_503_fast);
