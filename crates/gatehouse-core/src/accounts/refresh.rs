//! Refresh-token rotation (OAuth 2.0 Security BCP, RFC 9700 §4.14.2): every refresh
//! consumes the presented token and issues a new one in the same family, with its audit
//! row, atomically (`refresh_tokens::rotate`). The new access token carries the session's
//! own `amr` and authentication time. Presenting a token that was already rotated means
//! it leaked: the whole family and its session are revoked, and a high-risk event is
//! raised for review. A token presented after it expired — its session sat idle past
//! the idle timeout, or reached its absolute lifetime — ends the session as `expired`,
//! audited once, and answers `session_expired`.

use super::issue::{AccessGrant, TokenPair};
use super::sessions::{end_sessions, revoked};
use super::{AccountsError, AccountsResult};
use crate::events::{self, Event};
use crate::state::{ClientInfo, Core};
use gatehouse_domain::accounts::{RevocationReason, SessionStatus};
use gatehouse_domain::ids::AuditId;
use gatehouse_store::accounts::refresh_tokens::{self, RefreshTokenRow, Rotation};
use gatehouse_store::accounts::sessions::{self, Ending};
use gatehouse_store::{Executor, Tx};
use uuid::Uuid;

/// Exchange a refresh token for a new pair.
#[tracing::instrument(skip_all)]
pub async fn refresh(
    core: &Core,
    refresh_token: &str,
    client: &ClientInfo,
) -> AccountsResult<TokenPair> {
    if refresh_token.is_empty() || refresh_token.len() > 256 {
        return Err(AccountsError::InvalidRefreshToken);
    }
    let issuer = core.issuer();
    let hash = issuer.refresh_token_hash(refresh_token);
    let now = core.clock.now();
    let new_token = issuer.new_refresh_token();
    let access_jti = Uuid::now_v7();
    let audit = events::token_refreshed(client);
    let rotation = Rotation {
        presented_jti: &hash,
        new_jti: &new_token.hash,
        new_token_id: Uuid::now_v7(),
        new_access_jti: &access_jti.to_string(),
        new_expires_at: now + issuer.idle_timeout(false),
        remember_me_expires_at: now + issuer.idle_timeout(true),
        audit_id: AuditId::new().as_uuid(),
        audit: &audit,
        now,
    };
    let Some(rotated) = refresh_tokens::rotate(&core.db, &rotation).await? else {
        let mut tx = core.db.begin().await?;
        let known = refresh_tokens::find(tx.exec(), &hash).await?;
        return match known {
            Some(row) if row.revocation_reason == Some(RevocationReason::Rotated) => {
                revoke_on_reuse(core, tx, &row, client, core.clock.now()).await?;
                core.session_cache.forget_user(row.user_id);
                core.metrics.refresh_token_reused();
                Err(AccountsError::RefreshTokenReused)
            }
            Some(row) if row.is_valid && row.expires_at <= now => {
                expire_session(core, tx, &row, &hash, client, now).await?;
                core.session_cache.forget_user(row.user_id);
                Err(AccountsError::SessionExpired)
            }
            Some(row)
                if matches!(
                    row.revocation_reason,
                    Some(RevocationReason::IdleTimeout | RevocationReason::Expired)
                ) =>
            {
                Err(AccountsError::SessionExpired)
            }
            _ => Err(AccountsError::InvalidRefreshToken),
        };
    };
    if !rotated.session_active {
        // The session ended: nothing new was issued. Record why the token is spent, so
        // presenting it again is not taken for reuse of a rotated token.
        let mut conn = core.db.writer().await?;
        refresh_tokens::mark_revoked(conn.exec(), &hash, RevocationReason::SessionRevoked, now)
            .await?;
        return Err(AccountsError::InvalidRefreshToken);
    }
    let access = AccessGrant {
        user_id: rotated.user_id,
        session_id: rotated.session_id,
        jti: access_jti,
        amr: rotated.amr.0,
        authenticated_at: rotated.authenticated_at.unwrap_or(now),
    };
    issuer.token_pair(&access, new_token.token, now)
}

/// The first presentation of an expired token of a still-valid chain: end its session as
/// `expired` (idle timeout, or absolute lifetime when that is what capped the token) and
/// record it, once — the token is marked spent, so later presentations only answer.
async fn expire_session(
    core: &Core,
    mut tx: Tx,
    row: &RefreshTokenRow,
    hash: &str,
    client: &ClientInfo,
    now: chrono::DateTime<chrono::Utc>,
) -> AccountsResult<()> {
    let session = sessions::find_auth(tx.exec(), row.session_id).await?;
    let reason = match session {
        Some(s) if s.expires_at <= now => RevocationReason::Expired,
        _ => RevocationReason::IdleTimeout,
    };
    refresh_tokens::mark_revoked(tx.exec(), hash, reason, now).await?;
    let ending = Ending {
        status: SessionStatus::Expired,
        reason,
    };
    let ended = sessions::end(tx.exec(), row.user_id, row.session_id, ending, now).await?;
    if let Some(ended) = ended {
        end_sessions(core, &mut tx, row.user_id, &[ended], reason, client, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn revoke_on_reuse(
    core: &Core,
    mut tx: Tx,
    row: &RefreshTokenRow,
    client: &ClientInfo,
    now: chrono::DateTime<chrono::Utc>,
) -> AccountsResult<()> {
    let reason = RevocationReason::ReuseDetected;
    refresh_tokens::revoke_family(tx.exec(), row.family_id, reason, now).await?;
    let ended = sessions::end(tx.exec(), row.user_id, row.session_id, revoked(reason), now).await?;
    let device_id = ended.as_ref().and_then(|s| s.device_id);
    if let Some(ended) = ended {
        end_sessions(core, &mut tx, row.user_id, &[ended], reason, client, now).await?;
    }
    events::record(
        &mut tx,
        core,
        now,
        client,
        Event::RefreshTokenReused {
            user_id: row.user_id,
            session_id: row.session_id,
            device_id,
            family_id: row.family_id,
        },
    )
    .await?;
    tx.commit().await?;
    tracing::warn!(user_id = %row.user_id, session_id = %row.session_id, "refresh token reuse: family revoked");
    Ok(())
}
