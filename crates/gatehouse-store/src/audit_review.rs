//! Reads for the audit review workflow and its one write: staff list and read rows of the
//! four audit logs (session, device, MFA, session-device link) with filters, and set a
//! row's review status; people read their own rows merged by time. The review UPDATE
//! names only the review columns (`review_status`, `review_notes`, `reviewed_by_id`,
//! `reviewed_at`): nothing else in an audit row is ever changed (DESIGN §5).
//!
//! Each log has its own statement (the SQL is literal per table); every statement gives
//! the same columns, NULL where a log has no such column, so one row type serves all.

use crate::db::Exec;
use crate::error::StoreResult;
use crate::types::{Inet, TextList};
use chrono::{DateTime, Utc};
use gatehouse_domain::audit::{AuditKind, ReviewStatus};
use gatehouse_domain::ids::UserId;
use gatehouse_domain::risk::RiskLevel;
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

/// One audit row in the shape shared by the four logs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRecordRow {
    pub id: Uuid,
    pub user_id: Uuid,
    /// `action`, or `link_action` in the link log (which may be NULL there).
    pub action: Option<String>,
    pub session_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    pub ip_address: Option<Inet>,
    /// Session and MFA logs.
    pub risk_level: Option<String>,
    /// Device log.
    pub risk_score: Option<i32>,
    /// Not in the link log.
    pub is_anomalous: Option<bool>,
    pub anomaly_reasons: Option<TextList>,
    pub requires_review: bool,
    pub review_status: Option<String>,
    pub reviewed_by_id: Option<Uuid>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub review_notes: Option<String>,
    pub old_value: Option<Json<Value>>,
    pub new_value: Option<Json<Value>>,
    pub metadata: Option<Json<Value>>,
    /// Link log only.
    pub context: Option<Json<Value>>,
    pub created_at: DateTime<Utc>,
}

/// The filters of a review list; `None` does not filter. `from` is inclusive, `to`
/// exclusive. The caller refuses a filter the kind has no column for (risk level on the
/// device and link logs, anomalous on the link log) before asking.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub user_id: Option<UserId>,
    pub risk_level: Option<RiskLevel>,
    pub anomalous: Option<bool>,
    pub requires_review: Option<bool>,
    pub review_status: Option<ReviewStatus>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// A keyset position: rows strictly older than (created_at, id), newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditCursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

macro_rules! select_sessions {
    () => {
        "SELECT id, user_id, action, session_id, device_id, ip_address, risk_level,
            NULL AS risk_score, is_anomalous, anomaly_reasons, requires_review, review_status,
            reviewed_by_id, reviewed_at, review_notes, old_value, new_value, metadata,
            NULL AS context, created_at
         FROM session_audit_log"
    };
}

macro_rules! select_devices {
    () => {
        "SELECT id, user_id, action, session_id, device_id, ip_address, NULL AS risk_level,
            risk_score, is_anomalous, anomaly_reasons, requires_review, review_status,
            reviewed_by_id, reviewed_at, review_notes, old_value, new_value, metadata,
            NULL AS context, created_at
         FROM device_audit_log"
    };
}

macro_rules! select_mfa {
    () => {
        "SELECT id, user_id, action, NULL AS session_id, device_id, NULL AS ip_address,
            risk_level, NULL AS risk_score, is_anomalous, anomaly_reasons, requires_review,
            review_status, reviewed_by_id, reviewed_at, review_notes, old_value, new_value,
            metadata, NULL AS context, created_at
         FROM mfa_audit_log"
    };
}

macro_rules! select_links {
    () => {
        "SELECT id, user_id, link_action AS action, session_id, device_id, NULL AS ip_address,
            NULL AS risk_level, NULL AS risk_score, NULL AS is_anomalous,
            NULL AS anomaly_reasons, requires_review, review_status, reviewed_by_id,
            reviewed_at, review_notes, NULL AS old_value, NULL AS new_value, metadata,
            context, created_at
         FROM session_device_link_audit_log"
    };
}

/// The filter and keyset clause shared by the lists. `$risk` and `$anomalous` are the
/// kind's own conditions on `$2` and `$3` (`$2 IS NULL` where it has no such column, so
/// the parameter is still used and, were it ever set, the list would be empty).
macro_rules! filtered {
    ($risk:literal, $anomalous:literal) => {
        concat!(
            " WHERE ($1 IS NULL OR user_id = $1) AND ",
            $risk,
            " AND ",
            $anomalous,
            " AND ($4 IS NULL OR requires_review = $4)
              AND ($5 IS NULL OR review_status = $5)
              AND ($6 IS NULL OR created_at >= $6)
              AND ($7 IS NULL OR created_at < $7)
              AND ($8 IS NULL OR created_at < $8 OR (created_at = $8 AND id < $9))
              ORDER BY created_at DESC, id DESC LIMIT $10"
        )
    };
}

