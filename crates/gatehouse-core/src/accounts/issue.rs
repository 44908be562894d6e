//! Issuing sessions and tokens, in one place. Login (and, with MFA, a completed challenge)
//! starts a session here; refresh signs its new access token here. A session row keeps
//! its `amr` (RFC 8176) and authentication time, and every access token issued for it —
//! at login or at any later refresh — carries those, so a session that passed MFA stays
//! `["pwd","otp"]` for its whole life.
//!
//! These helpers run inside the caller's open transaction, so they take only what they
//! need ([`TokenIssuer`]: keys and token settings), never the whole `Core`: on SQLite's
//! single writer, a helper that took a second connection while the transaction is open
//! would wait for itself.

use super::sessions::{end_sessions, revoked};
use super::{AccountsError, AccountsResult};
use crate::config::CoreConfig;
use crate::events::{self, Event};
use crate::keys::Keys;
use crate::metrics::CoreMetrics;
use crate::state::{ClientInfo, Core};
use crate::tokens::{self, AccessClaims};
use chrono::{DateTime, Duration, Utc};
use gatehouse_domain::accounts::{AuthMethod, RevocationReason, SessionType};
use gatehouse_domain::ids::{DeviceId, SessionId, TokenFamilyId, UserId};
use gatehouse_domain::risk::RiskAssessment;
use gatehouse_store::accounts::{refresh_tokens, sessions};
use gatehouse_store::types::Inet;
use gatehouse_store::{Executor, Tx};
use std::fmt;
use uuid::Uuid;

/// Tokens handed out by login and refresh. Its `Debug` shows no token.
#[derive(Clone)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub session_id: SessionId,
    pub user_id: UserId,
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("access_token", &"[redacted]")
            .field("refresh_token", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .field("session_id", &self.session_id)
            .field("user_id", &self.user_id)
            .finish()
    }
}

/// What signing and minting tokens needs: the keys and the token settings (and the
/// counter of tokens issued).
#[derive(Clone, Copy)]
pub(crate) struct TokenIssuer<'a> {
    /// For the events a session start raises (their subscribers need the whole core).
    core: &'a Core,
    keys: &'a Keys,
    config: &'a CoreConfig,
    metrics: &'a CoreMetrics,
}

impl Core {
    pub(crate) fn issuer(&self) -> TokenIssuer<'_> {
        TokenIssuer {
            core: self,
            keys: &self.keys,
            config: &self.config,
            metrics: &self.metrics,
        }
    }
}

/// A successful login (with a password, or its second step): the session's tokens, and
/// the device token the client presents with its next login.
pub struct LoginGrant {
    pub tokens: TokenPair,
    pub device_token: String,
}

/// A session about to start: who, on which device, proven how.
pub(crate) struct SessionGrant<'a> {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub device_id: DeviceId,
    pub amr: &'a [AuthMethod],
    pub session_type: SessionType,
    pub mfa_verified: bool,
    /// The login asked to be remembered: the longer idle timeout and lifetime apply.
    pub remember_me: bool,
    pub client: &'a ClientInfo,
    /// The sign-in's risk assessment (recorded with the session's first audit row).
    pub risk: Option<&'a RiskAssessment>,
}

/// A new refresh token: the opaque value for the client, its keyed hash for the store.
pub(crate) struct NewRefreshToken {
    pub token: String,
    pub hash: String,
}

