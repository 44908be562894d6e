//! `sessions`: one per login. Only `active`, unexpired sessions authenticate; every
//! authenticated request checks this (a revoked session's access token stops at once).

use crate::db::Exec;
use crate::error::StoreResult;
use crate::types::Inet;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A `sessions` row as listed to its owner.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub device_id: Option<Uuid>,
    pub status: String,
    pub ip_address: Option<Inet>,
    pub user_agent: Option<String>,
    pub session_type: Option<String>,
    pub mfa_verified: bool,
    pub expires_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A session about to be created.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub device_id: Option<Uuid>,
    pub access_jti: &'a str,
    pub refresh_jti: &'a str,
    pub ip_address: Option<Inet>,
    pub user_agent: Option<&'a str>,
    pub session_type: &'a str,
    pub expires_at: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

/// What the per-request session check needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionAuth {
    pub user_id: Uuid,
    pub status: String,
    pub expires_at: DateTime<Utc>,
    /// The account's `is_active`: a disabled account's sessions stop working.
    pub user_active: bool,
}

pub async fn insert(ex: Exec<'_>, s: &NewSession<'_>) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO sessions (id, user_id, device_id, access_jti, refresh_jti, ip_address, user_agent,
            status, expires_at, session_type, last_seen_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10, $10, $10)",
        s.id,
        s.user_id,
        s.device_id,
        s.access_jti,
        s.refresh_jti,
        s.ip_address,
        s.user_agent,
        s.expires_at,
        s.session_type,
        s.now,
    )?;
    Ok(())
}

/// The per-request check: one primary-key lookup (joined to its user's `is_active`).
pub async fn find_auth(ex: Exec<'_>, id: Uuid) -> StoreResult<Option<SessionAuth>> {
    Ok(fetch_optional!(
        ex,
        SessionAuth,
        "SELECT s.user_id, s.status, s.expires_at, u.is_active AS user_active
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1",
        id
    )?)
}

/// The user's active, unexpired sessions, newest first, strictly before cursor `before`.
pub async fn list_active_for_user(
    ex: Exec<'_>,
    user_id: Uuid,
    now: DateTime<Utc>,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<SessionRow>> {
    Ok(fetch_all!(
        ex,
        SessionRow,
        "SELECT id, user_id, device_id, status, ip_address, user_agent, session_type, mfa_verified,
            expires_at, last_seen_at, created_at
         FROM sessions
         WHERE user_id = $1 AND status = 'active' AND expires_at > $2 AND ($3 IS NULL OR id < $3)
         ORDER BY id DESC LIMIT $4",
        user_id,
        now,
        before,
        limit
    )?)
}

/// A session whose tokens were just rotated.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RotatedSession {
    pub device_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
}

/// Store the new token ids of a refreshed session, if it is still active.
pub async fn rotate_tokens(
    ex: Exec<'_>,
    id: Uuid,
    access_jti: &str,
    refresh_jti: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<RotatedSession>> {
    Ok(fetch_optional!(
        ex,
        RotatedSession,
        "UPDATE sessions SET access_jti = $2, refresh_jti = $3, last_seen_at = $4, updated_at = $4
         WHERE id = $1 AND status = 'active' AND expires_at > $4
           AND EXISTS (SELECT 1 FROM users u WHERE u.id = sessions.user_id AND u.is_active = TRUE)
         RETURNING device_id, expires_at",
        id,
        access_jti,
        refresh_jti,
        now
    )?)
}

/// A session that was ended, with what its audit rows need.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EndedSession {
    pub id: Uuid,
    pub device_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// End one active session of a user. `status` is `logged_out` or `revoked`.
pub async fn end(
    ex: Exec<'_>,
    user_id: Uuid,
    id: Uuid,
    status: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<EndedSession>> {
    Ok(fetch_optional!(
        ex,
        EndedSession,
        "UPDATE sessions SET status = $3, revoked_at = $5, revoked_reason = $4, updated_at = $5
         WHERE id = $1 AND user_id = $2 AND status = 'active'
         RETURNING id, device_id, created_at",
        id,
        user_id,
        status,
        reason,
        now
    )?)
}

/// End every active session of a user, except `keep` if given.
pub async fn end_all_for_user(
    ex: Exec<'_>,
    user_id: Uuid,
    keep: Option<Uuid>,
    status: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> StoreResult<Vec<EndedSession>> {
    Ok(fetch_all!(
        ex,
        EndedSession,
        "UPDATE sessions SET status = $3, revoked_at = $5, revoked_reason = $4, updated_at = $5
         WHERE user_id = $1 AND status = 'active' AND ($2 IS NULL OR id <> $2)
         RETURNING id, device_id, created_at",
        user_id,
        keep,
        status,
        reason,
        now
    )?)
}

/// End every active session on one device.
pub async fn end_all_for_device(
    ex: Exec<'_>,
    device_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> StoreResult<Vec<EndedSession>> {
    Ok(fetch_all!(
        ex,
        EndedSession,
        "UPDATE sessions SET status = 'revoked', revoked_at = $3, revoked_reason = $2, updated_at = $3
         WHERE device_id = $1 AND status = 'active'
         RETURNING id, device_id, created_at",
        device_id,
        reason,
        now
    )?)
}
