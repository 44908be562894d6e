//! Bad input gets a clear 4xx problem+json and changes nothing (DESIGN §5).

use axum::body::Body;
use axum::http::{Method, StatusCode};
use gatehouse_store::Backend;
use gatehouse_testkit::both_backends;
use gatehouse_testkit::{TestApp, PASSWORD};
use serde_json::json;

async fn malformed_bodies_are_4xx_and_write_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cases: Vec<(Body, Option<&str>, StatusCode, &str)> = vec![
        (
            Body::from("{\"email\": "),
            Some("application/json"),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            Body::from("not json"),
            Some("application/json"),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            Body::from(json!({"email": 42, "password": PASSWORD}).to_string()),
            Some("application/json"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            Body::from(json!({"email": "a@example.com"}).to_string()),
            Some("application/json"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            Body::from(
                json!({"email": "a@example.com", "password": PASSWORD, "is_staff": true})
                    .to_string(),
            ),
            Some("application/json"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            Body::from(json!({"email": "a@example.com", "password": PASSWORD}).to_string()),
            None,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            Body::from(
                json!({"email": "a@example.com", "password": "x".repeat(40_000)}).to_string(),
            ),
            Some("application/json"),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ];
    for (body, ct, status, code) in cases {
        let r = app
            .request(Method::POST, "/v1/auth/register", None, Some(body), ct)
            .await;
        assert_eq!(r.status, status, "{}", r.text);
        assert_eq!(r.code(), code, "{}", r.text);
        assert!(r.is_problem());
        assert!(r.body["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()));
    }
    assert_eq!(app.count("users").await, 0);
    assert_eq!(app.count("account_audit_log").await, 0);
}
both_backends!(malformed_bodies_are_4xx_and_write_nothing);

async fn invalid_fields_are_named(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app
        .post(
            "/v1/auth/register",
            json!({ "email": "not-an-email", "password": "short", "username": "a b" }),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "validation_failed");
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"email") && fields.contains(&"password") && fields.contains(&"username"),
        "{fields:?}"
    );
    assert_eq!(app.count("users").await, 0);
}
both_backends!(invalid_fields_are_named);

async fn common_and_identifier_passwords_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (password, code) in [
        // ASVS Level 2's 12-character minimum is the default.
        ("password123", "too_short"),
        ("qwerty123456", "common_password"),
        ("1qaz2wsx3edc", "common_password"),
        ("gina@example.com", "same_as_identifier"),
        (&"y".repeat(129)[..], "too_long"),
    ] {
        let r = app
            .post(
                "/v1/auth/register",
                json!({ "email": "gina@example.com", "password": password }),
                None,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{password}: {}",
            r.text
        );
        assert_eq!(r.body["errors"][0]["field"], "password");
        assert_eq!(r.body["errors"][0]["code"], code);
    }
    assert_eq!(app.count("users").await, 0);
}
both_backends!(common_and_identifier_passwords_are_refused);

async fn unknown_routes_and_methods_are_problems(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app.get("/v1/nope", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.is_problem());
    let r = app.get("/v1/auth/login", None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.is_problem());
    app.register("hal@example.com").await;
    let t = app.login("hal@example.com").await;
    let r = app.delete("/v1/me/sessions/not-a-uuid", &t.access).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "invalid_path");
    let r = app.get("/v1/me/sessions?limit=0", Some(&t.access)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app.get("/v1/me/sessions?cursor=%%%", Some(&t.access)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app.get("/v1/me/sessions?bogus=1", Some(&t.access)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}
both_backends!(unknown_routes_and_methods_are_problems);

async fn oversize_login_password_is_refused_before_hashing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app.login_as("x@example.com", &"p".repeat(5000)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "password");
    assert_eq!(
        app.count("auth_throttle").await,
        0,
        "refused before counting or hashing"
    );
}
both_backends!(oversize_login_password_is_refused_before_hashing);
