//! `notification_digest_items`: alerts waiting to be sent together in one digest when the
//! person asked for hourly or daily digests. Each item waits for its window's end; the
//! worker then gathers a person's due items into one `security_digest` message and deletes
//! them in the same transaction.

use crate::db::Exec;
use crate::error::StoreResult;
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct NewDigestItem<'a> {
    pub id: Uuid,
    pub user_id: UserId,
    pub notification_type: &'a str,
    pub channel: &'a str,
    /// One line about the alert (its subject): never a code or a link.
    pub summary: &'a str,
    pub occurred_at: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DigestItemRow {
    pub id: Uuid,
    #[sqlx(try_from = "Uuid")]
    pub user_id: UserId,
    pub notification_type: String,
    pub channel: String,
    pub summary: String,
    pub occurred_at: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
}

pub async fn insert(ex: Exec<'_>, d: &NewDigestItem<'_>) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO notification_digest_items (id, user_id, notification_type, channel,
             summary, occurred_at, window_end, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        d.id,
        d.user_id.as_uuid(),
        d.notification_type,
        d.channel,
        d.summary,
        d.occurred_at,
        d.window_end,
        d.created_at
    )?;
    Ok(())
}

/// Items whose window has ended, oldest window first, at most `limit`.
pub async fn due(ex: Exec<'_>, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<DigestItemRow>> {
    Ok(fetch_all!(
        ex,
        DigestItemRow,
        "SELECT id, user_id, notification_type, channel, summary, occurred_at, window_end
         FROM notification_digest_items WHERE window_end <= $1
         ORDER BY window_end, id LIMIT $2",
        now,
        limit
    )?)
}

/// Delete the items a digest was made of; how many went (fewer than asked means another
/// worker took some first).
pub async fn delete(ex: Exec<'_>, id: Uuid) -> StoreResult<u64> {
    Ok(execute!(
        ex,
        "DELETE FROM notification_digest_items WHERE id = $1",
        id
    )?)
}
