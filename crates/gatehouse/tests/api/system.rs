//! Health, readiness, metrics, keys, OpenAPI and docs; and that secrets stay out of logs.

use axum::http::{Method, StatusCode};
use gatehouse_store::{migrate, Backend};
use gatehouse_testkit::both_backends;
use gatehouse_testkit::{TestApp, PASSWORD};
use std::io::Write;
use std::sync::{Arc, Mutex};

async fn operational_endpoints_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(app.get("/healthz", None).await.body["status"], "ok");
    assert_eq!(app.get("/readyz", None).await.body["status"], "ready");
    let openapi = app.get("/openapi.json", None).await;
    assert_eq!(openapi.status, StatusCode::OK);
    assert!(openapi.body["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/v1/auth/register",
        "/v1/auth/login",
        "/v1/auth/refresh",
        "/v1/me",
        "/v1/me/sessions/{id}",
        "/v1/me/devices",
    ] {
        assert!(
            openapi.body["paths"].get(path).is_some(),
            "{path} missing from OpenAPI"
        );
    }
    let docs = app.get("/docs", None).await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(docs.text.contains("/v1/auth/login") && docs.text.contains("<html"));

    app.register("yuri@example.com").await;
    let t = app.login("yuri@example.com").await;
    let metrics = app.get("/metrics", None).await;
    assert!(metrics.text.contains("gatehouse_http_requests_total{method=\"POST\",route=\"/v1/auth/login\",status=\"200\"} 1"), "{}", metrics.text);

    // The access token verifies with the published key.
    let jwks = app.get("/.well-known/jwks.json", None).await;
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks.body.clone()).unwrap();
    let jwk = &set.keys[0];
    let header = jsonwebtoken::decode_header(&t.access).unwrap();
    assert_eq!(header.kid.as_deref(), jwk.common.key_id.as_deref());
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<serde_json::Value>(&t.access, &key, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["sid"], t.session_id.as_str());
    assert_eq!(claims["amr"][0], "pwd");
}
both_backends!(operational_endpoints_answer);

/// `/readyz` answers 503 while a migration is missing and when the database is gone, with
/// a reason and no database text.
async fn readiness_follows_migrations_and_the_database(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let latest = migrate::status(&app.core.db)
        .await
        .unwrap()
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap();
    migrate::down_to(&app.core.db, latest - 1).await.unwrap();
    let r = app.get("/readyz", None).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::SERVICE_UNAVAILABLE, "not_ready")
    );
    assert_eq!(r.body["detail"], "migrations pending");

    migrate::up(&app.core.db).await.unwrap();
    assert_eq!(app.get("/readyz", None).await.status, StatusCode::OK);

    app.core.db.close().await;
    let r = app.get("/readyz", None).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::SERVICE_UNAVAILABLE, "not_ready")
    );
    assert_eq!(r.body["detail"], "database unreachable");
}
both_backends!(readiness_follows_migrations_and_the_database);

/// The router and the document come from one registration: every operation that
/// /openapi.json lists is served (the reverse holds by construction, since routes are only
/// added through `routes!`). Each is called with a valid token and no body, and must reach
/// its handler rather than the 404/405 fallbacks.
async fn every_documented_operation_is_served(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("una@example.com").await;
    let t = app.login("una@example.com").await;
    let openapi = app.get("/openapi.json", None).await;
    let mut operations = Vec::new();
    for (path, item) in openapi.body["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.push((method.to_uppercase(), path.clone()));
        }
    }
    assert!(operations.len() >= 18, "{operations:?}");
    // Ending sessions last keeps the token valid for the rest.
    operations.sort_by_key(|(_, path)| path.contains("logout"));
    for (method, path) in operations {
        let uri = path.replace("{id}", &uuid::Uuid::now_v7().to_string());
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let resp = app
            .request(method.clone(), &uri, Some(&t.access), None, None)
            .await;
        let fallback = resp.status == StatusCode::METHOD_NOT_ALLOWED
            || (resp.status == StatusCode::NOT_FOUND && resp.body["detail"] == "no such endpoint");
        assert!(!fallback, "{method} {path} is documented but not served");
        if path.starts_with("/v1/") && !path.starts_with("/v1/auth/") {
            assert_ne!(resp.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        }
    }
}
both_backends!(every_documented_operation_is_served);

/// Log output collected in memory, for tests that read what was logged.
#[derive(Clone, Default)]
pub(crate) struct Capture(pub(crate) Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Tokens and passwords never reach the logs, even at the most verbose level.
#[test]
fn secrets_never_reach_the_logs() {
    // While only one dispatcher exists, tracing-core computes a callsite's interest from the
    // default of whichever thread registers it first (tokio-rs/tracing#3611): a parallel
    // test thread without a subscriber could mark the request log "never" for the whole
    // process and blind the capture. With a second (silent) dispatcher alive, registration
    // asks every dispatcher, the capture included.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if gatehouse_testkit::skipped(backend) {
            continue;
        }
        let capture = Capture::default();
        let writer = capture.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (tokens, refreshed) = tracing::subscriber::with_default(subscriber, || {
            runtime.block_on(async {
                let app = TestApp::spawn(backend).await;
                app.register("zed@example.com").await;
                app.login_as("zed@example.com", "a wrong password").await;
                let t = app.login("zed@example.com").await;
                app.get("/v1/me", Some(&t.access)).await;
                let r = app.refresh(&t.refresh).await;
                (t, r.body["refresh_token"].as_str().unwrap().to_owned())
            })
        });
        let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
        assert!(logs.contains("handled"), "the capture saw the request logs");
        for secret in [
            tokens.access.as_str(),
            tokens.refresh.as_str(),
            refreshed.as_str(),
            PASSWORD,
            "a wrong password",
        ] {
            assert!(!logs.contains(secret), "a secret reached the logs");
        }
    }
}

/// Responses are not cached and not sniffed, and leak no referrer (issue 6, item 5): token
/// answers, personal data, errors and fallbacks alike; the JWK set keeps its public
/// caching; `/docs` runs nothing and cannot be framed.
async fn responses_carry_the_security_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("hdr@example.com").await;
    let login = app.login_as("hdr@example.com", PASSWORD).await;
    let access = login.body["access_token"].as_str().unwrap().to_owned();
    let answers = [
        ("login", login),
        ("me", app.get("/v1/me", Some(&access)).await),
        ("unauthenticated", app.get("/v1/me", None).await),
        ("not found", app.get("/v1/nothing-here", None).await),
        ("metrics", app.get("/metrics", None).await),
    ];
    for (what, r) in &answers {
        assert_eq!(r.headers["cache-control"], "no-store", "{what}");
        assert_eq!(r.headers["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(r.headers["referrer-policy"], "no-referrer", "{what}");
    }
    let jwks = app.get("/.well-known/jwks.json", None).await;
    assert_eq!(jwks.headers["cache-control"], "public, max-age=300");
    assert_eq!(jwks.headers["x-content-type-options"], "nosniff");
    let docs = app.get("/docs", None).await;
    let csp = docs.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
}
both_backends!(responses_carry_the_security_headers);
