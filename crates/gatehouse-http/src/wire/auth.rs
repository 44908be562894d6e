//! Sign-up, login, refresh: request bodies and the token pair answer.

use gatehouse_core::accounts::{LoginGrant, LoginStep, MfaChallenge, TokenPair};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(example = "ada@example.com")]
    pub email: String,
    /// 12 to 128 characters by default (counted after NFKC normalisation); common
    /// passwords are refused.
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
    /// 1 to 4096 bytes of UTF-8 (so at most 4096 characters), refused before hashing.
    #[schema(min_length = 1, max_length = 4096)]
    pub password: String,
    pub device: Option<DeviceRequest>,
    /// The `device_token` of this client's last successful login, if it has one: a
    /// client that proves it signed in before is not locked out by failures from
    /// elsewhere (its own failures still lock it).
    pub device_token: Option<String>,
    /// Keep this session signed in longer: the deployment's remember-me idle timeout and
    /// lifetime (default 7 days idle, 30 days at most) instead of 30 minutes and 10 hours.
    #[serde(default)]
    pub remember_me: bool,
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

/// A successful login: the session's tokens and this client's new device token.
#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    #[serde(flatten)]
    pub tokens: TokenResponse,
    /// Present it as `device_token` with this client's next login. Keep it like a
    /// long-lived cookie; it is not a credential on its own.
    pub device_token: String,
}

impl From<LoginGrant> for LoginResponse {
    fn from(grant: LoginGrant) -> Self {
        Self {
            tokens: grant.tokens.into(),
            device_token: grant.device_token,
        }
    }
}

/// The answer to a right password: signed in, or (the account has MFA on) a challenge
/// to answer with the second factor at `POST /v1/auth/mfa/verify`. Both have `status`.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum LoginAnswer {
    Authenticated(LoginResponse),
    MfaRequired(MfaRequiredResponse),
}

impl From<LoginStep> for LoginAnswer {
    fn from(step: LoginStep) -> Self {
        match step {
            LoginStep::Authenticated(grant) => LoginAnswer::Authenticated(grant.into()),
            LoginStep::MfaRequired(challenge) => LoginAnswer::MfaRequired(challenge.into()),
        }
    }
}

/// The password was right; the account asks for its second factor.
#[derive(Serialize, ToSchema)]
pub struct MfaRequiredResponse {
    /// Always `mfa_required`.
    #[schema(example = "mfa_required")]
    pub status: &'static str,
    /// Answer with it at `POST /v1/auth/mfa/verify`, from the same client address and
    /// device, before `expires_at`.
    pub challenge_id: Uuid,
    /// The methods this challenge takes: `totp`, `backup_code`.
    pub methods: Vec<String>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

impl From<MfaChallenge> for MfaRequiredResponse {
    fn from(c: MfaChallenge) -> Self {
        Self {
            status: "mfa_required",
            challenge_id: c.challenge_id,
            methods: c.methods.iter().map(|m| m.as_str().to_owned()).collect(),
            expires_at: c.expires_at,
        }
    }
}

/// Ask for a login code by email or SMS.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaSendRequest {
    pub challenge_id: String,
    /// `email` or `sms` (one of the challenge's `methods`).
    #[schema(example = "email")]
    pub method: String,
    /// The same device the login named (the challenge is bound to it).
    pub device: Option<DeviceRequest>,
}

/// The second step of a login.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaVerifyRequest {
    pub challenge_id: String,
    /// `totp`, `email`, `sms` or `backup_code` (one of the challenge's `methods`).
    #[schema(example = "totp")]
    pub method: String,
    /// The 6–8 digit code of the authenticator app or sent by email or SMS, or a backup
    /// code (`xxxxx-xxxxx`).
    #[schema(example = "123456")]
    pub code: String,
    /// Trust this device afterwards: its logins skip the second factor for
    /// `login.trusted_device_secs` while their risk is low.
    #[serde(default)]
    pub trust_device: bool,
    /// The same device the login named (the challenge is bound to it).
    pub device: Option<DeviceRequest>,
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

/// The token from a "this wasn't me" link (the part after `#token=`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotMeRequest {
    #[schema(
        example = "q3b0YV1xgqU6s7m5Yk2s0lq1oG2m7r4a9Xz3cJq8wT0",
        max_length = 128
    )]
    pub token: String,
}

/// What reporting a sign-in did.
#[derive(Serialize, ToSchema)]
pub struct NotMeResponse {
    /// Sessions that were ended (every session of the account).
    pub sessions_ended: u64,
    /// No one can sign in to the account before this time.
    pub locked_until: chrono::DateTime<chrono::Utc>,
}
