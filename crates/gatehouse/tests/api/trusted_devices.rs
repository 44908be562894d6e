//! Trusted devices ("remember this device", issue 9 item 3): the owner trusts a device
//! after a recent sign-in, reads and withdraws it; every trust of the account goes on a
//! password change, on "sign out everywhere" and on "this wasn't me"; nobody reaches
//! another person's device.

use axum::http::StatusCode;
use chrono::Duration;
use gatehouse_store::Backend;
use gatehouse_testkit::queries::device_audit_actions;
use gatehouse_testkit::{both_backends, TestApp, Tokens, PASSWORD};
use serde_json::{json, Value};
use uuid::Uuid;

/// The id of the (only) device the session's account signed in from.
async fn only_device(app: &TestApp, tokens: &Tokens) -> String {
    let devices = app.get("/v1/me/devices", Some(&tokens.access)).await;
    assert_eq!(devices.status, StatusCode::OK, "{}", devices.text);
    let items = devices.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    items[0]["id"].as_str().unwrap().to_owned()
}

async fn trust_of(app: &TestApp, tokens: &Tokens, device: &str) -> Value {
    let r = app
        .get(
            &format!("/v1/me/devices/{device}/trust"),
            Some(&tokens.access),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

async fn trust(app: &TestApp, tokens: &Tokens, device: &str) -> Value {
    let r = app
        .post(
            &format!("/v1/me/devices/{device}/trust"),
            json!({}),
            Some(&tokens.access),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

async fn a_device_is_trusted_for_thirty_days_then_withdrawn(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let registered = app.register("tia@example.com").await;
    let user_id: Uuid = registered.id;
    let tokens = app.login("tia@example.com").await;
    let device = only_device(&app, &tokens).await;

    let before = trust_of(&app, &tokens, &device).await;
    assert_eq!(before["trusted"], false);
    assert!(before["trusted_until"].is_null());

    let granted = trust(&app, &tokens, &device).await;
    assert_eq!(granted["trusted"], true);
    let at: chrono::DateTime<chrono::Utc> =
        granted["trusted_at"].as_str().unwrap().parse().unwrap();
    let until: chrono::DateTime<chrono::Utc> =
        granted["trusted_until"].as_str().unwrap().parse().unwrap();
    assert_eq!(until - at, Duration::days(30));
    assert_eq!(trust_of(&app, &tokens, &device).await, granted);
    let listed = app.get("/v1/me/devices", Some(&tokens.access)).await;
    assert_eq!(listed.body["items"][0]["is_trusted"], true);

    let r = app
        .delete(&format!("/v1/me/devices/{device}/trust"), &tokens.access)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(trust_of(&app, &tokens, &device).await["trusted"], false);
    let listed = app.get("/v1/me/devices", Some(&tokens.access)).await;
    assert_eq!(listed.body["items"][0]["is_trusted"], false);

    let audit = device_audit_actions(&app.core.db, user_id).await;
    let trust_rows: Vec<_> = audit
        .iter()
        .filter(|(action, _)| action.starts_with("trust"))
        .cloned()
        .collect();
    assert_eq!(
        trust_rows,
        [
            ("trusted".to_owned(), Some("untrusted->trusted".to_owned())),
            (
                "trust_revoked".to_owned(),
                Some("trusted->untrusted".to_owned())
            ),
        ]
    );

    // A grant ends by itself after its thirty days.
    trust(&app, &tokens, &device).await;
    app.advance(Duration::days(31));
    let fresh = app.login("tia@example.com").await;
    assert_eq!(trust_of(&app, &fresh, &device).await["trusted"], false);
}
both_backends!(a_device_is_trusted_for_thirty_days_then_withdrawn);

/// Trusting needs a recent sign-in: a session that authenticated more than ten minutes ago
/// is refused and nothing changes. Withdrawing needs none.
async fn trusting_needs_a_recent_sign_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("rex@example.com").await;
    let tokens = app.login("rex@example.com").await;
    let device = only_device(&app, &tokens).await;
    app.advance(Duration::minutes(11));
    let r = app
        .post(
            &format!("/v1/me/devices/{device}/trust"),
            json!({}),
            Some(&tokens.access),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "reauthentication_required");
    assert_eq!(trust_of(&app, &tokens, &device).await["trusted"], false);

    // A refreshed access token keeps the session's sign-in time: still refused.
    let refreshed = app.refresh(&tokens.refresh).await;
    let access = refreshed.body["access_token"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &format!("/v1/me/devices/{device}/trust"),
            json!({}),
            Some(&access),
        )
        .await;
    assert_eq!(r.code(), "reauthentication_required", "{}", r.text);

    // Signing in again makes it recent.
    let again = app.login("rex@example.com").await;
    trust(&app, &again, &device).await;
    app.advance(Duration::minutes(11));
    let again = app.login("rex@example.com").await;
    let r = app
        .delete(&format!("/v1/me/devices/{device}/trust"), &again.access)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}
both_backends!(trusting_needs_a_recent_sign_in);

/// Another person's device is not found, read, trusted or untrusted.
async fn another_persons_device_is_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("own@example.com").await;
    app.register("oth@example.com").await;
    let owner = app.login("own@example.com").await;
    let other = app.login("oth@example.com").await;
    let device = only_device(&app, &owner).await;
    let path = format!("/v1/me/devices/{device}/trust");
    assert_eq!(
        app.get(&path, Some(&other.access)).await.status,
        StatusCode::NOT_FOUND
    );
    let r = app.post(&path, json!({}), Some(&other.access)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(
        app.delete(&path, &other.access).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(trust_of(&app, &owner, &device).await["trusted"], false);
    let unknown = format!("/v1/me/devices/{}/trust", Uuid::now_v7());
    assert_eq!(
        app.get(&unknown, Some(&owner.access)).await.status,
        StatusCode::NOT_FOUND
    );
}
both_backends!(another_persons_device_is_not_found);

/// A password change and "sign out everywhere" each withdraw every trust of the account.
async fn password_change_and_sign_out_everywhere_withdraw_trust(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("pat@example.com").await;
    let tokens = app.login("pat@example.com").await;
    let device = only_device(&app, &tokens).await;

    trust(&app, &tokens, &device).await;
    let change = json!({
        "current_password": PASSWORD,
        "new_password": "another long passphrase",
        "sign_out_other_sessions": false,
    });
    let r = app
        .post("/v1/me/password", change, Some(&tokens.access))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(trust_of(&app, &tokens, &device).await["trusted"], false);

    trust(&app, &tokens, &device).await;
    let r = app
        .post("/v1/auth/logout-all", json!({}), Some(&tokens.access))
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let again = app
        .login_as("pat@example.com", "another long passphrase")
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    let again = Tokens::from(&again);
    assert_eq!(trust_of(&app, &again, &device).await["trusted"], false);
}
both_backends!(password_change_and_sign_out_everywhere_withdraw_trust);

/// A password reset and "this wasn't me" each withdraw every trust of the account too.
async fn a_reset_and_this_wasnt_me_withdraw_trust(backend: Backend) {
    use gatehouse_testkit::queries::latest_email_text;
    let app = TestApp::spawn(backend).await;
    app.register("res@example.com").await;
    let tokens = app.login("res@example.com").await;
    let device = only_device(&app, &tokens).await;

    trust(&app, &tokens, &device).await;
    let r = app
        .post(
            "/v1/auth/password-reset/request",
            json!({ "email": "res@example.com" }),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let token = crate::email_verification::latest_link_token(&app).await;
    let r = app
        .post(
            "/v1/auth/password-reset/confirm",
            json!({ "token": token, "new_password": "a reset long passphrase" }),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let fresh = Tokens::from(
        &app.login_as("res@example.com", "a reset long passphrase")
            .await,
    );
    assert_eq!(trust_of(&app, &fresh, &device).await["trusted"], false);

    // Trust again, then a new device's alert link says "this wasn't me".
    trust(&app, &fresh, &device).await;
    let other = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
    app.login_from_with("res@example.com", "a reset long passphrase", other)
        .await;
    let text = latest_email_text(&app.core.db).await;
    let token = crate::notifications::not_me_token(&text);
    let r = app
        .post("/v1/auth/not-me", json!({ "token": token }), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.advance(Duration::days(2));
    let back = Tokens::from(
        &app.login_as("res@example.com", "a reset long passphrase")
            .await,
    );
    assert_eq!(trust_of(&app, &back, &device).await["trusted"], false);
}
both_backends!(a_reset_and_this_wasnt_me_withdraw_trust);
