//! `backup_codes`: a user's current set, stored as keyed hashes. A new set replaces the old
//! one (old codes stop working); a code is consumed by one atomic `UPDATE .. WHERE used_at
//! IS NULL`, so it works once even under concurrent use.

use crate::db::Exec;
use crate::error::StoreResult;
use crate::types::Inet;
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use uuid::Uuid;

/// Delete the user's codes (used or not) and insert `hashes` as the new set.
pub async fn replace_set(
    mut ex: Exec<'_>,
    user_id: UserId,
    hashes: &[String],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    delete_all(ex.reborrow(), user_id).await?;
    for hash in hashes {
        execute!(
            ex.reborrow(),
            "INSERT INTO backup_codes (id, user_id, code_hash, created_at) VALUES ($1, $2, $3, $4)",
            Uuid::now_v7(),
            user_id.as_uuid(),
            hash.as_str(),
            now
        )?;
    }
    Ok(())
}

/// Delete every code of the user (MFA turned off).
pub async fn delete_all(ex: Exec<'_>, user_id: UserId) -> StoreResult<u64> {
    Ok(execute!(
        ex,
        "DELETE FROM backup_codes WHERE user_id = $1",
        user_id.as_uuid()
    )?)
}

/// Unused codes left.
pub async fn count_unused(ex: Exec<'_>, user_id: UserId) -> StoreResult<i64> {
    #[derive(sqlx::FromRow)]
    struct Row {
        n: i64,
    }
    let row = fetch_one!(
        ex,
        Row,
        "SELECT COUNT(*) AS n FROM backup_codes WHERE user_id = $1 AND used_at IS NULL",
        user_id.as_uuid()
    )?;
    Ok(row.n)
}

/// Mark the unused code with this hash as used. Returns false when there is none (wrong,
/// already used, or replaced): of two concurrent uses exactly one gets true.
pub async fn consume(
    ex: Exec<'_>,
    user_id: UserId,
    code_hash: &str,
    ip: Option<Inet>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let n = execute!(
        ex,
        "UPDATE backup_codes SET used_at = $3, used_by_ip = $4
         WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        user_id.as_uuid(),
        code_hash,
        now,
        ip
    )?;
    Ok(n >= 1)
}
