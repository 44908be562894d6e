//! The blocklist (`notification_blocklist`): addresses, numbers and notification types the
//! person wants nothing to or of. Values are stored in the domain's canonical form (a
//! lower-cased email, an E.164 number, a type's wire name), so "Ann@Example.com" and
//! "ann@example.com" are one entry; codes and links cannot be blocked. Unblocking keeps
//! the row, inactive, for the record.

use super::input::{choice, collect, optional_text};
use crate::notify::NotifyError;
use crate::state::Core;
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use gatehouse_domain::notify::{parse_blocked_value, BlockType};
use gatehouse_domain::FieldError;
use gatehouse_store::notify::preferences::{self as store, BlockRow};
use gatehouse_store::Executor;
use uuid::Uuid;

/// `notification_blocklist.blocked_value` and `.reason` are `varchar(255)`.
const VALUE_MAX_CHARS: usize = 255;
const REASON_MAX_CHARS: usize = 255;

/// The wire name of the blocked value. The domain names it `blocked_value` (the column);
/// the API calls it `value`, beside `block_type`.
const VALUE_FIELD: &str = "value";

/// One active entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub id: Uuid,
    pub block_type: BlockType,
    /// Canonical form.
    pub value: String,
    pub reason: Option<String>,
    pub blocked_at: DateTime<Utc>,
}

/// An entry to add, as sent.
#[derive(Debug, Clone)]
pub struct NewBlock {
    /// `email`, `phone` or `notification_type`.
    pub block_type: String,
    pub value: String,
    pub reason: Option<String>,
}

/// The person's active entries, oldest first.
pub async fn blocklist(core: &Core, user_id: UserId) -> Result<Vec<Block>, NotifyError> {
    let mut conn = core.db.reader().await?;
    let rows = store::blocklist(conn.exec(), user_id).await?;
    Ok(rows.into_iter().filter_map(block_from_row).collect())
}

/// Block a value. Blocking one that is already blocked (or was, and was lifted) answers
/// that same entry, active, with the new reason.
#[tracing::instrument(skip_all, fields(user_id = %user_id))]
pub async fn block(core: &Core, user_id: UserId, new: NewBlock) -> Result<Block, NotifyError> {
    let mut errors = Vec::new();
    let block_type = collect(
        choice(&new.block_type, "block_type", BlockType::ALL),
        &mut errors,
    );
    let value = block_type.and_then(|block_type| {
        let value = parse_blocked_value(block_type, &new.value)
            .map_err(|e| FieldError {
                field: VALUE_FIELD,
                ..e
            })
            .and_then(within_column);
        collect(value, &mut errors)
    });
    let reason = collect(
        optional_text(new.reason, REASON_MAX_CHARS, "reason"),
        &mut errors,
    );
    // Each `None` pushed its refusal.
    let (Some(block_type), Some(value), Some(reason)) = (block_type, value, reason) else {
        return Err(NotifyError::Validation(errors));
    };
    let mut tx = core.db.begin().await?;
    let row = store::block(
        tx.exec(),
        user_id,
        block_type.as_str(),
        &value,
        reason.as_deref(),
        core.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(Block {
        id: row.id,
        block_type,
        value: row.blocked_value,
        reason: row.reason,
        blocked_at: row.blocked_at,
    })
}

/// Lift one of the person's active blocks; another person's, or none, is not found.
#[tracing::instrument(skip_all, fields(user_id = %user_id))]
pub async fn unblock(core: &Core, user_id: UserId, id: Uuid) -> Result<(), NotifyError> {
    let mut tx = core.db.begin().await?;
    if !store::unblock(tx.exec(), user_id, id, core.clock.now()).await? {
        return Err(NotifyError::NotFound("blocklist entry"));
    }
    tx.commit().await?;
    Ok(())
}

/// An entry as listed; `None` for a block type this version does not know.
fn block_from_row(row: BlockRow) -> Option<Block> {
    Some(Block {
        id: row.id,
        block_type: row.block_type.parse().ok()?,
        value: row.blocked_value,
        reason: row.reason,
        blocked_at: row.blocked_at,
    })
}

/// The canonical forms are short (an email is at most 254 characters), but the column's
/// limit is checked all the same, here rather than by whichever backend is in use.
fn within_column(value: String) -> Result<String, FieldError> {
    if value.chars().count() > VALUE_MAX_CHARS {
        return Err(FieldError::new(
            VALUE_FIELD,
            "invalid_length",
            format!("Must be at most {VALUE_MAX_CHARS} characters."),
        ));
    }
    Ok(value)
}
