//! Daily per-user summaries of the four audit logs (`audit_daily_summaries`, seed
//! `audit_log_auditlogsummary`): one aggregate query over a UTC day, an upsert keyed by
//! `(user_id, date)` that keeps the row's id and creation time, so a rerun over the same
//! rows leaves every column as it was, and the staff list.

use crate::db::Exec;
use crate::error::StoreResult;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// One user's counters for one day, as aggregated from the audit logs.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct DailyCounts {
    pub user_id: Uuid,
    pub total_sessions: i64,
    pub total_devices: i64,
    pub total_failed_logins: i64,
    pub total_mfa_challenges: i64,
    pub total_api_calls: i64,
    pub low_risk_events: i64,
    pub medium_risk_events: i64,
    pub high_risk_events: i64,
    pub critical_risk_events: i64,
    pub countries_accessed: i64,
    pub unique_ips: i64,
    pub unique_devices: i64,
    pub mfa_enabled_count: i64,
    pub mfa_disabled_count: i64,
    pub backup_codes_generated: i64,
    pub rate_limit_exceeded: i64,
    pub anomalies_detected: i64,
    pub approvals_required: i64,
    pub approvals_completed: i64,
}

/// An `audit_daily_summaries` row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DailySummaryRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub date: NaiveDate,
    pub total_sessions: i32,
    pub total_devices: i32,
    pub total_failed_logins: i32,
    pub total_mfa_challenges: i32,
    pub total_api_calls: i32,
    pub low_risk_events: i32,
    pub medium_risk_events: i32,
    pub high_risk_events: i32,
    pub critical_risk_events: i32,
    pub countries_accessed: i32,
    pub unique_ips: i32,
    pub unique_devices: i32,
    pub mfa_enabled_count: i32,
    pub mfa_disabled_count: i32,
    pub backup_codes_generated: i32,
    pub rate_limit_exceeded: i32,
    pub anomalies_detected: i32,
    pub approvals_required: i32,
    pub approvals_completed: i32,
    pub created_at: DateTime<Utc>,
}

/// The counters of every existing user with at least one audit row created in
/// `[from, to)`. Rows of deleted users (audit rows outlive them) are left out: a summary
/// belongs to an account. Device rows carry a score, not a level: it is banded as
/// `RiskLevel::from_score` does (0-24 low, 25-49 medium, 50-74 high, 75+ critical).
/// Link rows have no risk and count only towards events and devices. A session is
/// counted by the row that starts it (`login_succeeded`; `session_created` too).
pub async fn aggregate(
    ex: Exec<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<DailyCounts>> {
    Ok(fetch_all!(
        ex,
        DailyCounts,
        "WITH ev AS (
             SELECT user_id, 's' AS log, action, risk_level AS risk, is_anomalous AS anomalous,
                    country, ip_address AS ip, device_id
               FROM session_audit_log WHERE created_at >= $1 AND created_at < $2
             UNION ALL
             SELECT user_id, 'd', action,
                    CASE WHEN risk_score >= 75 THEN 'critical' WHEN risk_score >= 50 THEN 'high'
                         WHEN risk_score >= 25 THEN 'medium' ELSE 'low' END,
                    is_anomalous, country, ip_address, device_id
               FROM device_audit_log WHERE created_at >= $1 AND created_at < $2
             UNION ALL
             SELECT user_id, 'l', link_action, NULL, NULL, NULL, NULL, device_id
               FROM session_device_link_audit_log WHERE created_at >= $1 AND created_at < $2
             UNION ALL
             SELECT user_id, 'm', action, risk_level, is_anomalous, NULL, NULL, device_id
               FROM mfa_audit_log WHERE created_at >= $1 AND created_at < $2
         )
         SELECT user_id,
             SUM(CASE WHEN log = 's' AND action IN ('login_succeeded', 'session_created') THEN 1 ELSE 0 END) AS total_sessions,
             SUM(CASE WHEN log = 'd' AND action = 'registered' THEN 1 ELSE 0 END) AS total_devices,
             SUM(CASE WHEN log = 's' AND action = 'login_failed' THEN 1 ELSE 0 END) AS total_failed_logins,
             SUM(CASE WHEN log = 'm' AND action = 'challenge_created' THEN 1 ELSE 0 END) AS total_mfa_challenges,
             COUNT(*) AS total_api_calls,
             SUM(CASE WHEN risk = 'low' THEN 1 ELSE 0 END) AS low_risk_events,
             SUM(CASE WHEN risk = 'medium' THEN 1 ELSE 0 END) AS medium_risk_events,
             SUM(CASE WHEN risk = 'high' THEN 1 ELSE 0 END) AS high_risk_events,
             SUM(CASE WHEN risk = 'critical' THEN 1 ELSE 0 END) AS critical_risk_events,
             COUNT(DISTINCT country) AS countries_accessed,
             COUNT(DISTINCT ip) AS unique_ips,
             COUNT(DISTINCT device_id) AS unique_devices,
             SUM(CASE WHEN log = 'm' AND action = 'mfa_enabled' THEN 1 ELSE 0 END) AS mfa_enabled_count,
             SUM(CASE WHEN log = 'm' AND action = 'mfa_disabled' THEN 1 ELSE 0 END) AS mfa_disabled_count,
             SUM(CASE WHEN log = 'm' AND action = 'backup_codes_generated' THEN 1 ELSE 0 END) AS backup_codes_generated,
             SUM(CASE WHEN (log = 'm' AND action IN ('rate_limited', 'locked_out'))
                        OR (log = 's' AND action IN ('ip_throttled', 'login_locked', 'account_locked'))
                      THEN 1 ELSE 0 END) AS rate_limit_exceeded,
             SUM(CASE WHEN anomalous THEN 1 ELSE 0 END) AS anomalies_detected,
             SUM(CASE WHEN log = 'm' AND action = 'change_requested' THEN 1 ELSE 0 END) AS approvals_required,
             SUM(CASE WHEN log = 'm' AND action = 'change_approved' THEN 1 ELSE 0 END) AS approvals_completed
           FROM ev
          WHERE user_id IN (SELECT id FROM users)
          GROUP BY user_id
          ORDER BY user_id",
        from,
        to
    )?)
}

