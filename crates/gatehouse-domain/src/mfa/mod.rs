//! The MFA part: one-time passwords (HOTP, RFC 4226; TOTP, RFC 6238), the base32 secrets and
//! `otpauth://` URIs authenticator apps read, backup codes, and the list of MFA methods.
//! Pure: secrets, random bytes and `now` are all passed in.

pub mod backup_codes;
pub mod base32;
pub mod changes;
pub mod one_time;
pub mod otp;
pub mod uri;

#[cfg(test)]
mod otp_tests;

pub use backup_codes::{normalize_backup_code, BackupCode, BACKUP_CODE_COUNT};
pub use changes::{ApprovalPolicy, MfaChangeAction, MfaChangeStatus};
pub use one_time::{
    mask_email, mask_phone, normalize_otp, otp_hash_input, parse_sms_number, OtpPurpose,
};
pub use otp::{OtpAlgorithm, TotpCode, TotpParams, TotpRefusal, TotpStep};
pub use uri::otpauth_uri;

string_enum!(
    /// A second factor a person can use (`mfa_settings.primary_method`,
    /// `mfa_method_preferences.mfa_method`, `mfa_audit_log.mfa_method`).
    MfaMethod {
        Totp => "totp",
        Email => "email",
        Sms => "sms",
        BackupCode => "backup_code",
    }
);
