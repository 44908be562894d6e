//! The audit review workflow: `/v1/admin/audit/{kind}` for staff (403 `staff_only` for
//! anyone else, read from the database on each request; checked before anything else, so
//! a non-staff caller learns nothing about kinds or ids), and `/v1/me/security-events`
//! for everyone signed in (their own rows only, without review details).
//!
//! `kind` is `sessions`, `devices`, `mfa` or `links` (404 otherwise). Lists are
//! cursor-paginated over (created_at, id), newest first, `limit` 1 to 200.

use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, AuthSession, Client, StaffSession};
use crate::openapi::responses::{BadRequest, JsonBodyErrors, ServiceUnavailable, Unauthenticated};
use crate::wire::{
    decode_audit_cursor, encode_audit_cursor, AuditQuery, AuditRecordList, AuditRecordResponse,
    AuditReviewRequest, SecurityEventList, SecurityEventQuery, SecurityEventResponse,
    AUDIT_DEFAULT_LIMIT, AUDIT_MAX_LIMIT,
};
use crate::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gatehouse_core::audit_review::{self, AuditCursor, AuditFilter, AuditPage, ReviewRequest};
use gatehouse_domain::audit::{AuditKind, ReviewStatus};
use gatehouse_domain::ids::UserId;
use gatehouse_domain::risk::RiskLevel;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list_audit))
        .routes(routes!(get_audit, review_audit))
        .routes(routes!(security_events))
}

/// Rows of one audit log, newest first, filtered.
#[utoipa::path(get, path = "/v1/admin/audit/{kind}", tag = "audit", security(("bearer" = [])),
    params(
        ("kind" = String, Path, description = "`sessions`, `devices`, `mfa` or `links`"),
        AuditQuery,
    ),
    responses(
        (status = 200, description = "A page of audit rows", body = AuditRecordList),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, description = "Not a staff member (`staff_only`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such kind of audit log (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter this log has no column for (`unsupported_filter`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn list_audit(
    State(state): State<AppState>,
    StaffSession(_staff): StaffSession,
    Path(kind): Path<String>,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<AuditRecordList>, ApiError> {
    let kind = parse_kind(&kind)?;
    let Query(query) = query.map_err(|e| invalid_query(e.body_text()))?;
    let filter = AuditFilter {
        user_id: query.user_id.map(UserId),
        risk_level: parse_enum::<RiskLevel>(
            query.risk_level.as_deref(),
            "risk_level must be low, medium, high or critical",
        )?,
        anomalous: query.anomalous,
        requires_review: query.requires_review,
        review_status: parse_enum::<ReviewStatus>(
            query.review_status.as_deref(),
            "review_status must be pending, open, acknowledged, resolved or false_positive",
        )?,
        from: parse_time(query.from.as_deref(), "from")?,
        to: parse_time(query.to.as_deref(), "to")?,
    };
    let (page, limit) = page(query.limit, query.cursor.as_deref())?;
    let rows = audit_review::list(&state.core, kind, &filter, page).await?;
    let (rows, next_cursor) = split(rows, limit, |r| AuditCursor {
        created_at: r.created_at,
        id: r.id,
    });
    Ok(Json(AuditRecordList {
        items: rows
            .into_iter()
            .map(|r| AuditRecordResponse::from_row(kind.as_str(), r))
            .collect(),
        next_cursor,
    }))
}

/// One audit row.
#[utoipa::path(get, path = "/v1/admin/audit/{kind}/{id}", tag = "audit", security(("bearer" = [])),
    params(
        ("kind" = String, Path, description = "`sessions`, `devices`, `mfa` or `links`"),
        ("id" = Uuid, Path, description = "Audit row id"),
    ),
    responses(
        (status = 200, description = "The row", body = AuditRecordResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, description = "Not a staff member (`staff_only`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such kind, or no row with that id (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn get_audit(
    State(state): State<AppState>,
    StaffSession(_staff): StaffSession,
    Path((kind, id)): Path<(String, String)>,
) -> Result<Json<AuditRecordResponse>, ApiError> {
    let kind = parse_kind(&kind)?;
    let id = parse_id(&id)?;
    let row = audit_review::get(&state.core, kind, id).await?;
    Ok(Json(AuditRecordResponse::from_row(kind.as_str(), row)))
}

/// Review one audit row: set its status (and notes). Records the reviewer and the time,
/// changes nothing else in the row, and is itself audited (`audit_reviewed` in the
/// account log). Staff never review rows about themselves.
#[utoipa::path(patch, path = "/v1/admin/audit/{kind}/{id}", tag = "audit", security(("bearer" = [])),
    params(
        ("kind" = String, Path, description = "`sessions`, `devices`, `mfa` or `links`"),
        ("id" = Uuid, Path, description = "Audit row id"),
    ),
    request_body(content = AuditReviewRequest, example = json!({
        "review_status": "resolved",
        "review_notes": "Traveller; confirmed by phone.",
    })),
    responses(
        (status = 200, description = "The row as reviewed", body = AuditRecordResponse),
        JsonBodyErrors,
        (status = 401, response = Unauthenticated),
        (status = 403, description = "Not a staff member (`staff_only`), or a row about the reviewer (`own_record`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such kind, or no row with that id (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn review_audit(
    State(state): State<AppState>,
    StaffSession(staff): StaffSession,
    Client(client): Client,
    Path((kind, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<AuditReviewRequest>,
) -> Result<Json<AuditRecordResponse>, ApiError> {
    let kind = parse_kind(&kind)?;
    let id = parse_id(&id)?;
    let request = ReviewRequest {
        review_status: body.review_status,
        review_notes: body.review_notes,
    };
    let row = audit_review::review(&state.core, &staff, kind, id, &request, &client).await?;
    Ok(Json(AuditRecordResponse::from_row(kind.as_str(), row)))
}

/// The signed-in person's own security events from the four audit logs, newest first.
#[utoipa::path(get, path = "/v1/me/security-events", tag = "me", security(("bearer" = [])),
    params(SecurityEventQuery),
    responses(
        (status = 200, description = "A page of the caller's events", body = SecurityEventList),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn security_events(
    State(state): State<AppState>,
    AuthSession(me): AuthSession,
    query: Result<Query<SecurityEventQuery>, QueryRejection>,
) -> Result<Json<SecurityEventList>, ApiError> {
    let Query(query) = query.map_err(|e| invalid_query(e.body_text()))?;
    let (page, limit) = page(query.limit, query.cursor.as_deref())?;
    let rows = audit_review::security_events(&state.core, &me, page).await?;
    let (rows, next_cursor) = split(rows, limit, |r| AuditCursor {
        created_at: r.created_at,
        id: r.id,
    });
    Ok(Json(SecurityEventList {
        items: rows.into_iter().map(SecurityEventResponse::from).collect(),
        next_cursor,
    }))
}

fn parse_kind(kind: &str) -> Result<AuditKind, ApiError> {
    kind.parse().map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such audit log; use sessions, devices, mfa or links",
        )
    })
}

fn parse_id(id: &str) -> Result<Uuid, ApiError> {
    id.parse().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_path",
            "the id is not a UUID",
        )
    })
}