/// A page of `kind`'s rows matching `filter`, newest first, older than `before`.
pub async fn list(
    ex: Exec<'_>,
    kind: AuditKind,
    filter: &AuditFilter,
    before: Option<AuditCursor>,
    limit: i64,
) -> StoreResult<Vec<AuditRecordRow>> {
    macro_rules! run {
        ($select:expr, $tail:expr) => {
            fetch_all!(
                ex,
                AuditRecordRow,
                concat!($select, $tail),
                filter.user_id.map(|u| u.as_uuid()),
                filter.risk_level.map(|r| r.as_str()),
                filter.anomalous,
                filter.requires_review,
                filter.review_status.map(|s| s.as_str()),
                filter.from,
                filter.to,
                before.map(|c| c.created_at),
                before.map(|c| c.id),
                limit
            )?
        };
    }
    Ok(match kind {
        AuditKind::Sessions => run!(
            select_sessions!(),
            filtered!(
                "($2 IS NULL OR risk_level = $2)",
                "($3 IS NULL OR is_anomalous = $3)"
            )
        ),
        AuditKind::Devices => run!(
            select_devices!(),
            filtered!("$2 IS NULL", "($3 IS NULL OR is_anomalous = $3)")
        ),
        AuditKind::Mfa => run!(
            select_mfa!(),
            filtered!(
                "($2 IS NULL OR risk_level = $2)",
                "($3 IS NULL OR is_anomalous = $3)"
            )
        ),
        AuditKind::Links => run!(select_links!(), filtered!("$2 IS NULL", "$3 IS NULL")),
    })
}

/// One row of `kind` by id.
pub async fn find(ex: Exec<'_>, kind: AuditKind, id: Uuid) -> StoreResult<Option<AuditRecordRow>> {
    Ok(match kind {
        AuditKind::Sessions => fetch_optional!(
            ex,
            AuditRecordRow,
            concat!(select_sessions!(), " WHERE id = $1"),
            id
        )?,
        AuditKind::Devices => fetch_optional!(
            ex,
            AuditRecordRow,
            concat!(select_devices!(), " WHERE id = $1"),
            id
        )?,
        AuditKind::Mfa => fetch_optional!(
            ex,
            AuditRecordRow,
            concat!(select_mfa!(), " WHERE id = $1"),
            id
        )?,
        AuditKind::Links => fetch_optional!(
            ex,
            AuditRecordRow,
            concat!(select_links!(), " WHERE id = $1"),
            id
        )?,
    })
}

/// Set the review columns of one row, and only those: the status, the reviewer, the
/// time, and the notes when `notes` is given (absent notes keep the ones there). False
/// when no such row exists.
pub async fn set_review(
    ex: Exec<'_>,
    kind: AuditKind,
    id: Uuid,
    status: ReviewStatus,
    notes: Option<&str>,
    reviewer: UserId,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    macro_rules! update {
        ($table:literal) => {
            execute!(
                ex,
                concat!(
                    "UPDATE ",
                    $table,
                    " SET review_status = $2, review_notes = COALESCE($3, review_notes),
                        reviewed_by_id = $4, reviewed_at = $5
                     WHERE id = $1"
                ),
                id,
                status.as_str(),
                notes,
                reviewer.as_uuid(),
                now
            )?
        };
    }
    let changed = match kind {
        AuditKind::Sessions => update!("session_audit_log"),
        AuditKind::Devices => update!("device_audit_log"),
        AuditKind::Mfa => update!("mfa_audit_log"),
        AuditKind::Links => update!("session_device_link_audit_log"),
    };
    Ok(changed == 1)
}

/// One of a person's own audit rows, as they see it: what happened, when, from where,
/// and how risky it looked. No review status, notes or reviewer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SecurityEventRow {
    /// `sessions`, `devices`, `mfa` or `links`.
    pub kind: String,
    pub id: Uuid,
    pub action: Option<String>,
    pub session_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    pub ip_address: Option<Inet>,
    pub risk_level: Option<String>,
    pub is_anomalous: Option<bool>,
    pub created_at: DateTime<Utc>,
}

