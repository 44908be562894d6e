//! `mfa_recoveries`: one row per account recovery — a backup-code recovery (successful
//! at once) or an email recovery, in progress (`is_successful` NULL) until it is completed
//! (true) or cancelled (false). A partial unique index allows one email recovery in
//! progress per account; ending one is a compare-and-set on `is_successful IS NULL`, so a
//! cancel and a completion race to exactly one winner.

use crate::db::Exec;
use crate::error::StoreResult;
use crate::types::Inet;
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use uuid::Uuid;

/// An email recovery in progress.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingRecovery {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    /// When it may be completed (NULL only for rows written before migration 0015).
    pub ready_at: Option<DateTime<Utc>>,
}

/// Record a recovery that succeeded at once (a backup code): the account now needs a
/// factor enrolled again.
pub async fn insert_successful(
    ex: Exec<'_>,
    id: Uuid,
    user_id: UserId,
    method: &str,
    ip: Option<Inet>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO mfa_recoveries (id, user_id, recovery_method, used_at, used_by_ip,
             is_successful, created_at)
         VALUES ($1, $2, $3, $4, $5, true, $4)",
        id,
        user_id.as_uuid(),
        method,
        now,
        ip
    )?;
    Ok(())
}

/// Start an email recovery that may be completed from `ready_at`. False when one is
/// already in progress for the account (it is left as it was).
pub async fn insert_pending(
    ex: Exec<'_>,
    id: Uuid,
    user_id: UserId,
    method: &str,
    ready_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let n = execute!(
        ex,
        "INSERT INTO mfa_recoveries (id, user_id, recovery_method, is_successful, ready_at,
             created_at)
         VALUES ($1, $2, $3, NULL, $4, $5)
         ON CONFLICT DO NOTHING",
        id,
        user_id.as_uuid(),
        method,
        ready_at,
        now
    )?;
    Ok(n == 1)
}

/// The account's recovery in progress, if any.
pub async fn find_pending(ex: Exec<'_>, user_id: UserId) -> StoreResult<Option<PendingRecovery>> {
    Ok(fetch_optional!(
        ex,
        PendingRecovery,
        "SELECT id, created_at, ready_at FROM mfa_recoveries
         WHERE user_id = $1 AND is_successful IS NULL",
        user_id.as_uuid()
    )?)
}

/// End the recovery in progress `id`: completed (`successful`) or cancelled. False when
/// it was no longer in progress (another request ended it first).
pub async fn finish(
    ex: Exec<'_>,
    id: Uuid,
    successful: bool,
    ip: Option<Inet>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let n = execute!(
        ex,
        "UPDATE mfa_recoveries SET is_successful = $2, used_at = $3, used_by_ip = $4
         WHERE id = $1 AND is_successful IS NULL",
        id,
        successful,
        now,
        ip
    )?;
    Ok(n == 1)
}

/// A factor was enrolled: the account's successful recoveries are followed up. Returns
/// how many were waiting for it.
pub async fn mark_reenrolled(
    ex: Exec<'_>,
    user_id: UserId,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(execute!(
        ex,
        "UPDATE mfa_recoveries SET reenrolled_at = $2
         WHERE user_id = $1 AND is_successful = true AND reenrolled_at IS NULL",
        user_id.as_uuid(),
        now
    )?)
}

/// Whether a successful recovery still waits for a factor to be enrolled again.
pub async fn reenrolment_required(ex: Exec<'_>, user_id: UserId) -> StoreResult<bool> {
    #[derive(sqlx::FromRow)]
    struct Row {
        n: i64,
    }
    let row = fetch_one!(
        ex,
        Row,
        "SELECT COUNT(*) AS n FROM mfa_recoveries
         WHERE user_id = $1 AND is_successful = true AND reenrolled_at IS NULL",
        user_id.as_uuid()
    )?;
    Ok(row.n > 0)
}
