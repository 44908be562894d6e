//! Email verification: using a link, asking for a new one, and changing the address.

use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, AuthSession, Client};
use crate::openapi::responses::{
    JsonBodyErrors, ServiceUnavailable, TooManyAttempts, Unauthenticated,
};
use crate::wire::{AcceptedResponse, EmailChangeRequest, VerifyEmailRequest, VerifyEmailResponse};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gatehouse_core::accounts::{self, EmailChange};
use secrecy::SecretString;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(verify_email))
        .routes(routes!(resend_verification))
        .routes(routes!(change_email))
}

/// Use a verification link: proves the address it was sent to (a sign-up's address, or
/// the new address of a change, which then becomes the account's). Each link works once.
#[utoipa::path(post, path = "/v1/auth/verify-email", tag = "auth",
    request_body(content = VerifyEmailRequest, example = json!({
        "token": "q3b0YV1xgqU6s7m5Yk2s0lq1oG2m7r4a9Xz3cJq8wT0",
    })),
    responses(
        (status = 200, description = "The address is verified", body = VerifyEmailResponse),
        (status = 400, description = "The link is unknown, used or expired, or its address is no longer the account's (`invalid_link`)", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        (status = 409, description = "Another account took the new address meanwhile (`email_taken`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn verify_email(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<VerifyEmailRequest>,
) -> Result<Json<VerifyEmailResponse>, ApiError> {
    accounts::verify_email(&state.core, &body.token, &client).await?;
    Ok(Json(VerifyEmailResponse {
        email_verified: true,
    }))
}

/// Send a new verification link to the signed-in account's address.
#[utoipa::path(post, path = "/v1/auth/verify-email/resend", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 202, description = "A new link was queued", body = AcceptedResponse),
        (status = 401, response = Unauthenticated),
        (status = 409, description = "The address is already verified (`email_already_verified`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, response = TooManyAttempts),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn resend_verification(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
) -> Result<(StatusCode, Json<AcceptedResponse>), ApiError> {
    accounts::resend_verification(&state.core, &auth, &client).await?;
    let status = "verification_sent";
    Ok((StatusCode::ACCEPTED, Json(AcceptedResponse { status })))
}

/// Change the account's address: a link goes to the new address, and the address changes
/// only when it is used (the old address is then told). The answer is the same when the
/// new address belongs to another account (which gets nothing).
#[utoipa::path(post, path = "/v1/me/email", tag = "me", security(("bearer" = [])),
    request_body(content = EmailChangeRequest, example = json!({
        "new_email": "ada@new.example.com",
        "password": "correct horse battery staple",
    })),
    responses(
        (status = 202, description = "A verification link was queued for the new address", body = AcceptedResponse),
        JsonBodyErrors,
        (status = 401, response = Unauthenticated),
        (status = 403, description = "The password is wrong (`wrong_current_password`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, response = TooManyAttempts),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn change_email(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
    ApiJson(body): ApiJson<EmailChangeRequest>,
) -> Result<(StatusCode, Json<AcceptedResponse>), ApiError> {
    let change = EmailChange {
        new_email: body.new_email,
        password: SecretString::from(body.password),
    };
    accounts::request_email_change(&state.core, &auth, change, &client).await?;
    let status = "verification_sent";
    Ok((StatusCode::ACCEPTED, Json(AcceptedResponse { status })))
}
