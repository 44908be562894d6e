//! Failed-login limits per account and per address: counted before the password check,
//! held in the database (so across processes), lifted by time.

use axum::http::StatusCode;
use chrono::Duration;
use gatehouse_core::config::{Argon2Params, CoreConfig, ThrottleLimits};
use gatehouse_core::keys::Keys;
use gatehouse_store::Backend;
use gatehouse_testkit::both_backends;
use gatehouse_testkit::{test_config, TestApp, PASSWORD};
use std::sync::Arc;

fn limits(account: u32, ip: u32) -> CoreConfig {
    CoreConfig {
        throttle: ThrottleLimits {
            account_max_failures: account,
            ip_max_failures: ip,
            ..ThrottleLimits::default()
        },
        ..test_config()
    }
}

async fn account_locks_after_limit_and_unlocks_later(backend: Backend) {
    let app = TestApp::spawn_with(backend, limits(3, 100)).await;
    let reg = app.register("ivy@example.com").await;
    let user_id = reg.id;
    for _ in 0..3 {
        assert_eq!(
            app.login_as("ivy@example.com", "wrong password!")
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    let locked = app.login_as("ivy@example.com", "wrong password!").await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(locked.code(), "too_many_attempts");
    let retry: u64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 15 * 60);
    // Even the right password is refused while locked.
    assert_eq!(
        app.login_as("ivy@example.com", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let audit = app.audit_actions(user_id).await;
    let locked_rows: Vec<_> = audit
        .iter()
        .filter(|a| a.action == "account_locked")
        .collect();
    assert_eq!(locked_rows.len(), 1, "the lockout is audited once");
    assert_eq!(locked_rows[0].risk_level, "high");
    app.advance(Duration::minutes(16));
    assert_eq!(
        app.login_as("ivy@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
}
both_backends!(account_locks_after_limit_and_unlocks_later);

async fn lockout_holds_across_processes(backend: Backend) {
    let a = TestApp::spawn_with(backend, limits(3, 100)).await;
    a.register("jo@example.com").await;
    // A second gatehouse process on the same database.
    let b = TestApp::on(
        a.db.clone(),
        limits(3, 100),
        Keys::ephemeral().unwrap(),
        a.clock.clone(),
    )
    .await;
    assert_eq!(
        a.login_as("jo@example.com", "wrong password!").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        b.login_as("jo@example.com", "wrong password!").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        a.login_as("jo@example.com", "wrong password!").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        b.login_as("jo@example.com", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}
both_backends!(lockout_holds_across_processes);

async fn concurrent_guesses_never_exceed_the_limit(backend: Backend) {
    let app = Arc::new(TestApp::spawn_with(backend, limits(5, 1000)).await);
    let reg = app.register("kit@example.com").await;
    let user_id = reg.id;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..25 {
        let app = app.clone();
        set.spawn(async move {
            app.login_as("kit@example.com", "wrong password!")
                .await
                .status
        });
    }
    let mut statuses = Vec::new();
    while let Some(s) = set.join_next().await {
        statuses.push(s.unwrap());
    }
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(checked <= 5, "{checked} guesses reached the password check");
    assert_eq!(checked + refused, 25);
    let failed_rows = app
        .audit_actions(user_id)
        .await
        .iter()
        .filter(|a| a.action == "login_failed")
        .count();
    assert_eq!(failed_rows, checked);
}
both_backends!(concurrent_guesses_never_exceed_the_limit);

async fn one_address_spraying_many_accounts_is_blocked(backend: Backend) {
    let mut app = TestApp::spawn_with(backend, limits(10, 4)).await;
    app.register("lou@example.com").await;
    for i in 0..4 {
        let r = app
            .login_as(&format!("victim{i}@example.com"), "guess guess")
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        app.login_as("lou@example.com", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another address is not affected.
    app.ip = "198.51.100.9".parse().unwrap();
    assert_eq!(
        app.login_as("lou@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
}
both_backends!(one_address_spraying_many_accounts_is_blocked);

async fn unknown_accounts_lock_like_real_ones(backend: Backend) {
    let app = TestApp::spawn_with(backend, limits(2, 100)).await;
    for _ in 0..2 {
        assert_eq!(
            app.login_as("ghost@example.com", "whatever!").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.login_as("ghost@example.com", "whatever!").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}
both_backends!(unknown_accounts_lock_like_real_ones);

/// With production Argon2 parameters, an unknown account's answer takes as long as a
/// wrong password's (it is checked against a dummy hash). Medians of several tries,
/// compared as a ratio with wide bounds; the point is "a hash ran", not a speed.
async fn unknown_account_costs_a_hash(backend: Backend) {
    let config = CoreConfig {
        argon2: Argon2Params::default(),
        ..limits(100, 1000)
    };
    let app = TestApp::spawn_with(backend, config).await;
    app.register("max@example.com").await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..7 {
        let t = std::time::Instant::now();
        app.login_as("max@example.com", "wrong password!").await;
        known.push(t.elapsed());
        let t = std::time::Instant::now();
        app.login_as(&format!("nobody{i}@example.com"), "wrong password!")
            .await;
        unknown.push(t.elapsed());
    }
    known.sort();
    unknown.sort();
    let ratio = unknown[3].as_secs_f64() / known[3].as_secs_f64();
    assert!(
        (0.5..2.0).contains(&ratio),
        "unknown/known median ratio {ratio:.2} ({:?} vs {:?})",
        unknown[3],
        known[3]
    );
}
both_backends!(unknown_account_costs_a_hash);

/// POST a JSON body over a real TCP connection from `source` (an IPv4 loopback address),
/// answering the status code and the body.
async fn post_from(source: &str, port: u16, path: &str, body: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    let mut stream = socket
        .connect(format!("127.0.0.1:{port}").parse().unwrap())
        .await
        .unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer.split(' ').nth(1).unwrap().parse().unwrap();
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

/// On a dual-stack listener (`[::]:port`) IPv4 clients arrive as `::ffff:a.b.c.d`; each
/// still has its own per-address counter, so one IPv4 client's failures do not block
/// another (they once shared a single /64 bucket).
async fn ipv4_clients_of_a_dual_stack_listener_keep_their_own_counters(backend: Backend) {
    let app = TestApp::spawn_with(backend, limits(100, 3)).await;
    app.register("dual@example.com").await;
    let listener = tokio::net::TcpListener::bind("[::]:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let service = app
        .router
        .clone()
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });

    let wrong = r#"{"login":"dual@example.com","password":"wrong password!"}"#;
    let right = format!(r#"{{"login":"dual@example.com","password":"{PASSWORD}"}}"#);
    for _ in 0..3 {
        assert_eq!(
            post_from("127.0.0.1", port, "/v1/auth/login", wrong)
                .await
                .0,
            401
        );
    }
    // The first client's address is now blocked, even with the right password...
    assert_eq!(
        post_from("127.0.0.1", port, "/v1/auth/login", &right)
            .await
            .0,
        429
    );
    // ...but another IPv4 client is not.
    let (status, body) = post_from("127.0.0.2", port, "/v1/auth/login", &right).await;
    assert_eq!(status, 200, "{body}");
    // The session records the IPv4 address, not its mapped IPv6 form.
    let access: serde_json::Value = serde_json::from_str(&body).unwrap();
    let sessions = app
        .get("/v1/me/sessions", access["access_token"].as_str())
        .await;
    assert_eq!(sessions.body["items"][0]["ip_address"], "127.0.0.2");
}
both_backends!(ipv4_clients_of_a_dual_stack_listener_keep_their_own_counters);

/// Sign-ups are limited per address and hour, counted in the database (issue 6, item 4):
/// past the limit an address gets 429 with Retry-After and no account is made; another
/// address is unaffected; a second process on the same database sees the same count.
async fn sign_ups_are_limited_per_address(backend: Backend) {
    let config = CoreConfig {
        signups_per_address_per_hour: 3,
        ..test_config()
    };
    let mut app = TestApp::spawn_with(backend, config.clone()).await;
    for n in 0..3 {
        app.register(&format!("s{n}@example.com")).await;
    }
    let refused = app
        .post(
            "/v1/auth/register",
            serde_json::json!({ "email": "s3@example.com", "password": PASSWORD }),
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.code(), "too_many_attempts");
    assert!(refused.headers.contains_key("retry-after"));
    assert_eq!(app.count("users").await, 3, "no account made");

    // Another process on the same database, same address: still refused.
    let other = TestApp::on(
        app.db.clone(),
        config,
        Keys::ephemeral().unwrap(),
        app.clock.clone(),
    )
    .await;
    let again = other
        .post(
            "/v1/auth/register",
            serde_json::json!({ "email": "s4@example.com", "password": PASSWORD }),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS);

    // Another address is not affected.
    app.ip = "198.51.100.23".parse().unwrap();
    app.register("s5@example.com").await;

    // An hour on, the first address may sign up again.
    app.ip = "203.0.113.7".parse().unwrap();
    app.advance(Duration::minutes(61));
    app.register("s6@example.com").await;
}
both_backends!(sign_ups_are_limited_per_address);
