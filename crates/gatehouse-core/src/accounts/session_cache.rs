//! Recently checked sessions, remembered per node so an authenticated request — and
//! `GET /v1/me`, which returns the account — needs no database round trip while nothing
//! about the session or its account has changed.
//!
//! Correctness rules, and how they hold:
//! - **A change made on this node stops a token at once.** Use cases that end a session,
//!   change the account or its profile call [`SessionCache::forget_user`] right after they
//!   commit, before they answer.
//! - **A change made elsewhere stops it within a moment.** On PostgreSQL, triggers announce
//!   every such committed change (migration 0008); [`spawn_listener`] forgets that user's
//!   entries on notice. The cache is only used while that subscription is up: when it drops
//!   (notices may have been missed) everything is forgotten and the cache stays off until
//!   the subscription is back. A drop is noticed at once when the connection closes or
//!   resets, and within ~3 s when it merely falls silent (the subscription checks a quiet
//!   connection; see `gatehouse_store::changes`). SQLite has no notices, so the cache is
//!   never on there.
//! - **A read never outlives a change it raced.** A request notes the cache's epoch before
//!   it reads the database and stores what it read only if no forget happened since.
//! - Expiry is checked against the clock on every use; entries are bounded in number.

use crate::state::Core;
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::{SessionId, UserId};
use gatehouse_store::accounts::users::UserWithProfile;
use gatehouse_store::changes::{AccountChanges, Notice};
use gatehouse_store::Db;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What is known of one active session.
#[derive(Clone)]
pub(crate) struct CachedSession {
    pub user_id: UserId,
    pub expires_at: DateTime<Utc>,
    /// The account and profile, once a `GET /v1/me` has read them.
    pub view: Option<Arc<UserWithProfile>>,
}

#[derive(Default)]
struct Entries {
    by_session: HashMap<SessionId, CachedSession>,
    /// Bumped by every forget: a read that started at an older epoch is not stored.
    epoch: u64,
}

/// The per-node session cache (see the module docs for its rules).
pub struct SessionCache {
    entries: Mutex<Entries>,
    enabled: AtomicBool,
    capacity: usize,
}

/// Where a read started, to store its result only if nothing changed meanwhile.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadStart(u64);

impl SessionCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(Entries::default()),
            enabled: AtomicBool::new(false),
            capacity,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// True while change notices are being received (so cached entries can be trusted).
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Acquire)
    }

    /// The session, if remembered for this user and not yet expired.
    pub(crate) fn get(
        &self,
        session_id: SessionId,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Option<CachedSession> {
        if !self.is_enabled() {
            return None;
        }
        let entries = self.lock();
        entries
            .by_session
            .get(&session_id)
            .filter(|c| c.user_id == user_id && c.expires_at > now)
            .cloned()
    }

    pub(crate) fn start_read(&self) -> ReadStart {
        ReadStart(self.lock().epoch)
    }

    /// Remember a session read from the database after `start`, unless something was
    /// forgotten since (the read may predate that change).
    pub(crate) fn put(&self, start: ReadStart, session_id: SessionId, session: CachedSession) {
        if !self.is_enabled() {
            return;
        }
        let mut entries = self.lock();
        if entries.epoch != start.0 {
            return;
        }
        if entries.by_session.len() >= self.capacity
            && !entries.by_session.contains_key(&session_id)
        {
            // Full: start over (simple, and a miss only costs one query).
            entries.by_session.clear();
        }
        entries.by_session.insert(session_id, session);
    }

    /// Forget every session of a user (their session, account or profile changed).
    pub fn forget_user(&self, user_id: UserId) {
        let mut entries = self.lock();
        entries.epoch += 1;
        entries.by_session.retain(|_, c| c.user_id != user_id);
    }

    /// Forget everything.
    pub fn forget_all(&self) {
        let mut entries = self.lock();
        entries.epoch += 1;
        entries.by_session.clear();
    }

    fn set_enabled(&self, on: bool) {
        self.forget_all();
        self.enabled.store(on, Ordering::Release);
    }

    /// Whether a session is remembered (for tests and diagnostics).
    pub fn contains(&self, session_id: SessionId) -> bool {
        self.lock().by_session.contains_key(&session_id)
    }
}

