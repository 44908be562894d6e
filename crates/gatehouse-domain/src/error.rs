//! Validation errors that name the field they are about, so the HTTP edge can answer
//! "which field, what is wrong" without knowing any rule itself.

use std::fmt;

/// One input value that failed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Wire name of the field (`email`, `password`, `profile.time_zone`, ...).
    pub field: &'static str,
    /// Stable machine code (`invalid_format`, `too_short`, `common_password`, ...).
    pub code: &'static str,
    /// Human sentence for the client.
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}
