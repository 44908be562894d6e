//! `sessions`: one per login. Only `active`, unexpired sessions authenticate; every
//! authenticated request checks this (a revoked session's access token stops at once).
//! A session also keeps how it was authenticated (`amr`, RFC 8176, and the time of that
//! authentication), so every access token issued for it says the same.

use crate::db::Exec;
use crate::error::StoreResult;
use crate::types::{Inet, Nullable, TextList};
use chrono::{DateTime, Utc};
use gatehouse_domain::accounts::{
    truncate_user_agent, RevocationReason, SessionStatus, SessionType,
};
use gatehouse_domain::ids::{DeviceId, SessionId, UserId};
use uuid::Uuid;

/// A `sessions` row as listed to its owner.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    #[sqlx(try_from = "Uuid")]
    pub id: SessionId,
    #[sqlx(try_from = "Uuid")]
    pub user_id: UserId,
    #[sqlx(try_from = "Nullable<Uuid>")]
    pub device_id: Option<DeviceId>,
    #[sqlx(try_from = "String")]
    pub status: SessionStatus,
    pub ip_address: Option<Inet>,
    pub user_agent: Option<String>,
    #[sqlx(try_from = "String")]
    pub session_type: SessionType,
    pub mfa_verified: bool,
    pub expires_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A session about to be created.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub id: SessionId,
    pub user_id: UserId,
    pub device_id: Option<DeviceId>,
    pub access_jti: &'a str,
    pub refresh_jti: &'a str,
    pub ip_address: Option<Inet>,
    pub user_agent: Option<&'a str>,
    pub session_type: SessionType,
    /// Authentication methods proven (RFC 8176 values).
    pub amr: &'a [String],
    pub authenticated_at: DateTime<Utc>,
    pub mfa_verified: bool,
    /// The login asked to be remembered: a longer lifetime and idle timeout.
    pub remember_me: bool,
    pub expires_at: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

/// What the per-request session check needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionAuth {
    #[sqlx(try_from = "Uuid")]
    pub user_id: UserId,
    #[sqlx(try_from = "String")]
    pub status: SessionStatus,
    pub expires_at: DateTime<Utc>,
    /// The account's `is_active`: a disabled account's sessions stop working.
    pub user_active: bool,
}

pub async fn insert(ex: Exec<'_>, s: &NewSession<'_>) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO sessions (id, user_id, device_id, access_jti, refresh_jti, ip_address, user_agent,
            status, expires_at, session_type, mfa_verified, amr, authenticated_at, last_seen_at,
            created_at, updated_at, remember_me)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $14, $15)",
        s.id.as_uuid(),
        s.user_id.as_uuid(),
        s.device_id.map(|d| d.as_uuid()),
        s.access_jti,
        s.refresh_jti,
        s.ip_address,
        // Bounded here too, whichever path brought it (the HTTP edge already cut it).
        s.user_agent.map(truncate_user_agent),
        SessionStatus::Active.as_str(),
        s.expires_at,
        s.session_type.as_str(),
        s.mfa_verified,
        TextList(s.amr.to_vec()),
        s.authenticated_at,
        s.now,
        s.remember_me,
    )?;
    Ok(())
}

/// The per-request check: one primary-key lookup (joined to its user's `is_active`).
pub async fn find_auth(ex: Exec<'_>, id: SessionId) -> StoreResult<Option<SessionAuth>> {
    Ok(fetch_optional!(
        ex,
        SessionAuth,
        "SELECT s.user_id, s.status, s.expires_at, u.is_active AS user_active
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1",
        id.as_uuid()
    )?)
}

/// The user's active, unexpired sessions, newest first, strictly before cursor `before`.
pub async fn list_active_for_user(
    ex: Exec<'_>,
    user_id: UserId,
    now: DateTime<Utc>,
    before: Option<SessionId>,
    limit: i64,
) -> StoreResult<Vec<SessionRow>> {
    Ok(fetch_all!(
        ex,
        SessionRow,
        "SELECT id, user_id, device_id, status, ip_address, user_agent, session_type, mfa_verified,
            expires_at, last_seen_at, created_at
         FROM sessions
         WHERE user_id = $1 AND status = $5 AND expires_at > $2 AND ($3 IS NULL OR id < $3)
         ORDER BY id DESC LIMIT $4",
        user_id.as_uuid(),
        now,
        before.map(|b| b.as_uuid()),
        limit,
        SessionStatus::Active.as_str(),
    )?)
}

