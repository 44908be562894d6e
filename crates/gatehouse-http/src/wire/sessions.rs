//! Sessions and devices of the signed-in account, as listed (fingerprints never leave).

use chrono::{DateTime, Utc};
use gatehouse_core::accounts::rows::{DeviceRow, SessionRow};
use gatehouse_domain::ids::SessionId;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    pub id: Uuid,
    pub device_id: Option<Uuid>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub session_type: Option<String>,
    pub mfa_verified: bool,
    /// True for the session making this request.
    pub current: bool,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

impl SessionResponse {
    pub fn new(s: SessionRow, current_session: SessionId) -> Self {
        Self {
            current: s.id == current_session,
            id: s.id.as_uuid(),
            device_id: s.device_id.map(|d| d.as_uuid()),
            ip_address: s.ip_address.map(|ip| ip.0.to_string()),
            user_agent: s.user_agent,
            session_type: Some(s.session_type.as_str().to_owned()),
            mfa_verified: s.mfa_verified,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<SessionResponse>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A device, without its fingerprint.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceResponse {
    pub id: Uuid,
    pub name: Option<String>,
    /// desktop, mobile, tablet, bot or unknown.
    pub device_type: Option<String>,
    pub os: Option<String>,
    pub browser: Option<String>,
    pub browser_version: Option<String>,
    pub ip_address: Option<String>,
    pub is_verified: bool,
    pub is_trusted: bool,
    pub is_compromised: bool,
    /// 0-100.
    pub risk_score: i32,
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<DeviceRow> for DeviceResponse {
    fn from(d: DeviceRow) -> Self {
        Self {
            id: d.id.as_uuid(),
            name: d.device_name,
            device_type: d.device_type,
            os: d.os,
            browser: d.browser,
            browser_version: d.browser_version,
            ip_address: d.ip_address.map(|ip| ip.0.to_string()),
            is_verified: d.is_verified,
            is_trusted: d.is_trusted,
            is_compromised: d.is_compromised,
            risk_score: d.risk_score,
            last_used_at: d.last_used_at,
            created_at: d.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceList {
    pub items: Vec<DeviceResponse>,
    pub next_cursor: Option<String>,
}

/// Whether a device is trusted ("remember this device"), and until when a login from it
/// may skip the second factor.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceTrustResponse {
    pub device_id: Uuid,
    pub trusted: bool,
    pub trusted_at: Option<DateTime<Utc>>,
    pub trusted_until: Option<DateTime<Utc>>,
    /// The last login that skipped MFA because of this trust.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<gatehouse_core::accounts::DeviceTrust> for DeviceTrustResponse {
    fn from(t: gatehouse_core::accounts::DeviceTrust) -> Self {
        let grant = t.grant.as_ref();
        Self {
            device_id: t.device_id.as_uuid(),
            trusted: grant.is_some(),
            trusted_at: grant.map(|g| g.trusted_at),
            trusted_until: grant.and_then(|g| g.trust_expires_at),
            last_used_at: grant.and_then(|g| g.last_used_at),
        }
    }
}
