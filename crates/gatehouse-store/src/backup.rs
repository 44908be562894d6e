//! Online backups of an SQLite deployment (issue 11, item 1): `VACUUM INTO` writes a
//! consistent, compacted copy of the live database while it keeps serving (one read
//! transaction; writers carry on in WAL mode), and [`inspect`] checks a copy before
//! `gatehouse restore` puts it in place. PostgreSQL deployments use base backups and WAL
//! archiving instead (docs/operations.md): a copy there is the server's business.

use crate::db::{Db, Executor};
use crate::error::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::ConnectOptions;
use std::path::Path;
use std::str::FromStr;

/// Why a backup or a backup file was refused.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for BackupError {
    fn from(e: sqlx::Error) -> Self {
        BackupError::Store(e.into())
    }
}

/// Write a consistent copy of `db` (SQLite) to `to`, which must not exist yet.
pub async fn sqlite_backup(db: &Db, to: &Path) -> Result<(), BackupError> {
    let target = to
        .to_str()
        .ok_or_else(|| BackupError::Refused("the backup path is not valid UTF-8".into()))?
        .to_owned();
    per_backend!(db,
        pg => Err(BackupError::Refused(
            "PostgreSQL is backed up with base backups and WAL archiving (docs/operations.md, \"Backups\")".into(),
        )),
        sqlite => {
            let mut conn = db.writer().await?;
            execute!(conn.exec(), "VACUUM INTO $1", target)?;
            Ok(())
        },
    )
}

/// What a backup file holds, read without changing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupFile {
    /// Migration versions applied in it, ascending.
    pub versions: Vec<i64>,
    pub users: i64,
}

/// Open `file` read-only and check that it is a whole gatehouse SQLite database:
/// `PRAGMA integrity_check` answers `ok` and it has gatehouse's migration table.
pub async fn inspect(file: &Path) -> Result<BackupFile, BackupError> {
    let url = format!("sqlite://{}", file.display());
    let options = SqliteConnectOptions::from_str(&url)?
        .read_only(true)
        .create_if_missing(false)
        .disable_statement_logging();
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    let result = async {
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await?;
        if check != "ok" {
            return Err(BackupError::Refused(format!(
                "{} fails SQLite's integrity check: {check}",
                file.display()
            )));
        }
        let versions: Vec<i64> = sqlx::query_scalar(
            "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
        )
        .fetch_all(&pool)
        .await
        .map_err(|_| {
            BackupError::Refused(format!("{} is not a gatehouse database", file.display()))
        })?;
        let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&pool)
            .await?;
        Ok(BackupFile { versions, users })
    }
    .await;
    pool.close().await;
    result
}
