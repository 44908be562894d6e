//! `refresh_tokens`: one row per issued refresh token, keyed by the HMAC of the opaque
//! token (`jti`). Rotation consumes a row atomically; presenting a consumed token again
//! is reuse, and the caller revokes the whole family.

use crate::db::Exec;
use crate::error::StoreResult;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A refresh token about to be stored.
#[derive(Debug, Clone)]
pub struct NewRefreshToken<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub jti: &'a str,
    pub family_id: Uuid,
    pub parent_jti: Option<&'a str>,
    pub expires_at: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

/// A `refresh_tokens` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshTokenRow {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub family_id: Uuid,
    pub is_valid: bool,
    pub expires_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub revocation_reason: Option<String>,
}

pub async fn insert(ex: Exec<'_>, t: &NewRefreshToken<'_>) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO refresh_tokens (id, user_id, session_id, jti, family_id, parent_jti, is_valid,
            created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $8)",
        t.id,
        t.user_id,
        t.session_id,
        t.jti,
        t.family_id,
        t.parent_jti,
        t.now,
        t.expires_at,
    )?;
    Ok(())
}

/// Atomically mark a valid, unexpired token as rotated. Of concurrent callers with the
/// same token exactly one gets `Some` (the row lock / single writer serialises them and
/// the `is_valid` condition is re-checked).
pub async fn consume(
    ex: Exec<'_>,
    jti: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<RefreshTokenRow>> {
    Ok(fetch_optional!(
        ex,
        RefreshTokenRow,
        "UPDATE refresh_tokens SET is_valid = FALSE, rotated_at = $2, revocation_reason = 'rotated'
         WHERE jti = $1 AND is_valid = TRUE AND expires_at > $2
         RETURNING user_id, session_id, family_id, is_valid, expires_at, rotated_at, revocation_reason",
        jti,
        now
    )?)
}

pub async fn find(ex: Exec<'_>, jti: &str) -> StoreResult<Option<RefreshTokenRow>> {
    Ok(fetch_optional!(
        ex,
        RefreshTokenRow,
        "SELECT user_id, session_id, family_id, is_valid, expires_at, rotated_at, revocation_reason
         FROM refresh_tokens WHERE jti = $1",
        jti
    )?)
}

/// Revoke every still-valid token of a family.
pub async fn revoke_family(
    ex: Exec<'_>,
    family_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(execute!(
        ex,
        "UPDATE refresh_tokens SET is_valid = FALSE, revoked_at = $3, revocation_reason = $2
         WHERE family_id = $1 AND is_valid = TRUE",
        family_id,
        reason,
        now
    )?)
}

/// Revoke every still-valid token of a session.
pub async fn revoke_for_session(
    ex: Exec<'_>,
    session_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(execute!(
        ex,
        "UPDATE refresh_tokens SET is_valid = FALSE, revoked_at = $3, revocation_reason = $2
         WHERE session_id = $1 AND is_valid = TRUE",
        session_id,
        reason,
        now
    )?)
}