/// Counts past `i32::MAX` (the column type) are stored as `i32::MAX`.
fn column(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Insert or refresh `user`'s row for `date`. A new row gets `id` and `created_at`; an
/// existing one keeps its own and takes the new counters.
pub async fn upsert(
    ex: Exec<'_>,
    id: Uuid,
    date: NaiveDate,
    c: &DailyCounts,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO audit_daily_summaries (id, user_id, date, total_sessions, total_devices,
             total_failed_logins, total_mfa_challenges, total_api_calls, low_risk_events,
             medium_risk_events, high_risk_events, critical_risk_events, countries_accessed,
             unique_ips, unique_devices, mfa_enabled_count, mfa_disabled_count,
             backup_codes_generated, rate_limit_exceeded, anomalies_detected,
             approvals_required, approvals_completed, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
             $18, $19, $20, $21, $22, $23)
         ON CONFLICT (user_id, date) DO UPDATE SET
             total_sessions = excluded.total_sessions,
             total_devices = excluded.total_devices,
             total_failed_logins = excluded.total_failed_logins,
             total_mfa_challenges = excluded.total_mfa_challenges,
             total_api_calls = excluded.total_api_calls,
             low_risk_events = excluded.low_risk_events,
             medium_risk_events = excluded.medium_risk_events,
             high_risk_events = excluded.high_risk_events,
             critical_risk_events = excluded.critical_risk_events,
             countries_accessed = excluded.countries_accessed,
             unique_ips = excluded.unique_ips,
             unique_devices = excluded.unique_devices,
             mfa_enabled_count = excluded.mfa_enabled_count,
             mfa_disabled_count = excluded.mfa_disabled_count,
             backup_codes_generated = excluded.backup_codes_generated,
             rate_limit_exceeded = excluded.rate_limit_exceeded,
             anomalies_detected = excluded.anomalies_detected,
             approvals_required = excluded.approvals_required,
             approvals_completed = excluded.approvals_completed",
        id,
        c.user_id,
        date,
        column(c.total_sessions),
        column(c.total_devices),
        column(c.total_failed_logins),
        column(c.total_mfa_challenges),
        column(c.total_api_calls),
        column(c.low_risk_events),
        column(c.medium_risk_events),
        column(c.high_risk_events),
        column(c.critical_risk_events),
        column(c.countries_accessed),
        column(c.unique_ips),
        column(c.unique_devices),
        column(c.mfa_enabled_count),
        column(c.mfa_disabled_count),
        column(c.backup_codes_generated),
        column(c.rate_limit_exceeded),
        column(c.anomalies_detected),
        column(c.approvals_required),
        column(c.approvals_completed),
        now,
    )?;
    Ok(())
}

/// A page of summaries, newest row first: of `date` when given, with at least
/// `min_high_risk` high-risk events, after the cursor `before`.
pub async fn list(
    ex: Exec<'_>,
    date: Option<NaiveDate>,
    min_high_risk: i32,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<DailySummaryRow>> {
    Ok(fetch_all!(
        ex,
        DailySummaryRow,
        "SELECT * FROM audit_daily_summaries
          WHERE ($1 IS NULL OR date = $1) AND high_risk_events >= $2
            AND ($3 IS NULL OR id < $3)
          ORDER BY id DESC LIMIT $4",
        date,
        min_high_risk,
        before,
        limit
    )?)
}