/// A page of `user_id`'s rows from the four logs, merged newest first, older than
/// `before`. Each log gives at most `limit` rows through its (user_id, created_at) index
/// before the merge, so a page reads at most 4 x `limit` rows.
pub async fn security_events(
    ex: Exec<'_>,
    user_id: UserId,
    before: Option<AuditCursor>,
    limit: i64,
) -> StoreResult<Vec<SecurityEventRow>> {
    // PostgreSQL resolves an untyped NULL in a sub-select to text, which a UNION cannot
    // match with inet, uuid or boolean; SQLite has no casts to give.
    Ok(fetch_all!(
        ex,
        SecurityEventRow,
        per_backend! {
            pg: "SELECT * FROM (
                SELECT * FROM (
                    SELECT 'sessions' AS kind, id, action, session_id, device_id, ip_address,
                        risk_level, is_anomalous, created_at
                    FROM session_audit_log
                    WHERE user_id = $1
                      AND ($2::timestamptz IS NULL OR created_at < $2 OR (created_at = $2 AND id < $3))
                    ORDER BY created_at DESC, id DESC LIMIT $4) s
                UNION ALL
                SELECT * FROM (
                    SELECT 'devices' AS kind, id, action, session_id, device_id, ip_address,
                        NULL::varchar AS risk_level, is_anomalous, created_at
                    FROM device_audit_log
                    WHERE user_id = $1
                      AND ($2::timestamptz IS NULL OR created_at < $2 OR (created_at = $2 AND id < $3))
                    ORDER BY created_at DESC, id DESC LIMIT $4) d
                UNION ALL
                SELECT * FROM (
                    SELECT 'mfa' AS kind, id, action, NULL::uuid AS session_id, device_id,
                        NULL::inet AS ip_address, risk_level, is_anomalous, created_at
                    FROM mfa_audit_log
                    WHERE user_id = $1
                      AND ($2::timestamptz IS NULL OR created_at < $2 OR (created_at = $2 AND id < $3))
                    ORDER BY created_at DESC, id DESC LIMIT $4) m
                UNION ALL
                SELECT * FROM (
                    SELECT 'links' AS kind, id, link_action AS action, session_id, device_id,
                        NULL::inet AS ip_address, NULL::varchar AS risk_level,
                        NULL::boolean AS is_anomalous, created_at
                    FROM session_device_link_audit_log
                    WHERE user_id = $1
                      AND ($2::timestamptz IS NULL OR created_at < $2 OR (created_at = $2 AND id < $3))
                    ORDER BY created_at DESC, id DESC LIMIT $4) l
            ) events ORDER BY created_at DESC, id DESC LIMIT $4",
            sqlite: "SELECT * FROM (
                SELECT * FROM (
                    SELECT 'sessions' AS kind, id, action, session_id, device_id, ip_address,
                        risk_level, is_anomalous, created_at
                    FROM session_audit_log
                    WHERE user_id = $1
                      AND ($2 IS NULL OR created_at < $2 OR (created_at = $2 AND id < $3))
                    ORDER BY created_at DESC, id DESC LIMIT $4)
                UNION ALL
                SELECT * FROM (
                    SELECT 'devices' AS kind, id, action, session_id, device_id, ip_address,
                        NULL AS risk_level, is_anomalous, created_at
                    FROM device_audit_log
                    WHERE user_id = $1
                      AND ($2 IS NULL OR created_at < $2 OR (created_at = $2 AND id < $3))
                    ORDER BY created_at DESC, id DESC LIMIT $4)
                UNION ALL
                SELECT * FROM (
                    SELECT 'mfa' AS kind, id, action, NULL AS session_id, device_id,
                        NULL AS ip_address, risk_level, is_anomalous, created_at
                    FROM mfa_audit_log
                    WHERE user_id = $1
                      AND ($2 IS NULL OR created_at < $2 OR (created_at = $2 AND id < $3))
                    ORDER BY created_at DESC, id DESC LIMIT $4)
                UNION ALL
                SELECT * FROM (
                    SELECT 'links' AS kind, id, link_action AS action, session_id, device_id,
                        NULL AS ip_address, NULL AS risk_level, NULL AS is_anomalous, created_at
                    FROM session_device_link_audit_log
                    WHERE user_id = $1
                      AND ($2 IS NULL OR created_at < $2 OR (created_at = $2 AND id < $3))
                    ORDER BY created_at DESC, id DESC LIMIT $4)
            ) ORDER BY created_at DESC, id DESC LIMIT $4",
        },
        user_id.as_uuid(),
        before.map(|c| c.created_at),
        before.map(|c| c.id),
        limit
    )?)
}
