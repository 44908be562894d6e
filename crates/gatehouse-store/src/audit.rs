//! Inserts into the audit logs. Use cases call these inside the same transaction as the
//! change they record, so a change and its audit row commit (or vanish) together.

use crate::audit_hash::RowContent;
use crate::audit_retention::AuditLog;
use crate::db::Exec;
use crate::error::StoreResult;
use crate::types::{Inet, TextList};
use chrono::{DateTime, Utc};
use gatehouse_domain::accounts::SessionType;
use gatehouse_domain::audit::{AccountAction, DeviceAction, LinkAction, MfaAction, SessionAction};
use gatehouse_domain::ids::{DeviceId, SessionId, UserId};
use gatehouse_domain::mfa::MfaMethod;
use gatehouse_domain::risk::RiskLevel;
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

/// Where the request came from (GeoIP), for the location columns of session and device
/// audit rows. All `None` without a GeoIP database.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Place {
    pub country: Option<String>,
    pub city: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// A `session_audit_log` row.
#[derive(Debug, Clone)]
pub struct SessionAuditEntry {
    pub user_id: UserId,
    pub session_id: Option<SessionId>,
    pub device_id: Option<DeviceId>,
    pub action: SessionAction,
    pub session_type: Option<SessionType>,
    pub mfa_verified: Option<bool>,
    pub ip_address: Option<Inet>,
    pub risk_level: RiskLevel,
    pub is_anomalous: bool,
    pub anomaly_reasons: Vec<String>,
    pub session_duration_seconds: Option<i32>,
    pub requires_review: bool,
    pub old_value: Option<Value>,
    pub new_value: Option<Value>,
    pub metadata: Option<Value>,
    pub error_message: Option<String>,
    pub place: Place,
}

impl SessionAuditEntry {
    /// An entry with only its subject, action, risk and address; the rest empty.
    pub fn new(
        user_id: UserId,
        action: SessionAction,
        risk_level: RiskLevel,
        ip_address: Option<Inet>,
    ) -> Self {
        Self {
            user_id,
            session_id: None,
            device_id: None,
            action,
            session_type: None,
            mfa_verified: None,
            ip_address,
            risk_level,
            is_anomalous: false,
            anomaly_reasons: Vec::new(),
            session_duration_seconds: None,
            requires_review: false,
            old_value: None,
            new_value: None,
            metadata: None,
            error_message: None,
            place: Place::default(),
        }
    }

    /// A row that needs review starts `pending` in the review workflow.
    pub fn review_status(&self) -> Option<&'static str> {
        self.requires_review.then_some("pending")
    }

    /// The hashed content of the row this entry becomes (`audit_hash`); `audit_bulk`
    /// hashes its rows with it too.
    pub(crate) fn content(&self, id: Uuid, now: DateTime<Utc>) -> RowContent {
        RowContent::new()
            .uuid("id", Some(id))
            .uuid("user_id", Some(self.user_id.as_uuid()))
            .uuid("session_id", self.session_id.map(|s| s.as_uuid()))
            .uuid("device_id", self.device_id.map(|d| d.as_uuid()))
            .text("action", Some(self.action.as_str()))
            .text("session_type", self.session_type.map(|t| t.as_str()))
            .bool("mfa_verified", self.mfa_verified)
            .inet("ip_address", self.ip_address)
            .text("risk_level", Some(self.risk_level.as_str()))
            .bool("is_anomalous", Some(self.is_anomalous))
            .list("anomaly_reasons", &self.anomaly_reasons)
            .int(
                "session_duration_seconds",
                self.session_duration_seconds.map(i64::from),
            )
            .bool("requires_review", Some(self.requires_review))
            .json("old_value", self.old_value.as_ref())
            .json("new_value", self.new_value.as_ref())
            .json("metadata", self.metadata.as_ref())
            .text("error_message", self.error_message.as_deref())
            .time("created_at", Some(now))
            .place(&self.place)
    }
}

