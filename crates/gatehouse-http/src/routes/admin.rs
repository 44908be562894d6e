//! `/v1/admin`: endpoints for staff members only (403 `staff_only` for anyone else, read
//! from the database on each request). MFA changes that wait for approval: list them,
//! approve (the change is made in the same transaction) or reject. Staff never decide
//! their own changes (403 `own_change`); a decided change answers 409.

use crate::error::{ApiError, Problem};
use crate::extract::{Client, Pagination, PathId, StaffSession};
use crate::openapi::responses::{BadRequest, NotFound, ServiceUnavailable, Unauthenticated};
use crate::wire::{MfaChangeList, MfaChangeQuery, MfaChangeResponse};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use gatehouse_core::mfa;
use gatehouse_domain::mfa::MfaChangeStatus;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list_mfa_changes))
        .routes(routes!(approve_mfa_change))
        .routes(routes!(reject_mfa_change))
}

/// Changes to people's second factors, newest first; `status=pending` for those waiting.
#[utoipa::path(get, path = "/v1/admin/mfa-changes", tag = "admin", security(("bearer" = [])),
    params(MfaChangeQuery),
    responses(
        (status = 200, description = "A page of changes", body = MfaChangeList),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, description = "Not a staff member (`staff_only`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn list_mfa_changes(
    State(state): State<AppState>,
    StaffSession(_staff): StaffSession,
    query: Result<Query<MfaChangeQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<MfaChangeList>, ApiError> {
    let Query(query) = query.map_err(|e| invalid_query(e.body_text()))?;
    let status = match query.status.as_deref() {
        None => None,
        Some(raw) => Some(raw.parse::<MfaChangeStatus>().map_err(|_| {
            invalid_query("status must be pending, approved, rejected or not_required")
        })?),
    };
    let pagination = Pagination::from_query(query.limit, query.cursor)?;
    let rows = mfa::list_changes(&state.core, status, pagination.page()).await?;
    let (rows, next_cursor) = pagination.split(rows, |c| c.id);
    Ok(Json(MfaChangeList {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Approve a pending change: it is made now, and the person is told.
#[utoipa::path(post, path = "/v1/admin/mfa-changes/{id}/approve", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Change id")),
    responses(
        (status = 200, description = "Approved and applied", body = MfaChangeResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, description = "Not a staff member (`staff_only`), or the staff member's own change (`own_change`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, response = NotFound),
        (status = 409, description = "Already approved or rejected (`change_already_decided`), or no longer possible (`change_no_longer_applies`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn approve_mfa_change(
    State(state): State<AppState>,
    StaffSession(staff): StaffSession,
    Client(client): Client,
    PathId(id): PathId<Uuid>,
) -> Result<Json<MfaChangeResponse>, ApiError> {
    let change = mfa::decide_change(&state.core, &staff, id, true, &client).await?;
    Ok(Json(change.into()))
}

/// Reject a pending change: nothing changes, and the person is told.
#[utoipa::path(post, path = "/v1/admin/mfa-changes/{id}/reject", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Change id")),
    responses(
        (status = 200, description = "Rejected", body = MfaChangeResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, description = "Not a staff member (`staff_only`), or the staff member's own change (`own_change`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, response = NotFound),
        (status = 409, description = "Already approved or rejected (`change_already_decided`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn reject_mfa_change(
    State(state): State<AppState>,
    StaffSession(staff): StaffSession,
    Client(client): Client,
    PathId(id): PathId<Uuid>,
) -> Result<Json<MfaChangeResponse>, ApiError> {
    let change = mfa::decide_change(&state.core, &staff, id, false, &client).await?;
    Ok(Json(change.into()))
}

fn invalid_query(detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", detail)
}
