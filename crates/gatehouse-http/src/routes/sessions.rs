//! `/v1/me/sessions` and `/v1/me/devices`: list and revoke; a device's trust ("remember
//! this device"): read, grant, withdraw.

use crate::error::ApiError;
use crate::extract::{AuthSession, Client, Pagination, PathId};
use crate::openapi::responses::{
    BadRequest, NotFound, ReauthenticationRequired, ServiceUnavailable, Unauthenticated,
    ValidationFailed,
};
use crate::wire::{
    DeviceList, DeviceResponse, DeviceTrustResponse, PageQuery, SessionList, SessionResponse,
};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gatehouse_core::accounts;
use gatehouse_domain::ids::{DeviceId, SessionId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list_sessions))
        .routes(routes!(revoke_session))
        .routes(routes!(list_devices))
        .routes(routes!(remove_device))
        .routes(routes!(get_device_trust, trust_device, untrust_device))
}

/// The account's active sessions, newest first.
#[utoipa::path(get, path = "/v1/me/sessions", tag = "sessions", security(("bearer" = [])), params(PageQuery),
    responses(
        (status = 200, description = "A page of sessions", body = SessionList),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn list_sessions(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    pagination: Pagination,
) -> Result<Json<SessionList>, ApiError> {
    let rows = accounts::list_sessions(&state.core, auth.user_id, pagination.page()).await?;
    let (rows, next_cursor) = pagination.split(rows, |s| s.id.as_uuid());
    let items = rows
        .into_iter()
        .map(|s| SessionResponse::new(s, auth.session_id))
        .collect();
    Ok(Json(SessionList { items, next_cursor }))
}

/// Revoke one of the account's sessions.
#[utoipa::path(delete, path = "/v1/me/sessions/{id}", tag = "sessions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 204, description = "Session revoked"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn revoke_session(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
    PathId(id): PathId<SessionId>,
) -> Result<StatusCode, ApiError> {
    accounts::revoke_session(&state.core, &auth, id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The account's devices, newest first (fingerprints are never returned).
#[utoipa::path(get, path = "/v1/me/devices", tag = "sessions", security(("bearer" = [])), params(PageQuery),
    responses(
        (status = 200, description = "A page of devices", body = DeviceList),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn list_devices(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    pagination: Pagination,
) -> Result<Json<DeviceList>, ApiError> {
    let rows = accounts::list_devices(&state.core, auth.user_id, pagination.page()).await?;
    let (rows, next_cursor) = pagination.split(rows, |d| d.id.as_uuid());
    let items = rows.into_iter().map(DeviceResponse::from).collect();
    Ok(Json(DeviceList { items, next_cursor }))
}

/// Remove a device: its sessions end and its trust is withdrawn.
#[utoipa::path(delete, path = "/v1/me/devices/{id}", tag = "sessions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Device id")),
    responses(
        (status = 204, description = "Device removed"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn remove_device(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
    PathId(id): PathId<DeviceId>,
) -> Result<StatusCode, ApiError> {
    accounts::remove_device(&state.core, auth.user_id, id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether the device is trusted, and until when.
#[utoipa::path(get, path = "/v1/me/devices/{id}/trust", tag = "sessions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Device id")),
    responses(
        (status = 200, description = "The device's trust", body = DeviceTrustResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn get_device_trust(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    PathId(id): PathId<DeviceId>,
) -> Result<Json<DeviceTrustResponse>, ApiError> {
    let trust = accounts::device_trust(&state.core, auth.user_id, id).await?;
    Ok(Json(trust.into()))
}

/// Trust the device for `login.trusted_device_secs`: a login from it may then skip the
/// second factor while its risk is low. Needs a recent sign-in.
#[utoipa::path(post, path = "/v1/me/devices/{id}/trust", tag = "sessions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Device id")),
    responses(
        (status = 200, description = "The device is trusted", body = DeviceTrustResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = ReauthenticationRequired),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn trust_device(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
    PathId(id): PathId<DeviceId>,
) -> Result<Json<DeviceTrustResponse>, ApiError> {
    let trust = accounts::trust_device(&state.core, &auth, id, &client).await?;
    Ok(Json(trust.into()))
}

/// Withdraw the device's trust (its next login asks for the second factor again).
#[utoipa::path(delete, path = "/v1/me/devices/{id}/trust", tag = "sessions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Device id")),
    responses(
        (status = 204, description = "The device is no longer trusted"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn untrust_device(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
    PathId(id): PathId<DeviceId>,
) -> Result<StatusCode, ApiError> {
    accounts::untrust_device(&state.core, &auth, id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}
