//! The in-app feed (`in_app_notifications`): the person's messages, newest first, a page at
//! a time; each marked read by its owner only.

use crate::accounts::Page;
use crate::notify::NotifyError;
use crate::state::Core;
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use gatehouse_store::notify::in_app::{self, InAppRow};
use gatehouse_store::Executor;
use uuid::Uuid;

/// One message of the feed. Type and priority are shown as gatehouse wrote them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InAppNotification {
    pub id: Uuid,
    pub notification_type: String,
    pub priority: String,
    pub title: String,
    pub body: String,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A page of the person's messages, newest first, older than `page.before`.
pub async fn list_notifications(
    core: &Core,
    user_id: UserId,
    page: Page,
) -> Result<Vec<InAppNotification>, NotifyError> {
    let mut conn = core.db.reader().await?;
    let rows = in_app::list_for_user(conn.exec(), user_id, page.before, page.limit).await?;
    Ok(rows.into_iter().map(InAppNotification::from).collect())
}

/// Mark one of the person's messages read (the first time counts; again changes nothing).
/// Another person's message, or none, is not found.
#[tracing::instrument(skip_all, fields(user_id = %user_id))]
pub async fn mark_read(core: &Core, user_id: UserId, id: Uuid) -> Result<(), NotifyError> {
    let mut tx = core.db.begin().await?;
    if !in_app::mark_read(tx.exec(), user_id, id, core.clock.now()).await? {
        return Err(NotifyError::NotFound("notification"));
    }
    tx.commit().await?;
    Ok(())
}

impl From<InAppRow> for InAppNotification {
    fn from(row: InAppRow) -> Self {
        Self {
            id: row.id,
            notification_type: row.notification_type,
            priority: row.priority,
            title: row.title,
            body: row.body,
            read_at: row.read_at,
            created_at: row.created_at,
        }
    }
}
