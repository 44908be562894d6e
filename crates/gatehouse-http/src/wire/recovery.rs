//! Account recovery: with a backup code, and by email for people with no codes left.

use super::auth::DeviceRequest;
use serde::Deserialize;
use utoipa::ToSchema;

/// Sign in with the password and a backup code, having lost the authenticator.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoveryRequest {
    /// Email or username (1 to 255 characters).
    #[schema(example = "ada@example.com")]
    pub email_or_username: String,
    /// 1 to 4096 bytes of UTF-8, refused before hashing.
    #[schema(min_length = 1, max_length = 4096)]
    pub password: String,
    /// One of the account's backup codes (`xxxxx-xxxxx`; 1 to 64 characters).
    #[schema(example = "k7m2p-9xq4t", min_length = 1, max_length = 64)]
    pub backup_code: String,
    pub device: Option<DeviceRequest>,
}

/// Ask for an email recovery.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailRecoveryRequest {
    #[schema(example = "ada@example.com")]
    pub email: String,
}

/// The token from a recovery's cancel link (the part after `#token=`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoveryCancelRequest {
    /// 43 characters; at most 128 are read.
    pub token: String,
}

/// Complete an email recovery once it is ready.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoveryCompleteRequest {
    /// The token from the recovery email's completion link (43 characters; at most 128 are
    /// read).
    pub token: String,
    /// The account's password (1 to 4096 bytes).
    #[schema(min_length = 1, max_length = 4096)]
    pub password: String,
    pub device: Option<DeviceRequest>,
}
