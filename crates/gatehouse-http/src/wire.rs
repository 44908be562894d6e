//! Wire types: what the API reads and writes, separate from domain types and rows.
//! Request types refuse unknown fields. Types holding secrets do not derive `Debug`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use gatehouse_core::accounts::rows::{DeviceRow, ProfileRow, SessionRow, UserRow, UserWithProfile};
use gatehouse_core::accounts::{Patch, TokenPair};
use gatehouse_domain::ids::SessionId;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(example = "ada@example.com")]
    pub email: String,
    /// 8 to 128 characters; common passwords are refused.
    #[schema(example = "correct horse battery staple")]
    pub password: String,
    /// Optional; 3-150 of a-z 0-9 . _ -
    pub username: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Email or username.
    #[schema(example = "ada@example.com")]
    pub login: String,
    pub password: String,
    pub device: Option<DeviceRequest>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceRequest {
    /// A stable client-side device identifier; stored only as a keyed hash.
    pub fingerprint: String,
    pub name: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeRequest {
    pub current_password: String,
    pub new_password: String,
    /// End every other session (default true).
    pub sign_out_other_sessions: Option<bool>,
}

/// Absent: keep; `null`: clear; a value: set.
fn patch<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Patch<T>, D::Error> {
    Ok(match Option::<T>::deserialize(d)? {
        Some(v) => Patch::Set(v),
        None => Patch::Clear,
    })
}

/// A partial profile update: absent fields are kept, `null` clears a field.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatchRequest {
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub first_name: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub last_name: Patch<String>,
    /// ISO 8601 date (YYYY-MM-DD).
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>, format = Date)]
    pub date_of_birth: Patch<NaiveDate>,
    /// E.164, e.g. +14155552671.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub phone_number: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub address: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub city: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub state: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub country: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub postal_code: Patch<String>,
    /// IANA time zone name, e.g. Europe/Paris.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub timezone: Patch<String>,
    /// BCP 47 language, e.g. en or pt-BR.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub language: Patch<String>,
    /// totp, email or sms.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub preferred_mfa_method: Patch<String>,
}

impl From<ProfilePatchRequest> for gatehouse_core::accounts::ProfilePatch {
    fn from(r: ProfilePatchRequest) -> Self {
        Self {
            first_name: r.first_name,
            last_name: r.last_name,
            date_of_birth: r.date_of_birth,
            phone_number: r.phone_number,
            address: r.address,
            city: r.city,
            state: r.state,
            country: r.country,
            postal_code: r.postal_code,
            timezone: r.timezone,
            language: r.language,
            preferred_mfa_method: r.preferred_mfa_method,
        }
    }
}

/// An account.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub id: Uuid,
    pub email: String,
    pub username: Option<String>,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl From<&UserRow> for UserResponse {
    fn from(u: &UserRow) -> Self {
        Self {
            id: u.id.as_uuid(),
            email: u.email.clone(),
            username: u.username.clone(),
            is_active: u.is_active,
            created_at: u.created_at,
            last_login_at: u.last_login_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileResponse {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub date_of_birth: Option<NaiveDate>,
    pub phone_number: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    pub postal_code: Option<String>,
    pub timezone: String,
    pub language: String,
    pub preferred_mfa_method: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<ProfileRow> for ProfileResponse {
    fn from(p: ProfileRow) -> Self {
        Self {
            first_name: p.first_name,
            last_name: p.last_name,
            date_of_birth: p.date_of_birth,
            phone_number: p.phone_number,
            address: p.address,
            city: p.city,
            state: p.state,
            country: p.country,
            postal_code: p.postal_code,
            timezone: p.timezone,
            language: p.language,
            preferred_mfa_method: p.preferred_mfa_method,
            updated_at: p.updated_at,
        }
    }
}

/// The signed-in account with its profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    #[serde(flatten)]
    pub user: UserResponse,
    pub profile: ProfileResponse,
}

impl From<UserWithProfile> for MeResponse {
    fn from(u: UserWithProfile) -> Self {
        Self {
            user: UserResponse::from(&u.user),
            profile: u.profile.into(),
        }
    }
}

/// Tokens of an authenticated session.
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// `authenticated` (the MFA work adds `mfa_required`).
    #[schema(example = "authenticated")]
    pub status: &'static str,
    /// Short-lived JWT (EdDSA) for `Authorization: Bearer`.
    pub access_token: String,
    /// Opaque, single use: each refresh returns a new one.
    pub refresh_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Access token lifetime in seconds.
    pub expires_in: u64,
    pub session_id: Uuid,
}

impl From<TokenPair> for TokenResponse {
    fn from(t: TokenPair) -> Self {
        Self {
            status: "authenticated",
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            token_type: "Bearer",
            expires_in: t.expires_in,
            session_id: t.session_id.as_uuid(),
        }
    }
}

/// Cursor pagination parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// 1 to 100 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// Encode a keyset position as an opaque cursor.
pub fn encode_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// Decode a cursor; `None` if it is not one of ours.
pub fn decode_cursor(cursor: &str) -> Option<Uuid> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    Uuid::from_slice(&bytes).ok()
}

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

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    #[schema(example = "ok")]
    pub status: &'static str,
}
