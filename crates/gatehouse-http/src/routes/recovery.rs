//! `/v1/auth/recovery*`: account recovery for a person who lost their second factor — at
//! once with a backup code, or by email after a delay with a cancel link on every
//! channel — and `DELETE /v1/me/mfa/recovery` (cancel from any signed-in session).

use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, AuthSession, Client};
use crate::openapi::responses::{
    JsonBodyErrors, NotFound, ServiceUnavailable, TooManyAttempts, Unauthenticated,
};
use crate::wire::{
    AcceptedResponse, EmailRecoveryRequest, LoginResponse, RecoveryCancelRequest,
    RecoveryCompleteRequest, RecoveryRequest,
};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gatehouse_core::accounts::{self, BackupCodeRecovery, DeviceHint, RecoveryCompletion};
use secrecy::SecretString;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(recover))
        .routes(routes!(request_email_recovery))
        .routes(routes!(cancel_recovery))
        .routes(routes!(complete_recovery))
        .routes(routes!(cancel_recovery_signed_in))
}

/// Sign in with the password and a backup code, having lost the authenticator. The code
/// is spent, and the account shows `reenrolment_required: true` (in `GET /v1/me` and
/// `GET /v1/me/mfa`) until a factor is set up again. The person is told on every channel.
#[utoipa::path(post, path = "/v1/auth/recovery", tag = "auth",
    request_body(content = RecoveryRequest, example = json!({
        "email_or_username": "ada@example.com",
        "password": "correct horse battery staple",
        "backup_code": "k7m2p-9xq4t",
    })),
    responses(
        (status = 200, description = "Authenticated, as after a login; `amr` in the access token lists `pwd`, `otp` and `mfa`", body = LoginResponse),
        JsonBodyErrors,
        (status = 401, description = "The login, password or backup code is wrong (`invalid_credentials`: the login's own answer, whichever part was wrong)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The password is right but the account is disabled (`account_disabled`) or locked by its owner's \"this wasn't me\" (`account_locked`), or its address is not verified while the deployment requires it (`email_not_verified`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, response = TooManyAttempts),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn recover(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<RecoveryRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let input = BackupCodeRecovery {
        login: body.email_or_username,
        password: SecretString::from(body.password),
        backup_code: SecretString::from(body.backup_code),
        device: body.device.map(|d| DeviceHint {
            fingerprint: d.fingerprint,
            name: d.name,
        }),
    };
    let grant = accounts::recover_with_backup_code(&state.core, input, &client).await?;
    Ok(Json(grant.into()))
}

/// Ask for an email recovery, for a person with two-step verification on and no backup
/// codes left. The answer is the same whatever the address. For an account with MFA on,
/// the recovery can be completed `mfa.recovery_delay_secs` later (default 24 hours) with
/// the emailed link and the password; meanwhile email, SMS and the in-app feed carry a
/// cancel link. A request while one is in progress changes nothing and sends nothing.
#[utoipa::path(post, path = "/v1/auth/recovery/email", tag = "auth",
    request_body(content = EmailRecoveryRequest, example = json!({ "email": "ada@example.com" })),
    responses(
        (status = 202, description = "Accepted (a recovery began if an account with MFA on has the address)", body = AcceptedResponse),
        JsonBodyErrors,
        (status = 429, response = TooManyAttempts),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn request_email_recovery(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<EmailRecoveryRequest>,
) -> Result<(StatusCode, Json<AcceptedResponse>), ApiError> {
    accounts::request_email_recovery(&state.core, &body.email, &client).await?;
    let status = "recovery_requested";
    Ok((StatusCode::ACCEPTED, Json(AcceptedResponse { status })))
}

/// Cancel an email recovery in progress with the cancel link from any of its messages.
#[utoipa::path(post, path = "/v1/auth/recovery/cancel", tag = "auth",
    request_body(content = RecoveryCancelRequest, example = json!({
        "token": "q3b0YV1xgqU6s7m5Yk2s0lq1oG2m7r4a9Xz3cJq8wT0",
    })),
    responses(
        (status = 204, description = "Cancelled: neither link works any more"),
        (status = 400, description = "The link is unknown, used or expired, or the recovery already ended (`invalid_link`)", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn cancel_recovery(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<RecoveryCancelRequest>,
) -> Result<StatusCode, ApiError> {
    accounts::cancel_recovery(&state.core, &body.token, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Complete a ready email recovery with its link and the password: every second factor
/// is removed and two-step verification turns off, trusted devices lose their trust, and
/// a session starts (`amr` `[pwd]`). The account shows `reenrolment_required: true` until
/// a factor is set up again.
#[utoipa::path(post, path = "/v1/auth/recovery/complete", tag = "auth",
    request_body(content = RecoveryCompleteRequest, example = json!({
        "token": "q3b0YV1xgqU6s7m5Yk2s0lq1oG2m7r4a9Xz3cJq8wT0",
        "password": "correct horse battery staple",
    })),
    responses(
        (status = 200, description = "Authenticated, with two-step verification off", body = LoginResponse),
        (status = 400, description = "The link is unknown, used or expired, or the recovery was cancelled (`invalid_link`)", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        (status = 401, description = "The password is wrong (`invalid_credentials`); the link still works", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The account is locked by its owner's \"this wasn't me\" (`account_locked`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The recovery's delay has not passed (`recovery_not_ready`); `detail` says from when it can be completed and `Retry-After` how many seconds remain", body = Problem, content_type = "application/problem+json"),
        (status = 429, response = TooManyAttempts),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn complete_recovery(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<RecoveryCompleteRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let input = RecoveryCompletion {
        token: body.token,
        password: SecretString::from(body.password),
        device: body.device.map(|d| DeviceHint {
            fingerprint: d.fingerprint,
            name: d.name,
        }),
    };
    let grant = accounts::complete_email_recovery(&state.core, input, &client).await?;
    Ok(Json(grant.into()))
}

/// Cancel the account's email recovery in progress from any of its signed-in sessions.
#[utoipa::path(delete, path = "/v1/me/mfa/recovery", tag = "mfa", security(("bearer" = [])),
    responses(
        (status = 204, description = "Cancelled: neither link works any more"),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn cancel_recovery_signed_in(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
) -> Result<StatusCode, ApiError> {
    accounts::cancel_recovery_signed_in(&state.core, &auth, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}
