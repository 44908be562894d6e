//! How long a request may hold the server. The header block's deadline is the server's
//! (`gatehouse serve` sets hyper's `header_read_timeout`); these two are the router's:
//! - a body that goes `http.body_read_timeout_secs` without a byte fails to read, and the
//!   extractor reading it answers 408 `body_timeout` (RFC 9110 §15.5.9);
//! - a request still unanswered after `http.request_timeout_secs` is answered 503
//!   `request_timeout`: its future is dropped, so an open transaction rolls back.
//!
//! Both answers are problem+json with the request id, like every other error.

use crate::error::ApiError;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;
use tower_http::timeout::{TimeoutBody, TimeoutError};

/// Wrap the request body so a pause longer than `idle` between its chunks fails the read.
pub async fn limit_body_reads(
    State(idle): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    next.run(request.map(|body| Body::new(TimeoutBody::new(idle, body))))
        .await
}

/// Answer 503 `request_timeout` if the rest of the stack takes longer than `limit`.
pub async fn limit_request_time(
    State(limit): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let request_id = crate::middleware::current_request_id();
            tracing::warn!(
                limit_secs = limit.as_secs(),
                request_id,
                "request timed out"
            );
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "request_timeout",
                "the request took too long and was abandoned; try again",
            )
            .into_response()
        }
    }
}

/// Whether a failed body read failed because the body stalled (anywhere in the chain of
/// causes: axum wraps the body's error).
pub fn is_body_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.is::<TimeoutError>() {
            return true;
        }
        cause = e.source();
    }
    false
}

/// The 408 for a stalled body ([`ApiError`] closes the connection after any 408: the rest
/// of the body may still be on its way, so nothing else can be read from it).
pub fn body_timeout() -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "body_timeout",
        "the request body did not arrive in time",
    )
}
