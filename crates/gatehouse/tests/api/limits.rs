//! Limits on what one client can make the server hold: the user agent it stores.

use axum::body::Body;
use axum::http::{Method, StatusCode};
use gatehouse_store::Backend;
use gatehouse_testkit::{both_backends, queries, TestApp, Tokens, PASSWORD};
use serde_json::json;
use uuid::Uuid;

const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";

fn user_id(registered: &gatehouse_testkit::Resp) -> Uuid {
    registered.body["id"].as_str().unwrap().parse().unwrap()
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
