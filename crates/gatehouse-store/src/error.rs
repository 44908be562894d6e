//! Store errors. Constraint violations the callers act on (a duplicate email) are told
//! apart from everything else, which is an internal error.

/// Names of the UNIQUE constraints callers match on. They are PostgreSQL's names; SQLite
/// errors are mapped to the same names (see [`constraint_name`]).
pub mod constraints {
    /// `users.email`.
    pub const USERS_EMAIL: &str = "users_email_key";
    /// `users.username`.
    pub const USERS_USERNAME: &str = "users_username_key";
}

/// A failed store call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A UNIQUE constraint refused the write; `constraint` is its PostgreSQL name.
    #[error("unique constraint violated: {constraint}")]
    UniqueViolation { constraint: String },
    #[error("database error")]
    Database(#[source] sqlx::Error),
    #[error("migration error")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err {
            if db.is_unique_violation() {
                let constraint = db
                    .constraint()
                    .map(str::to_owned)
                    .unwrap_or_else(|| constraint_name(db.message()));
                return StoreError::UniqueViolation { constraint };
            }
        }
        StoreError::Database(err)
    }
}

/// The constraint an SQLite UNIQUE error message names, under PostgreSQL's name for it.
/// SQLite reports `UNIQUE constraint failed: users.email` (columns of an inline UNIQUE or a
/// table constraint) or `UNIQUE constraint failed: index 'name'` (a named unique index);
/// PostgreSQL names an unnamed UNIQUE constraint `<table>_<col>[_<col>...]_key` and an
/// index by its own name, so both backends give the same name.
fn constraint_name(message: &str) -> String {
    let detail = message
        .split_once(": ")
        .map_or(message, |(_, detail)| detail);
    if let Some(index) = detail
        .strip_prefix("index '")
        .and_then(|s| s.strip_suffix('\''))
    {
        return index.to_owned();
    }
    let mut table = "";
    let mut columns = Vec::new();
    for qualified in detail.split(", ") {
        if let Some((t, column)) = qualified.split_once('.') {
            table = t;
            columns.push(column);
        }
    }
    if columns.is_empty() {
        return detail.to_owned();
    }
    format!("{table}_{}_key", columns.join("_"))
}

impl StoreError {
    /// True when this is a violation of the UNIQUE constraint named `constraint` (one of
    /// [`constraints`]).
    pub fn is_unique_violation(&self, constraint: &str) -> bool {
        matches!(self, StoreError::UniqueViolation { constraint: c } if c == constraint)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_messages_map_to_postgres_constraint_names() {
        assert_eq!(
            constraint_name("UNIQUE constraint failed: users.email"),
            constraints::USERS_EMAIL
        );
        assert_eq!(
            constraint_name("UNIQUE constraint failed: devices.user_id, devices.fingerprint_hash"),
            "devices_user_id_fingerprint_hash_key"
        );
        assert_eq!(
            constraint_name("UNIQUE constraint failed: index 'idx_one'"),
            "idx_one"
        );
    }
}
