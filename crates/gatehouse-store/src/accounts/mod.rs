//! Persistence for the accounts part: users and profiles, password history, devices,
//! sessions and refresh tokens. Each function takes an [`crate::Exec`] so the caller
//! decides the transaction.

pub mod devices;
pub mod mfa_challenges;
pub mod password_history;
pub mod refresh_tokens;
pub mod sessions;
pub mod trusted_devices;
pub mod users;
