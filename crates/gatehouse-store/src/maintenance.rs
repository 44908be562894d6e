//! Periodic database upkeep. On PostgreSQL: create the coming months' audit partitions
//! (the function lives in migration 0004). SQLite has nothing to do.

use crate::db::{Db, Executor};
use crate::error::StoreResult;

/// Make sure audit partitions exist for this month and the next `months_ahead`.
/// Returns how many partitions were created.
pub async fn ensure_audit_partitions(db: &Db, months_ahead: i32) -> StoreResult<i32> {
    #[derive(sqlx::FromRow)]
    struct Created {
        created: i32,
    }
    per_backend!(db,
        pg => {
            let mut conn = db.writer().await?;
            let today = chrono::Utc::now().date_naive();
            let row = fetch_one!(
                conn.exec(),
                Created,
                "SELECT gatehouse_ensure_audit_partitions($1, $2) AS created",
                today,
                months_ahead + 1
            )?;
            Ok(row.created)
        },
        sqlite => Ok(0),
    )
}

/// Whether the connected role may run the schema's upkeep (create and drop audit
/// partitions): it owns the audit tables or is a member of their owner. A least-privilege
/// `serve` role does not, and leaves that upkeep to `gatehouse audit maintain` run as the
/// owner. Always true on SQLite.
pub async fn owns_schema(db: &Db) -> StoreResult<bool> {
    #[derive(sqlx::FromRow)]
    struct Owner {
        owns: bool,
    }
    per_backend!(db,
        pg => {
            let mut conn = db.reader().await?;
            let row = fetch_optional!(
                conn.exec(),
                Owner,
                "SELECT pg_has_role(current_user, c.relowner, 'USAGE') AS owns
                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.relname = 'session_audit_log' AND n.nspname = current_schema()"
            )?;
            Ok(row.is_some_and(|r| r.owns))
        },
        sqlite => Ok(true),
    )
}
