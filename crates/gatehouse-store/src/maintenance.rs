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
