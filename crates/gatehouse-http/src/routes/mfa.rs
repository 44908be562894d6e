//! `/v1/me/mfa`: the signed-in account's second factors — TOTP enrolment (start, confirm,
//! remove), email and SMS codes (send, confirm, remove), backup codes, the status and the
//! settings. Changes need a recent sign-in (403 `reauthentication_required` otherwise). A
//! change that waits for a staff member's approval answers 202
//! `{status: "pending_approval", change_id}`.

use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, AuthSession, Client};
use crate::openapi::responses::{
    JsonBodyErrors, NotFound, ServiceUnavailable, TooManyCodes, Unauthenticated,
};
use crate::wire::{
    BackupCodesResponse, CodeConfirmRequest, CodeSentResponse, EmailMethodRequest,
    MfaSettingsRequest, MfaStatusResponse, PendingChangeResponse, SmsMethodRequest,
    TotpConfirmRequest, TotpEnrolmentResponse,
};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use gatehouse_core::mfa;
use gatehouse_domain::mfa::MfaMethod;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(status))
        .routes(routes!(update_settings))
        .routes(routes!(start_totp, remove_totp))
        .routes(routes!(confirm_totp))
        .routes(routes!(generate_backup_codes))
        .routes(routes!(start_email, remove_email))
        .routes(routes!(confirm_email))
        .routes(routes!(start_sms, remove_sms))
        .routes(routes!(confirm_sms))
}

