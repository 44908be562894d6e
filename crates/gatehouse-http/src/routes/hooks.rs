//! `/v1/hooks/*`: delivery receipts from email and SMS providers. Authenticated by the
//! `Gatehouse-Signature` HMAC over the raw body (see `gatehouse_core::notify::receipts`),
//! so the handler reads the body as bytes and verifies before anything is parsed.

use crate::error::{ApiError, Problem};
use crate::openapi::responses::ServiceUnavailable;
use crate::wire::{ReceiptAnswer, ReceiptBatchDoc};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use gatehouse_core::notify::receipts::{self, ReceiptChannel};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "gatehouse-signature";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(email_receipts))
        .routes(routes!(sms_receipts))
}

/// Delivery receipts for email: `delivered`, `opened`, `clicked`, `bounced`.
#[utoipa::path(post, path = "/v1/hooks/email/{provider}", tag = "hooks",
    params(
        ("provider" = String, Path, description = "The provider stored with the messages: `smtp`, `dev`, ..."),
        ("Gatehouse-Signature" = String, Header, description = "`t=<unix seconds>,v1=<hex HMAC-SHA256(notifications.webhook_secret, \"<t>.<raw body>\")>`"),
    ),
    request_body(content = ReceiptBatchDoc, example = json!({
        "receipts": [{"message_id": "<0192f3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b@gatehouse>", "event": "delivered", "occurred_at": "2026-11-27T12:00:00Z"}],
    })),
    responses(
        (status = 200, description = "Receipts applied", body = ReceiptAnswer),
        (status = 401, description = "Missing, wrong or stale signature, or no webhook secret configured (`invalid_signature`); nothing changed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown provider name", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over `http.max_body_bytes`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a receipt batch, or a receipt names an event the channel does not have", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn email_receipts(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ReceiptAnswer>, ApiError> {
    apply(&state, ReceiptChannel::Email, &provider, &headers, &body).await
}

/// Delivery receipts for SMS: `delivered`, `failed`, `undelivered`.
#[utoipa::path(post, path = "/v1/hooks/sms/{provider}", tag = "hooks",
    params(
        ("provider" = String, Path, description = "The provider stored with the messages: `twilio`, `dev`, ..."),
        ("Gatehouse-Signature" = String, Header, description = "As for email receipts"),
    ),
    request_body(content = ReceiptBatchDoc, example = json!({
        "receipts": [{"message_id": "<0192f3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b@gatehouse>", "event": "delivered", "occurred_at": "2026-11-27T12:00:00Z"}],
    })),
    responses(
        (status = 200, description = "Receipts applied", body = ReceiptAnswer),
        (status = 401, description = "Missing, wrong or stale signature (`invalid_signature`); nothing changed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown provider name", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over `http.max_body_bytes`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a receipt batch", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn sms_receipts(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ReceiptAnswer>, ApiError> {
    apply(&state, ReceiptChannel::Sms, &provider, &headers, &body).await
}

async fn apply(
    state: &AppState,
    channel: ReceiptChannel,
    provider: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Json<ReceiptAnswer>, ApiError> {
    // Provider names are short words; anything else names no provider.
    let known = !provider.is_empty()
        && provider.len() <= 50
        && provider
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !known {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such provider",
        ));
    }
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let core = &state.core;
    let report = receipts::apply(
        &core.db,
        core.clock.as_ref(),
        &core.config.notifications.webhook_secret,
        channel,
        provider,
        signature,
        body,
    )
    .await?;
    Ok(Json(ReceiptAnswer {
        applied: report.applied,
        ignored: report.ignored,
    }))
}
