//! The metrics an operator alerts on (issue 7, item 4), read from `GET /metrics` after
//! the API did each thing: logins by outcome, lockouts started, refresh-token reuse, tokens
//! issued, sessions active, the database pools (a request that waits for a connection and
//! one that gets none), and the Argon2 queue and timings.

use axum::http::StatusCode;
use gatehouse_core::config::{CoreConfig, ThrottleLimits};
use gatehouse_store::Backend;
use gatehouse_testkit::{both_backends, queries, test_config, TestApp, Tokens, PASSWORD};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The value of the sample `series` (name and labels exactly as rendered), if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|value| value.parse().unwrap())
}

/// Like [`sample`], for a series that must be present.
fn value(text: &str, series: &str) -> f64 {
    sample(text, series).unwrap_or_else(|| panic!("{series} missing from:\n{text}"))
}

async fn scrape(app: &TestApp) -> String {
    let r = app.get("/metrics", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.text
}

/// The pool that writes: PostgreSQL's only pool, or SQLite's single writer.
fn primary_pool(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "postgres",
        Backend::Sqlite => "sqlite_writer",
    }
}

async fn login_outcomes_lockouts_reuse_and_tokens_are_counted(backend: Backend) {
    // Two failures allowed per account: the third trips its lock.
    let config = CoreConfig {
        throttle: ThrottleLimits {
            account_max_failures: 2,
            ..ThrottleLimits::default()
        },
        ..test_config()
    };
    let app = TestApp::spawn_with(backend, config).await;
    app.register("ada@example.com").await;
    let bob = app.register("bob@example.com").await;
    app.register("cy@example.com").await;

    let before = scrape(&app).await;
    for outcome in [
        "success",
        "wrong_password",
        "unknown_account",
        "locked",
        "disabled",
    ] {
        let series = format!("gatehouse_logins_total{{outcome=\"{outcome}\"}}");
        assert_eq!(value(&before, &series), 0.0, "{series}");
    }
    assert_eq!(value(&before, "gatehouse_sessions_active"), 0.0);

    // Success, a wrong password, an unknown account: the last two look alike over HTTP.
    let first = app.login("ada@example.com").await;
    let wrong = app.login_as("ada@example.com", "not the password").await;
    let unknown = app.login_as("nobody@example.com", PASSWORD).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        (unknown.status, unknown.code()),
        (wrong.status, wrong.code())
    );

    // The right password of a disabled account.
    let bob_id: Uuid = bob.id;
    queries::set_user_active(&app.core.db, bob_id, false).await;
    let disabled = app.login_as("bob@example.com", PASSWORD).await;
    assert_eq!(disabled.status, StatusCode::FORBIDDEN, "{}", disabled.text);

    // Two wrong passwords, then the attempt that sets the lock, then one the lock refuses.
    for expected in [401, 401, 429, 429] {
        let r = app.login_as("cy@example.com", "guess guess guess").await;
        assert_eq!(r.status.as_u16(), expected, "{}", r.text);
    }

    // A refresh, then the rotated token again: reuse, and the session ends.
    let refreshed = app.refresh(&first.refresh).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text);
    let reused = app.refresh(&first.refresh).await;
    assert_eq!(reused.code(), "refresh_token_reused", "{}", reused.text);
    let second: Tokens = app.login("ada@example.com").await;
    assert!(!second.access.is_empty());

    // The sessions count is reused for 5 s of the service's clock.
    app.advance(chrono::Duration::seconds(6));
    let after = scrape(&app).await;
    for (outcome, n) in [
        ("success", 2.0),
        ("wrong_password", 3.0),
        ("unknown_account", 1.0),
        ("locked", 2.0),
        ("disabled", 1.0),
    ] {
        let series = format!("gatehouse_logins_total{{outcome=\"{outcome}\"}}");
        assert_eq!(value(&after, &series), n, "{series}");
    }
    for (kind, n) in [
        ("account", 1.0),
        ("device_token", 0.0),
        ("session", 0.0),
        ("address", 0.0),
    ] {
        let series = format!("gatehouse_lockouts_total{{kind=\"{kind}\"}}");
        assert_eq!(value(&after, &series), n, "{series}");
    }
    assert_eq!(value(&after, "gatehouse_refresh_token_reuse_total"), 1.0);
    // Two logins and one refresh each handed out an access and a refresh token.
    for kind in ["access", "refresh"] {
        let series = format!("gatehouse_tokens_issued_total{{type=\"{kind}\"}}");
        assert_eq!(value(&after, &series), 3.0, "{series}");
    }
    // The reused token's session ended; the second login's is live.
    assert_eq!(value(&after, "gatehouse_sessions_active"), 1.0);

    // Every registration and login ran Argon2id, on the pool's threads, and none waits now.
    // Three registrations and seven password checks (a locked attempt checks none).
    let hashed = value(&after, "gatehouse_password_hash_duration_seconds_count");
    assert_eq!(hashed, 3.0 + 7.0);
    assert_eq!(
        value(
            &after,
            "gatehouse_password_hash_duration_seconds_bucket{le=\"+Inf\"}"
        ),
        hashed
    );
    assert!(value(&after, "gatehouse_password_hash_duration_seconds_sum") > 0.0);
    assert_eq!(value(&after, "gatehouse_password_hash_queue_depth"), 0.0);
    assert_eq!(
        value(&after, "gatehouse_password_hash_workers"),
        app.core.config.hash_concurrency.max(1) as f64
    );

    // The pools are listed with their size.
    let pool = primary_pool(backend);
    let max = format!("gatehouse_db_pool_max_connections{{pool=\"{pool}\"}}");
    let expected_max = match backend {
        Backend::Postgres => 8.0,
        Backend::Sqlite => 1.0,
    };
    assert_eq!(value(&after, &max), expected_max);
    // Open connections stay in the pool (one may still be on its way back from the last
    // request, so count both states).
    let open: f64 = ["idle", "in_use"]
        .iter()
        .map(|state| {
            let series =
                format!("gatehouse_db_pool_connections{{pool=\"{pool}\",state=\"{state}\"}}");
            value(&after, &series)
        })
        .sum();
    assert!(open >= 1.0, "a connection stays open");
}
both_backends!(login_outcomes_lockouts_reuse_and_tokens_are_counted);

