//! `security_action_tokens`: the single-use links security alerts carry ("this wasn't
//! me"). Only a keyed hash of the token is stored; using one is a compare-and-set on
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
}

pub async fn insert(ex: Exec<'_>, t: &NewActionToken<'_>) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO security_action_tokens (id, user_id, token_hash, action, session_id,
             device_id, expires_at, used_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8)",
        t.id,
        t.user_id.as_uuid(),
        t.token_hash,
        t.action,
        t.session_id.map(|s| s.as_uuid()),
        t.device_id.map(|d| d.as_uuid()),
        t.expires_at,
        t.created_at
    )?;
    Ok(())
}

/// Use the token with this hash: succeeds once, while unexpired.
pub async fn consume(
    ex: Exec<'_>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<UsedActionToken>> {
    Ok(fetch_optional!(
        ex,
        UsedActionToken,
        "UPDATE security_action_tokens SET used_at = $2
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
         RETURNING id, user_id, action, session_id, device_id",
        token_hash,
        now
    )?)
}
