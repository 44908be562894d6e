//! Digests: alerts a person asked to receive hourly or daily wait in
//! `notification_digest_items` until their window ends; then each person's due items become
//! one `security_digest` message, queued like any other (their settings for that type pick
//! its channels), and the items go, in the same transaction.

use super::enqueue::{enqueue, Notice};
use super::person;
use super::templates::{DigestItem, MessageContext};
use super::Notifier;
use chrono::{DateTime, Utc};
use gatehouse_domain::notify::NotificationType;
use gatehouse_store::notify::digest::{self, DigestItemRow};
use gatehouse_store::{Db, Executor, StoreResult};

/// Gather every due item (up to `limit`) into digests; returns how many digests were queued.
pub async fn queue_due_digests(
    db: &Db,
    notifier: &Notifier,
    now: DateTime<Utc>,
    limit: i64,
) -> StoreResult<u64> {
    let due = {
        let mut conn = db.reader().await?;
        digest::due(conn.exec(), now, limit).await?
    };
    let mut queued = 0;
    for batch in batches(due) {
        let mut tx = db.begin().await?;
        let user_id = batch[0].user_id;
        let mut taken = 0;
        for item in &batch {
            taken += digest::delete(tx.exec(), item.id).await?;
        }
        if taken < batch.len() as u64 {
            // Another worker is sending this digest.
            continue;
        }
        let Some(person) = person::load_person(tx.exec(), user_id).await? else {
            tx.commit().await?;
            continue;
        };
        let items = batch
            .iter()
            .filter_map(|item| {
                Some(DigestItem {
                    kind: item.notification_type.parse().ok()?,
                    occurred_at: item
                        .occurred_at
                        .with_timezone(&person.timezone)
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                    summary: item.summary.clone(),
                })
            })
            .collect::<Vec<_>>();
        if !items.is_empty() {
            let notice = Notice {
                user_id,
                kind: NotificationType::SecurityDigest,
                context: MessageContext {
                    items,
                    ..MessageContext::default()
                },
                only_channel: None,
                to_email: None,
                to_phone: None,
            };
            enqueue(&mut tx, notifier, now, notice).await?;
            queued += 1;
        }
        tx.commit().await?;
    }
    Ok(queued)
}

/// Consecutive items of one person and window (the store returns them ordered by window).
fn batches(rows: Vec<DigestItemRow>) -> Vec<Vec<DigestItemRow>> {
    let mut groups: Vec<Vec<DigestItemRow>> = Vec::new();
    for row in rows {
        match groups
            .iter_mut()
            .find(|g| g[0].user_id == row.user_id && g[0].window_end == row.window_end)
        {
            Some(group) => group.push(row),
            None => groups.push(vec![row]),
        }
    }
    groups
}
