//! `notification_log`: one row per state change of a message (queued, sent, retry,
//! delivered, opened, clicked, bounced, failed, undelivered, skipped), so support can
//! answer "did my code go out, and when" and a security review can see what was told.
//! The recipient is written on the first row only; later rows point at the message.

use crate::db::Exec;
use crate::error::StoreResult;
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use uuid::Uuid;

/// One state change.
#[derive(Debug, Clone)]
pub struct LogEntry<'a> {
    pub user_id: UserId,
    pub notification_id: Option<Uuid>,
    pub notification_type: &'a str,
    pub channel: &'a str,
    pub status: &'a str,
    pub recipient: Option<&'a str>,
    /// Details (error, retry count, provider id, why skipped): never a message body.
    pub metadata: serde_json::Value,
    pub at: DateTime<Utc>,
}

pub async fn insert(ex: Exec<'_>, e: &LogEntry<'_>) -> StoreResult<()> {
    let delivered = matches!(e.status, "delivered" | "opened" | "clicked");
    let metadata = sqlx::types::Json(&e.metadata);
    execute!(
        ex,
        "INSERT INTO notification_log (id, user_id, notification_id, notification_type,
             channel, status, recipient, delivered, metadata, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        Uuid::now_v7(),
        e.user_id.as_uuid(),
        e.notification_id,
        e.notification_type,
        e.channel,
        e.status,
        e.recipient,
        delivered,
        metadata,
        e.at
    )?;
    Ok(())
}
