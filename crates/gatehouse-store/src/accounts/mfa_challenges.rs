//! `mfa_challenges`: the second step of a login. A challenge is created when the password
//! was right and the account has a second factor; `challenge_id` (random, unguessable) is
//! what the client answers with. `metadata` binds it to the login that asked: the client
//! address and the keyed hash of the device, never the raw fingerprint.
//!
//! Answers are serialised per challenge: [`lock`] takes the row for the rest of the
//! transaction (`FOR UPDATE` on PostgreSQL; SQLite's single writer serialises already), so
//! two answers with one code see each other and exactly one wins.

use crate::db::Exec;
use crate::error::StoreResult;
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use uuid::Uuid;

/// What the challenge is bound to (stored as `metadata`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeBinding {
    /// The client address of the login (`None` when unknown).
    pub ip: Option<String>,
    /// Keyed hash of the login's device fingerprint (or user agent).
    pub device_hash: String,
    /// The login asked to be remembered (the session starts with that lifetime).
    pub remember_me: bool,
    /// The methods offered, as `MfaMethod` names.
    pub methods: Vec<String>,
    /// The login's risk score and anomaly reasons, for the session the answer starts
    /// (absent in challenges made before the risk engine).
    #[serde(default)]
    pub risk_score: u8,
    #[serde(default)]
    pub risk_reasons: Vec<String>,
}

pub struct NewChallenge<'a> {
    pub challenge_id: Uuid,
    pub user_id: UserId,
    pub expires_at: DateTime<Utc>,
    pub max_attempts: i32,
    pub risk_level: &'a str,
    pub binding: &'a ChallengeBinding,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(ex: Exec<'_>, c: &NewChallenge<'_>) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO mfa_challenges (id, user_id, challenge_id, challenge_type, expires_at,
             failed_attempts, max_attempts, risk_level, metadata, created_at)
         VALUES ($1, $2, $3, 'login', $4, 0, $5, $6, $7, $8)",
        Uuid::now_v7(),
        c.user_id.as_uuid(),
        c.challenge_id,
        c.expires_at,
        c.max_attempts,
        c.risk_level,
        Json(c.binding),
        c.created_at
    )?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChallengeRow {
    pub id: Uuid,
    #[sqlx(try_from = "Uuid")]
    pub user_id: UserId,
    pub expires_at: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
    pub failed_attempts: i32,
    pub max_attempts: i32,
    pub risk_level: String,
    pub metadata: Option<Json<ChallengeBinding>>,
}

/// The challenge, locked for this transaction's answer.
pub async fn lock(ex: Exec<'_>, challenge_id: Uuid) -> StoreResult<Option<ChallengeRow>> {
    Ok(fetch_optional!(
        ex,
        ChallengeRow,
        per_backend! {
            pg: "SELECT id, user_id, expires_at, verified_at, failed_attempts, max_attempts,
                        risk_level, metadata
                 FROM mfa_challenges WHERE challenge_id = $1 FOR UPDATE",
            sqlite: "SELECT id, user_id, expires_at, verified_at, failed_attempts, max_attempts,
                            risk_level, metadata
                     FROM mfa_challenges WHERE challenge_id = $1",
        },
        challenge_id
    )?)
}

/// Count a wrong answer; returns the failures so far.
pub async fn record_failure(ex: Exec<'_>, id: Uuid) -> StoreResult<i32> {
    Ok(fetch_one!(
        ex,
        (i32,),
        "UPDATE mfa_challenges SET failed_attempts = failed_attempts + 1 WHERE id = $1
         RETURNING failed_attempts",
        id
    )?
    .0)
}

/// Mark the challenge answered (once: returns false if it already was).
pub async fn mark_verified(ex: Exec<'_>, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
    Ok(execute!(
        ex,
        "UPDATE mfa_challenges SET verified_at = $2 WHERE id = $1 AND verified_at IS NULL",
        id,
        now
    )? == 1)
}

/// Serialise answers per account for the rest of the transaction, so the hourly count and
/// the answer it admits cannot interleave with another challenge's (PostgreSQL: a
/// transaction-scoped advisory lock on the user; SQLite's single writer already does).
pub async fn lock_answers(ex: Exec<'_>, user_id: UserId) -> StoreResult<()> {
    fetch_optional!(
        ex,
        (i32,),
        per_backend! {
            pg: "SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtextextended($1::text, 9))) l",
            sqlite: "SELECT 1 WHERE $1 IS NOT NULL",
        },
        user_id.as_uuid().to_string()
    )?;
    Ok(())
}

/// Answers (right or wrong) given with `method` by `user_id` since `since`, over all their
/// challenges: the per-method hourly allowance counts these (from the MFA audit log, so it
/// holds across processes).
pub async fn answers_since(
    ex: Exec<'_>,
    user_id: UserId,
    method: &str,
    since: DateTime<Utc>,
) -> StoreResult<i64> {
    Ok(fetch_one!(
        ex,
        (i64,),
        "SELECT COUNT(*) FROM mfa_audit_log
         WHERE user_id = $1 AND mfa_method = $2 AND created_at >= $3
               AND action IN ('code_verified', 'code_failed', 'code_replayed', 'backup_code_used')",
        user_id.as_uuid(),
        method,
        since
    )?
    .0)
}

/// When the account's last challenge locked while answering with `method`, if that was
/// at or after `since`: the method stays locked for the person's lockout period after it
/// (read from the MFA audit log's `locked_out` rows, so it holds across processes).
pub async fn last_lockout_since(
    ex: Exec<'_>,
    user_id: UserId,
    method: &str,
    since: DateTime<Utc>,
) -> StoreResult<Option<DateTime<Utc>>> {
    Ok(fetch_optional!(
        ex,
        (DateTime<Utc>,),
        "SELECT created_at FROM mfa_audit_log
         WHERE user_id = $1 AND mfa_method = $2 AND action = 'locked_out' AND created_at >= $3
         ORDER BY created_at DESC LIMIT 1",
        user_id.as_uuid(),
        method,
        since
    )?
    .map(|(at,)| at))
}
