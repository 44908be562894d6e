//! Embedded, reversible migrations for both backends (`migrations/postgres`,
//! `migrations/sqlite`, kept in lockstep by `tests/migrations.rs`).

use crate::db::Db;
use crate::error::StoreResult;
use crate::location::Backend;
use sqlx::migrate::Migrator;

static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");
static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");

/// One migration and whether it is applied.
#[derive(Debug, Clone)]
pub struct MigrationStatus {
    pub version: i64,
    pub description: String,
    pub applied: bool,
}

fn migrator(db: &Db) -> &'static Migrator {
    per_backend!(db, pg => &POSTGRES, sqlite => &SQLITE)
}

/// Apply every pending migration.
pub async fn up(db: &Db) -> StoreResult<()> {
    per_backend!(db,
        pg(pool) => POSTGRES.run(pool).await?,
        sqlite(writer) => SQLITE.run(writer).await?,
    );
    Ok(())
}

/// Revert applied migrations down to (and keeping) version `target`; 0 reverts all.
pub async fn down_to(db: &Db, target: i64) -> StoreResult<()> {
    per_backend!(db,
        pg(pool) => POSTGRES.undo(pool, target).await?,
        sqlite(writer) => SQLITE.undo(writer, target).await?,
    );
    Ok(())
}

/// Every known migration with its applied state.
pub async fn status(db: &Db) -> StoreResult<Vec<MigrationStatus>> {
    let applied = applied_versions(db).await?;
    Ok(list(migrator(db), &applied))
}

/// Every migration built in for `backend`, none of them applied: the status of a database
/// that does not exist yet (`migrate status` on a missing SQLite file, which it must not
/// create just to look).
pub fn none_applied(backend: Backend) -> Vec<MigrationStatus> {
    let migrator = match backend {
        Backend::Postgres => &POSTGRES,
        Backend::Sqlite => &SQLITE,
    };
    list(migrator, &[])
}

fn list(migrator: &Migrator, applied: &[i64]) -> Vec<MigrationStatus> {
    migrator
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| MigrationStatus {
            version: m.version,
            description: m.description.to_string(),
            applied: applied.contains(&m.version),
        })
        .collect()
}

/// Versions applied to the database that this binary does not know: a newer gatehouse
/// migrated it, and this one must not run on (or migrate) a schema it was not written for.
pub async fn unknown_applied(db: &Db) -> StoreResult<Vec<i64>> {
    let applied = applied_versions(db).await?;
    let known = migrator(db);
    Ok(applied
        .into_iter()
        .filter(|v| !known.iter().any(|m| m.version == *v))
        .collect())
}

/// The newest migration this binary knows.
pub fn newest_known(backend: Backend) -> i64 {
    none_applied(backend)
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0)
}

/// True when every embedded migration is applied (for `/readyz`).
pub async fn is_current(db: &Db) -> StoreResult<bool> {
    Ok(status(db).await?.iter().all(|m| m.applied))
}

async fn applied_versions(db: &Db) -> StoreResult<Vec<i64>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        version: i64,
    }
    let mut conn = db.reader().await?;
    use crate::db::Executor;
    // The table only exists once a migration ran; treat "no table" as "nothing applied".
    let exists = fetch_optional!(
        conn.exec(),
        Row,
        per_backend! {
            pg: "SELECT 1::bigint AS version FROM information_schema.tables WHERE table_name = '_sqlx_migrations'",
            sqlite: "SELECT 1 AS version FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        }
    )?;
    if exists.is_none() {
        return Ok(Vec::new());
    }
    let rows = fetch_all!(
        conn.exec(),
        Row,
        "SELECT version FROM _sqlx_migrations WHERE success = TRUE ORDER BY version"
    )?;
    Ok(rows.into_iter().map(|r| r.version).collect())
}
