//! Operational endpoints: liveness, readiness, metrics, the JWK set, the OpenAPI
//! document and its browsable page; and the problem+json 404/405 fallbacks.

use crate::error::{ApiError, Problem};
use crate::wire::{HealthResponse, JwkSet};
use crate::{not_me_page, AppState};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use gatehouse_core::system;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
        .routes(routes!(jwks))
        .routes(routes!(openapi_json))
        .routes(routes!(docs))
        .routes(routes!(not_me_page))
        .routes(routes!(not_me_script))
        .routes(routes!(not_me_style))
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, description = "Up", body = HealthResponse)))]
pub async fn healthz() -> Json<HealthResponse> {
    Json(HealthResponse { status: "ok" })
}

/// The database is reachable and every migration is applied.
#[utoipa::path(get, path = "/readyz", tag = "system",
    responses(
        (status = 200, description = "Ready", body = HealthResponse),
        (status = 503, description = "Not ready", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<HealthResponse>, ApiError> {
    let readiness = system::readiness(&state.core).await;
    if readiness.is_ready() {
        Ok(Json(HealthResponse { status: "ready" }))
    } else {
        Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            readiness.reason(),
        ))
    }
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "system", responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    // Core's figures wait at most `metrics::SESSIONS_COUNT_TIMEOUT` for the database.
    let service = gatehouse_core::scrape::snapshot(&state.core).await;
    let mut body = state.metrics.render();
    body.push_str(&crate::service_metrics::render(&service));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

/// Public keys that verify access tokens (RFC 7517).
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "system", responses((status = 200, description = "JWK set", body = JwkSet)))]
pub async fn jwks(State(state): State<AppState>) -> Response {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(JwkSet::from(&state.core.keys.signing)),
    )
        .into_response()
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(get, path = "/openapi.json", tag = "system", responses((status = 200, description = "OpenAPI document", body = Object)))]
pub async fn openapi_json(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.openapi_json.to_string(),
    )
        .into_response()
}

/// A browsable page of the API.
#[utoipa::path(get, path = "/docs", tag = "system", responses((status = 200, description = "HTML", content_type = "text/html")))]
pub async fn docs(State(state): State<AppState>) -> Response {
    // The page is static HTML with one inline style sheet and no scripts: allow only that,
    // and never inside a frame (clickjacking).
    const POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; \
                          form-action 'none'; frame-ancestors 'none'";
    (
        [(header::CONTENT_SECURITY_POLICY, POLICY)],
        Html(state.docs_html.to_string()),
    )
        .into_response()
}

/// The page a security alert's "this wasn't me" link opens; it asks before it acts.
#[utoipa::path(get, path = "/not-me", tag = "system", responses((status = 200, description = "HTML", content_type = "text/html")))]
pub async fn not_me_page() -> Response {
    (
        [(header::CONTENT_SECURITY_POLICY, not_me_page::POLICY)],
        Html(not_me_page::HTML),
    )
        .into_response()
}

/// The script of `/not-me`.
#[utoipa::path(get, path = "/not-me.js", tag = "system", responses((status = 200, description = "JavaScript", content_type = "text/javascript")))]
pub async fn not_me_script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        not_me_page::SCRIPT,
    )
        .into_response()
}

/// The style sheet of `/not-me`.
#[utoipa::path(get, path = "/not-me.css", tag = "system", responses((status = 200, description = "CSS", content_type = "text/css")))]
pub async fn not_me_style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        not_me_page::STYLE,
    )
        .into_response()
}

pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not accept that method",
    )
}
