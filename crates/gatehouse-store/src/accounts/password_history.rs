//! `password_history`: the hashes of a user's recent passwords, so a change can refuse
//! the last N (DESIGN §5).

use crate::db::Exec;
use crate::error::StoreResult;
use chrono::{DateTime, Utc};
use gatehouse_domain::accounts::PasswordChangeReason;
use gatehouse_domain::ids::UserId;
use uuid::Uuid;

pub async fn insert(
    ex: Exec<'_>,
    id: Uuid,
    user_id: UserId,
    password_hash: &str,
    reason: PasswordChangeReason,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO password_history (id, user_id, password_hash, changed_at, changed_by, reason)
         VALUES ($1, $2, $3, $4, 'user', $5)",
        id,
        user_id.as_uuid(),
        password_hash,
        now,
        reason.as_str()
    )?;
    Ok(())
}

/// The `limit` most recent hashes, newest first.
pub async fn recent(ex: Exec<'_>, user_id: UserId, limit: i64) -> StoreResult<Vec<String>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        password_hash: String,
    }
    let rows = fetch_all!(
        ex,
        Row,
        "SELECT password_hash FROM password_history WHERE user_id = $1
         ORDER BY changed_at DESC, id DESC LIMIT $2",
        user_id.as_uuid(),
        limit
    )?;
    Ok(rows.into_iter().map(|r| r.password_hash).collect())
}

/// Keep only the `keep` most recent entries.
pub async fn prune(ex: Exec<'_>, user_id: UserId, keep: i64) -> StoreResult<u64> {
    Ok(execute!(
        ex,
        "DELETE FROM password_history WHERE user_id = $1 AND id NOT IN (
            SELECT id FROM password_history WHERE user_id = $1
            ORDER BY changed_at DESC, id DESC LIMIT $2)",
        user_id.as_uuid(),
        keep
    )?)
}
