//! Where a database URL points, told without its secrets: the start-up line, `migrate
//! status` and a failed connection name the database this way. A PostgreSQL URL is rebuilt
//! from its parts (user, host, port, database), so a password in it — or in its query
//! string — never reaches a log or a terminal.

use crate::error::StoreResult;
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Which database a [`Db`](crate::Db) talks to, as its URL names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database's location, parsed from its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Postgres {
        /// `host:port`, or the Unix socket directory and port.
        endpoint: String,
        database: String,
        user: String,
    },
    Sqlite {
        /// The database file; `None` for an in-memory database.
        file: Option<PathBuf>,
    },
}

impl Location {
    /// Parse `url` (`postgres://…`, `postgresql://…` or `sqlite:…`) as [`Db::connect`]
    /// would. The error never repeats the URL.
    ///
    /// [`Db::connect`]: crate::Db::connect
    pub fn parse(url: &str) -> StoreResult<Location> {
        if is_postgres_url(url) {
            let options = PgConnectOptions::from_str(url)?;
            let endpoint = match options.get_socket() {
                Some(dir) => format!("{}:{}", dir.display(), options.get_port()),
                None => format!("{}:{}", options.get_host(), options.get_port()),
            };
            let user = options.get_username().to_owned();
            // PostgreSQL's default database is the one named like the user.
            let database = options.get_database().unwrap_or(&user).to_owned();
            return Ok(Location::Postgres {
                endpoint,
                database,
                user,
            });
        }
        let options = SqliteConnectOptions::from_str(url)?;
        let file = (!is_in_memory(url)).then(|| options.get_filename().to_path_buf());
        Ok(Location::Sqlite { file })
    }

    pub fn backend(&self) -> Backend {
        match self {
            Location::Postgres { .. } => Backend::Postgres,
            Location::Sqlite { .. } => Backend::Sqlite,
        }
    }

    /// The SQLite database file, if this is one (not in memory).
    pub fn sqlite_file(&self) -> Option<&Path> {
        match self {
            Location::Sqlite { file } => file.as_deref(),
            Location::Postgres { .. } => None,
        }
    }

    /// What to call it in a sentence: `PostgreSQL at db.internal:5432 (database gatehouse,
    /// user gatehouse)` or `the SQLite database data/gatehouse.db`.
    pub fn describe(&self) -> String {
        match self {
            Location::Postgres {
                endpoint,
                database,
                user,
            } => format!("PostgreSQL at {endpoint} (database {database}, user {user})"),
            Location::Sqlite { file: Some(file) } => {
                format!("the SQLite database {}", file.display())
            }
            Location::Sqlite { file: None } => "an in-memory SQLite database".to_owned(),
        }
    }
}

/// The URL without its password or query string: `postgres://user@host:port/database`
/// or `sqlite:path`.
impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Postgres {
                endpoint,
                database,
                user,
            } => write!(f, "postgres://{user}@{endpoint}/{database}"),
            Location::Sqlite { file: Some(file) } => write!(f, "sqlite:{}", file.display()),
            Location::Sqlite { file: None } => f.write_str("sqlite::memory:"),
        }
    }
}

pub(crate) fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

pub(crate) fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_lose_their_password_and_query() {
        let location = Location::parse(
            "postgres://app:s3cret@db.internal:6432/accounts?sslmode=require&password=x",
        )
        .unwrap();
        assert_eq!(
            location.to_string(),
            "postgres://app@db.internal:6432/accounts"
        );
        assert_eq!(
            location.describe(),
            "PostgreSQL at db.internal:6432 (database accounts, user app)"
        );
        assert!(!format!("{location:?}").contains("s3cret"));
        assert_eq!(location.backend(), Backend::Postgres);
    }

    #[test]
    fn postgres_defaults_are_spelled_out() {
        let location = Location::parse("postgresql://app@localhost").unwrap();
        assert_eq!(location.to_string(), "postgres://app@localhost:5432/app");
    }

    #[test]
    fn sqlite_urls_name_their_file() {
        let location = Location::parse("sqlite://data/gatehouse.db").unwrap();
        assert_eq!(location.to_string(), "sqlite:data/gatehouse.db");
        assert_eq!(location.sqlite_file(), Some(Path::new("data/gatehouse.db")));
        assert_eq!(location.describe(), "the SQLite database data/gatehouse.db");
        let memory = Location::parse("sqlite::memory:").unwrap();
        assert_eq!(memory.sqlite_file(), None);
        assert_eq!(memory.backend(), Backend::Sqlite);
    }
}
