//! `/v1/auth/password-reset/*`: ask for a reset link, and set a new password with it.

use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, Client};
use crate::openapi::responses::{JsonBodyErrors, ServiceUnavailable, TooManyAttempts};
use crate::wire::{
    AcceptedResponse, PasswordResetConfirmRequest, PasswordResetRequest, PasswordResetResponse,
};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gatehouse_core::accounts::{self, PasswordResetConfirm};
use secrecy::SecretString;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(request_reset))
        .routes(routes!(confirm_reset))
}

/// Ask for a password reset link. The answer is the same whether or not an account has
/// the address; only an account's owner gets a link.
#[utoipa::path(post, path = "/v1/auth/password-reset/request", tag = "auth",
    request_body(content = PasswordResetRequest, example = json!({ "email": "ada@example.com" })),
    responses(
        (status = 202, description = "Accepted (a link was queued if an account has the address)", body = AcceptedResponse),
        JsonBodyErrors,
        (status = 429, response = TooManyAttempts),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn request_reset(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<PasswordResetRequest>,
) -> Result<(StatusCode, Json<AcceptedResponse>), ApiError> {
    accounts::request_password_reset(&state.core, &body.email, &client).await?;
    let status = "reset_requested";
    Ok((StatusCode::ACCEPTED, Json(AcceptedResponse { status })))
}

/// Set a new password with a reset link. The password policy and history apply as for a
/// change; every session of the account ends. Each link works once.
#[utoipa::path(post, path = "/v1/auth/password-reset/confirm", tag = "auth",
    request_body(content = PasswordResetConfirmRequest, example = json!({
        "token": "q3b0YV1xgqU6s7m5Yk2s0lq1oG2m7r4a9Xz3cJq8wT0",
        "new_password": "a different long passphrase",
    })),
    responses(
        (status = 200, description = "Password set and every session ended", body = PasswordResetResponse),
        (status = 400, description = "The link is unknown, used or expired (`invalid_link`)", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn confirm_reset(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<PasswordResetConfirmRequest>,
) -> Result<Json<PasswordResetResponse>, ApiError> {
    let confirm = PasswordResetConfirm {
        token: body.token,
        new_password: SecretString::from(body.new_password),
    };
    let sessions_ended = accounts::confirm_password_reset(&state.core, confirm, &client).await?;
    Ok(Json(PasswordResetResponse { sessions_ended }))
}
