//! `GET /v1/admin/audit/summaries`: the daily per-user audit summaries (staff only, 403
//! `staff_only` for anyone else), filtered by day and by a minimum of high-risk events,
//! newest first, cursor-paginated. The rows are written by `gatehouse audit summarize`
//! and the workers' daily run.

use crate::error::{ApiError, Problem};
use crate::extract::{Pagination, StaffSession};
use crate::openapi::responses::{BadRequest, ServiceUnavailable, Unauthenticated};
use crate::wire::{DailySummaryList, DailySummaryQuery};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use gatehouse_core::audit_ops::summaries;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The most high-risk events a filter may ask for (far above any real day).
const MAX_MIN_HIGH_RISK: u32 = 1_000_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().routes(routes!(list_summaries))
}

/// Daily audit summaries, one row per user and UTC day, newest first.
#[utoipa::path(get, path = "/v1/admin/audit/summaries", tag = "admin", security(("bearer" = [])),
    params(DailySummaryQuery),
    responses(
        (status = 200, description = "A page of daily summaries", body = DailySummaryList),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, description = "Not a staff member (`staff_only`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn list_summaries(
    State(state): State<AppState>,
    StaffSession(_staff): StaffSession,
    query: Result<Query<DailySummaryQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<DailySummaryList>, ApiError> {
    let Query(query) = query.map_err(|e| invalid_query(e.body_text()))?;
    let date = match query.date.as_deref() {
        None => None,
        Some(raw) => Some(
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .ok()
                .filter(|_| raw.len() == 10)
                .ok_or_else(|| invalid_query("date must be a day as YYYY-MM-DD"))?,
        ),
    };
    let min_high_risk = query.min_high_risk.unwrap_or(0);
    if min_high_risk > MAX_MIN_HIGH_RISK {
        return Err(invalid_query(format!(
            "min_high_risk must be 0 to {MAX_MIN_HIGH_RISK}"
        )));
    }
    let pagination = Pagination::from_query(query.limit, query.cursor)?;
    let min_high_risk = i32::try_from(min_high_risk).unwrap_or(i32::MAX);
    let rows = summaries::list(&state.core, date, min_high_risk, pagination.page()).await?;
    let (rows, next_cursor) = pagination.split(rows, |r| r.id);
    Ok(Json(DailySummaryList {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

fn invalid_query(detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", detail)
}
