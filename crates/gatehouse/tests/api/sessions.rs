//! Sessions and devices of the signed-in account.

use axum::http::StatusCode;
use gatehouse_store::Backend;
use gatehouse_testkit::both_backends;
use gatehouse_testkit::{TestApp, PASSWORD};
use serde_json::json;

async fn sessions_page_with_cursors_and_revoke_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("uma@example.com").await;
    let a = app.login("uma@example.com").await;
    let b = app.login("uma@example.com").await;
    let c = app.login("uma@example.com").await;

    let first = app.get("/v1/me/sessions?limit=2", Some(&c.access)).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        first.body["items"][0]["id"],
        c.session_id.as_str(),
        "newest first"
    );
    let cursor = first.body["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let second = app
        .get(
            &format!("/v1/me/sessions?limit=2&cursor={cursor}"),
            Some(&c.access),
        )
        .await;
    assert_eq!(second.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(second.body["items"][0]["id"], a.session_id.as_str());
    assert!(second.body["next_cursor"].is_null());

    let r = app
        .delete(&format!("/v1/me/sessions/{}", b.session_id), &c.access)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/v1/me", Some(&b.access)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.refresh(&b.refresh).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/v1/me", Some(&a.access)).await.status,
        StatusCode::OK
    );
    let again = app
        .delete(&format!("/v1/me/sessions/{}", b.session_id), &c.access)
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}
both_backends!(sessions_page_with_cursors_and_revoke_one);

async fn other_accounts_sessions_and_devices_are_invisible(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("vi@example.com").await;
    app.register("wes@example.com").await;
    let vi = app.login("vi@example.com").await;
    let wes = app.login("wes@example.com").await;
    let r = app
        .delete(&format!("/v1/me/sessions/{}", wes.session_id), &vi.access)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/v1/me", Some(&wes.access)).await.status,
        StatusCode::OK
    );
    let devices = app.get("/v1/me/devices", Some(&wes.access)).await;
    let wes_device = devices.body["items"][0]["id"].as_str().unwrap().to_owned();
    let r = app
        .delete(&format!("/v1/me/devices/{wes_device}"), &vi.access)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
both_backends!(other_accounts_sessions_and_devices_are_invisible);

async fn devices_are_listed_without_fingerprints_and_removal_ends_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("xan@example.com").await;
    let login = |fp: &'static str| {
        let app = &app;
        async move {
            let r = app
                .post("/v1/auth/login", json!({ "login": "xan@example.com", "password": PASSWORD, "device": { "fingerprint": fp, "name": "Work laptop" } }), None)
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            gatehouse_testkit::Tokens::from(&r)
        }
    };
    let laptop = login("fp-laptop-123").await;
    let laptop_again = login("fp-laptop-123").await;
    let phone = login("fp-phone-456").await;

    let list = app.get("/v1/me/devices", Some(&phone.access)).await;
    assert_eq!(list.status, StatusCode::OK);
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "the same fingerprint is one device");
    assert!(!list.text.contains("fp-laptop-123") && !list.text.contains("fingerprint"));
    assert_eq!(items[0]["device_type"], "desktop");
    assert_eq!(items[0]["browser"], "Chrome");
    assert_eq!(items[0]["ip_address"], "203.0.113.7");

    let laptop_id = items.iter().find(|d| d["id"] != items[0]["id"]).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .delete(&format!("/v1/me/devices/{laptop_id}"), &phone.access)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    for t in [&laptop, &laptop_again] {
        assert_eq!(
            app.get("/v1/me", Some(&t.access)).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.get("/v1/me", Some(&phone.access)).await.status,
        StatusCode::OK
    );
    let list = app.get("/v1/me/devices", Some(&phone.access)).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    // Logging in from the removed device brings it back.
    login("fp-laptop-123").await;
    let list = app.get("/v1/me/devices", Some(&phone.access)).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
}
both_backends!(devices_are_listed_without_fingerprints_and_removal_ends_sessions);
