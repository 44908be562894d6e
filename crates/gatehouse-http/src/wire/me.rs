//! The signed-in account: the account and profile answers, the profile patch (absent,
//! `null` or a value per field) and the password change.

use chrono::{DateTime, NaiveDate, Utc};
use gatehouse_core::accounts::rows::{ProfileRow, UserRow, UserWithProfile};
use gatehouse_core::accounts::Patch;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

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
    /// Whether the address was proven by a verification link.
    pub email_verified: bool,
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
            email_verified: u.email_verified_at.is_some(),
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
    /// An account recovery signed the person in and no factor was confirmed since: set
    /// one up again (`GET /v1/me/mfa` says the same).
    pub reenrolment_required: bool,
}

impl From<UserWithProfile> for MeResponse {
    fn from(u: UserWithProfile) -> Self {
        Self {
            user: UserResponse::from(&u.user),
            profile: u.profile.into(),
            reenrolment_required: u.reenrolment_required,
        }
    }
}
