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

/// Emails whose delivery is over (sent, delivered, opened, clicked, bounced, failed) and
/// that were queued at or before `created_before` (now minus the notification retention).
pub async fn finished_emails(
    ex: Exec<'_>,
    created_before: DateTime<Utc>,
    batch: i64,
) -> StoreResult<u64> {
    Ok(execute!(
        ex,
        "DELETE FROM email_notifications WHERE id IN (
             SELECT id FROM email_notifications
             WHERE status <> 'pending' AND created_at <= $1 LIMIT $2)",
        created_before,
        batch
    )?)
}

/// SMS whose delivery is over, queued at or before `created_before`.
pub async fn finished_sms(
    ex: Exec<'_>,
    created_before: DateTime<Utc>,
    batch: i64,
) -> StoreResult<u64> {
    Ok(execute!(
        ex,
        "DELETE FROM sms_notifications WHERE id IN (
             SELECT id FROM sms_notifications
             WHERE status <> 'pending' AND created_at <= $1 LIMIT $2)",
        created_before,
        batch
    )?)
}

/// Message history lines written at or before `created_before`.
pub async fn notification_log(
    ex: Exec<'_>,
    created_before: DateTime<Utc>,
    batch: i64,
) -> StoreResult<u64> {
    Ok(execute!(
        ex,
        "DELETE FROM notification_log WHERE id IN (
             SELECT id FROM notification_log WHERE created_at <= $1 LIMIT $2)",
        created_before,
        batch
    )?)
}

/// In-app messages created at or before `created_before`, read or not.
pub async fn in_app_notifications(
    ex: Exec<'_>,
    created_before: DateTime<Utc>,
    batch: i64,
) -> StoreResult<u64> {
    Ok(execute!(
        ex,
        "DELETE FROM in_app_notifications WHERE id IN (
             SELECT id FROM in_app_notifications WHERE created_at <= $1 LIMIT $2)",
        created_before,
        batch
    )?)
}

/// Single-use alert links that expired at or before `now`: used or not, they can no longer
/// do anything (presenting one answers `invalid_link` either way).
pub async fn expired_action_tokens(
    ex: Exec<'_>,
    now: DateTime<Utc>,
    batch: i64,
) -> StoreResult<u64> {
    Ok(execute!(
        ex,
        "DELETE FROM security_action_tokens WHERE id IN (
             SELECT id FROM security_action_tokens WHERE expires_at <= $1 LIMIT $2)",
        now,
        batch
    )?)
}

/// Login challenges that expired at or before `now`: answered or not, they can no longer
/// sign anyone in (the MFA audit log keeps what happened to them).
pub async fn expired_mfa_challenges(
    ex: Exec<'_>,
    now: DateTime<Utc>,
    batch: i64,
) -> StoreResult<u64> {
    Ok(execute!(
        ex,
        "DELETE FROM mfa_challenges WHERE id IN (
             SELECT id FROM mfa_challenges WHERE expires_at <= $1 LIMIT $2)",
        now,
        batch
    )?)
}

/// One-time codes that expired at or before `now`: used or not, none can be accepted.
pub async fn expired_otp_codes(ex: Exec<'_>, now: DateTime<Utc>, batch: i64) -> StoreResult<u64> {
    Ok(execute!(
        ex,
        "DELETE FROM otp_codes WHERE id IN (
             SELECT id FROM otp_codes WHERE expires_at <= $1 LIMIT $2)",
        now,
        batch
    )?)
}
