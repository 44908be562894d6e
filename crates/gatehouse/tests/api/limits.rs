//! Limits on what one client can make the server hold: the user agent it stores, the
//! sessions one account keeps, the time a request may take. (Slow headers and bodies need a
//! real socket: `binary_limits`.)

use axum::body::Body;
use axum::http::{Method, StatusCode};
use chrono::Duration;
use gatehouse_core::config::CoreConfig;
use gatehouse_http::HttpConfig;
use gatehouse_store::Backend;
use gatehouse_testkit::{both_backends, queries, test_config, TestApp, Tokens, PASSWORD};
use serde_json::{json, Value};
use std::time::Instant;
use uuid::Uuid;

const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";

fn user_id(registered: &gatehouse_testkit::Registered) -> Uuid {
    registered.id
}

/// A 100 KB User-Agent is stored as its first 1024 bytes on the session and the device,
/// and no audit row holds more than that.
async fn huge_user_agents_are_stored_cut_to_1_kib(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = user_id(&app.register("ua@example.com").await);
    let huge = format!("{CHROME} {}", "x".repeat(100 * 1024));
    let body = json!({ "login": "ua@example.com", "password": PASSWORD }).to_string();
    let r = app
        .request_as(
            &huge,
            Method::POST,
            "/v1/auth/login",
            None,
            Some(Body::from(body)),
            Some("application/json"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let tokens = Tokens::from(&r);

    let stored = queries::stored_user_agents(&app.core.db, user).await;
    assert_eq!((stored.sessions.len(), stored.devices.len()), (1, 1));
    for ua in stored.sessions.iter().chain(&stored.devices) {
        assert_eq!(ua.len(), 1024);
        assert!(huge.starts_with(ua.as_str()));
    }
    let longest = queries::longest_audit_text(&app.core.db, user).await;
    assert!(longest <= 1024, "an audit row holds {longest} characters");

    // What the owner sees is the cut value, and the device is still recognised.
    let sessions = app.get("/v1/me/sessions", Some(&tokens.access)).await;
    let listed = sessions.body["items"][0]["user_agent"].as_str().unwrap();
    assert_eq!(listed.len(), 1024);
    let devices = app.get("/v1/me/devices", Some(&tokens.access)).await;
    assert_eq!(devices.body["items"][0]["browser"], "Chrome");
}
both_backends!(huge_user_agents_are_stored_cut_to_1_kib);

fn capped(max_sessions: u32) -> CoreConfig {
    CoreConfig {
        max_active_sessions_per_user: max_sessions,
        ..test_config()
    }
}

async fn is_active(app: &TestApp, tokens: &Tokens) -> bool {
    app.get("/v1/me", Some(&tokens.access)).await.status == StatusCode::OK
}

/// With a limit of 3, a fourth login ends the oldest session: its access token and
/// refresh token stop working, its end is audited with the reason `session_limit`, and
/// the three newest stay.
async fn a_login_past_the_session_limit_ends_the_oldest(backend: Backend) {
    let app = TestApp::spawn_with(backend, capped(3)).await;
    let user = user_id(&app.register("cap@example.com").await);
    let mut logins = Vec::new();
    for _ in 0..3 {
        logins.push(app.login("cap@example.com").await);
        app.advance(Duration::seconds(1));
    }
    // A refresh keeps the oldest session's creation time: it is still the oldest.
    let r = app.refresh(&logins[0].refresh).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    logins[0] = Tokens::from(&r);
    for tokens in &logins {
        assert!(is_active(&app, tokens).await);
    }

    let fourth = app.login("cap@example.com").await;
    let oldest = &logins[0];
    assert!(
        !is_active(&app, oldest).await,
        "the oldest session still works"
    );
    let r = app.refresh(&oldest.refresh).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    for tokens in logins[1..].iter().chain([&fourth]) {
        assert!(is_active(&app, tokens).await);
    }
    let ids = app.session_ids(&fourth.access).await;
    assert_eq!(ids.len(), 3);
    assert!(!ids.contains(&oldest.session_id));

    let ended: Vec<_> = queries::session_audits(&app.core.db, user)
        .await
        .into_iter()
        .filter(|a| {
            let metadata: Value = serde_json::from_str(a.metadata.as_deref().unwrap_or("{}"))
                .expect("metadata is JSON");
            metadata["reason"] == "session_limit"
        })
        .collect();
    assert_eq!(ended.len(), 1, "{ended:?}");
    assert_eq!(ended[0].session_id.to_string(), oldest.session_id);
    assert_eq!(ended[0].action, "session_revoked");
}
both_backends!(a_login_past_the_session_limit_ends_the_oldest);

/// Logins of one account at the same time count each other's sessions: afterwards the
/// account holds exactly the limit, whatever order they ran in.
async fn concurrent_logins_stay_within_the_session_limit(backend: Backend) {
    let app = TestApp::spawn_with(backend, capped(3)).await;
    app.register("race@example.com").await;
    let mut logins = Vec::new();
    for _ in 0..3 {
        logins.push(app.login("race@example.com").await);
    }
    let login = || app.login("race@example.com");
    let (a, b, c, d) = tokio::join!(login(), login(), login(), login());
    logins.extend([a, b, c, d]);
    let mut active = 0;
    for tokens in &logins {
        active += usize::from(is_active(&app, tokens).await);
    }
    assert_eq!(active, 3, "active sessions after 4 concurrent logins");
}
both_backends!(concurrent_logins_stay_within_the_session_limit);

/// A login stuck behind a lock is answered 503 `request_timeout` (problem+json) once
/// `http.request_timeout_secs` has passed, and leaves nothing behind.
async fn a_request_over_the_time_limit_is_answered_503(backend: Backend) {
    let http = HttpConfig {
        request_timeout_secs: 1,
        ..HttpConfig::default()
    };
    let app = TestApp::spawn(backend).await.with_http(&http);
    let user = user_id(&app.register("slow@example.com").await);

    // PostgreSQL: the account's row is locked; SQLite: the one writer is busy. Either way
    // the login waits, and the 1 s limit ends it before the pool's 1.5 s acquire timeout
    // (which starts later, once the login asks for a connection) would.
    let held = queries::hold_user_row(&app.core.db, user).await;
    let started = Instant::now();
    let r = app.login_as("slow@example.com", PASSWORD).await;
    let waited = started.elapsed();
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert!(r.is_problem());
    assert_eq!(r.code(), "request_timeout");
    assert!(!r.body["request_id"].as_str().unwrap().is_empty());
    assert!(
        waited >= std::time::Duration::from_millis(950) && waited.as_secs() < 4,
        "answered after {waited:?}"
    );
    drop(held);

    // The abandoned login committed nothing, and the next one works.
    assert_eq!(app.count("sessions").await, 0);
    assert_eq!(app.count("devices").await, 0);
    app.login("slow@example.com").await;
    assert_eq!(app.count("sessions").await, 1);
}
both_backends!(a_request_over_the_time_limit_is_answered_503);