/// How many sessions are live at `now`: active, within their lifetime, and used (logged in
/// or refreshed) since `idle_since`, or `remember_me_idle_since` for a remembered one, so
/// a session that sat idle past its timeout is not counted even before anyone notices.
/// For the `sessions active` gauge; an operator's figure, not a per-request one.
pub async fn count_live(
    ex: Exec<'_>,
    now: DateTime<Utc>,
    idle_since: DateTime<Utc>,
    remember_me_idle_since: DateTime<Utc>,
) -> StoreResult<i64> {
    let (count,): (i64,) = fetch_one!(
        ex,
        (i64,),
        "SELECT COUNT(*) FROM sessions
         WHERE status = $1 AND expires_at > $2
           AND last_seen_at > CASE WHEN remember_me THEN $4 ELSE $3 END",
        SessionStatus::Active.as_str(),
        now,
        idle_since,
        remember_me_idle_since,
    )?;
    Ok(count)
}

/// A session whose tokens were just rotated.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RotatedSession {
    #[sqlx(try_from = "Nullable<Uuid>")]
    pub device_id: Option<DeviceId>,
    pub expires_at: DateTime<Utc>,
    pub amr: TextList,
    pub authenticated_at: DateTime<Utc>,
    pub remember_me: bool,
}

/// Store the new token ids of a refreshed session, if it is still active (and its
/// account enabled).
pub(crate) async fn rotate_tokens(
    ex: Exec<'_>,
    id: SessionId,
    access_jti: &str,
    refresh_jti: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<RotatedSession>> {
    Ok(fetch_optional!(
        ex,
        RotatedSession,
        "UPDATE sessions SET access_jti = $2, refresh_jti = $3, last_seen_at = $4, updated_at = $4
         WHERE id = $1 AND status = $5 AND expires_at > $4
           AND EXISTS (SELECT 1 FROM users u WHERE u.id = sessions.user_id AND u.is_active = TRUE)
         RETURNING device_id, expires_at, amr, authenticated_at, remember_me",
        id.as_uuid(),
        access_jti,
        refresh_jti,
        now,
        SessionStatus::Active.as_str(),
    )?)
}

/// Record a step-up on an active session: the methods it has now proven, when, and
/// whether that completed MFA. Refreshes copy these into every later access token.
pub async fn record_authentication(
    ex: Exec<'_>,
    id: SessionId,
    amr: &[String],
    mfa_verified: bool,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let n = execute!(
        ex,
        "UPDATE sessions SET amr = $2, authenticated_at = $3, mfa_verified = $4,
            mfa_verified_at = CASE WHEN $4 THEN $3 ELSE mfa_verified_at END, updated_at = $3
         WHERE id = $1 AND status = $5",
        id.as_uuid(),
        TextList(amr.to_vec()),
        now,
        mfa_verified,
        SessionStatus::Active.as_str(),
    )?;
    Ok(n == 1)
}

/// A session that was ended, with what its audit rows need.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EndedSession {
    #[sqlx(try_from = "Uuid")]
    pub id: SessionId,
    #[sqlx(try_from = "Nullable<Uuid>")]
    pub device_id: Option<DeviceId>,
    pub created_at: DateTime<Utc>,
}

/// A session the expiry sweep ended, and why (`idle_timeout` or `expired`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LapsedSession {
    #[sqlx(flatten)]
    pub session: EndedSession,
    #[sqlx(try_from = "Uuid")]
    pub user_id: UserId,
    #[sqlx(try_from = "String")]
    pub reason: RevocationReason,
}

/// End, as `expired`, at most `batch` sessions still marked active whose absolute lifetime
/// is over or that were last seen (a login or refresh) at or before their idle cutoff
/// (`idle_since`, or `remember_me_idle_since` for a remembered one): their refresh tokens
/// have expired, so nothing can use them again.
pub async fn expire_lapsed(
    ex: Exec<'_>,
    now: DateTime<Utc>,
    idle_since: DateTime<Utc>,
    remember_me_idle_since: DateTime<Utc>,
    batch: i64,
) -> StoreResult<Vec<LapsedSession>> {
    Ok(fetch_all!(
        ex,
        LapsedSession,
        "UPDATE sessions SET status = $5, revoked_at = $1, updated_at = $1,
            revoked_reason = CASE WHEN expires_at <= $1 THEN $6 ELSE $7 END
         WHERE id IN (
             SELECT id FROM sessions
             WHERE status = $8
               AND (expires_at <= $1
                    OR COALESCE(last_seen_at, created_at)
                       <= CASE WHEN remember_me THEN $3 ELSE $2 END)
             LIMIT $4)
         RETURNING id, device_id, created_at, user_id, revoked_reason AS reason",
        now,
        idle_since,
        remember_me_idle_since,
        batch,
        SessionStatus::Expired.as_str(),
        RevocationReason::Expired.as_str(),
        RevocationReason::IdleTimeout.as_str(),
        SessionStatus::Active.as_str(),
    )?)
}

