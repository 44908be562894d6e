//! `security_action_tokens`: the single-use links gatehouse mails ("this wasn't me",
//! email verification, password reset). Each is for one `action`, and a verification link
//! for one `email`. Only a keyed hash of the token is stored; using one is a compare-and-set on
//! `used_at`, so two clicks race to exactly one winner.

use crate::db::Exec;
use crate::error::StoreResult;
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::{DeviceId, SessionId, UserId};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct NewActionToken<'a> {
    pub id: Uuid,
    pub user_id: UserId,
    pub token_hash: &'a str,
    pub action: &'a str,
    pub session_id: Option<SessionId>,
    pub device_id: Option<DeviceId>,
    /// The address a verification link proves.
    pub email: Option<&'a str>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// A token that was just used.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UsedActionToken {
    pub id: Uuid,
    #[sqlx(try_from = "Uuid")]
    pub user_id: UserId,
    pub action: String,
    pub session_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    pub email: Option<String>,
}

pub async fn insert(ex: Exec<'_>, t: &NewActionToken<'_>) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO security_action_tokens (id, user_id, token_hash, action, session_id,
             device_id, email, expires_at, used_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9)",
        t.id,
        t.user_id.as_uuid(),
        t.token_hash,
        t.action,
        t.session_id.map(|s| s.as_uuid()),
        t.device_id.map(|d| d.as_uuid()),
        t.email,
        t.expires_at,
        t.created_at
    )?;
    Ok(())
}

/// Use the token with this hash for `action`: succeeds once, while unexpired. A token
/// made for another action is left as it was (a reset link sent to the wrong endpoint
/// still works where it belongs).
pub async fn consume(
    ex: Exec<'_>,
    token_hash: &str,
    action: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<UsedActionToken>> {
    Ok(fetch_optional!(
        ex,
        UsedActionToken,
        "UPDATE security_action_tokens SET used_at = $3
         WHERE token_hash = $1 AND action = $2 AND used_at IS NULL AND expires_at > $3
         RETURNING id, user_id, action, session_id, device_id, email",
        token_hash,
        action,
        now
    )?)
}

/// End every unused `action` link of the user (a password reset ends the other reset
/// links). Returns how many were ended.
pub async fn expire_unused(
    ex: Exec<'_>,
    user_id: UserId,
    action: &str,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(execute!(
        ex,
        "UPDATE security_action_tokens SET used_at = $3
         WHERE user_id = $1 AND action = $2 AND used_at IS NULL",
        user_id.as_uuid(),
        action,
        now
    )?)
}

/// The live (unused, unexpired) `action` token with this hash, without using it: a
/// request that may still be refused (a weak new password) must not spend the link.
pub async fn find_live(
    ex: Exec<'_>,
    token_hash: &str,
    action: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<UsedActionToken>> {
    Ok(fetch_optional!(
        ex,
        UsedActionToken,
        "SELECT id, user_id, action, session_id, device_id, email FROM security_action_tokens
         WHERE token_hash = $1 AND action = $2 AND used_at IS NULL AND expires_at > $3",
        token_hash,
        action,
        now
    )?)
}
