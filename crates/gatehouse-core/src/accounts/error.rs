//! Everything an accounts use case can refuse, as one enum the HTTP edge maps
//! exhaustively to status codes.

use crate::password::HashError;
use gatehouse_domain::FieldError;
use gatehouse_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// One or more inputs are invalid; each names its field.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("this username is taken")]
    UsernameTaken,
    /// Wrong login or password — deliberately the same for unknown accounts.
    #[error("invalid login or password")]
    InvalidCredentials,
    #[error("the current password is wrong")]
    WrongCurrentPassword,
    #[error("the account is disabled")]
    AccountDisabled,
    /// The password is right, but the deployment requires a verified address first.
    #[error("the account's email address is not verified yet")]
    EmailNotVerified,
    #[error("the email address is already verified")]
    EmailAlreadyVerified,
    /// The owner reported a sign-in as not theirs; the account is locked until `until`.
    #[error("the account is locked after its owner reported a sign-in that was not theirs")]
    AccountLocked {
        until: chrono::DateTime<chrono::Utc>,
    },
    /// The password is right but the sign-in looks critical (risk engine): refused, and
    /// the owner is told. Says nothing about why, so it teaches an attacker nothing.
    #[error("this sign-in was refused for the account's safety; its owner has been notified")]
    LoginRefused,
    /// Too many failed attempts for this account or address.
    #[error("too many failed attempts")]
    TooManyAttempts { retry_after_secs: u64 },
    /// `mfa.codes_sent_per_hour` codes already went out for this purpose in the last hour.
    #[error("too many codes sent; try again later")]
    TooManyCodes { retry_after_secs: u64 },
    /// The access token is missing, malformed, expired or its session has ended.
    #[error("not authenticated")]
    Unauthenticated,
    #[error("the refresh token is invalid or expired")]
    InvalidRefreshToken,
    /// The session sat idle past its idle timeout or reached its absolute lifetime.
    #[error("the session has expired; log in again")]
    SessionExpired,
    /// A rotated refresh token was presented again: the family and session are revoked.
    #[error("the refresh token was already used")]
    RefreshTokenReused,
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The endpoint is for staff members (`users.is_staff`, read from the database).
    #[error("this endpoint is for staff members")]
    StaffOnly,
    /// A challenge answered with this method locked recently: the method is refused for
    /// the person's lockout period (`lockout_minutes`).
    #[error("this method is locked after too many wrong codes")]
    MethodLocked { retry_after_secs: u64 },
    /// The login challenge is unknown, already answered, or held by another client.
    #[error("the challenge is invalid or was already answered; sign in again")]
    InvalidChallenge,
    #[error("the challenge has expired; sign in again")]
    ChallengeExpired,
    /// `mfa.challenge_max_attempts` wrong codes: the challenge is locked.
    #[error("too many wrong codes for this challenge; sign in again")]
    ChallengeLocked,
    #[error("the code is wrong or has expired")]
    WrongCode { attempts_left: u32 },
    /// A right TOTP code whose time step was already used.
    #[error("this code was already used; wait for the next one")]
    CodeReplayed { attempts_left: u32 },
    /// The change needs a recent authentication: the session signed in too long ago.
    #[error("this change needs a recent sign-in; sign in again and retry")]
    ReauthenticationRequired,
    /// An email recovery asked to complete before its delay passed.
    #[error("the account recovery cannot be completed yet")]
    RecoveryNotReady {
        ready_at: chrono::DateTime<chrono::Utc>,
        retry_after_secs: u64,
    },
    /// A single-use link that is unknown, already used or expired.
    #[error("the link is invalid, already used or expired")]
    InvalidLink,
    /// The database is out of reach (down, unreachable, or no connection came in time):
    /// the request may be retried shortly. Store errors of that kind land here, not in
    /// `Store`.
    #[error("the database is unavailable")]
    Unavailable(#[source] StoreError),
    #[error("internal error")]
    Store(#[source] StoreError),
    #[error("internal error")]
    Hash(#[from] HashError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AccountsError {
    fn from(err: StoreError) -> Self {
        if err.is_unavailable() {
            AccountsError::Unavailable(err)
        } else {
            AccountsError::Store(err)
        }
    }
}

impl AccountsError {
    /// Refused because a throttle lock holds until `until`.
    pub fn locked_until(
        until: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        let retry_after_secs = (until - now).num_seconds().max(1) as u64;
        AccountsError::TooManyAttempts { retry_after_secs }
    }

    pub fn field(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        AccountsError::Validation(vec![FieldError::new(field, code, message)])
    }
}

pub type AccountsResult<T> = Result<T, AccountsError>;
