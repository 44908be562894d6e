//! Request-scoped middleware: a request id (echoed in `x-request-id` and in every
//! problem body) and observation (metrics for every request, an access log line, and a
//! `request` span when DEBUG is on). Logs carry the method and route template only —
//! never query strings or headers, so tokens cannot leak into them.
//!
//! Cost matters here: this runs on every request, and a profile of `GET /v1/me` showed
//! the formatted JSON access line and its span at a third of the server's instructions
//! (docs/performance.md, "Where the time goes"). So the access line of an ordinary
//! request is DEBUG; 5xx answers and slow requests are still logged at INFO, with the
//! method, route and request id as fields of the line itself.

use crate::metrics::Metrics;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{Instrument, Level};
use uuid::Uuid;

static REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Requests slower than this are logged at INFO whatever their status.
pub const SLOW_REQUEST: Duration = Duration::from_secs(1);

tokio::task_local! {
    static REQUEST_ID: HeaderValue;
}

/// The id of the request being handled (empty outside a request).
pub fn current_request_id() -> String {
    request_id_value().to_str().unwrap_or_default().to_owned()
}

/// Take a well-formed incoming `x-request-id` (from a proxy) or make one (a UUIDv7).
pub async fn request_id(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID_HEADER)
        .filter(|v| is_well_formed(v.as_bytes()))
        .cloned()
        .unwrap_or_else(new_request_id);
    // A `HeaderValue` clone shares its bytes: the id is made once per request.
    let mut response = REQUEST_ID.scope(id.clone(), next.run(request)).await;
    response.headers_mut().insert(REQUEST_ID_HEADER.clone(), id);
    response
}

/// 1 to 64 characters of `A-Z a-z 0-9 -` (docs/api.md).
fn is_well_formed(id: &[u8]) -> bool {
    !id.is_empty() && id.len() <= 64 && id.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
}

fn new_request_id() -> HeaderValue {
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let text = Uuid::now_v7().hyphenated().encode_lower(&mut text);
    // A hyphenated UUID is always a valid header value; the fallback is unreachable.
    HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static("unavailable"))
}

/// Metrics and the access log for one request; the `request` span only when DEBUG is on.
pub async fn observe(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    // Creating a span formats its fields and registers it, and every poll enters it:
    // worth it only when someone reads DEBUG.
    let span = tracing::enabled!(Level::DEBUG).then(|| {
        let id = request_id_value();
        let request_id = id.to_str().unwrap_or_default();
        tracing::debug_span!("request", %method, route, request_id)
    });
    let started = Instant::now();
    let response = match &span {
        Some(span) => next.run(request).instrument(span.clone()).await,
        None => next.run(request).await,
    };
    let elapsed = started.elapsed();
    let status = response.status();
    metrics.record(&method, route, status.as_u16(), elapsed);
    match span {
        Some(span) => span.in_scope(|| log_access(&method, route, status, elapsed)),
        None => log_access(&method, route, status, elapsed),
    }
    response
}

/// The access line: INFO for 5xx answers and slow requests (with the request's method,
/// route and id, since the span may be off), DEBUG for the rest. Health and readiness
/// probes are always DEBUG: a balancer asks every few seconds, and a 503 from `/readyz`
/// during an outage would otherwise bury the lines that say what went wrong.
fn log_access(method: &Method, route: &str, status: StatusCode, elapsed: Duration) {
    let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
    let status = status.as_u16();
    let probe = matches!(route, "/healthz" | "/readyz");
    if !probe && (status >= 500 || elapsed >= SLOW_REQUEST) {
        let id = request_id_value();
        let request_id = id.to_str().unwrap_or_default();
        tracing::info!(%method, route, request_id, status, elapsed_ms, "handled");
    } else {
        tracing::debug!(status, elapsed_ms, "handled");
    }
}

/// The current request id (empty outside a request). A `HeaderValue` clone shares the
/// id's bytes, so this does not copy it.
fn request_id_value() -> HeaderValue {
    REQUEST_ID
        .try_with(HeaderValue::clone)
        .unwrap_or(HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incoming_ids_are_taken_only_when_well_formed() {
        assert!(is_well_formed(b"abc-123-XYZ"));
        assert!(is_well_formed(&[b'a'; 64]));
        assert!(!is_well_formed(b""));
        assert!(!is_well_formed(&[b'a'; 65]));
        assert!(!is_well_formed(b"a b"));
        assert!(!is_well_formed(b"a\"}{"));
    }

    #[test]
    fn new_ids_are_distinct_uuids() {
        let a = new_request_id();
        let b = new_request_id();
        assert_ne!(a, b);
        let text = a.to_str().unwrap();
        assert_eq!(Uuid::parse_str(text).unwrap().get_version_num(), 7);
        assert!(is_well_formed(text.as_bytes()));
    }

    #[test]
    fn outside_a_request_the_id_is_empty() {
        assert_eq!(current_request_id(), "");
    }
}
