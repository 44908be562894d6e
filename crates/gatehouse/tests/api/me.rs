//! Profile changes and password changes.

use axum::http::StatusCode;
use gatehouse_core::CoreConfig;
use gatehouse_store::Backend;
use gatehouse_testkit::both_backends;
use gatehouse_testkit::{test_config, TestApp, PASSWORD};
use serde_json::json;

async fn profile_fields_are_validated_and_cleared_with_null(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("sam@example.com").await;
    let t = app.login("sam@example.com").await;
    let ok = app
        .patch(
            "/v1/me/profile",
            json!({ "first_name": " Sam ", "timezone": "America/New_York", "language": "pt-br",
                    "phone_number": "+1 415 555 2671", "date_of_birth": "1990-04-01", "country": "US" }),
            &t.access,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let p = &ok.body["profile"];
    assert_eq!(p["first_name"], "Sam");
    assert_eq!(p["timezone"], "America/New_York");
    assert_eq!(p["language"], "pt-BR");
    assert_eq!(p["phone_number"], "+14155552671");
    assert_eq!(p["date_of_birth"], "1990-04-01");

    let bad = app
        .patch(
            "/v1/me/profile",
            json!({ "timezone": "Mars/Olympus", "language": "klingon", "phone_number": "4155552671", "first_name": "Changed" }),
            &t.access,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields.len(), 3, "{fields:?}");
    for f in ["timezone", "language", "phone_number"] {
        assert!(fields.contains(&f), "{f} not named in {fields:?}");
    }
    // Nothing changed, not even the valid field in the same request.
    let me = app.get("/v1/me", Some(&t.access)).await;
    assert_eq!(me.body["profile"]["first_name"], "Sam");
    assert_eq!(me.body["profile"]["timezone"], "America/New_York");

    let cleared = app
        .patch(
            "/v1/me/profile",
            json!({ "first_name": null, "phone_number": null }),
            &t.access,
        )
        .await;
    assert_eq!(cleared.status, StatusCode::OK);
    assert!(cleared.body["profile"]["first_name"].is_null());
    assert!(cleared.body["profile"]["phone_number"].is_null());
    assert_eq!(
        cleared.body["profile"]["country"], "US",
        "absent fields are kept"
    );

    let wrong_type = app
        .patch(
            "/v1/me/profile",
            json!({ "date_of_birth": "yesterday" }),
            &t.access,
        )
        .await;
    assert_eq!(wrong_type.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = app
        .patch(
            "/v1/me/profile",
            json!({ "email": "new@example.com" }),
            &t.access,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
}
both_backends!(profile_fields_are_validated_and_cleared_with_null);

async fn password_change_checks_current_and_history(backend: Backend) {
    // More changes than the hourly allowance: this test is about history, not the limit.
    let config = CoreConfig {
        password_changes_per_hour: 50,
        ..test_config()
    };
    let app = TestApp::spawn_with(backend, config).await;
    app.register("tia@example.com").await;
    let t = app.login("tia@example.com").await;
    let other = app.login("tia@example.com").await;

    let wrong = app
        .post("/v1/me/password", json!({ "current_password": "not it at all", "new_password": "a brand new passphrase" }), Some(&t.access))
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(wrong.code(), "wrong_current_password");

    let same = app
        .post(
            "/v1/me/password",
            json!({ "current_password": PASSWORD, "new_password": PASSWORD }),
            Some(&t.access),
        )
        .await;
    assert_eq!(same.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(same.body["errors"][0]["code"], "password_reused");

    let common = app
        .post(
            "/v1/me/password",
            json!({ "current_password": PASSWORD, "new_password": "qwerty123456" }),
            Some(&t.access),
        )
        .await;
    assert_eq!(common.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common.body["errors"][0]["code"], "common_password");

    // Five changes in a row; each of the last five passwords is then refused.
    let mut current = PASSWORD.to_owned();
    let mut used = vec![current.clone()];
    for i in 0..5 {
        let next = format!("rotating passphrase number {i}");
        let r = app
            .post("/v1/me/password", json!({ "current_password": current, "new_password": next, "sign_out_other_sessions": false }), Some(&t.access))
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        current = next;
        used.push(current.clone());
    }
    for old in &used[1..] {
        let r = app
            .post(
                "/v1/me/password",
                json!({ "current_password": current, "new_password": old }),
                Some(&t.access),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{old} should be refused"
        );
    }
    // The original password is now six changes old and allowed again; this change also
    // signs out the other session (the default).
    let back = app
        .post(
            "/v1/me/password",
            json!({ "current_password": current, "new_password": PASSWORD }),
            Some(&t.access),
        )
        .await;
    assert_eq!(back.status, StatusCode::NO_CONTENT, "{}", back.text);
    assert_eq!(
        app.get("/v1/me", Some(&other.access)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/v1/me", Some(&t.access)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.login_as("tia@example.com", &current).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login_as("tia@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    assert!(app.count("password_history").await <= 5);
}
both_backends!(password_change_checks_current_and_history);

/// Password changes cost several Argon2id runs each, so an account gets a few an hour,
/// right or wrong, counted before any hashing (issue 6, item 8).
async fn password_changes_are_limited_per_account_before_hashing(backend: Backend) {
    let config = CoreConfig {
        password_changes_per_hour: 2,
        ..test_config()
    };
    let app = TestApp::spawn_with(backend, config).await;
    app.register("rae@example.com").await;
    let t = app.login("rae@example.com").await;
    let change = |current: &'static str, next: &'static str| json!({ "current_password": current, "new_password": next, "sign_out_other_sessions": false });
    let first = app
        .post(
            "/v1/me/password",
            change(PASSWORD, "first new passphrase"),
            Some(&t.access),
        )
        .await;
    assert_eq!(first.status, StatusCode::NO_CONTENT, "{}", first.text);
    let wrong = app
        .post(
            "/v1/me/password",
            change("not the password", "second new passphrase"),
            Some(&t.access),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    // The allowance is spent: even the right current password is refused, with Retry-After.
    let refused = app
        .post(
            "/v1/me/password",
            change("first new passphrase", "second new passphrase"),
            Some(&t.access),
        )
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.code(), "too_many_attempts");
    let retry: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry));
    // The refused attempt changed nothing: the first new password still logs in.
    assert_eq!(
        app.login_as("rae@example.com", "first new passphrase")
            .await
            .status,
        StatusCode::OK
    );
    // An hour later the allowance is back (with a fresh access token: the old one expired).
    app.advance(chrono::Duration::minutes(61));
    let t2 = {
        let r = app
            .login_as("rae@example.com", "first new passphrase")
            .await;
        gatehouse_testkit::Tokens::from(&r)
    };
    let again = app
        .post(
            "/v1/me/password",
            change("first new passphrase", "second new passphrase"),
            Some(&t2.access),
        )
        .await;
    assert_eq!(again.status, StatusCode::NO_CONTENT, "{}", again.text);
}
both_backends!(password_changes_are_limited_per_account_before_hashing);
