//! Second factors of the signed-in account: the TOTP enrolment answer (secret shown once),
//! the confirmation request, backup codes (shown once) and the MFA status.

use chrono::{DateTime, Utc};
use gatehouse_core::mfa::{MethodStatus, MfaStatus, TotpEnrolment};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
    /// Confirmed and on (a TOTP setup waiting for its first code is listed as off).
    pub enabled: bool,
    pub verified_at: Option<DateTime<Utc>>,
}

/// Whether two-step verification is on, and with what.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaStatusResponse {
    pub enabled: bool,
    /// `totp`, `email` or `sms`; null while MFA is off.
    pub primary_method: Option<String>,
    pub methods: Vec<MfaMethodResponse>,
    pub backup_codes_remaining: u32,
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
            reenrolment_required: s.reenrolment_required,
        }
    }
}
