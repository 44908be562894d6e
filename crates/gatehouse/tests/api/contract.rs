//! The contract check itself: every answer `TestApp::request` receives is validated against
//! `/openapi.json` (gatehouse-testkit's `contract`). These tests show that it refuses what
//! the document does not allow — fabricated answers of the wrong status, content type or
//! shape — and that the document's request examples are real requests the server accepts.

use axum::http::{Method, StatusCode};
use gatehouse_http::HttpConfig;
use gatehouse_store::Backend;
use gatehouse_testkit::both_backends;
use gatehouse_testkit::contract::{Contract, Violation};
use gatehouse_testkit::{stalled_body, TestApp};
use serde_json::{json, Value};

const PROBLEM: Option<&str> = Some("application/problem+json");
const JSON: Option<&str> = Some("application/json");

fn problem(status: u16, code: &str) -> Vec<u8> {
    json!({
        "type": "about:blank", "title": "Error", "status": status, "code": code,
        "detail": "something", "request_id": "01a21a1e-09c4-7536-9281-6f647f7fc445",
    })
    .to_string()
    .into_bytes()
}

/// The check refuses, naming the operation, status and fault, each kind of answer the
/// document does not allow — and lets real answers and unmatched paths through.
async fn answers_the_document_does_not_allow_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("kit@example.com").await;
    let login = app
        .login_as("kit@example.com", gatehouse_testkit::PASSWORD)
        .await;
    let access = login.body["access_token"].as_str().unwrap().to_owned();
    let me = app.get("/v1/me", Some(&access)).await;
    let contract = Contract::served(&app.router).await;
    let check = |method: Method, uri: &str, status: u16, ct: Option<&str>, body: &[u8]| {
        contract.check(
            &method,
            uri,
            StatusCode::from_u16(status).unwrap(),
            ct,
            body,
        )
    };
    let refused = |result: Result<(), Violation>, expected: &[&str]| {
        let message = result.expect_err("the check let it through").to_string();
        for part in expected {
            assert!(message.contains(part), "{part:?} missing from: {message}");
        }
    };

    // Real answers pass, query strings and all.
    let me_body = serde_json::to_vec(&me.body).unwrap();
    let login_body = serde_json::to_vec(&login.body).unwrap();
    check(Method::GET, "/v1/me", 200, JSON, &me_body).unwrap();
    check(Method::POST, "/v1/auth/login", 200, JSON, &login_body).unwrap();
    let sessions = "/v1/me/sessions/0192f2a0-0000-7000-8000-000000000000?x=1";
    check(
        Method::DELETE,
        sessions,
        404,
        PROBLEM,
        &problem(404, "not_found"),
    )
    .unwrap();
    check(Method::DELETE, sessions, 204, None, b"").unwrap();
    // A path with no operation is not checked, unless it answers a 5xx.
    check(
        Method::GET,
        "/v1/nope",
        404,
        PROBLEM,
        &problem(404, "not_found"),
    )
    .unwrap();
    check(Method::PUT, "/v1/me", 405, PROBLEM, &problem(405, "x")).unwrap();
    refused(
        check(
            Method::GET,
            "/v1/nope",
            500,
            PROBLEM,
            &problem(500, "internal_error"),
        ),
        &["GET /v1/nope", "500", "5xx"],
    );

    // A status the operation does not list; a 5xx other than a documented 503.
    refused(
        check(
            Method::POST,
            "/v1/auth/refresh",
            403,
            PROBLEM,
            &problem(403, "x"),
        ),
        &["POST /v1/auth/refresh", "`refresh`", "403", "does not list"],
    );
    refused(
        check(
            Method::GET,
            "/v1/me",
            500,
            PROBLEM,
            &problem(500, "internal_error"),
        ),
        &["GET /v1/me", "500", "documented 503"],
    );
    let unavailable = problem(503, "database_unavailable");
    check(Method::GET, "/v1/me", 503, PROBLEM, &unavailable).unwrap();
    refused(
        check(Method::GET, "/healthz", 503, PROBLEM, &unavailable),
        &["`healthz`", "503", "does not list"],
    );
    // A content type the status does not declare; a body where none is declared.
    refused(
        check(
            Method::GET,
            "/v1/me",
            401,
            JSON,
            &problem(401, "unauthenticated"),
        ),
        &["`me`", "401", "content type", "application/problem+json"],
    );
    refused(
        check(Method::DELETE, sessions, 204, JSON, b"{}"),
        &["`revoke_session`", "204", "no body"],
    );
    // Bodies of the wrong shape: a missing field, an undocumented one (at the top and
    // nested under an `allOf`), a broken format, a problem without its code.
    let mut missing = me.body.clone();
    missing.as_object_mut().unwrap().remove("email");
    refused(
        check(
            Method::GET,
            "/v1/me",
            200,
            JSON,
            missing.to_string().as_bytes(),
        ),
        &["`me`", "200", "\"email\" is a required property"],
    );
    let mut extra = login.body.clone();
    extra["debug"] = json!(true);
    refused(
        check(
            Method::POST,
            "/v1/auth/login",
            200,
            JSON,
            extra.to_string().as_bytes(),
        ),
        &["`login`", "200", "debug"],
    );
    let mut nested = me.body.clone();
    nested["profile"]["shoe_size"] = json!(43);
    refused(
        check(
            Method::GET,
            "/v1/me",
            200,
            JSON,
            nested.to_string().as_bytes(),
        ),
        &["/profile", "shoe_size"],
    );
    // A private key member in the JWK set is a member the document does not describe.
    let mut jwks = app.get("/.well-known/jwks.json", None).await.body;
    check(
        Method::GET,
        "/.well-known/jwks.json",
        200,
        JSON,
        jwks.to_string().as_bytes(),
    )
    .unwrap();
    jwks["keys"][0]["d"] = json!("cHJpdmF0ZQ");
    refused(
        check(
            Method::GET,
            "/.well-known/jwks.json",
            200,
            JSON,
            jwks.to_string().as_bytes(),
        ),
        &["`jwks`", "/keys/0", "\"d\""],
    );
    // (The refresh answer: the login's is one of two shapes, so its validator names no
    // single field.)
    let mut not_uuid = login.body.clone();
    not_uuid.as_object_mut().unwrap().remove("device_token");
    not_uuid["session_id"] = json!("session-1");
    refused(
        check(
            Method::POST,
            "/v1/auth/refresh",
            200,
            JSON,
            not_uuid.to_string().as_bytes(),
        ),
        &["/session_id", "uuid"],
    );
    let mut no_code: Value = serde_json::from_slice(&problem(401, "x")).unwrap();
    no_code.as_object_mut().unwrap().remove("code");
    refused(
        check(
            Method::GET,
            "/v1/me",
            401,
            PROBLEM,
            no_code.to_string().as_bytes(),
        ),
        &["\"code\" is a required property"],
    );
    refused(
        check(Method::GET, "/v1/me", 200, JSON, b"<html>"),
        &["not JSON"],
    );
}
both_backends!(answers_the_document_does_not_allow_are_refused);

