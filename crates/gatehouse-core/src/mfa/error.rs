//! Everything an MFA use case can refuse, mapped exhaustively to problem+json at the edge.

use gatehouse_domain::FieldError;
use gatehouse_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum MfaError {
    /// An input is invalid, or a code is wrong or already used (field `code`).
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// The session's last sign-in is older than `mfa.recent_auth_secs`.
    #[error("this change needs a recent sign-in; sign in again and retry")]
    ReauthenticationRequired,
    #[error("an authenticator app is already set up; remove it first to set up another")]
    TotpAlreadyEnabled,
    #[error("no authenticator app is waiting for confirmation; start the setup first")]
    TotpNotStarted,
    /// Backup codes back up another factor; with none on they protect nothing.
    #[error("turn on two-step verification with another method first")]
    MfaNotEnabled,
    /// An email or SMS method is already verified; remove it first to use another.
    #[error("this method is already on; remove it first to set up another")]
    MethodAlreadyEnabled,
    /// No email or SMS method is waiting for its code.
    #[error("no code was sent for this method; start the setup first")]
    MethodNotStarted,
    /// `mfa.codes_sent_per_hour` codes went out for this purpose in the last hour.
    #[error("too many codes sent; try again later")]
    TooManyCodes { retry_after_secs: u64 },
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A change of this kind already waits for a staff member's approval.
    #[error("a change of this kind already waits for approval")]
    ChangePending,
    /// Staff do not approve or reject their own changes.
    #[error("a staff member cannot decide their own change")]
    OwnChange,
    #[error("this change was already approved or rejected")]
    ChangeAlreadyDecided,
    /// What the change would do is no longer possible (the factor went, or the method it
    /// names is no longer verified); it stays pending and can be rejected.
    #[error("this change no longer applies: {0}")]
    ChangeNoLongerApplies(&'static str),
    #[error("not authenticated")]
    Unauthenticated,
    #[error("the database is unavailable")]
    Unavailable(#[source] StoreError),
    #[error("internal error")]
    Store(#[source] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for MfaError {
    fn from(err: StoreError) -> Self {
        if err.is_unavailable() {
            MfaError::Unavailable(err)
        } else {
            MfaError::Store(err)
        }
    }
}

pub type MfaResult<T> = Result<T, MfaError>;

/// Why a code given at sign-in was refused (the login challenge maps these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaRefusal {
    /// No confirmed method of this kind.
    NotEnrolled,
    /// Wrong, malformed, or (backup codes) already used or replaced.
    WrongCode,
    /// A right TOTP code for a time step already used.
    Replayed,
}

impl MfaRefusal {
    /// The 422 field error of a refused code.
    pub fn field_error(self) -> FieldError {
        match self {
            MfaRefusal::Replayed => FieldError::new(
                "code",
                "code_already_used",
                "this code was already used; wait for the next one",
            ),
            MfaRefusal::NotEnrolled | MfaRefusal::WrongCode => {
                FieldError::new("code", "wrong_code", "the code is wrong or has expired")
            }
        }
    }
}
