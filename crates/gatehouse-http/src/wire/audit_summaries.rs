//! Wire types of `GET /v1/admin/audit/summaries`: one user's counters for one UTC day.

use chrono::{DateTime, NaiveDate, Utc};
use gatehouse_core::audit_ops::summaries::DailySummaryRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// One user's audit counters for one UTC day (seed `audit_log_auditlogsummary`).
#[derive(Debug, Serialize, ToSchema)]
pub struct DailySummaryResponse {
    pub id: Uuid,
    pub user_id: Uuid,
    /// The UTC day summarised.
    pub date: NaiveDate,
    /// Sessions created.
    pub total_sessions: i32,
    /// Devices first seen.
    pub total_devices: i32,
    pub total_failed_logins: i32,
    /// Login challenges (second step) started.
    pub total_mfa_challenges: i32,
    /// Audited events of the day, all four logs together.
    pub total_api_calls: i32,
    pub low_risk_events: i32,
    pub medium_risk_events: i32,
    pub high_risk_events: i32,
    pub critical_risk_events: i32,
    /// Distinct countries in session and device events.
    pub countries_accessed: i32,
    /// Distinct client addresses in session and device events.
    pub unique_ips: i32,
    /// Distinct devices in any event.
    pub unique_devices: i32,
    pub mfa_enabled_count: i32,
    pub mfa_disabled_count: i32,
    pub backup_codes_generated: i32,
    /// Throttled or locked logins and MFA rate limits hit.
    pub rate_limit_exceeded: i32,
    pub anomalies_detected: i32,
    /// MFA changes that asked for a staff approval.
    pub approvals_required: i32,
    /// MFA changes approved.
    pub approvals_completed: i32,
    /// When the row was first written (a rerun updates the counters, not this).
    pub created_at: DateTime<Utc>,
}

impl From<DailySummaryRow> for DailySummaryResponse {
    fn from(r: DailySummaryRow) -> Self {
        Self {
            id: r.id,
            user_id: r.user_id,
            date: r.date,
            total_sessions: r.total_sessions,
            total_devices: r.total_devices,
            total_failed_logins: r.total_failed_logins,
            total_mfa_challenges: r.total_mfa_challenges,
            total_api_calls: r.total_api_calls,
            low_risk_events: r.low_risk_events,
            medium_risk_events: r.medium_risk_events,
            high_risk_events: r.high_risk_events,
            critical_risk_events: r.critical_risk_events,
            countries_accessed: r.countries_accessed,
            unique_ips: r.unique_ips,
            unique_devices: r.unique_devices,
            mfa_enabled_count: r.mfa_enabled_count,
            mfa_disabled_count: r.mfa_disabled_count,
            backup_codes_generated: r.backup_codes_generated,
            rate_limit_exceeded: r.rate_limit_exceeded,
            anomalies_detected: r.anomalies_detected,
            approvals_required: r.approvals_required,
            approvals_completed: r.approvals_completed,
            created_at: r.created_at,
        }
    }
}

/// A page of daily summaries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DailySummaryList {
    pub items: Vec<DailySummaryResponse>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// `GET /v1/admin/audit/summaries` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DailySummaryQuery {
    /// The UTC day, `YYYY-MM-DD`; every day when absent.
    #[param(max_length = 10, example = "2026-11-26")]
    pub date: Option<String>,
    /// Only rows with at least this many high-risk events (0 to 1000000).
    #[param(minimum = 0, maximum = 1000000)]
    pub min_high_risk: Option<u32>,
    /// Items per page, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page; opaque.
    pub cursor: Option<String>,
}
