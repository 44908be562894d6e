//! Store errors. Constraint violations the callers act on (a duplicate email) and an
//! unreachable database (answered "try again shortly") are told apart from everything
//! else, which is an internal error.

/// Names of the UNIQUE constraints callers match on. They are PostgreSQL's names; SQLite
/// errors are mapped to the same names (see [`constraint_name`]).
pub mod constraints {
    /// `users.email`.
    pub const USERS_EMAIL: &str = "users_email_key";
    /// `users.username`.
    pub const USERS_USERNAME: &str = "users_username_key";
    /// `quiet_hours (user_id, day_of_week, start_time)`: one window per start.
    pub const QUIET_HOURS_START: &str = "quiet_hours_user_id_day_of_week_start_time_key";
}

/// A failed store call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A UNIQUE constraint refused the write; `constraint` is its PostgreSQL name.
    #[error("unique constraint violated: {constraint}")]
    UniqueViolation { constraint: String },
    /// The database could not be reached or dropped the connection (see
    /// [`is_unavailable`]): nothing is wrong with the request, and it may succeed shortly.
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
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
        if is_unavailable(&err) {
            return StoreError::Unavailable(err);
        }
        StoreError::Database(err)
    }
}

/// True when `err` says the database is out of reach rather than that a statement failed:
/// no connection could be had in time (`PoolTimedOut`, which is also what refused or
/// unanswered connection attempts end as), the pool is shut, the socket or TLS session broke
/// (a reset or a close mid-query is an `Io` error), or PostgreSQL itself reports a
/// connection problem: SQLSTATE class 08 (connection exception), 53300 (too many
/// connections), 57P01/57P02 (administrator or crash shutdown ended the session) and 57P03
/// (the server is starting or stopping: cannot connect now).
pub(crate) fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => db
            .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
            .is_some_and(|pg| is_unavailable_sqlstate(pg.code())),
        _ => false,
    }
}

/// The PostgreSQL SQLSTATEs that mean "no usable connection" (see [`is_unavailable`]).
fn is_unavailable_sqlstate(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "53300" | "57P01" | "57P02" | "57P03")
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

    /// True when the database was out of reach (callers answer "try again shortly", not
    /// "internal error").
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }

    /// Why a connection could not be opened, in a few words for an operator, once: the
    /// innermost cause only (`connection refused`, `authentication failed: role "x" does
    /// not exist`, `database "x" does not exist`), not the chain of wrappers around it.
    pub fn connect_cause(&self) -> String {
        let err = match self {
            StoreError::Unavailable(e) | StoreError::Database(e) => e,
            other => return other.to_string(),
        };
        match err {
            sqlx::Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                "connection refused".to_owned()
            }
            sqlx::Error::Io(e) => e.to_string(),
            sqlx::Error::PoolTimedOut => "no answer in time".to_owned(),
            sqlx::Error::Tls(e) => format!("TLS failed: {e}"),
            sqlx::Error::Configuration(e) => format!("invalid database URL: {e}"),
            sqlx::Error::Database(db) => {
                // SQLSTATE class 28: invalid authorization specification (a wrong password,
                // an unknown role, a role that may not log in, no pg_hba.conf entry).
                let class_28 = db.code().is_some_and(|code| code.starts_with("28"));
                if class_28 {
                    format!("authentication failed: {}", db.message())
                } else {
                    db.message().to_owned()
                }
            }
            other => other.to_string(),
        }
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

    #[test]
    fn lost_connections_are_unavailable_and_statement_failures_are_not() {
        let io = |kind| sqlx::Error::Io(std::io::Error::from(kind));
        for err in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            io(std::io::ErrorKind::ConnectionRefused),
            io(std::io::ErrorKind::ConnectionReset),
            io(std::io::ErrorKind::UnexpectedEof),
        ] {
            let text = err.to_string();
            assert!(StoreError::from(err).is_unavailable(), "{text}");
        }
        for err in [
            sqlx::Error::RowNotFound,
            sqlx::Error::ColumnNotFound("id".into()),
            sqlx::Error::Protocol("unexpected message".into()),
        ] {
            let text = err.to_string();
            assert!(!StoreError::from(err).is_unavailable(), "{text}");
        }
    }

    #[test]
    fn connect_causes_are_one_short_phrase() {
        let refused = StoreError::from(sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused,
        )));
        assert_eq!(refused.connect_cause(), "connection refused");
        assert_eq!(
            StoreError::from(sqlx::Error::PoolTimedOut).connect_cause(),
            "no answer in time"
        );
    }

    #[test]
    fn connection_sqlstates_are_unavailable() {
        for code in [
            "08000", "08003", "08006", "08001", "53300", "57P01", "57P02", "57P03",
        ] {
            assert!(is_unavailable_sqlstate(code), "{code}");
        }
        for code in ["23505", "40001", "57014", "42P01", "53100"] {
            assert!(!is_unavailable_sqlstate(code), "{code}");
        }
    }
}
