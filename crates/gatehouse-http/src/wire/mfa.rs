//! Second factors of the signed-in account: the TOTP enrolment answer (secret shown once),
//! the confirmation request, email and SMS setup (code sent, code confirmed), backup codes
//! (shown once) and the MFA status.

use chrono::{DateTime, Utc};
use gatehouse_core::mfa::limits::Limits;
use gatehouse_core::mfa::{
    CodeSent, LimitsUpdate, MethodStatus, MfaStatus, SettingsUpdate, TotpEnrolment,
};
use gatehouse_domain::mfa::MfaMethod;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A new authenticator-app secret. Shown once; only its encrypted form is kept.
#[derive(Serialize, ToSchema)]
pub struct TotpEnrolmentResponse {
    /// The secret in base32 (RFC 4648, no padding), for typing in by hand.
    pub secret: String,
    /// `otpauth://totp/...` (Key Uri Format), for apps that read links.
    pub otpauth_uri: String,
    /// The same URI as a QR code, an SVG document.
    pub qr_svg: String,
}

impl From<TotpEnrolment> for TotpEnrolmentResponse {
    fn from(e: TotpEnrolment) -> Self {
        Self {
            secret: e.secret,
            otpauth_uri: e.otpauth_uri,
            qr_svg: e.qr_svg,
        }
    }
}

/// A code from the authenticator app.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpConfirmRequest {
    /// 6 to 8 digits (spaces ignored).
    pub code: String,
}

/// A new set of backup codes. Shown once; each works once; the previous set no longer works.
#[derive(Serialize, ToSchema)]
pub struct BackupCodesResponse {
    /// Ten codes, `xxxxx-xxxxx`.
    pub codes: Vec<String>,
}

/// One second factor of the account.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaMethodResponse {
    /// `totp`, `email` or `sms`.
    pub method: String,
    /// Confirmed and on (a setup waiting for its first code is listed as off).
    pub enabled: bool,
    pub verified_at: Option<DateTime<Utc>>,
    /// Email and SMS: where codes go, masked (`a***@example.com`, `+49*********89`).
    pub destination: Option<String>,
    /// The limits a sign-in applies to this method: the account's own where it set some,
    /// never looser than the deployment's.
    pub limits: MethodLimitsResponse,
}

/// The limits in force for one method.
#[derive(Debug, Serialize, ToSchema)]
pub struct MethodLimitsResponse {
    /// Codes (right or wrong) the account may give with this method per hour.
    pub rate_limit_per_hour: u32,
    /// Wrong codes a login challenge takes before it locks.
    pub max_attempts: u32,
    /// Minutes the method stays refused after a challenge locked.
    pub lockout_minutes: u32,
}

impl From<Limits> for MethodLimitsResponse {
    fn from(l: Limits) -> Self {
        Self {
            rate_limit_per_hour: l.answers_per_hour,
            max_attempts: l.max_attempts,
            lockout_minutes: l.lockout_minutes,
        }
    }
}

/// Whether two-step verification is on, and with what.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaStatusResponse {
    pub enabled: bool,
    /// `totp`, `email` or `sms`; null while MFA is off.
    pub primary_method: Option<String>,
    pub methods: Vec<MfaMethodResponse>,
    pub backup_codes_remaining: u32,
    /// Changes of the primary method and removal of the last factor wait for a staff
    /// member's approval (the account asked for it).
    pub require_approval_for_changes: bool,
    /// An account recovery signed the person in and no factor was confirmed since: set
    /// one up again.
    pub reenrolment_required: bool,
}

impl From<MethodStatus> for MfaMethodResponse {
    fn from(m: MethodStatus) -> Self {
        Self {
            method: m.method.as_str().to_owned(),
            enabled: m.enabled,
            verified_at: m.verified_at,
            destination: m.destination,
            limits: m.limits.into(),
        }
    }
}

