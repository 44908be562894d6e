//! `/v1/me/sessions` and `/v1/me/devices`: list and revoke.

use crate::error::ApiError;
use crate::extract::{AuthSession, Client, Pagination, PathId};
use crate::openapi::responses::{BadRequest, NotFound, ServiceUnavailable, Unauthenticated};
use crate::wire::{DeviceList, DeviceResponse, PageQuery, SessionList, SessionResponse};
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
