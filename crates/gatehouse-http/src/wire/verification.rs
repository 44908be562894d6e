//! Sign-up answers, email verification, change of address and password reset.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The one answer to a sign-up, a reset request or a change of address: the same whether
/// or not the address has an account, so it reveals nothing.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedResponse {
    /// `verification_sent` (sign-up, change of address), `reset_requested` or
    /// `recovery_requested`.
    #[schema(example = "verification_sent")]
    pub status: &'static str,
}

/// The token from a verification or reset link (the part after `#token=`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    #[schema(
        example = "q3b0YV1xgqU6s7m5Yk2s0lq1oG2m7r4a9Xz3cJq8wT0",
        max_length = 128
    )]
    pub token: String,
}

/// What using a verification link did.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyEmailResponse {
    pub email_verified: bool,
}

/// Move the account to a new address (after the link sent there is used).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailChangeRequest {
    pub new_email: String,
    /// The account's current password.
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    pub email: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirmRequest {
    #[schema(max_length = 128)]
    pub token: String,
    pub new_password: String,
}

/// What a reset did.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordResetResponse {
    /// Sessions that were ended (every session of the account).
    pub sessions_ended: u64,
}