/// How a session ends: its final status and the reason recorded with it.
#[derive(Debug, Clone, Copy)]
pub struct Ending {
    pub status: SessionStatus,
    pub reason: RevocationReason,
}

/// End one active session of a user.
pub async fn end(
    ex: Exec<'_>,
    user_id: UserId,
    id: SessionId,
    ending: Ending,
    now: DateTime<Utc>,
) -> StoreResult<Option<EndedSession>> {
    Ok(fetch_optional!(
        ex,
        EndedSession,
        "UPDATE sessions SET status = $3, revoked_at = $5, revoked_reason = $4, updated_at = $5
         WHERE id = $1 AND user_id = $2 AND status = $6
         RETURNING id, device_id, created_at",
        id.as_uuid(),
        user_id.as_uuid(),
        ending.status.as_str(),
        ending.reason.as_str(),
        now,
        SessionStatus::Active.as_str(),
    )?)
}

/// End every active session of a user, except `keep` if given.
pub async fn end_all_for_user(
    ex: Exec<'_>,
    user_id: UserId,
    keep: Option<SessionId>,
    ending: Ending,
    now: DateTime<Utc>,
) -> StoreResult<Vec<EndedSession>> {
    Ok(fetch_all!(
        ex,
        EndedSession,
        "UPDATE sessions SET status = $3, revoked_at = $5, revoked_reason = $4, updated_at = $5
         WHERE user_id = $1 AND status = $6 AND ($2 IS NULL OR id <> $2)
         RETURNING id, device_id, created_at",
        user_id.as_uuid(),
        keep.map(|k| k.as_uuid()),
        ending.status.as_str(),
        ending.reason.as_str(),
        now,
        SessionStatus::Active.as_str(),
    )?)
}

/// Hold the user's row until the transaction ends, so that one account's new sessions
/// are counted one at a time: a second login of the same account waits here and then
/// sees the first one's session. `NO KEY UPDATE` still lets other transactions insert
/// rows that reference the user (a refresh's new token), so a refresh never waits on a
/// login. SQLite needs no lock: its one writer runs transactions one after another.
pub async fn lock_for_new_session(ex: Exec<'_>, user_id: UserId) -> StoreResult<()> {
    execute!(
        ex,
        per_backend! {
            pg: "SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE",
            sqlite: "SELECT id FROM users WHERE id = $1",
        },
        user_id.as_uuid(),
    )?;
    Ok(())
}

/// End the user's active, unexpired sessions other than the `keep` newest (by creation),
/// and return them.
pub async fn end_all_but_newest(
    ex: Exec<'_>,
    user_id: UserId,
    keep: i64,
    ending: Ending,
    now: DateTime<Utc>,
) -> StoreResult<Vec<EndedSession>> {
    Ok(fetch_all!(
        ex,
        EndedSession,
        "UPDATE sessions SET status = $3, revoked_at = $5, revoked_reason = $4, updated_at = $5
         WHERE id IN (
             SELECT id FROM (
                 SELECT id, ROW_NUMBER() OVER (ORDER BY created_at DESC, id DESC) AS newer
                 FROM sessions WHERE user_id = $1 AND status = $6 AND expires_at > $5
             ) ranked
             WHERE newer > $2)
         RETURNING id, device_id, created_at",
        user_id.as_uuid(),
        keep,
        ending.status.as_str(),
        ending.reason.as_str(),
        now,
        SessionStatus::Active.as_str(),
    )?)
}

/// End every active session on one device.
pub async fn end_all_for_device(
    ex: Exec<'_>,
    device_id: DeviceId,
    ending: Ending,
    now: DateTime<Utc>,
) -> StoreResult<Vec<EndedSession>> {
    Ok(fetch_all!(
        ex,
        EndedSession,
        "UPDATE sessions SET status = $2, revoked_at = $4, revoked_reason = $3, updated_at = $4
         WHERE device_id = $1 AND status = $5
         RETURNING id, device_id, created_at",
        device_id.as_uuid(),
        ending.status.as_str(),
        ending.reason.as_str(),
        now,
        SessionStatus::Active.as_str(),
    )?)
}