/// Two-step verification: on or off, the primary method, each method, backup codes left.
#[utoipa::path(get, path = "/v1/me/mfa", tag = "mfa", security(("bearer" = [])),
    responses(
        (status = 200, description = "The account's second factors", body = MfaStatusResponse),
        (status = 401, response = Unauthenticated),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn status(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
) -> Result<Json<MfaStatusResponse>, ApiError> {
    let status = mfa::mfa_status(&state.core, &auth).await?;
    Ok(Json(status.into()))
}

/// Start setting up an authenticator app (RFC 6238 TOTP). Calling again replaces a setup
/// not yet confirmed. The secret is shown only in this answer.
#[utoipa::path(post, path = "/v1/me/mfa/totp", tag = "mfa", security(("bearer" = [])),
    responses(
        (status = 201, description = "A new secret, its otpauth URI and QR code", body = TotpEnrolmentResponse),
        (status = 401, response = Unauthenticated),
        (status = 403, description = "The sign-in is not recent enough (`reauthentication_required`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An authenticator app is already on (`totp_already_enabled`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn start_totp(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
) -> Result<(StatusCode, Json<TotpEnrolmentResponse>), ApiError> {
    let enrolment = mfa::start_totp(&state.core, &auth).await?;
    Ok((StatusCode::CREATED, Json(enrolment.into())))
}

/// Confirm the authenticator app with a code it shows: TOTP (and two-step verification)
/// turns on. A code is accepted once.
#[utoipa::path(post, path = "/v1/me/mfa/totp/confirm", tag = "mfa", security(("bearer" = [])),
    request_body(content = TotpConfirmRequest, example = json!({ "code": "123456" })),
    responses(
        (status = 204, description = "TOTP is on"),
        JsonBodyErrors,
        (status = 401, response = Unauthenticated),
        (status = 403, description = "The sign-in is not recent enough (`reauthentication_required`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No setup is waiting (`totp_not_started`), or TOTP is already on (`totp_already_enabled`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn confirm_totp(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
    ApiJson(body): ApiJson<TotpConfirmRequest>,
) -> Result<StatusCode, ApiError> {
    mfa::confirm_totp(&state.core, &auth, &body.code, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove the authenticator app. If it was the last factor, two-step verification turns
/// off and the backup codes stop working — unless the deployment or the account wants such
/// a change approved: then nothing changes yet and the answer is 202.
#[utoipa::path(delete, path = "/v1/me/mfa/totp", tag = "mfa", security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 202, description = "It is the last factor and its removal waits for a staff member's approval", body = PendingChangeResponse),
        (status = 409, description = "A removal already waits for approval (`change_pending`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, response = Unauthenticated),
        (status = 403, description = "The sign-in is not recent enough (`reauthentication_required`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn remove_totp(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
) -> Result<Response, ApiError> {
    let outcome = mfa::remove_totp(&state.core, &auth, &client).await?;
    Ok(change_answer(
        outcome,
        StatusCode::NO_CONTENT.into_response(),
    ))
}

/// 202 with the change's id when it waits for approval, `applied` otherwise.
fn change_answer(outcome: mfa::ChangeOutcome, applied: Response) -> Response {
    match outcome {
        mfa::ChangeOutcome::Applied => applied,
        mfa::ChangeOutcome::Pending(id) => {
            (StatusCode::ACCEPTED, Json(PendingChangeResponse::new(id))).into_response()
        }
    }
}

/// Set the primary method (one the account has verified), each method's limits (within the
/// deployment's bounds) and whether changes wait for a staff member's approval. Limits
/// apply at once. A new primary method, or turning approval off, waits for approval where
/// the deployment or the account asks for it (202; the limits in the same request still
/// apply). A value out of bounds changes nothing (422 naming the field and the bound).
#[utoipa::path(put, path = "/v1/me/mfa/settings", tag = "mfa", security(("bearer" = [])),
    request_body(content = MfaSettingsRequest, example = json!({
        "primary_method": "totp",
        "methods": { "totp": { "rate_limit_per_hour": 5, "max_attempts": 3, "lockout_minutes": 30 } },
        "require_approval_for_changes": false
    })),
    responses(
        (status = 200, description = "Saved; the settings now in force", body = MfaStatusResponse),
        (status = 202, description = "A change waits for a staff member's approval", body = PendingChangeResponse),
        JsonBodyErrors,
        (status = 401, response = Unauthenticated),
        (status = 403, description = "The sign-in is not recent enough (`reauthentication_required`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Two-step verification is off (`mfa_not_enabled`), or a change of this kind already waits for approval (`change_pending`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn update_settings(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
    ApiJson(body): ApiJson<MfaSettingsRequest>,
) -> Result<Response, ApiError> {
    let outcome = mfa::update_settings(&state.core, &auth, body.into(), &client).await?;
    let status = mfa::mfa_status(&state.core, &auth).await?;
    let applied = Json(MfaStatusResponse::from(status)).into_response();
    Ok(change_answer(outcome, applied))
}

/// Make ten new backup codes, shown only in this answer; the previous ones stop working.
#[utoipa::path(post, path = "/v1/me/mfa/backup-codes", tag = "mfa", security(("bearer" = [])),
    responses(
        (status = 201, description = "The new codes", body = BackupCodesResponse),
        (status = 401, response = Unauthenticated),
        (status = 403, description = "The sign-in is not recent enough (`reauthentication_required`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Two-step verification is off (`mfa_not_enabled`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn generate_backup_codes(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
) -> Result<(StatusCode, Json<BackupCodesResponse>), ApiError> {
    let codes = mfa::generate_backup_codes(&state.core, &auth, &client).await?;
    Ok((StatusCode::CREATED, Json(BackupCodesResponse { codes })))
}

/// Start receiving sign-in codes by email: a code goes to `email` (default: the account's
/// address); confirming it turns the method on. Calling again sends a new code (the older
/// one stops working), to a new address if given.
#[utoipa::path(post, path = "/v1/me/mfa/email", tag = "mfa", security(("bearer" = [])),
    request_body(content = EmailMethodRequest, example = json!({ "email": "ada@example.com" })),
    responses(
        (status = 202, description = "A code was sent", body = CodeSentResponse),
        JsonBodyErrors,
        (status = 401, response = Unauthenticated),
        (status = 403, description = "The sign-in is not recent enough (`reauthentication_required`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Email codes are already on (`method_already_enabled`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, response = TooManyCodes),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn start_email(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
    ApiJson(body): ApiJson<EmailMethodRequest>,
) -> Result<(StatusCode, Json<CodeSentResponse>), ApiError> {
    let sent = mfa::start_contact(
        &state.core,
        &auth,
        MfaMethod::Email,
        body.email.as_deref(),
        &client,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(sent.into())))
}

/// Confirm email codes with the code sent: the method (and two-step verification) turns on.
#[utoipa::path(post, path = "/v1/me/mfa/email/confirm", tag = "mfa", security(("bearer" = [])),
    request_body(content = CodeConfirmRequest, example = json!({ "code": "123456" })),
    responses(
        (status = 204, description = "Email codes are on"),
        JsonBodyErrors,
        (status = 401, response = Unauthenticated),
        (status = 403, description = "The sign-in is not recent enough (`reauthentication_required`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No code was sent (`method_not_started`), or email codes are already on (`method_already_enabled`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn confirm_email(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
    ApiJson(body): ApiJson<CodeConfirmRequest>,
) -> Result<StatusCode, ApiError> {
    mfa::confirm_contact(&state.core, &auth, MfaMethod::Email, &body.code, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stop email codes. If it was the last factor, two-step verification turns off and the
/// backup codes stop working.
#[utoipa::path(delete, path = "/v1/me/mfa/email", tag = "mfa", security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 202, description = "It is the last factor and its removal waits for a staff member's approval", body = PendingChangeResponse),
        (status = 409, description = "A removal already waits for approval (`change_pending`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, response = Unauthenticated),
        (status = 403, description = "The sign-in is not recent enough (`reauthentication_required`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn remove_email(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
) -> Result<Response, ApiError> {
    let outcome = mfa::remove_contact(&state.core, &auth, MfaMethod::Email, &client).await?;
    Ok(change_answer(
        outcome,
        StatusCode::NO_CONTENT.into_response(),
    ))
}

/// Start receiving sign-in codes by SMS: a code goes to `phone_number`; confirming it
/// verifies the number and turns the method on (codes only ever go to a verified number).
#[utoipa::path(post, path = "/v1/me/mfa/sms", tag = "mfa", security(("bearer" = [])),
    request_body(content = SmsMethodRequest, example = json!({ "phone_number": "+14155552671" })),
    responses(
        (status = 202, description = "A code was sent", body = CodeSentResponse),
        JsonBodyErrors,
        (status = 401, response = Unauthenticated),
        (status = 403, description = "The sign-in is not recent enough (`reauthentication_required`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "SMS codes are already on (`method_already_enabled`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, response = TooManyCodes),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn start_sms(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
    ApiJson(body): ApiJson<SmsMethodRequest>,
) -> Result<(StatusCode, Json<CodeSentResponse>), ApiError> {
    let sent = mfa::start_contact(
        &state.core,
        &auth,
        MfaMethod::Sms,
        Some(&body.phone_number),
        &client,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(sent.into())))
}

/// Confirm SMS codes with the code sent: the number is verified and the method (and
/// two-step verification) turns on.
#[utoipa::path(post, path = "/v1/me/mfa/sms/confirm", tag = "mfa", security(("bearer" = [])),
    request_body(content = CodeConfirmRequest, example = json!({ "code": "123456" })),
    responses(
        (status = 204, description = "SMS codes are on"),
        JsonBodyErrors,
        (status = 401, response = Unauthenticated),
        (status = 403, description = "The sign-in is not recent enough (`reauthentication_required`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No code was sent (`method_not_started`), or SMS codes are already on (`method_already_enabled`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn confirm_sms(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
    ApiJson(body): ApiJson<CodeConfirmRequest>,
) -> Result<StatusCode, ApiError> {
    mfa::confirm_contact(&state.core, &auth, MfaMethod::Sms, &body.code, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stop SMS codes. If it was the last factor, two-step verification turns off and the
/// backup codes stop working.
#[utoipa::path(delete, path = "/v1/me/mfa/sms", tag = "mfa", security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 202, description = "It is the last factor and its removal waits for a staff member's approval", body = PendingChangeResponse),
        (status = 409, description = "A removal already waits for approval (`change_pending`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, response = Unauthenticated),
        (status = 403, description = "The sign-in is not recent enough (`reauthentication_required`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn remove_sms(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
) -> Result<Response, ApiError> {
    let outcome = mfa::remove_contact(&state.core, &auth, MfaMethod::Sms, &client).await?;
    Ok(change_answer(
        outcome,
        StatusCode::NO_CONTENT.into_response(),
    ))
}
