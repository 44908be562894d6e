//! `refresh_tokens`: one row per issued refresh token, keyed by the HMAC of the opaque
//! token (`jti`). Rotation consumes a row atomically; presenting a consumed token again
//! is reuse, and the caller revokes the whole family.

use crate::audit::SessionAuditEntry;
use crate::db::{Db, Exec, Executor};
use crate::error::StoreResult;
use crate::types::{Nullable, TextList};
use chrono::{DateTime, Utc};
use gatehouse_domain::accounts::RevocationReason;
use gatehouse_domain::ids::{DeviceId, SessionId, TokenFamilyId, UserId};
use uuid::Uuid;

/// A refresh token about to be stored.
#[derive(Debug, Clone)]
pub struct NewRefreshToken<'a> {
    pub id: Uuid,
    pub user_id: UserId,
    pub session_id: SessionId,
    pub jti: &'a str,
    pub family_id: TokenFamilyId,
    pub parent_jti: Option<&'a str>,
    pub expires_at: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

/// A `refresh_tokens` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshTokenRow {
    #[sqlx(try_from = "Uuid")]
    pub user_id: UserId,
    #[sqlx(try_from = "Uuid")]
    pub session_id: SessionId,
    #[sqlx(try_from = "Uuid")]
    pub family_id: TokenFamilyId,
    pub is_valid: bool,
    pub expires_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "Nullable<String>")]
    pub revocation_reason: Option<RevocationReason>,
}

pub async fn insert(ex: Exec<'_>, t: &NewRefreshToken<'_>) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO refresh_tokens (id, user_id, session_id, jti, family_id, parent_jti, is_valid,
            created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $8)",
        t.id,
        t.user_id.as_uuid(),
        t.session_id.as_uuid(),
        t.jti,
        t.family_id.as_uuid(),
        t.parent_jti,
        t.now,
        t.expires_at,
    )?;
    Ok(())
}

/// Atomically mark a valid, unexpired token as rotated. Of concurrent callers with the
/// same token exactly one gets `Some` (the row lock / single writer serialises them and
/// the `is_valid` condition is re-checked).
pub(crate) async fn consume(
    ex: Exec<'_>,
    jti: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<RefreshTokenRow>> {
    Ok(fetch_optional!(
        ex,
        RefreshTokenRow,
        "UPDATE refresh_tokens SET is_valid = FALSE, rotated_at = $2, revocation_reason = $3
         WHERE jti = $1 AND is_valid = TRUE AND expires_at > $2
         RETURNING user_id, session_id, family_id, is_valid, expires_at, rotated_at, revocation_reason",
        jti,
        now,
        RevocationReason::Rotated.as_str()
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
    family_id: TokenFamilyId,
    reason: RevocationReason,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(execute!(
        ex,
        "UPDATE refresh_tokens SET is_valid = FALSE, revoked_at = $3, revocation_reason = $2
         WHERE family_id = $1 AND is_valid = TRUE",
        family_id.as_uuid(),
        reason.as_str(),
        now
    )?)
}

/// Revoke every still-valid token of a session.
pub async fn revoke_for_session(
    ex: Exec<'_>,
    session_id: SessionId,
    reason: RevocationReason,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(execute!(
        ex,
        "UPDATE refresh_tokens SET is_valid = FALSE, revoked_at = $3, revocation_reason = $2
         WHERE session_id = $1 AND is_valid = TRUE",
        session_id.as_uuid(),
        reason.as_str(),
        now
    )?)
}

/// Everything one rotation needs: the presented token's hash and the new one's, and the
/// audit row to write with it.
#[derive(Debug, Clone)]
pub struct Rotation<'a> {
    pub presented_jti: &'a str,
    pub new_jti: &'a str,
    pub new_token_id: Uuid,
    pub new_access_jti: &'a str,
    /// The new token's expiry — now plus the idle timeout — capped at the session's.
    pub new_expires_at: DateTime<Utc>,
    /// The same for a session whose login asked to be remembered.
    pub remember_me_expires_at: DateTime<Utc>,
    pub audit_id: Uuid,
    /// The audit row the event recorder decided on. Its user, session and device are
    /// filled in here from the rotated session (they are only known once the presented
    /// token is found).
    pub audit: &'a SessionAuditEntry,
    pub now: DateTime<Utc>,
}

/// The result of a rotation whose presented token was valid.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Rotated {
    #[sqlx(try_from = "Uuid")]
    pub user_id: UserId,
    #[sqlx(try_from = "Uuid")]
    pub session_id: SessionId,
    #[sqlx(try_from = "Uuid")]
    pub family_id: TokenFamilyId,
    #[sqlx(try_from = "Nullable<Uuid>")]
    pub device_id: Option<DeviceId>,
    /// The session's authentication methods and time, for the new access token.
    pub amr: TextList,
    pub authenticated_at: Option<DateTime<Utc>>,
    /// False when the token was consumed but its session had ended (nothing was issued).
    pub session_active: bool,
}

/// Rotate a refresh token atomically: consume the presented token, store the session's
/// new token ids, insert the new token and the given audit row. `None` when the
/// presented token is not valid (unknown, expired, already used or revoked).
///
/// This is the hottest write path, so on PostgreSQL it is one statement (data-modifying
/// CTEs, a PostgreSQL-only feature) in autocommit: one round trip instead of six. On
/// SQLite the same steps run as separate statements in one transaction.
pub async fn rotate(db: &Db, r: &Rotation<'_>) -> StoreResult<Option<Rotated>> {
    per_backend!(db,
        pg(pool) => {
            // Acquired through the pool's counters, so the hottest path shows in the pool
            // wait metrics like every other.
            let mut conn = db.primary_counters().acquire(pool, pool.acquire()).await?;
            rotate_in_one_statement(&mut conn, r).await
        },
        sqlite => rotate_step_by_step(db, r).await,
    )
}

/// PostgreSQL only: the whole rotation as one statement of data-modifying CTEs.
async fn rotate_in_one_statement(
    conn: &mut sqlx::PgConnection,
    r: &Rotation<'_>,
) -> StoreResult<Option<Rotated>> {
    let a = r.audit;
    Ok(sqlx::query_as::<_, Rotated>(
            "WITH consumed AS (
                UPDATE refresh_tokens SET is_valid = FALSE, rotated_at = $2, revocation_reason = 'rotated'
                WHERE jti = $1 AND is_valid = TRUE AND expires_at > $2
                RETURNING user_id, session_id, family_id
            ), rotated AS (
                UPDATE sessions s SET access_jti = $3, refresh_jti = $4, last_seen_at = $2, updated_at = $2
                FROM consumed c
                WHERE s.id = c.session_id AND s.status = 'active' AND s.expires_at > $2
                  AND EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id AND u.is_active = TRUE)
                RETURNING s.id, s.user_id, s.device_id, s.expires_at, s.amr, s.authenticated_at,
                    s.remember_me, c.family_id
            ), issued AS (
                INSERT INTO refresh_tokens (id, user_id, session_id, jti, family_id, parent_jti, is_valid,
                    created_at, expires_at)
                SELECT $5, r.user_id, r.id, $4, r.family_id, $1, TRUE, $2,
                    LEAST(CASE WHEN r.remember_me THEN $22 ELSE $6 END, r.expires_at)
                FROM rotated r
                RETURNING 1
            ), audited AS (
                INSERT INTO session_audit_log (id, user_id, session_id, device_id, action, session_type,
                    mfa_verified, ip_address, risk_level, is_anomalous, anomaly_reasons,
                    session_duration_seconds, requires_review, review_status, old_value, new_value,
                    metadata, error_message, created_at)
                SELECT $7, r.user_id, r.id, r.device_id, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                    $18, $19, $20, $21, $2
                FROM rotated r
                RETURNING 1
            )
            SELECT c.user_id, c.session_id, c.family_id, r.device_id,
                COALESCE(r.amr, '{}') AS amr, r.authenticated_at, (r.id IS NOT NULL) AS session_active
            FROM consumed c LEFT JOIN rotated r ON TRUE",
    )
    .bind(r.presented_jti)
    .bind(r.now)
    .bind(r.new_access_jti)
    .bind(r.new_jti)
    .bind(r.new_token_id)
    .bind(r.new_expires_at)
    .bind(r.audit_id)
    .bind(a.action.as_str())
    .bind(a.session_type.map(|t| t.as_str()))
    .bind(a.mfa_verified)
    .bind(a.ip_address)
    .bind(a.risk_level.as_str())
    .bind(a.is_anomalous)
    .bind(TextList(a.anomaly_reasons.clone()))
    .bind(a.session_duration_seconds)
    .bind(a.requires_review)
    .bind(a.review_status())
    .bind(a.old_value.clone().map(sqlx::types::Json))
    .bind(a.new_value.clone().map(sqlx::types::Json))
    .bind(a.metadata.clone().map(sqlx::types::Json))
    .bind(a.error_message.as_deref())
    .bind(r.remember_me_expires_at)
    .fetch_optional(conn)
    .await?)
}

