//! The client address behind a proxy (`[http] trusted_proxies`): `X-Forwarded-For` is
//! believed only from a trusted peer and read from the right, so a client cannot choose
//! the address its session, device, audit rows and login limits are recorded under.

use axum::http::StatusCode;
use gatehouse_core::config::{CoreConfig, ThrottleLimits};
use gatehouse_http::HttpConfig;
use gatehouse_store::Backend;
use gatehouse_testkit::both_backends;
use gatehouse_testkit::{test_config, Resp, TestApp, PASSWORD};
use serde_json::{json, Value};

/// The proxy every trusted-peer request arrives from.
const PROXY: &str = "10.0.0.5";

fn behind(app: TestApp, trusted: &[&str]) -> TestApp {
    app.with_http(&HttpConfig {
        trusted_proxies: trusted.iter().map(|n| n.parse().unwrap()).collect(),
        ..HttpConfig::default()
    })
}

async fn login_forwarded(app: &TestApp, email: &str, password: &str, xff: &[&str]) -> Resp {
    let headers: Vec<(&str, &str)> = xff.iter().map(|v| ("x-forwarded-for", *v)).collect();
    let body = json!({ "login": email, "password": password }).to_string();
    app.post_with_headers("/v1/auth/login", &headers, &body)
        .await
}

/// The address recorded on the account's only session and only device.
async fn recorded_addresses(app: &TestApp, access: &str) -> (Value, Value) {
    let sessions = app.get("/v1/me/sessions", Some(access)).await;
    assert_eq!(sessions.status, StatusCode::OK, "{}", sessions.text);
    let devices = app.get("/v1/me/devices", Some(access)).await;
    assert_eq!(devices.status, StatusCode::OK, "{}", devices.text);
    (
        sessions.body["items"][0]["ip_address"].clone(),
        devices.body["items"][0]["ip_address"].clone(),
    )
}

async fn an_untrusted_peer_cannot_forge_its_address(backend: Backend) {
    // Some proxy is trusted, but not this peer.
    let mut app = behind(TestApp::spawn(backend).await, &["10.0.0.0/8"]);
    app.ip = "198.51.100.4".parse().unwrap();
    app.register("una@example.com").await;
    let r = login_forwarded(&app, "una@example.com", PASSWORD, &["203.0.113.7"]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let access = &gatehouse_testkit::Tokens::from(&r).access;
    let (session, device) = recorded_addresses(&app, access).await;
    assert_eq!(session, "198.51.100.4");
    assert_eq!(device, "198.51.100.4");
}
both_backends!(an_untrusted_peer_cannot_forge_its_address);

async fn a_trusted_proxy_names_the_client(backend: Backend) {
    let mut app = behind(TestApp::spawn(backend).await, &[PROXY]);
    app.ip = PROXY.parse().unwrap();
    app.register("tia@example.com").await;
    let r = login_forwarded(&app, "tia@example.com", PASSWORD, &["203.0.113.7"]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let access = &gatehouse_testkit::Tokens::from(&r).access;
    let (session, device) = recorded_addresses(&app, access).await;
    assert_eq!(session, "203.0.113.7");
    assert_eq!(device, "203.0.113.7");
}
both_backends!(a_trusted_proxy_names_the_client);

async fn a_forged_left_entry_before_the_proxys_is_ignored(backend: Backend) {
    // Two proxies of ours in a row; the client wrote the first entry itself.
    let mut app = behind(TestApp::spawn(backend).await, &["10.0.0.0/24"]);
    app.ip = PROXY.parse().unwrap();
    app.register("fay@example.com").await;
    let r = login_forwarded(
        &app,
        "fay@example.com",
        PASSWORD,
        &["192.0.2.66, 203.0.113.8", "10.0.0.9"],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let access = &gatehouse_testkit::Tokens::from(&r).access;
    let (session, device) = recorded_addresses(&app, access).await;
    assert_eq!(session, "203.0.113.8");
    assert_eq!(device, "203.0.113.8");
}
both_backends!(a_forged_left_entry_before_the_proxys_is_ignored);

fn address_limit(failures: u32) -> CoreConfig {
    CoreConfig {
        throttle: ThrottleLimits {
            account_max_failures: 100,
            ip_max_failures: failures,
            ..ThrottleLimits::default()
        },
        ..test_config()
    }
}

/// The per-address login limit counts the real address: a fresh forged header on every
/// guess does not reset it, while clients a trusted proxy names are counted apart.
async fn forged_headers_do_not_escape_the_address_limit(backend: Backend) {
    let mut app = behind(
        TestApp::spawn_with(backend, address_limit(3)).await,
        &[PROXY],
    );
    app.register("lim@example.com").await;
    app.ip = "198.51.100.4".parse().unwrap();
    for i in 0..3 {
        let xff = format!("203.0.113.{i}");
        let r = login_forwarded(&app, "lim@example.com", "wrong guess!", &[&xff]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    }
    let r = login_forwarded(&app, "lim@example.com", PASSWORD, &["203.0.113.99"]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);

    // Behind the trusted proxy, one client's guesses do not block another client.
    app.ip = PROXY.parse().unwrap();
    for _ in 0..3 {
        let r = login_forwarded(&app, "lim@example.com", "wrong guess!", &["192.0.2.10"]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    }
    let blocked = login_forwarded(&app, "lim@example.com", PASSWORD, &["192.0.2.10"]).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    let other = login_forwarded(&app, "lim@example.com", PASSWORD, &["192.0.2.11"]).await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.text);
}
both_backends!(forged_headers_do_not_escape_the_address_limit);
