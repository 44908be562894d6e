//! Store errors. Constraint violations the callers act on (a duplicate email) are told
//! apart from everything else, which is an internal error.

/// A failed store call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A UNIQUE constraint refused the write; `target` names the constraint or column.
    #[error("unique constraint violated: {target}")]
    UniqueViolation { target: String },
    #[error("database error")]
    Database(#[source] sqlx::Error),
    #[error("migration error")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err {
            if db.is_unique_violation() {
                // PostgreSQL names the constraint (`users_email_key`); SQLite puts the
                // columns in the message (`UNIQUE constraint failed: users.email`).
                let target = db
                    .constraint()
                    .map(str::to_owned)
                    .unwrap_or_else(|| db.message().to_owned());
                return StoreError::UniqueViolation { target };
            }
        }
        StoreError::Database(err)
    }
}

impl StoreError {
    /// True when this is a unique violation on a constraint or column whose name
    /// contains `needle` (e.g. `"email"`).
    pub fn is_unique_violation_on(&self, needle: &str) -> bool {
        matches!(self, StoreError::UniqueViolation { target } if target.contains(needle))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
