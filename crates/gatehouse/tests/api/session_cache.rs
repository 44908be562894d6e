//! The per-node session cache (core `accounts::session_cache`): a change made on one node
//! stops a token there at once and on every other node within a second; on SQLite the cache
//! is never on, so every request checks the database.

use axum::http::StatusCode;
use gatehouse_core::keys::{parse_secret32, Keys, SigningKeyPair};
use gatehouse_domain::ids::SessionId;
use gatehouse_store::Backend;
use gatehouse_testkit::{both_backends, queries, test_config, TestApp};
use serde_json::json;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// One key set for two nodes, so each verifies the other's tokens.
fn shared_keys() -> (Keys, Keys) {
    let (_, pem) = SigningKeyPair::generate().unwrap();
    let secret = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let keys = || {
        Keys::new(
            SigningKeyPair::from_pem(&pem).unwrap(),
            parse_secret32("pepper", secret).unwrap(),
            parse_secret32("encryption_key", secret).unwrap(),
        )
    };
    (keys(), keys())
}

/// Two gatehouse nodes on one database, both with their change listeners up.
async fn two_nodes(backend: Backend) -> (TestApp, TestApp) {
    let (keys_a, keys_b) = shared_keys();
    let a = TestApp::spawn_with_keys(backend, test_config(), keys_a).await;
    let b = TestApp::on(a.db.clone(), test_config(), keys_b, a.clock.clone()).await;
    for node in [&a, &b] {
        let expected = backend == Backend::Postgres;
        let deadline = Instant::now() + Duration::from_secs(5);
        while node.core.session_cache.is_enabled() != expected && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(
            node.core.session_cache.is_enabled(),
            expected,
            "cache on only with notices"
        );
    }
    (a, b)
}

/// Poll `node`'s `GET /v1/me` until it answers `status`; how long that took.
async fn me_turns(node: &TestApp, token: &str, status: StatusCode) -> Duration {
    let started = Instant::now();
    loop {
        if node.get("/v1/me", Some(token)).await.status == status {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "node still answers otherwise after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn changes_reach_every_node(backend: Backend) {
    let (a, b) = two_nodes(backend).await;
    let reg = a.register("cache@example.com").await;
    let user_id: Uuid = reg.id;
    let first = a.login("cache@example.com").await;
    let second = a.login("cache@example.com").await;
    let sid = |t: &gatehouse_testkit::Tokens| SessionId(t.session_id.parse().unwrap());

    // Both nodes read (and, on PostgreSQL, remember) both sessions. The logins' own notices
    // (last_login_at changed) may still be arriving and make a node forget what it just read,
    // so read until it is remembered.
    for node in [&a, &b] {
        for t in [&first, &second] {
            let started = Instant::now();
            loop {
                assert_eq!(
                    node.get("/v1/me", Some(&t.access)).await.status,
                    StatusCode::OK
                );
                if node.core.session_cache.contains(sid(t)) || backend == Backend::Sqlite {
                    break;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(1),
                    "never remembered"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            assert_eq!(
                node.core.session_cache.contains(sid(t)),
                backend == Backend::Postgres
            );
        }
    }

    // A profile change on A shows on A at once and on B within a second.
    let patched = a
        .patch(
            "/v1/me/profile",
            json!({ "first_name": "Ada" }),
            &first.access,
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(
        a.get("/v1/me", Some(&second.access)).await.body["profile"]["first_name"],
        "Ada"
    );
    let started = Instant::now();
    loop {
        let seen = b.get("/v1/me", Some(&second.access)).await;
        if seen.body["profile"]["first_name"] == "Ada" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "B still shows the old profile"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    // Logout on A: A refuses the token at once, B within a second.
    let out = a
        .post("/v1/auth/logout", json!({}), Some(&first.access))
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(
        a.get("/v1/me", Some(&first.access)).await.status,
        StatusCode::UNAUTHORIZED
    );
    me_turns(&b, &first.access, StatusCode::UNAUTHORIZED).await;
    assert_eq!(
        b.get("/v1/me/sessions", Some(&first.access)).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Disabled by hand in the database (no gatehouse node involved): the trigger's notice
    // reaches both nodes.
    queries::set_user_active(&a.core.db, user_id, false).await;
    for node in [&a, &b] {
        me_turns(node, &second.access, StatusCode::UNAUTHORIZED).await;
    }
}
both_backends!(changes_reach_every_node);

/// `[tokens] session_cache_entries = 0` turns the cache off: every request asks the database.
async fn a_deployment_can_turn_the_cache_off(backend: Backend) {
    let config = gatehouse_core::CoreConfig {
        session_cache_entries: 0,
        ..test_config()
    };
    let app = TestApp::spawn_with(backend, config).await;
    app.register("nocache@example.com").await;
    let t = app.login("nocache@example.com").await;
    for _ in 0..2 {
        assert_eq!(
            app.get("/v1/me", Some(&t.access)).await.status,
            StatusCode::OK
        );
    }
    assert!(!app.core.session_cache.is_enabled());
    assert!(!app
        .core
        .session_cache
        .contains(SessionId(t.session_id.parse().unwrap())));
}
both_backends!(a_deployment_can_turn_the_cache_off);
