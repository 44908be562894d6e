//! The main path: register → login → me → refresh → sessions → logout, and what it
//! writes to the audit logs.

use axum::http::StatusCode;
use gatehouse_store::Backend;
use gatehouse_testkit::both_backends;
use gatehouse_testkit::{queries, TestApp, PASSWORD};
use serde_json::json;
use uuid::Uuid;

async fn full_walkthrough(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reg = app
        .post(
            "/v1/auth/register",
            json!({ "email": "Ada@Example.COM", "password": PASSWORD, "username": "Ada_L" }),
            None,
        )
        .await;
    assert_eq!(reg.status, StatusCode::ACCEPTED, "{}", reg.text);
    assert_eq!(reg.body, json!({ "status": "verification_sent" }));
    let user_id: Uuid = queries::user_id_by_email(&app.core.db, "ada@example.com").await;

    // Log in by email (any case) and by username.
    let by_email = app.login_as("ADA@example.com", PASSWORD).await;
    assert_eq!(by_email.status, StatusCode::OK, "{}", by_email.text);
    assert_eq!(by_email.body["status"], "authenticated");
    assert_eq!(by_email.body["token_type"], "Bearer");
    assert_eq!(by_email.body["expires_in"], 900);
    let tokens = app.login("ada_l").await;

    let me = app.get("/v1/me", Some(&tokens.access)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["id"], user_id.to_string());
    assert_eq!(me.body["email"], "ada@example.com");
    assert_eq!(me.body["username"], "ada_l");
    assert_eq!(me.body["email_verified"], false);
    assert_eq!(me.body["profile"]["timezone"], "UTC");
    assert!(me.body["last_login_at"].is_string());

    let refreshed = app.refresh(&tokens.refresh).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text);
    assert_ne!(refreshed.body["refresh_token"], tokens.refresh.as_str());
    assert_eq!(refreshed.body["session_id"], tokens.session_id.as_str());
    let new_access = refreshed.body["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/v1/me", Some(new_access)).await.status,
        StatusCode::OK
    );

    let sessions = app.get("/v1/me/sessions", Some(new_access)).await;
    assert_eq!(sessions.status, StatusCode::OK);
    let items = sessions.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "two logins, two sessions");
    assert_eq!(items.iter().filter(|s| s["current"] == true).count(), 1);

    let out = app
        .post("/v1/auth/logout", json!({}), Some(new_access))
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    // The revoked session's access token stops working at once, as does its refresh token.
    let after = app.get("/v1/me", Some(new_access)).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert!(after.is_problem());
    assert_eq!(
        app.refresh(refreshed.body["refresh_token"].as_str().unwrap())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    // Every step left audit rows: logins, refresh, logout in the session log; the device
    // registered then seen again; the session-device links made and unmade.
    let actions: Vec<String> = app
        .audit_actions(user_id)
        .await
        .into_iter()
        .map(|a| a.action)
        .collect();
    for expected in ["login_succeeded", "token_refreshed", "logout"] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} missing from {actions:?}"
        );
    }
    let counts = app.audit_counts(user_id).await;
    assert_eq!(counts.device, 2, "one device row per login");
    assert_eq!(counts.link, 3, "a link per login, an unlink per logout");
    assert_eq!(counts.account, 2, "registration, its verification link");
}
both_backends!(full_walkthrough);

async fn logout_all_ends_every_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("bo@example.com").await;
    let a = app.login("bo@example.com").await;
    let b = app.login("bo@example.com").await;
    let r = app
        .post("/v1/auth/logout-all", json!({}), Some(&a.access))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
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
}
both_backends!(logout_all_ends_every_session);

async fn duplicate_email_creates_nothing_and_username_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("cy@example.com").await;
    let again = app
        .post(
            "/v1/auth/register",
            json!({ "email": "CY@EXAMPLE.com", "password": PASSWORD }),
            None,
        )
        .await;
    // The same answer as a new address (tests/api/email_verification.rs compares them).
    assert_eq!(again.status, StatusCode::ACCEPTED);
    assert_eq!(again.body, json!({ "status": "verification_sent" }));
    assert_eq!(app.count("users").await, 1);
    app.post(
        "/v1/auth/register",
        json!({ "email": "d1@example.com", "password": PASSWORD, "username": "dee" }),
        None,
    )
    .await;
    let taken = app
        .post(
            "/v1/auth/register",
            json!({ "email": "d2@example.com", "password": PASSWORD, "username": "DEE" }),
            None,
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.code(), "username_taken");
    assert!(taken.is_problem());
    assert_eq!(app.count("users").await, 2);
}
both_backends!(duplicate_email_creates_nothing_and_username_is_refused);

async fn unknown_account_and_wrong_password_answer_alike(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("eve@example.com").await;
    let wrong = app.login_as("eve@example.com", "not the password").await;
    let unknown = app.login_as("nobody@example.com", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.code(), unknown.code());
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
    assert_eq!(
        wrong.body.as_object().unwrap().keys().collect::<Vec<_>>(),
        unknown.body.as_object().unwrap().keys().collect::<Vec<_>>()
    );
}
both_backends!(unknown_account_and_wrong_password_answer_alike);

async fn disabled_account_cannot_log_in_or_use_its_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reg = app.register("fay@example.com").await;
    let user_id: Uuid = reg.id;
    let before = app.login("fay@example.com").await;
    queries::set_user_active(&app.core.db, user_id, false).await;
    let r = app.login_as("fay@example.com", PASSWORD).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "account_disabled");
    assert_eq!(app.count("sessions").await, 1, "no new session");
    // Sessions opened before the account was disabled stop working too.
    assert_eq!(
        app.get("/v1/me", Some(&before.access)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/v1/me/sessions", Some(&before.access))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.refresh(&before.refresh).await.status,
        StatusCode::UNAUTHORIZED
    );
}
both_backends!(disabled_account_cannot_log_in_or_use_its_sessions);