fn parse_enum<T: std::str::FromStr>(
    raw: Option<&str>,
    message: &'static str,
) -> Result<Option<T>, ApiError> {
    raw.map(|r| r.parse::<T>().map_err(|_| invalid_query(message)))
        .transpose()
}

fn parse_time(raw: Option<&str>, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    raw.map(|r| {
        DateTime::parse_from_rfc3339(r)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| invalid_query(format!("{name} must be an RFC 3339 time")))
    })
    .transpose()
}

/// The page to ask the core for (one row more than `limit`, to tell whether another
/// follows) and the limit itself.
fn page(limit: Option<u32>, cursor: Option<&str>) -> Result<(AuditPage, usize), ApiError> {
    let limit = limit.unwrap_or(AUDIT_DEFAULT_LIMIT);
    if !(1..=AUDIT_MAX_LIMIT).contains(&limit) {
        return Err(invalid_query(format!(
            "limit must be 1 to {AUDIT_MAX_LIMIT}"
        )));
    }
    let before = cursor
        .map(|c| {
            decode_audit_cursor(c).ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_cursor",
                    "cursor is not valid",
                )
            })
        })
        .transpose()?;
    Ok((
        AuditPage {
            before,
            limit: i64::from(limit) + 1,
        },
        limit as usize,
    ))
}

/// Drop the look-ahead row, if it came, and give the next page's cursor.
fn split<T>(
    mut items: Vec<T>,
    limit: usize,
    position: impl Fn(&T) -> AuditCursor,
) -> (Vec<T>, Option<String>) {
    if items.len() <= limit {
        return (items, None);
    }
    items.truncate(limit);
    let next = items.last().map(|last| encode_audit_cursor(position(last)));
    (items, next)
}

fn invalid_query(detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", detail)
}
