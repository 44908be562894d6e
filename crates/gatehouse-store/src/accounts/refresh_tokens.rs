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

/// Everything one rotation needs: the presented token's hash and the new one's.
#[derive(Debug, Clone)]
pub struct Rotation<'a> {
    pub presented_jti: &'a str,
    pub new_jti: &'a str,
    pub new_token_id: Uuid,
    pub new_access_jti: &'a str,
    /// The new token's expiry, capped at the session's.
    pub new_expires_at: DateTime<Utc>,
    pub audit_id: Uuid,
    pub ip_address: Option<crate::types::Inet>,
    pub now: DateTime<Utc>,
}

/// The result of a rotation whose presented token was valid.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Rotated {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub family_id: Uuid,
    pub device_id: Option<Uuid>,
    /// False when the token was consumed but its session had ended (nothing was issued).
    pub session_active: bool,
}

/// Rotate a refresh token atomically: consume the presented token, store the session's
/// new token ids, insert the new token and the `token_refreshed` audit row. `None` when
/// the presented token is not valid (unknown, expired, already used or revoked).
///
/// This is the hottest write path, so on PostgreSQL it is one statement (data-modifying
/// CTEs, a PostgreSQL-only feature) in autocommit: one round trip instead of six. On
/// SQLite the same steps run as separate statements in one transaction.
pub async fn rotate(db: &crate::Db, r: &Rotation<'_>) -> StoreResult<Option<Rotated>> {
    use crate::db::Executor;
    match db {
        crate::Db::Postgres(_) => {
            let mut conn = db.writer().await?;
            Ok(fetch_optional!(
                conn.exec(),
                Rotated,
                "WITH consumed AS (
                    UPDATE refresh_tokens SET is_valid = FALSE, rotated_at = $2, revocation_reason = 'rotated'
                    WHERE jti = $1 AND is_valid = TRUE AND expires_at > $2
                    RETURNING user_id, session_id, family_id
                ), rotated AS (
                    UPDATE sessions s SET access_jti = $3, refresh_jti = $4, last_seen_at = $2, updated_at = $2
                    FROM consumed c
                    WHERE s.id = c.session_id AND s.status = 'active' AND s.expires_at > $2
                      AND EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id AND u.is_active = TRUE)
                    RETURNING s.id, s.user_id, s.device_id, s.expires_at, c.family_id
                ), issued AS (
                    INSERT INTO refresh_tokens (id, user_id, session_id, jti, family_id, parent_jti, is_valid,
                        created_at, expires_at)
                    SELECT $5, r.user_id, r.id, $4, r.family_id, $1, TRUE, $2, LEAST($6, r.expires_at)
                    FROM rotated r
                    RETURNING 1
                ), audited AS (
                    INSERT INTO session_audit_log (id, user_id, session_id, device_id, action, ip_address,
                        risk_level, is_anomalous, requires_review, created_at)
                    SELECT $7, r.user_id, r.id, r.device_id, 'token_refreshed', $8, 'low', FALSE, FALSE, $2
                    FROM rotated r
                    RETURNING 1
                )
                SELECT c.user_id, c.session_id, c.family_id, r.device_id, (r.id IS NOT NULL) AS session_active
                FROM consumed c LEFT JOIN rotated r ON TRUE",
                r.presented_jti,
                r.now,
                r.new_access_jti,
                r.new_jti,
                r.new_token_id,
                r.new_expires_at,
                r.audit_id,
                r.ip_address,
            )?)
        }
        crate::Db::Sqlite { .. } => {
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
                    expires_at: r.new_expires_at.min(session.expires_at),
                    now: r.now,
                },
            )
            .await?;
            let entry = crate::audit::SessionAuditEntry {
                user_id: consumed.user_id,
                session_id: Some(consumed.session_id),
                device_id: session.device_id,
                action: "token_refreshed",
                ip_address: r.ip_address,
                risk_level: "low",
                ..Default::default()
            };
            crate::audit::insert_session(tx.exec(), r.audit_id, &entry, r.now).await?;
            tx.commit().await?;
            Ok(Some(Rotated {
                user_id: consumed.user_id,
                session_id: consumed.session_id,
                family_id: consumed.family_id,
                device_id: session.device_id,
                session_active: true,
            }))
        }
    }
}

/// Record why a consumed token is no longer usable (so presenting it again is not
/// mistaken for reuse of a rotated token).
pub async fn mark_revoked(
    ex: Exec<'_>,
    jti: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "UPDATE refresh_tokens SET is_valid = FALSE, revoked_at = $3, revocation_reason = $2 WHERE jti = $1",
        jti,
        reason,
        now
    )?;
    Ok(())
}
