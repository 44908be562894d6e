//! `in_app_notifications`: messages shown inside the product (`GET /v1/me/notifications`),
//! newest first by their time-ordered id, marked read by their owner.

use crate::db::Exec;
use crate::error::StoreResult;
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InAppRow {
    pub id: Uuid,
    pub notification_type: String,
    pub priority: String,
    pub title: String,
    pub body: String,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewInApp<'a> {
    pub id: Uuid,
    pub user_id: UserId,
    pub notification_type: &'a str,
    pub priority: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(ex: Exec<'_>, n: &NewInApp<'_>) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO in_app_notifications (id, user_id, notification_type, priority, title,
             body, read_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, NULL, $7)",
        n.id,
        n.user_id.as_uuid(),
        n.notification_type,
        n.priority,
        n.title,
        n.body,
        n.created_at
    )?;
    Ok(())
}

/// A page of the user's in-app messages, newest first, strictly before the cursor id.
pub async fn list_for_user(
    ex: Exec<'_>,
    user_id: UserId,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<InAppRow>> {
    Ok(fetch_all!(
        ex,
        InAppRow,
        "SELECT id, notification_type, priority, title, body, read_at, created_at
         FROM in_app_notifications
         WHERE user_id = $1 AND ($2 IS NULL OR id < $2)
         ORDER BY id DESC LIMIT $3",
        user_id.as_uuid(),
        before,
        limit
    )?)
}

/// Mark one of the user's messages read (the first time only). Returns whether the
/// message exists for this user.
pub async fn mark_read(
    ex: Exec<'_>,
    user_id: UserId,
    id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    Ok(execute!(
        ex,
        "UPDATE in_app_notifications SET read_at = COALESCE(read_at, $3)
         WHERE id = $1 AND user_id = $2",
        id,
        user_id.as_uuid(),
        now
    )? == 1)
}
