//! Deleting rows that can no longer matter, a small batch per statement: each function
//! removes at most `batch` rows and returns how many went, and the caller loops until a
//! call removes fewer than `batch`. Every statement is one short transaction on an indexed
//! pick of ids, so no sweep holds locks that a login or refresh would wait on for long.
//!
//! Only derived state goes: the audit logs (no foreign key to these tables) stay the
//! record of every rotation, reuse and session end.

use crate::db::Exec;
use crate::error::StoreResult;
use chrono::{DateTime, Utc};

/// Refresh tokens of sessions that ended (status not `active`) or ran past their absolute
/// lifetime at or before `ended_before` (now minus the reuse-detection window). Presenting
/// one of them afterwards answers `invalid_refresh_token` instead of being reported as
/// reuse; its session is over either way.
pub async fn refresh_tokens_of_ended_sessions(
    ex: Exec<'_>,
    ended_before: DateTime<Utc>,
    batch: i64,
) -> StoreResult<u64> {
    Ok(execute!(
        ex,
        "DELETE FROM refresh_tokens WHERE id IN (
             SELECT rt.id FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
             WHERE (s.status <> 'active' AND COALESCE(s.revoked_at, s.updated_at) <= $1)
                OR s.expires_at <= $1
             LIMIT $2)",
        ended_before,
        batch
    )?)
}

/// Sessions that ended, or ran past their absolute lifetime, at or before `ended_before`
/// (now minus the retention period). Their refresh tokens go with them (`ON DELETE
/// CASCADE`). A session an MFA challenge still points at (that foreign key does not
/// cascade) is kept until the challenge itself is pruned.
pub async fn ended_sessions(
    ex: Exec<'_>,
    ended_before: DateTime<Utc>,
    batch: i64,
) -> StoreResult<u64> {
    Ok(execute!(
        ex,
        "DELETE FROM sessions WHERE id IN (
             SELECT s.id FROM sessions s
             WHERE ((s.status <> 'active' AND COALESCE(s.revoked_at, s.updated_at) <= $1)
                    OR s.expires_at <= $1)
               AND NOT EXISTS (SELECT 1 FROM mfa_challenges m WHERE m.session_id = s.id)
             LIMIT $2)",
        ended_before,
        batch
    )?)
}

/// Failed-attempt counters whose window started at or before `window_started_before`
/// (now minus the longest counting window) and that hold no lock past `now`: the next
/// attempt would start such a counter again at 1, exactly as a missing row does.
pub async fn stale_throttle_counters(
    ex: Exec<'_>,
    window_started_before: DateTime<Utc>,
    now: DateTime<Utc>,
    batch: i64,
) -> StoreResult<u64> {
    Ok(execute!(
        ex,
        "DELETE FROM auth_throttle WHERE key IN (
             SELECT key FROM auth_throttle
             WHERE updated_at <= $1 AND window_started_at <= $1
               AND (locked_until IS NULL OR locked_until <= $2)
             LIMIT $3)",
        window_started_before,
        now,
        batch
    )?)
}