/// Keep the cache in step with changes made by other nodes: subscribe to account change
/// notices and forget what they name; on PostgreSQL only (on SQLite the cache stays off).
/// Runs until the runtime stops; a lost subscription turns the cache off until it is back.
/// With a capacity of 0 (`[tokens] session_cache_entries = 0`) the cache is never turned on.
pub fn spawn_listener(core: &Core) {
    if core.config.session_cache_entries == 0 {
        return;
    }
    let db = core.db.clone();
    let cache = core.session_cache.clone();
    tokio::spawn(async move { listen(db, cache).await });
}

async fn listen(db: Db, cache: Arc<SessionCache>) {
    loop {
        match AccountChanges::listen(&db).await {
            Ok(None) => return,
            Ok(Some(mut changes)) => {
                cache.set_enabled(true);
                loop {
                    match changes.next().await {
                        Ok(Notice::User(user_id)) => cache.forget_user(user_id),
                        Ok(Notice::Unknown) => cache.forget_all(),
                        Ok(Notice::Lost) | Err(_) => {
                            tracing::warn!("account change notices interrupted: session cache off until they resume");
                            cache.set_enabled(false);
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                cache.set_enabled(false);
                tracing::warn!(error = %e, "cannot subscribe to account change notices; session cache off");
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(user_id: UserId, expires_at: DateTime<Utc>) -> CachedSession {
        CachedSession {
            user_id,
            expires_at,
            view: None,
        }
    }

    #[test]
    fn off_until_enabled_and_checks_owner_and_expiry() {
        let cache = SessionCache::new(10);
        let (sid, uid, now) = (SessionId::new(), UserId::new(), Utc::now());
        let later = now + chrono::Duration::minutes(5);
        cache.put(cache.start_read(), sid, entry(uid, later));
        assert!(
            cache.get(sid, uid, now).is_none(),
            "disabled cache stores nothing"
        );

        cache.set_enabled(true);
        cache.put(cache.start_read(), sid, entry(uid, later));
        assert!(cache.get(sid, uid, now).is_some());
        assert!(cache.get(sid, UserId::new(), now).is_none(), "other user");
        assert!(cache.get(sid, uid, later).is_none(), "expired");
    }

    #[test]
    fn a_read_that_raced_a_forget_is_not_stored() {
        let cache = SessionCache::new(10);
        cache.set_enabled(true);
        let (sid, uid, now) = (SessionId::new(), UserId::new(), Utc::now());
        let start = cache.start_read();
        cache.forget_user(uid); // the change lands while the read is in flight
        cache.put(start, sid, entry(uid, now + chrono::Duration::minutes(5)));
        assert!(!cache.contains(sid));
    }

    #[test]
    fn forgetting_a_user_drops_only_their_sessions_and_turning_off_drops_all() {
        let cache = SessionCache::new(10);
        cache.set_enabled(true);
        let later = Utc::now() + chrono::Duration::minutes(5);
        let (a, b) = (UserId::new(), UserId::new());
        let (sa, sb) = (SessionId::new(), SessionId::new());
        cache.put(cache.start_read(), sa, entry(a, later));
        cache.put(cache.start_read(), sb, entry(b, later));
        cache.forget_user(a);
        assert!(!cache.contains(sa) && cache.contains(sb));
        cache.set_enabled(false);
        assert!(!cache.contains(sb));
    }

    #[test]
    fn bounded() {
        let cache = SessionCache::new(2);
        cache.set_enabled(true);
        let later = Utc::now() + chrono::Duration::minutes(5);
        for _ in 0..5 {
            cache.put(
                cache.start_read(),
                SessionId::new(),
                entry(UserId::new(), later),
            );
        }
        assert!(cache.lock().by_session.len() <= 2);
    }
}
