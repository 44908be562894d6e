//! What the notification use cases can refuse, mapped by the HTTP edge to status codes.

use gatehouse_domain::FieldError;
use gatehouse_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// One or more inputs are invalid; each names its field.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The same thing already exists (a quiet-hours window starting then, say).
    #[error("{0}")]
    Conflict(&'static str),
    /// A webhook whose signature is missing, wrong or stale, or no webhook secret is set.
    #[error("the signature is missing, invalid or expired")]
    InvalidSignature,
    #[error("the database is unavailable")]
    Unavailable(#[source] StoreError),
    #[error("internal error")]
    Store(#[source] StoreError),
}

impl From<StoreError> for NotifyError {
    fn from(err: StoreError) -> Self {
        if err.is_unavailable() {
            NotifyError::Unavailable(err)
        } else {
            NotifyError::Store(err)
        }
    }
}
