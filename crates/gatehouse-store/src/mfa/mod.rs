//! Persistence for the MFA part (rows only; the rules live in core and domain): TOTP
//! devices, backup codes, email/SMS methods and their one-time codes, per-user MFA settings
//! and method preferences, and account recoveries. Each function takes an [`crate::Exec`] so
//! the use case decides the transaction. MFA audit rows are written by
//! [`crate::audit::insert_mfa`] beside the other audit logs.

pub mod backup_codes;
pub mod changes;
pub mod contact_methods;
pub mod otp_codes;
pub mod recoveries;
pub mod settings;
pub mod totp;