impl RowContent {
    fn place(self, p: &Place) -> Self {
        self.text("country", p.country.as_deref())
            .text("city", p.city.as_deref())
            .float("latitude", p.latitude)
            .float("longitude", p.longitude)
    }
}

pub async fn insert_session(
    ex: Exec<'_>,
    id: Uuid,
    e: &SessionAuditEntry,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO session_audit_log (id, user_id, session_id, device_id, action, session_type,
            mfa_verified, ip_address, risk_level, is_anomalous, anomaly_reasons,
            session_duration_seconds, requires_review, review_status, old_value, new_value,
            metadata, error_message, created_at, country, city, latitude, longitude, row_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
            $19, $20, $21, $22, $23, $24)",
        id,
        e.user_id.as_uuid(),
        e.session_id.map(|s| s.as_uuid()),
        e.device_id.map(|d| d.as_uuid()),
        e.action.as_str(),
        e.session_type.map(|t| t.as_str()),
        e.mfa_verified,
        e.ip_address,
        e.risk_level.as_str(),
        e.is_anomalous,
        TextList(e.anomaly_reasons.clone()),
        e.session_duration_seconds,
        e.requires_review,
        e.review_status(),
        e.old_value.clone().map(Json),
        e.new_value.clone().map(Json),
        e.metadata.clone().map(Json),
        e.error_message.as_deref(),
        now,
        e.place.country.as_deref(),
        e.place.city.as_deref(),
        e.place.latitude,
        e.place.longitude,
        e.content(id, now).row_hash(AuditLog::Sessions),
    )?;
    Ok(())
}

/// One past sign-in attempt of an account (a `login_succeeded` or `login_failed` session
/// audit row), as the risk engine reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoginTrace {
    pub action: String,
    pub country: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub created_at: DateTime<Utc>,
}

/// The account's `limit` most recent sign-in attempts, newest first (served by the partial
/// index of migration 0017).
pub async fn recent_logins(
    ex: Exec<'_>,
    user_id: UserId,
    limit: i64,
) -> StoreResult<Vec<LoginTrace>> {
    Ok(fetch_all!(
        ex,
        LoginTrace,
        "SELECT action, country, latitude, longitude, created_at FROM session_audit_log
         WHERE user_id = $1 AND action IN ('login_succeeded', 'login_failed')
         ORDER BY created_at DESC LIMIT $2",
        user_id.as_uuid(),
        limit
    )?)
}

/// A `device_audit_log` row.
#[derive(Debug, Clone)]
pub struct DeviceAuditEntry {
    pub user_id: UserId,
    pub device_id: DeviceId,
    pub session_id: Option<SessionId>,
    pub action: DeviceAction,
    pub device_type: Option<String>,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub risk_score: i32,
    pub ip_address: Option<Inet>,
    pub previous_ip: Option<Inet>,
    pub trust_state_change: Option<&'static str>,
    pub metadata: Option<Value>,
    /// The login's anomaly reasons (its risk assessment), when it raised any.
    pub anomaly_reasons: Vec<String>,
    pub place: Place,
}

impl DeviceAuditEntry {
    fn content(&self, id: Uuid, now: DateTime<Utc>) -> RowContent {
        RowContent::new()
            .uuid("id", Some(id))
            .uuid("user_id", Some(self.user_id.as_uuid()))
            .uuid("device_id", Some(self.device_id.as_uuid()))
            .uuid("session_id", self.session_id.map(|s| s.as_uuid()))
            .text("action", Some(self.action.as_str()))
            .text("device_type", self.device_type.as_deref())
            .text("browser", self.browser.as_deref())
            .text("os", self.os.as_deref())
            .int("risk_score", Some(i64::from(self.risk_score)))
            .inet("ip_address", self.ip_address)
            .inet("previous_ip", self.previous_ip)
            .text("trust_state_change", self.trust_state_change)
            .json("metadata", self.metadata.as_ref())
            .time("created_at", Some(now))
            .bool("is_anomalous", Some(!self.anomaly_reasons.is_empty()))
            .list("anomaly_reasons", &self.anomaly_reasons)
            .place(&self.place)
            // Column default (0016).
            .bool("requires_review", Some(false))
    }
}

