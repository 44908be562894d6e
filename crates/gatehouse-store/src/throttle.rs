//! Shared failed-login counters (`auth_throttle`), one row per key (`acct:<id>`,
//! `ip:<addr>`). Every attempt is counted *before* the password is checked, with one
//! atomic upsert, so concurrent requests — on one process or many sharing the database —
//! can never get more than the limit of guesses through. A success resets the account
//! counter and gives the address one attempt back.

use crate::db::Exec;
use crate::error::StoreResult;
use chrono::{DateTime, Utc};

/// A counter after an attempt was recorded.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ThrottleState {
    pub key: String,
    pub failures: i32,
    pub locked_until: Option<DateTime<Utc>>,
}

/// Count one attempt against `account_key` and `ip_key`. A counter whose window started
/// at or before its cutoff starts again at 1; a locked counter is left as it is.
pub async fn record_attempt(
    ex: Exec<'_>,
    account_key: &str,
    ip_key: &str,
    now: DateTime<Utc>,
    account_window_cutoff: DateTime<Utc>,
    ip_window_cutoff: DateTime<Utc>,
) -> StoreResult<Vec<ThrottleState>> {
    Ok(fetch_all!(
        ex,
        ThrottleState,
        "INSERT INTO auth_throttle (key, failures, window_started_at, locked_until, updated_at)
         VALUES ($1, 1, $3, NULL, $3), ($2, 1, $3, NULL, $3)
         ON CONFLICT (key) DO UPDATE SET
            failures = CASE
                WHEN auth_throttle.locked_until IS NOT NULL AND auth_throttle.locked_until > $3
                    THEN auth_throttle.failures
                WHEN auth_throttle.window_started_at <= (CASE WHEN auth_throttle.key = $1 THEN $4 ELSE $5 END)
                    THEN 1
                ELSE auth_throttle.failures + 1 END,
            window_started_at = CASE
                WHEN auth_throttle.locked_until IS NOT NULL AND auth_throttle.locked_until > $3
                    THEN auth_throttle.window_started_at
                WHEN auth_throttle.window_started_at <= (CASE WHEN auth_throttle.key = $1 THEN $4 ELSE $5 END)
                    THEN $3
                ELSE auth_throttle.window_started_at END,
            updated_at = $3
         RETURNING key, failures, locked_until",
        account_key,
        ip_key,
        now,
        account_window_cutoff,
        ip_window_cutoff
    )?)
}

/// Count one event against a single `key` (for example a user's password changes): a
/// counter whose window started at or before `window_cutoff` starts again at 1. One
/// atomic upsert, so concurrent callers are each counted exactly once.
pub async fn count_event(
    ex: Exec<'_>,
    key: &str,
    now: DateTime<Utc>,
    window_cutoff: DateTime<Utc>,
) -> StoreResult<ThrottleState> {
    Ok(fetch_one!(
        ex,
        ThrottleState,
        "INSERT INTO auth_throttle (key, failures, window_started_at, locked_until, updated_at)
         VALUES ($1, 1, $2, NULL, $2)
         ON CONFLICT (key) DO UPDATE SET
            failures = CASE WHEN auth_throttle.window_started_at <= $3 THEN 1
                            ELSE auth_throttle.failures + 1 END,
            window_started_at = CASE WHEN auth_throttle.window_started_at <= $3 THEN $2
                                     ELSE auth_throttle.window_started_at END,
            updated_at = $2
         RETURNING key, failures, locked_until",
        key,
        now,
        window_cutoff
    )?)
}

/// Lock a counter until `until`, unless it is already locked. True when this call
/// set the lock (so the caller audits the lockout once).
pub async fn lock(
    ex: Exec<'_>,
    key: &str,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let n = execute!(
        ex,
        "UPDATE auth_throttle SET locked_until = $2, failures = 0, window_started_at = $3, updated_at = $3
         WHERE key = $1 AND (locked_until IS NULL OR locked_until <= $3)",
        key,
        until,
        now
    )?;
    Ok(n == 1)
}

/// After a successful login: clear the account counter, give the address one back.
pub async fn record_success(
    ex: Exec<'_>,
    account_key: &str,
    ip_key: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "UPDATE auth_throttle SET
            failures = CASE WHEN key = $1 THEN 0 WHEN failures > 0 THEN failures - 1 ELSE 0 END,
            updated_at = $3
         WHERE key IN ($1, $2)",
        account_key,
        ip_key,
        now
    )?;
    Ok(())
}
