//! The check behind every authenticated request: a valid access token whose session is
//! still active and unexpired (so revoking a session stops its tokens at once).

use super::session_cache::CachedSession;
use super::{AccountsError, AccountsResult};
use crate::state::Core;
use crate::tokens;
use chrono::{DateTime, Utc};
use gatehouse_domain::accounts::SessionStatus;
use gatehouse_domain::ids::{SessionId, UserId};
use gatehouse_store::accounts::sessions;
use gatehouse_store::Executor;
use uuid::Uuid;

/// Who an authenticated request acts for.
#[derive(Debug, Clone)]
pub struct AuthContext {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub token_id: Uuid,
    /// Methods the session proved (RFC 8176) and when it last authenticated.
    pub amr: Vec<String>,
    pub authenticated_at: Option<DateTime<Utc>>,
}

/// Verify an access token's signature, issuer and expiry (not yet its session).
pub(crate) fn verify_token(
    core: &Core,
    access_token: &str,
) -> AccountsResult<tokens::AccessClaims> {
    core.verified_tokens
        .verify(
            &core.keys.signing,
            &core.config.issuer,
            access_token,
            core.clock.now(),
        )
        .map_err(|_| AccountsError::Unauthenticated)
}

/// Verify an access token and its session (remembered per node while unchanged: see
/// `session_cache`).
pub async fn authenticate(core: &Core, access_token: &str) -> AccountsResult<AuthContext> {
    let now = core.clock.now();
    let claims = verify_token(core, access_token)?;
    let (session_id, user_id) = (SessionId(claims.sid), UserId(claims.sub));
    if core.session_cache.get(session_id, user_id, now).is_none() {
        let read = core.session_cache.start_read();
        let mut conn = core.db.reader().await?;
        let session = sessions::find_auth(conn.exec(), session_id)
            .await?
            .ok_or(AccountsError::Unauthenticated)?;
        if session.status != SessionStatus::Active
            || session.expires_at <= now
            || session.user_id != user_id
            || !session.user_active
        {
            return Err(AccountsError::Unauthenticated);
        }
        let known = CachedSession {
            user_id,
            expires_at: session.expires_at,
            view: None,
        };
        core.session_cache.put(read, session_id, known);
    }
    Ok(AuthContext {
        user_id: UserId(claims.sub),
        session_id: SessionId(claims.sid),
        token_id: claims.jti,
        amr: claims.amr,
        authenticated_at: DateTime::from_timestamp(claims.auth_time, 0),
    })
}