pub async fn insert_device(
    ex: Exec<'_>,
    id: Uuid,
    e: &DeviceAuditEntry,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO device_audit_log (id, user_id, device_id, session_id, action, device_type,
            browser, os, risk_score, ip_address, previous_ip, trust_state_change, metadata, created_at,
            is_anomalous, anomaly_reasons, country, city, latitude, longitude, row_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
            $19, $20, $21)",
        id,
        e.user_id.as_uuid(),
        e.device_id.as_uuid(),
        e.session_id.map(|s| s.as_uuid()),
        e.action.as_str(),
        e.device_type.as_deref(),
        e.browser.as_deref(),
        e.os.as_deref(),
        e.risk_score,
        e.ip_address,
        e.previous_ip,
        e.trust_state_change,
        e.metadata.clone().map(Json),
        now,
        !e.anomaly_reasons.is_empty(),
        TextList(e.anomaly_reasons.clone()),
        e.place.country.as_deref(),
        e.place.city.as_deref(),
        e.place.latitude,
        e.place.longitude,
        e.content(id, now).row_hash(AuditLog::Devices),
    )?;
    Ok(())
}

/// A `session_device_link_audit_log` row.
#[derive(Debug, Clone)]
pub struct LinkAuditEntry {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub device_id: DeviceId,
    pub link_action: LinkAction,
    pub previous_device_id: Option<DeviceId>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub link_duration_seconds: Option<i32>,
    pub context: Option<Value>,
}

impl LinkAuditEntry {
    fn content(&self, id: Uuid, now: DateTime<Utc>) -> RowContent {
        RowContent::new()
            .uuid("id", Some(id))
            .uuid("user_id", Some(self.user_id.as_uuid()))
            .uuid("session_id", Some(self.session_id.as_uuid()))
            .uuid("device_id", Some(self.device_id.as_uuid()))
            .text("link_action", Some(self.link_action.as_str()))
            .uuid(
                "previous_device_id",
                self.previous_device_id.map(|d| d.as_uuid()),
            )
            .time("revoked_at", self.revoked_at)
            .int(
                "link_duration_seconds",
                self.link_duration_seconds.map(i64::from),
            )
            .json("context", self.context.as_ref())
            .time("created_at", Some(now))
            // Column default (0016).
            .bool("requires_review", Some(false))
    }
}

pub async fn insert_link(
    ex: Exec<'_>,
    id: Uuid,
    e: &LinkAuditEntry,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO session_device_link_audit_log (id, user_id, session_id, device_id, link_action,
            previous_device_id, revoked_at, link_duration_seconds, context, created_at, row_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        id,
        e.user_id.as_uuid(),
        e.session_id.as_uuid(),
        e.device_id.as_uuid(),
        e.link_action.as_str(),
        e.previous_device_id.map(|d| d.as_uuid()),
        e.revoked_at,
        e.link_duration_seconds,
        e.context.clone().map(Json),
        now,
        e.content(id, now).row_hash(AuditLog::Links),
    )?;
    Ok(())
}

/// An `account_audit_log` row (account-level events: registration, attempts on accounts
/// that do not exist).
#[derive(Debug, Clone)]
pub struct AccountAuditEntry {
    pub user_id: Option<UserId>,
    pub action: AccountAction,
    pub details: Option<Value>,
    pub ip_address: Option<Inet>,
}

pub async fn insert_account(
    ex: Exec<'_>,
    id: Uuid,
    e: &AccountAuditEntry,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO account_audit_log (id, user_id, action, details, ip_address, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        id,
        e.user_id.map(|u| u.as_uuid()),
        e.action.as_str(),
        e.details.clone().map(Json),
        e.ip_address,
        now,
    )?;
    Ok(())
}

