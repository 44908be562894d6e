//! `otp_codes`: one-time codes sent by email or SMS, stored only as keyed hashes (core
//! hashes them, bound to purpose and challenge). A code is live while unused, valid and
//! unexpired; sending a new one invalidates the older live ones of the same purpose (and
//! challenge), and a code is consumed by one conditional `UPDATE`, so of two concurrent
//! uses exactly one wins.

use crate::db::Exec;
use crate::error::StoreResult;
use crate::types::Inet;
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use uuid::Uuid;

/// A code to store.
pub struct NewOtpCode<'a> {
    pub id: Uuid,
    pub user_id: UserId,
    pub code_hash: &'a str,
    pub purpose: &'a str,
    /// The login challenge it answers (`mfa_login` codes only).
    pub challenge_id: Option<Uuid>,
    pub destination: &'a str,
    pub max_attempts: i32,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(ex: Exec<'_>, code: &NewOtpCode<'_>) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO otp_codes (id, user_id, code_hash, purpose, challenge_id, destination,
             expires_at, attempt_count, max_attempts, is_valid, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, true, $9)",
        code.id,
        code.user_id.as_uuid(),
        code.code_hash,
        code.purpose,
        code.challenge_id,
        code.destination,
        code.expires_at,
        code.max_attempts,
        code.created_at
    )?;
    Ok(())
}

/// A live code as the check needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveCode {
    pub id: Uuid,
    pub code_hash: String,
    pub destination: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// The newest live code of `user_id` for `purpose` (and, for a login code, of that
/// challenge only: `challenge_id IS $3` matches NULL for enrolment codes).
pub async fn newest_live(
    ex: Exec<'_>,
    user_id: UserId,
    purpose: &str,
    challenge_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> StoreResult<Option<LiveCode>> {
    Ok(fetch_optional!(
        ex,
        LiveCode,
        per_backend! {
            pg: "SELECT id, code_hash, destination, expires_at FROM otp_codes
                 WHERE user_id = $1 AND purpose = $2 AND challenge_id IS NOT DISTINCT FROM $3
                   AND used_at IS NULL AND is_valid AND expires_at > $4
                 ORDER BY created_at DESC, id DESC LIMIT 1",
            sqlite: "SELECT id, code_hash, destination, expires_at FROM otp_codes
                     WHERE user_id = $1 AND purpose = $2 AND challenge_id IS $3
                       AND used_at IS NULL AND is_valid AND expires_at > $4
                     ORDER BY created_at DESC, id DESC LIMIT 1",
        },
        user_id.as_uuid(),
        purpose,
        challenge_id,
        now
    )?)
}

/// Count a wrong answer against the code; at `max_attempts` it stops being valid.
pub async fn record_attempt(ex: Exec<'_>, id: Uuid) -> StoreResult<()> {
    execute!(
        ex,
        "UPDATE otp_codes SET attempt_count = attempt_count + 1,
             is_valid = (attempt_count + 1 < max_attempts)
         WHERE id = $1",
        id
    )?;
    Ok(())
}

/// Use the code once: true for exactly one of two concurrent consumers (the second finds
/// `used_at` set and updates nothing).
pub async fn consume(
    ex: Exec<'_>,
    id: Uuid,
    ip: Option<Inet>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let n = execute!(
        ex,
        "UPDATE otp_codes SET used_at = $2, used_by_ip = $3
         WHERE id = $1 AND used_at IS NULL AND is_valid AND expires_at > $2",
        id,
        now,
        ip
    )?;
    Ok(n == 1)
}

/// Invalidate the live codes of `user_id` for `purpose` (a new one was sent, or the
/// factor was removed). For `mfa_login`, `challenge_id` narrows it to one challenge.
pub async fn invalidate_live(
    ex: Exec<'_>,
    user_id: UserId,
    purpose: &str,
    challenge_id: Option<Uuid>,
) -> StoreResult<u64> {
    Ok(execute!(
        ex,
        "UPDATE otp_codes SET is_valid = false
         WHERE user_id = $1 AND purpose = $2 AND ($3 IS NULL OR challenge_id = $3)
           AND used_at IS NULL AND is_valid",
        user_id.as_uuid(),
        purpose,
        challenge_id
    )?)
}

/// Serialise code sends per account for the rest of the transaction, so the hourly count
/// and the send it admits cannot interleave with a concurrent send (PostgreSQL: a
/// transaction-scoped advisory lock on the user; SQLite's single writer already does).
pub async fn lock_sends(ex: Exec<'_>, user_id: UserId) -> StoreResult<()> {
    fetch_optional!(
        ex,
        (i32,),
        per_backend! {
            pg: "SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtextextended($1::text, 13))) l",
            sqlite: "SELECT 1 WHERE $1 IS NOT NULL",
        },
        user_id.as_uuid().to_string()
    )?;
    Ok(())
}

/// Codes sent to `user_id` for `purpose` since `since`, counted from the MFA audit log's
/// `code_sent` rows (`otp_codes` rows are pruned once expired, the audit log stays): the
/// hourly allowance holds across processes. Enrolment sends carry no challenge, login
/// sends do; `method` tells email from SMS enrolment.
pub async fn sends_since(
    ex: Exec<'_>,
    user_id: UserId,
    method: Option<&str>,
    login: bool,
    since: DateTime<Utc>,
) -> StoreResult<i64> {
    Ok(fetch_one!(
        ex,
        (i64,),
        "SELECT COUNT(*) FROM mfa_audit_log
         WHERE user_id = $1 AND action = 'code_sent' AND created_at >= $2
           AND ($3 IS NULL OR mfa_method = $3)
           AND ((challenge_id IS NOT NULL) = $4)",
        user_id.as_uuid(),
        since,
        method,
        login
    )?
    .0)
}
