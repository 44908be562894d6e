//! The signed-in person's sessions: list, revoke one. Also the shared step that ends
//! sessions with their refresh tokens and events (logout, device removal, password
//! change, refresh-token reuse).

use super::authenticate::AuthContext;
use super::{AccountsError, AccountsResult};
use crate::clock::before;
use crate::events::{self, Event};
use crate::state::{ClientInfo, Core};
use chrono::{DateTime, Utc};
use gatehouse_domain::accounts::{RevocationReason, SessionStatus};
use gatehouse_domain::ids::{SessionId, UserId};
use gatehouse_store::accounts::refresh_tokens;
use gatehouse_store::accounts::sessions::{self, EndedSession, Ending, SessionRow};
use gatehouse_store::{Executor, StoreResult, Tx};
use uuid::Uuid;

/// Keyset pagination: items strictly older than `before` (an id), at most `limit`.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub before: Option<Uuid>,
    pub limit: i64,
}

/// A page of the user's active sessions, newest first.
pub async fn list_sessions(
    core: &Core,
    user_id: UserId,
    page: Page,
) -> AccountsResult<Vec<SessionRow>> {
    let mut conn = core.db.reader().await?;
    Ok(sessions::list_active_for_user(
        conn.exec(),
        user_id,
        core.clock.now(),
        page.before.map(SessionId::from),
        page.limit,
    )
    .await?)
}

/// Revoke one of the user's sessions (404 if it is not theirs or not active).
#[tracing::instrument(skip_all, fields(user_id = %auth.user_id))]
pub async fn revoke_session(
    core: &Core,
    auth: &AuthContext,
    session_id: SessionId,
    client: &ClientInfo,
) -> AccountsResult<()> {
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    let reason = RevocationReason::SessionRevoked;
    let ended = sessions::end(tx.exec(), auth.user_id, session_id, revoked(reason), now)
        .await?
        .ok_or(AccountsError::NotFound("session"))?;
    end_sessions(core, &mut tx, auth.user_id, &[ended], reason, client, now).await?;
    tx.commit().await?;
    core.session_cache.forget_user(auth.user_id);
    Ok(())
}

/// A session ended by the user or the service (not logged out): status `revoked`.
pub(crate) fn revoked(reason: RevocationReason) -> Ending {
    Ending {
        status: SessionStatus::Revoked,
        reason,
    }
}

/// A session its holder logged out of: status `logged_out`.
pub(crate) fn logged_out(reason: RevocationReason) -> Ending {
    Ending {
        status: SessionStatus::LoggedOut,
        reason,
    }
}

/// For sessions just ended: revoke their refresh tokens and raise `SessionEnded` for each.
pub(crate) async fn end_sessions(
    core: &Core,
    tx: &mut Tx,
    user_id: UserId,
    ended: &[EndedSession],
    reason: RevocationReason,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    for session in ended {
        refresh_tokens::revoke_for_session(tx.exec(), session.id, reason, now).await?;
        events::record(
            tx,
            core,
            now,
            client,
            Event::SessionEnded {
                user_id,
                session,
                reason,
            },
        )
        .await?;
    }
    Ok(())
}

/// The expiry sweep: end, in batches of `batch`, the sessions still marked active whose
/// idle timeout or absolute lifetime has passed (a session nobody presents again would
/// otherwise stay listed, and counted, as active). Each batch is one transaction with the
/// sessions' refresh tokens revoked and a `session_expired` audit row each, as when an
/// expired token is presented. Returns how many were ended.
pub(crate) async fn expire_lapsed(core: &Core, batch: i64) -> StoreResult<u64> {
    let now = core.clock.now();
    let (idle_since, remember_since) = (
        before(now, core.config.idle_timeout),
        before(now, core.config.remember_me_idle_timeout),
    );
    let sweeper = ClientInfo::default();
    let mut total = 0;
    loop {
        let mut tx = core.db.begin().await?;
        let lapsed =
            sessions::expire_lapsed(tx.exec(), now, idle_since, remember_since, batch).await?;
        for s in &lapsed {
            let ended = std::slice::from_ref(&s.session);
            end_sessions(core, &mut tx, s.user_id, ended, s.reason, &sweeper, now).await?;
        }
        tx.commit().await?;
        for s in &lapsed {
            core.session_cache.forget_user(s.user_id);
        }
        total += lapsed.len() as u64;
        if (lapsed.len() as i64) < batch {
            return Ok(total);
        }
    }
}