impl TokenIssuer<'_> {
    pub fn new_refresh_token(&self) -> NewRefreshToken {
        let token = tokens::new_refresh_token();
        let hash = tokens::refresh_token_hash(self.keys, &token);
        NewRefreshToken { token, hash }
    }

    pub fn refresh_token_hash(&self, token: &str) -> String {
        tokens::refresh_token_hash(self.keys, token)
    }

    pub fn access_ttl(&self) -> Duration {
        std_duration(self.config.access_token_ttl)
    }

    /// How long a refresh token issued now lasts: the session's idle timeout (each
    /// refresh starts a new one). The store caps it at the session's end.
    pub fn idle_timeout(&self, remember_me: bool) -> Duration {
        std_duration(if remember_me {
            self.config.remember_me_idle_timeout
        } else {
            self.config.idle_timeout
        })
    }

    fn session_ttl(&self, remember_me: bool) -> Duration {
        std_duration(if remember_me {
            self.config.remember_me_session_ttl
        } else {
            self.config.session_ttl
        })
    }

    /// Start a session in `tx`: room for it under the account's session limit, the
    /// session row (with its `amr`), the first refresh token of a new family and the
    /// `SessionStarted` event; then sign the access token.
    ///
    /// Making room may end the account's oldest sessions, so the caller must forget the
    /// user's session-cache entries after it commits (login does).
    pub async fn start_session(
        &self,
        tx: &mut Tx,
        now: DateTime<Utc>,
        grant: SessionGrant<'_>,
    ) -> AccountsResult<TokenPair> {
        self.make_room(tx, grant.user_id, grant.client, now).await?;
        let access_jti = Uuid::now_v7();
        let refresh = self.new_refresh_token();
        let session_expires = now + self.session_ttl(grant.remember_me);
        let refresh_expires = (now + self.idle_timeout(grant.remember_me)).min(session_expires);
        let amr: Vec<String> = grant.amr.iter().map(|m| m.as_str().to_owned()).collect();
        sessions::insert(
            tx.exec(),
            &sessions::NewSession {
                id: grant.session_id,
                user_id: grant.user_id,
                device_id: Some(grant.device_id),
                access_jti: &access_jti.to_string(),
                refresh_jti: &refresh.hash,
                ip_address: grant.client.ip.map(Inet),
                user_agent: grant.client.user_agent.as_deref(),
                session_type: grant.session_type,
                amr: &amr,
                authenticated_at: now,
                mfa_verified: grant.mfa_verified,
                remember_me: grant.remember_me,
                expires_at: session_expires,
                now,
            },
        )
        .await?;
        refresh_tokens::insert(
            tx.exec(),
            &refresh_tokens::NewRefreshToken {
                id: Uuid::now_v7(),
                user_id: grant.user_id,
                session_id: grant.session_id,
                jti: &refresh.hash,
                family_id: TokenFamilyId::new(),
                parent_jti: None,
                expires_at: refresh_expires,
                now,
            },
        )
        .await?;
        events::record(
            tx,
            self.core,
            now,
            grant.client,
            Event::SessionStarted {
                user_id: grant.user_id,
                session_id: grant.session_id,
                device_id: grant.device_id,
                session_type: grant.session_type,
                mfa_verified: grant.mfa_verified,
                risk: grant.risk,
            },
        )
        .await?;
        let access = AccessGrant {
            user_id: grant.user_id,
            session_id: grant.session_id,
            jti: access_jti,
            amr,
            authenticated_at: now,
        };
        self.token_pair(&access, refresh.token, now)
    }

    /// End the account's oldest active sessions so that, with the one about to start, it
    /// holds at most `max_active_sessions_per_user`; each ends like a revocation (refresh
    /// tokens revoked, `SessionEnded` audited) with the reason `session_limit`. The
    /// account's row is locked first so two logins cannot both count the same sessions.
    async fn make_room(
        &self,
        tx: &mut Tx,
        user_id: UserId,
        client: &ClientInfo,
        now: DateTime<Utc>,
    ) -> AccountsResult<()> {
        sessions::lock_for_new_session(tx.exec(), user_id).await?;
        let keep = i64::from(self.config.max_active_sessions_per_user.saturating_sub(1));
        let reason = RevocationReason::SessionLimit;
        let mut ended =
            sessions::end_all_but_newest(tx.exec(), user_id, keep, revoked(reason), now).await?;
        // Oldest first, so the audit trail reads in the order the sessions began.
        ended.sort_by_key(|s| (s.created_at, s.id.as_uuid()));
        end_sessions(self.core, tx, user_id, &ended, reason, client, now).await?;
        Ok(())
    }

    /// Sign an access token for a session and pair it with its refresh token.
    pub fn token_pair(
        &self,
        access: &AccessGrant,
        refresh_token: String,
        now: DateTime<Utc>,
    ) -> AccountsResult<TokenPair> {
        let claims = AccessClaims {
            iss: self.config.issuer.clone(),
            sub: access.user_id.as_uuid(),
            sid: access.session_id.as_uuid(),
            jti: access.jti,
            amr: access.amr.clone(),
            auth_time: access.authenticated_at.timestamp(),
            iat: now.timestamp(),
            exp: (now + self.access_ttl()).timestamp(),
        };
        let access_token = tokens::sign(&self.keys.signing, &claims)
            .map_err(|e| AccountsError::Internal(e.to_string()))?;
        self.metrics.token_pair_issued();
        Ok(TokenPair {
            access_token,
            refresh_token,
            expires_in: self.config.access_token_ttl.as_secs(),
            session_id: access.session_id,
            user_id: access.user_id,
        })
    }
}

/// What an access token says: the session's user, id, methods and authentication time.
pub(crate) struct AccessGrant {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub jti: Uuid,
    pub amr: Vec<String>,
    pub authenticated_at: DateTime<Utc>,
}

pub(crate) fn std_duration(d: std::time::Duration) -> Duration {
    Duration::from_std(d).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_pair_debug_hides_the_tokens() {
        let pair = TokenPair {
            access_token: "eyJhbGciOiJFZERTQSJ9.secret-access".to_owned(),
            refresh_token: "secret-refresh-value".to_owned(),
            expires_in: 900,
            session_id: SessionId::new(),
            user_id: UserId::new(),
        };
        let shown = format!("{pair:?}");
        assert!(!shown.contains("secret-access"));
        assert!(!shown.contains("secret-refresh-value"));
        assert!(shown.contains("[redacted]"));
        assert!(shown.contains(&pair.session_id.to_string()));
    }
}