/// Each request body example of the document, sent as it is, is accepted: the examples a
/// reader copies are requests the server takes.
async fn request_examples_are_accepted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let document = app.get("/openapi.json", None).await.body;
    let example = |path: &str, method: &str| -> Value {
        let pointer = format!(
            "/paths/{}/{method}/requestBody/content/application~1json/example",
            path.replace('/', "~1")
        );
        document
            .pointer(&pointer)
            .cloned()
            .unwrap_or_else(|| panic!("{pointer}"))
    };

    let r = app
        .post(
            "/v1/auth/register",
            example("/v1/auth/register", "post"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let r = app
        .post("/v1/auth/login", example("/v1/auth/login", "post"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let access = r.body["access_token"].as_str().unwrap().to_owned();
    let r = app
        .patch(
            "/v1/me/profile",
            example("/v1/me/profile", "patch"),
            &access,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["profile"]["first_name"], "Ada");
    let password = example("/v1/me/password", "post");
    let r = app.post("/v1/me/password", password, Some(&access)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // The example refresh token is well formed but was never issued.
    let r = app
        .post(
            "/v1/auth/refresh",
            example("/v1/auth/refresh", "post"),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "invalid_refresh_token")
    );
}
both_backends!(request_examples_are_accepted);

/// A JSON body that stops arriving is answered 408 `body_timeout` with the connection
/// closed — an answer of every JSON-body operation that the document lists (the check
/// passes it) and that `binary_limits` shows on a real socket.
async fn a_stalled_body_is_answered_408_as_documented(backend: Backend) {
    let http = HttpConfig {
        body_read_timeout_secs: 1,
        ..HttpConfig::default()
    };
    let app = TestApp::spawn(backend).await.with_http(&http);
    for (method, path) in [
        (Method::POST, "/v1/auth/register"),
        (Method::POST, "/v1/auth/login"),
    ] {
        let body = stalled_body(r#"{"email":"someone"#);
        let r = app
            .request(method, path, None, Some(body), Some("application/json"))
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::REQUEST_TIMEOUT, "body_timeout"),
            "{path}"
        );
        assert_eq!(r.headers["connection"], "close");
    }
    assert_eq!(app.count("users").await, 0);
}
both_backends!(a_stalled_body_is_answered_408_as_documented);
