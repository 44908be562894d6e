//! Password reset: the request answers alike for known and unknown addresses; the link
//! sets a password under the usual policy, once, before it expires, and ends every session.

use super::email_verification::latest_link_token;
use axum::http::StatusCode;
use chrono::Duration;
use gatehouse_store::Backend;
use gatehouse_testkit::{both_backends, TestApp, PASSWORD};
use serde_json::json;

const NEW_PASSWORD: &str = "a different long passphrase";

async fn request(app: &TestApp, email: &str) -> gatehouse_testkit::Resp {
    app.post(
        "/v1/auth/password-reset/request",
        json!({ "email": email }),
        None,
    )
    .await
}

async fn confirm(app: &TestApp, token: &str, password: &str) -> gatehouse_testkit::Resp {
    let body = json!({ "token": token, "new_password": password });
    app.post("/v1/auth/password-reset/confirm", body, None)
        .await
}

async fn a_reset_sets_the_password_and_ends_every_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("fin@example.com").await;
    let a = app.login("fin@example.com").await;
    let b = app.login("fin@example.com").await;
    let r = request(&app, "FIN@example.com").await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let token = latest_link_token(&app).await;

    // A weak password is refused without spending the link.
    let r = confirm(&app, &token, "short").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // So is the current one (the history).
    let r = confirm(&app, &token, PASSWORD).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);

    let r = confirm(&app, &token, NEW_PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["sessions_ended"], 2);
    for t in [&a, &b] {
        assert_eq!(
            app.get("/v1/me", Some(&t.access)).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.refresh(&t.refresh).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.login_as("fin@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.login_as("fin@example.com", NEW_PASSWORD).await;
    let audit = app.account_audit().await;
    assert!(
        audit.iter().any(|(_, a)| a == "password_reset"),
        "{audit:?}"
    );

    // The link worked once.
    let r = confirm(&app, &token, "yet another long passphrase").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "invalid_link");
}
both_backends!(a_reset_sets_the_password_and_ends_every_session);

async fn an_expired_reset_link_does_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("gil@example.com").await;
    request(&app, "gil@example.com").await;
    let token = latest_link_token(&app).await;
    app.advance(Duration::hours(1) + Duration::seconds(1));
    let r = confirm(&app, &token, NEW_PASSWORD).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "invalid_link");
    app.login("gil@example.com").await;
}
both_backends!(an_expired_reset_link_does_nothing);

async fn a_request_for_an_unknown_address_looks_the_same(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("hal@example.com").await;
    let emails_before = app.count("email_notifications").await;
    let known = request(&app, "hal@example.com").await;
    let unknown = request(&app, "nobody@example.com").await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.status, StatusCode::ACCEPTED);
    assert_eq!(known.body, unknown.body);
    assert_eq!(known.body, json!({ "status": "reset_requested" }));
    for h in ["content-type", "content-length", "cache-control"] {
        assert_eq!(known.headers.get(h), unknown.headers.get(h), "{h}");
    }
    // Only the owner got a link.
    assert_eq!(app.count("email_notifications").await, emails_before + 1);
}
both_backends!(a_request_for_an_unknown_address_looks_the_same);

async fn requests_are_counted_per_address(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Unknown addresses count too, so a refusal says nothing about them.
    for _ in 0..5 {
        let r = request(&app, "ivy@example.com").await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
    }
    let r = request(&app, "ivy@example.com").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.get("retry-after").is_some());
    assert_eq!(
        request(&app, "other@example.com").await.status,
        StatusCode::ACCEPTED
    );
}
both_backends!(requests_are_counted_per_address);
