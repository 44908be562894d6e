//! The audit review endpoints' wire types: an audit row as staff see it, its list and
//! filters, the review request, and a person's own security events. Their cursors are
//! keyset positions over (created_at, id), base64url-encoded so clients treat them as
//! opaque.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use gatehouse_core::audit_review::{AuditCursor, AuditRecordRow, SecurityEventRow};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Items per page of the audit lists when `limit` is absent.
pub const AUDIT_DEFAULT_LIMIT: u32 = 50;
/// The largest `limit` the audit lists accept.
pub const AUDIT_MAX_LIMIT: u32 = 200;

/// Encode a (created_at, id) position as an opaque cursor.
pub fn encode_audit_cursor(cursor: AuditCursor) -> String {
    let text = format!(
        "{}|{}",
        cursor
            .created_at
            .to_rfc3339_opts(SecondsFormat::Nanos, true),
        cursor.id
    );
    URL_SAFE_NO_PAD.encode(text)
}

/// Decode a cursor; `None` if it is not one of ours.
pub fn decode_audit_cursor(cursor: &str) -> Option<AuditCursor> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let (time, id) = text.split_once('|')?;
    Some(AuditCursor {
        created_at: DateTime::parse_from_rfc3339(time).ok()?.with_timezone(&Utc),
        id: id.parse().ok()?,
    })
}

/// One audit row, as staff see it. Columns a log does not have are `null` (the device
/// log scores risk in `risk_score` and has no `risk_level`; the MFA log has no session or
/// address; the link log has no risk, anomaly flag or old/new values).
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRecordResponse {
    /// `sessions`, `devices`, `mfa` or `links`.
    pub kind: String,
    pub id: Uuid,
    /// The person the row is about.
    pub user_id: Uuid,
    /// What happened (`login_failed`, `totp_enabled`, `linked`, ...).
    pub action: Option<String>,
    pub session_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    pub ip_address: Option<String>,
    /// `low`, `medium`, `high` or `critical` (session and MFA logs).
    pub risk_level: Option<String>,
    /// 0 to 100 (device log).
    pub risk_score: Option<i32>,
    pub is_anomalous: Option<bool>,
    pub anomaly_reasons: Option<Vec<String>>,
    pub requires_review: bool,
    /// `null` (never reviewed), `pending` (written needing review), `open`,
    /// `acknowledged`, `resolved` or `false_positive`.
    pub review_status: Option<String>,
    /// The staff member who last set the review status.
    pub reviewed_by_id: Option<Uuid>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub review_notes: Option<String>,
    pub old_value: Option<Value>,
    pub new_value: Option<Value>,
    pub metadata: Option<Value>,
    /// Link log only.
    pub context: Option<Value>,
    pub created_at: DateTime<Utc>,
}

impl AuditRecordResponse {
    pub fn from_row(kind: &str, r: AuditRecordRow) -> Self {
        Self {
            kind: kind.to_owned(),
            id: r.id,
            user_id: r.user_id,
            action: r.action,
            session_id: r.session_id,
            device_id: r.device_id,
            ip_address: r.ip_address.map(|ip| ip.0.to_string()),
            risk_level: r.risk_level,
            risk_score: r.risk_score,
            is_anomalous: r.is_anomalous,
            anomaly_reasons: r.anomaly_reasons.map(|l| l.0),
            requires_review: r.requires_review,
            review_status: r.review_status,
            reviewed_by_id: r.reviewed_by_id,
            reviewed_at: r.reviewed_at,
            review_notes: r.review_notes,
            old_value: r.old_value.map(|v| v.0),
            new_value: r.new_value.map(|v| v.0),
            metadata: r.metadata.map(|v| v.0),
            context: r.context.map(|v| v.0),
            created_at: r.created_at,
        }
    }
}

/// A page of audit rows, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRecordList {
    pub items: Vec<AuditRecordResponse>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// `GET /v1/admin/audit/{kind}` parameters: filters and cursor pagination. A filter the
/// log has no column for (`risk_level` on devices and links, `anomalous` on links) is
/// refused with 422 `unsupported_filter`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only rows about this person.
    pub user_id: Option<Uuid>,
    /// `low`, `medium`, `high` or `critical` (sessions and mfa only).
    #[param(max_length = 16)]
    pub risk_level: Option<String>,
    /// Only rows flagged anomalous (`true`) or not (`false`); not on links.
    pub anomalous: Option<bool>,
    /// Only rows that require review (`true`) or not (`false`).
    pub requires_review: Option<bool>,
    /// `pending`, `open`, `acknowledged`, `resolved` or `false_positive`.
    #[param(max_length = 16)]
    pub review_status: Option<String>,
    /// Rows written at or after this time (RFC 3339).
    #[param(max_length = 64)]
    pub from: Option<String>,
    /// Rows written before this time (RFC 3339).
    #[param(max_length = 64)]
    pub to: Option<String>,
    /// Items per page, 1 to 200.
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page; opaque.
    pub cursor: Option<String>,
}

/// `PATCH /v1/admin/audit/{kind}/{id}`: the review of one row.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditReviewRequest {
    /// `open`, `acknowledged`, `resolved` or `false_positive`.
    #[schema(max_length = 16)]
    pub review_status: String,
    /// At most 4000 characters; absent keeps the notes there.
    #[schema(max_length = 4000)]
    pub review_notes: Option<String>,
}

/// `GET /v1/me/security-events` parameters: cursor pagination.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SecurityEventQuery {
    /// Items per page, 1 to 200.
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page; opaque.
    pub cursor: Option<String>,
}

/// One of the caller's own audit events. Review status, notes and reviewers are staff
/// matters and not shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecurityEventResponse {
    /// The log it comes from: `sessions`, `devices`, `mfa` or `links`.
    pub kind: String,
    pub id: Uuid,
    /// What happened (`login_succeeded`, `login_failed`, `totp_enabled`, `linked`, ...).
    pub action: Option<String>,
    pub session_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    pub ip_address: Option<String>,
    /// `low`, `medium`, `high` or `critical` (session and MFA events).
    pub risk_level: Option<String>,
    pub is_anomalous: Option<bool>,
    pub created_at: DateTime<Utc>,
}

impl From<SecurityEventRow> for SecurityEventResponse {
    fn from(r: SecurityEventRow) -> Self {
        Self {
            kind: r.kind,
            id: r.id,
            action: r.action,
            session_id: r.session_id,
            device_id: r.device_id,
            ip_address: r.ip_address.map(|ip| ip.0.to_string()),
            risk_level: r.risk_level,
            is_anomalous: r.is_anomalous,
            created_at: r.created_at,
        }
    }
}

/// A page of the caller's events, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecurityEventList {
    pub items: Vec<SecurityEventResponse>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audit_cursor_round_trips_and_foreign_text_is_refused() {
        let cursor = AuditCursor {
            created_at: DateTime::parse_from_rfc3339("2026-11-27T22:00:00.123456789Z")
                .unwrap()
                .with_timezone(&Utc),
            id: Uuid::now_v7(),
        };
        assert_eq!(
            decode_audit_cursor(&encode_audit_cursor(cursor)),
            Some(cursor)
        );
        assert_eq!(decode_audit_cursor("not a cursor"), None);
        assert_eq!(decode_audit_cursor(&URL_SAFE_NO_PAD.encode("x|y")), None);
    }
}
