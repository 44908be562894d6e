//! `/v1/me/sessions` and `/v1/me/devices`: list and revoke.

use crate::error::{ApiError, Problem};
use crate::extract::{AuthSession, Client};
use crate::wire::{
    decode_cursor, encode_cursor, DeviceList, DeviceResponse, PageQuery, SessionList,
    SessionResponse,
};
use crate::AppState;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use gatehouse_core::accounts::{self, Page};
use gatehouse_domain::ids::{DeviceId, SessionId};
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/me/sessions", get(list_sessions))
        .route("/v1/me/sessions/{id}", delete(revoke_session))
        .route("/v1/me/devices", get(list_devices))
        .route("/v1/me/devices/{id}", delete(remove_device))
}

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 100;

fn page(query: Result<Query<PageQuery>, QueryRejection>) -> Result<Page, ApiError> {
    let Query(q) = query
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("limit must be 1 to {MAX_LIMIT}"),
        ));
    }
    let before = match q.cursor.as_deref() {
        Some(c) => Some(decode_cursor(c).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_cursor",
                "cursor is not valid",
            )
        })?),
        None => None,
    };
    // Fetch one extra row to learn whether another page follows.
    Ok(Page {
        before,
        limit: i64::from(limit) + 1,
    })
}

/// Trim the look-ahead row and derive the next cursor.
fn split_page<T>(
    mut items: Vec<T>,
    page: Page,
    id: impl Fn(&T) -> Uuid,
) -> (Vec<T>, Option<String>) {
    let limit = (page.limit - 1) as usize;
    if items.len() > limit {
        items.truncate(limit);
        let next = items.last().map(|last| encode_cursor(id(last)));
        (items, next)
    } else {
        (items, None)
    }
}

fn path_id(path: Result<Path<Uuid>, PathRejection>) -> Result<Uuid, ApiError> {
    path.map(|Path(id)| id)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", e.body_text()))
}

/// The account's active sessions, newest first.
#[utoipa::path(get, path = "/v1/me/sessions", tag = "sessions", security(("bearer" = [])), params(PageQuery),
    responses(
        (status = 200, description = "A page of sessions", body = SessionList),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_sessions(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<SessionList>, ApiError> {
    let page = page(query)?;
    let rows = accounts::list_sessions(&state.core, auth.user_id, page).await?;
    let (rows, next_cursor) = split_page(rows, page, |s| s.id.as_uuid());
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
        (status = 404, description = "No such active session of this account", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn revoke_session(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(path)?;
    accounts::revoke_session(&state.core, &auth, SessionId(id), &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The account's devices, newest first (fingerprints are never returned).
#[utoipa::path(get, path = "/v1/me/devices", tag = "sessions", security(("bearer" = [])), params(PageQuery),
    responses(
        (status = 200, description = "A page of devices", body = DeviceList),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_devices(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<DeviceList>, ApiError> {
    let page = page(query)?;
    let rows = accounts::list_devices(&state.core, auth.user_id, page).await?;
    let (rows, next_cursor) = split_page(rows, page, |d| d.id.as_uuid());
    let items = rows.into_iter().map(DeviceResponse::from).collect();
    Ok(Json(DeviceList { items, next_cursor }))
}

/// Remove a device: its sessions end and its trust is withdrawn.
#[utoipa::path(delete, path = "/v1/me/devices/{id}", tag = "sessions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Device id")),
    responses(
        (status = 204, description = "Device removed"),
        (status = 404, description = "No such device of this account", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn remove_device(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(path)?;
    accounts::remove_device(&state.core, auth.user_id, DeviceId(id), &client).await?;
    Ok(StatusCode::NO_CONTENT)
}