/// An `mfa_audit_log` row (partitioned by `created_at` on PostgreSQL).
#[derive(Debug, Clone)]
pub struct MfaAuditEntry {
    pub user_id: UserId,
    pub device_id: Option<DeviceId>,
    pub action: MfaAction,
    pub mfa_method: Option<MfaMethod>,
    /// Whether `mfa_method` is (or became) the primary method.
    pub primary_method: bool,
    pub challenge_id: Option<Uuid>,
    pub verification_attempts: Option<i32>,
    /// Answers with this method in the hour before (the per-method allowance's count).
    pub request_count_last_hour: Option<i32>,
    /// `ok`, or `exceeded` when the answer was refused for the hourly allowance.
    pub rate_limit_status: &'static str,
    pub risk_level: RiskLevel,
    pub is_anomalous: bool,
    pub anomaly_reasons: Vec<String>,
    pub old_value: Option<Value>,
    pub new_value: Option<Value>,
    pub metadata: Option<Value>,
    pub error_message: Option<String>,
}

impl MfaAuditEntry {
    /// An entry with only its subject, action and method; the rest empty, risk low.
    pub fn new(user_id: UserId, action: MfaAction, mfa_method: Option<MfaMethod>) -> Self {
        Self {
            user_id,
            device_id: None,
            action,
            mfa_method,
            primary_method: false,
            challenge_id: None,
            verification_attempts: None,
            request_count_last_hour: None,
            rate_limit_status: "ok",
            risk_level: RiskLevel::Low,
            is_anomalous: false,
            anomaly_reasons: Vec::new(),
            old_value: None,
            new_value: None,
            metadata: None,
            error_message: None,
        }
    }
}

impl MfaAuditEntry {
    fn content(&self, id: Uuid, now: DateTime<Utc>) -> RowContent {
        RowContent::new()
            .uuid("id", Some(id))
            .uuid("user_id", Some(self.user_id.as_uuid()))
            .uuid("device_id", self.device_id.map(|d| d.as_uuid()))
            .text("action", Some(self.action.as_str()))
            .text("mfa_method", self.mfa_method.map(|m| m.as_str()))
            .bool("primary_method", Some(self.primary_method))
            .uuid("challenge_id", self.challenge_id)
            .int(
                "verification_attempts",
                self.verification_attempts.map(i64::from),
            )
            .text("risk_level", Some(self.risk_level.as_str()))
            .bool("is_anomalous", Some(self.is_anomalous))
            .list("anomaly_reasons", &self.anomaly_reasons)
            .json("old_value", self.old_value.as_ref())
            .json("new_value", self.new_value.as_ref())
            .json("metadata", self.metadata.as_ref())
            .text("error_message", self.error_message.as_deref())
            .time("created_at", Some(now))
            .int(
                "request_count_last_hour",
                self.request_count_last_hour.map(i64::from),
            )
            .text("rate_limit_status", Some(self.rate_limit_status))
            // Column defaults (0004, 0016).
            .int("max_attempts", Some(3))
            .bool("requires_review", Some(false))
    }
}

pub async fn insert_mfa(
    ex: Exec<'_>,
    id: Uuid,
    e: &MfaAuditEntry,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO mfa_audit_log (id, user_id, device_id, action, mfa_method, primary_method,
            challenge_id, verification_attempts, risk_level, is_anomalous, anomaly_reasons,
            old_value, new_value, metadata, error_message, created_at, request_count_last_hour,
            rate_limit_status, row_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, $19)",
        id,
        e.user_id.as_uuid(),
        e.device_id.map(|d| d.as_uuid()),
        e.action.as_str(),
        e.mfa_method.map(|m| m.as_str()),
        e.primary_method,
        e.challenge_id,
        e.verification_attempts,
        e.risk_level.as_str(),
        e.is_anomalous,
        TextList(e.anomaly_reasons.clone()),
        e.old_value.clone().map(Json),
        e.new_value.clone().map(Json),
        e.metadata.clone().map(Json),
        e.error_message.as_deref(),
        now,
        e.request_count_last_hour,
        e.rate_limit_status,
        e.content(id, now).row_hash(AuditLog::Mfa),
    )?;
    Ok(())
}