/// With every connection of the writing pool taken, a scrape still answers at once (the
/// sessions count is left out when it cannot be had in 500 ms), the pool shows all in use,
/// and a login that gets no connection is a wait and a timeout.
async fn pool_waits_and_timeouts_are_counted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("ada@example.com").await;
    let pool = primary_pool(backend);
    let in_use = format!("gatehouse_db_pool_connections{{pool=\"{pool}\",state=\"in_use\"}}");
    let waits = format!("gatehouse_db_pool_waits_total{{pool=\"{pool}\"}}");
    let timeouts = format!("gatehouse_db_pool_timeouts_total{{pool=\"{pool}\"}}");
    let before = scrape(&app).await;
    assert_eq!(value(&before, &timeouts), 0.0);

    if backend == Backend::Postgres {
        // The session cache's subscription holds one connection of the pool: let it
        // take it first, so the connections left are the ones this test takes.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !app.core.session_cache.is_enabled() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(app.core.session_cache.is_enabled(), "no subscription");
    }
    // Take connections until none is left; one a finished request is still handing back
    // shows in use for a moment, so check again once that has settled.
    let max = app.core.db.pool_stats()[0].max_connections;
    let mut held = Vec::new();
    loop {
        while app.core.db.pool_stats()[0].in_use < max {
            held.push(app.core.db.writer().await.unwrap());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        if app.core.db.pool_stats()[0].in_use == max {
            break;
        }
    }
    // Past the last count's 5 s, so this scrape counts again.
    app.advance(chrono::Duration::seconds(6));
    let started = Instant::now();
    let busy = scrape(&app).await;
    // It waited at most the count's 500 ms, not the pool's 1.5 s acquire timeout.
    assert!(
        started.elapsed() < Duration::from_millis(1400),
        "the scrape waited"
    );
    assert_eq!(value(&busy, &in_use), f64::from(max));
    if backend == Backend::Postgres {
        // The count needs the pool that is full.
        assert_eq!(sample(&busy, "gatehouse_sessions_active"), None);
    }

    let r = app.login_as("ada@example.com", PASSWORD).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert_eq!(r.code(), "database_unavailable");
    drop(held);

    app.advance(chrono::Duration::seconds(6));
    let after = scrape(&app).await;
    assert!(value(&after, &waits) >= value(&before, &waits) + 1.0);
    assert_eq!(
        value(&after, &timeouts),
        1.0,
        "the login's connection request"
    );
    assert!(
        value(
            &after,
            &format!("gatehouse_db_pool_wait_seconds_total{{pool=\"{pool}\"}}")
        ) >= 1.0,
        "the login waited out the acquire timeout (1.5 s)"
    );
    assert_eq!(value(&after, "gatehouse_sessions_active"), 0.0);
}
both_backends!(pool_waits_and_timeouts_are_counted);