impl From<MfaStatus> for MfaStatusResponse {
    fn from(s: MfaStatus) -> Self {
        Self {
            enabled: s.enabled,
            primary_method: s.primary_method.map(|m| m.as_str().to_owned()),
            methods: s.methods.into_iter().map(Into::into).collect(),
            backup_codes_remaining: s.backup_codes_remaining,
            require_approval_for_changes: s.require_approval_for_changes,
            reenrolment_required: s.reenrolment_required,
        }
    }
}

/// New limits for one method; absent values keep those in force. The deployment's bounds
/// (`mfa.method_*_max`, `mfa.lockout_minutes_min`/`_max`) apply; a value outside them is a
/// 422 naming the field and the bound.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MethodLimitsRequest {
    /// 1 to `mfa.method_rate_limit_per_hour_max` (20).
    pub rate_limit_per_hour: Option<i64>,
    /// 1 to `mfa.method_max_attempts_max` (10).
    pub max_attempts: Option<i64>,
    /// `mfa.lockout_minutes_min` (5) to `mfa.lockout_minutes_max` (1440).
    pub lockout_minutes: Option<i64>,
}

/// Limits per method set up on the account.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MethodsSettingsRequest {
    pub totp: Option<MethodLimitsRequest>,
    pub email: Option<MethodLimitsRequest>,
    pub sms: Option<MethodLimitsRequest>,
}

/// `PUT /v1/me/mfa/settings`: every member optional.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaSettingsRequest {
    /// `totp`, `email` or `sms`: a method the account has verified.
    #[schema(max_length = 16)]
    pub primary_method: Option<String>,
    pub methods: Option<MethodsSettingsRequest>,
    /// Make changes of the primary method and removal of the last factor wait for a staff
    /// member. Turning it off again waits for one too.
    pub require_approval_for_changes: Option<bool>,
}

impl From<MfaSettingsRequest> for SettingsUpdate {
    fn from(r: MfaSettingsRequest) -> Self {
        let limits = |l: MethodLimitsRequest| LimitsUpdate {
            rate_limit_per_hour: l.rate_limit_per_hour,
            max_attempts: l.max_attempts,
            lockout_minutes: l.lockout_minutes,
        };
        let methods = r.methods.unwrap_or_default();
        let methods = [
            (MfaMethod::Totp, methods.totp),
            (MfaMethod::Email, methods.email),
            (MfaMethod::Sms, methods.sms),
        ]
        .into_iter()
        .filter_map(|(m, l)| l.map(|l| (m, limits(l))))
        .collect();
        SettingsUpdate {
            primary_method: r.primary_method,
            methods,
            require_approval_for_changes: r.require_approval_for_changes,
        }
    }
}

/// A change that waits for a staff member's approval: nothing changed yet.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingChangeResponse {
    /// Always `pending_approval`.
    pub status: &'static str,
    /// The change's id in the admin list (`GET /v1/admin/mfa-changes`).
    pub change_id: Uuid,
}

impl PendingChangeResponse {
    pub fn new(change_id: Uuid) -> Self {
        Self {
            status: "pending_approval",
            change_id,
        }
    }
}

/// Start using email codes: the address to send them to.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailMethodRequest {
    /// Defaults to the account's address. At most 254 characters.
    pub email: Option<String>,
}

/// Start using SMS codes: the number to send them to.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsMethodRequest {
    /// E.164: `+` and 8 to 15 digits, e.g. `+14155552671`.
    pub phone_number: String,
}

/// The code sent to the address or number being set up.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeConfirmRequest {
    /// The digits of the code (spaces ignored; at most 64 characters).
    pub code: String,
}

/// A code went out.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeSentResponse {
    /// `email` or `sms`.
    pub method: String,
    /// Where it went, masked (`a***@example.com`, `+49*********89`).
    pub destination: String,
    /// When the code stops working.
    pub expires_at: DateTime<Utc>,
}

impl From<CodeSent> for CodeSentResponse {
    fn from(c: CodeSent) -> Self {
        Self {
            method: c.method.as_str().to_owned(),
            destination: c.destination,
            expires_at: c.expires_at,
        }
    }
}