async fn rotate_step_by_step(db: &Db, r: &Rotation<'_>) -> StoreResult<Option<Rotated>> {
    let mut tx = db.begin().await?;
    let Some(consumed) = consume(tx.exec(), r.presented_jti, r.now).await? else {
        return Ok(None);
    };
    let rotated = super::sessions::rotate_tokens(
        tx.exec(),
        consumed.session_id,
        r.new_access_jti,
        r.new_jti,
        r.now,
    )
    .await?;
    let Some(session) = rotated else {
        tx.commit().await?;
        return Ok(Some(Rotated {
            user_id: consumed.user_id,
            session_id: consumed.session_id,
            family_id: consumed.family_id,
            device_id: None,
            amr: TextList::default(),
            authenticated_at: None,
            session_active: false,
        }));
    };
    insert(
        tx.exec(),
        &NewRefreshToken {
            id: r.new_token_id,
            user_id: consumed.user_id,
            session_id: consumed.session_id,
            jti: r.new_jti,
            family_id: consumed.family_id,
            parent_jti: Some(r.presented_jti),
            expires_at: if session.remember_me {
                r.remember_me_expires_at
            } else {
                r.new_expires_at
            }
            .min(session.expires_at),
            now: r.now,
        },
    )
    .await?;
    let entry = SessionAuditEntry {
        user_id: consumed.user_id,
        session_id: Some(consumed.session_id),
        device_id: session.device_id,
        ..r.audit.clone()
    };
    crate::audit::insert_session(tx.exec(), r.audit_id, &entry, r.now).await?;
    tx.commit().await?;
    Ok(Some(Rotated {
        user_id: consumed.user_id,
        session_id: consumed.session_id,
        family_id: consumed.family_id,
        device_id: session.device_id,
        amr: session.amr,
        authenticated_at: Some(session.authenticated_at),
        session_active: true,
    }))
}

/// Record why a consumed token is no longer usable (so presenting it again is not
/// mistaken for reuse of a rotated token).
pub async fn mark_revoked(
    ex: Exec<'_>,
    jti: &str,
    reason: RevocationReason,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "UPDATE refresh_tokens SET is_valid = FALSE, revoked_at = $3, revocation_reason = $2 WHERE jti = $1",
        jti,
        reason.as_str(),
        now
    )?;
    Ok(())
}
