//! `/v1/me`: the signed-in account, its profile and password.

use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, AuthSession, BearerToken, Client};
use crate::openapi::responses::{
    JsonBodyErrors, ServiceUnavailable, TooManyAttempts, Unauthenticated,
};
use crate::wire::{MeResponse, PasswordChangeRequest, ProfilePatchRequest};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gatehouse_core::accounts::{self, PasswordChange};
use secrecy::SecretString;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(me))
        .routes(routes!(update_profile))
        .routes(routes!(change_password))
}

/// The signed-in account and its profile.
#[utoipa::path(get, path = "/v1/me", tag = "me", security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = MeResponse),
        (status = 401, response = Unauthenticated),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn me(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
) -> Result<Json<MeResponse>, ApiError> {
    let me = accounts::get_me(&state.core, &token).await?;
    Ok(Json(me.into()))
}

/// Change profile fields: absent fields are kept, `null` clears one.
#[utoipa::path(patch, path = "/v1/me/profile", tag = "me", security(("bearer" = [])),
    request_body(content = ProfilePatchRequest, example = json!({
        "first_name": "Ada",
        "last_name": "Lovelace",
        "phone_number": "+14155552671",
        "timezone": "Europe/London",
        "language": "en-GB",
        "address": null,
    })),
    responses(
        (status = 200, description = "The updated account", body = MeResponse),
        JsonBodyErrors,
        (status = 401, response = Unauthenticated),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn update_profile(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
    ApiJson(body): ApiJson<ProfilePatchRequest>,
) -> Result<Json<MeResponse>, ApiError> {
    let me = accounts::update_profile(&state.core, &auth, body.into(), &client).await?;
    Ok(Json(me.into()))
}

/// Change the password. The last 5 passwords are refused.
#[utoipa::path(post, path = "/v1/me/password", tag = "me", security(("bearer" = [])),
    request_body(content = PasswordChangeRequest, example = json!({
        "current_password": "correct horse battery staple",
        "new_password": "a different long passphrase",
        "sign_out_other_sessions": true,
    })),
    responses(
        (status = 204, description = "Password changed"),
        JsonBodyErrors,
        (status = 401, response = Unauthenticated),
        (status = 403, description = "The current password is wrong (`wrong_current_password`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, response = TooManyAttempts),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
    ApiJson(body): ApiJson<PasswordChangeRequest>,
) -> Result<StatusCode, ApiError> {
    let change = PasswordChange {
        current_password: SecretString::from(body.current_password),
        new_password: SecretString::from(body.new_password),
        sign_out_other_sessions: body.sign_out_other_sessions.unwrap_or(true),
    };
    accounts::change_password(&state.core, &auth, change, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}
