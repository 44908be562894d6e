//! What one metrics scrape reads: the counters of [`crate::metrics`], and the gauges that
//! need `Core` — live sessions (a count query under a timeout, reused for a few seconds),
//! the database pools and the Argon2 queue.

use crate::clock::before;
use crate::metrics::{
    LoginOutcome, Snapshot, LOCK_KINDS, SESSIONS_COUNT_TIMEOUT, SESSIONS_MAX_AGE,
};
use crate::state::Core;
use chrono::{DateTime, Utc};
use gatehouse_store::accounts::sessions;
use gatehouse_store::Executor;
use std::sync::atomic::Ordering::Relaxed;

/// Read every metric; waits at most [`SESSIONS_COUNT_TIMEOUT`] for the database.
pub async fn snapshot(core: &Core) -> Snapshot {
    let m = &core.metrics;
    // Before the count, so the pools do not show the scrape's own connection in use.
    let pools = core.db.pool_stats();
    Snapshot {
        logins: LoginOutcome::ALL
            .iter()
            .zip(&m.logins)
            .map(|(o, n)| (o.as_str(), n.load(Relaxed)))
            .collect(),
        lockouts: LOCK_KINDS
            .iter()
            .zip(&m.lockouts)
            .map(|(k, n)| (k.as_str(), n.load(Relaxed)))
            .collect(),
        refresh_token_reuse: m.refresh_token_reuse.load(Relaxed),
        sessions_expired: m.sessions_expired.load(Relaxed),
        pruned: crate::metrics::PRUNED_KINDS
            .iter()
            .zip(&m.pruned)
            .map(|(k, n)| (*k, n.load(Relaxed)))
            .collect(),
        tokens_issued: vec![
            ("access", m.access_tokens.load(Relaxed)),
            ("refresh", m.refresh_tokens.load(Relaxed)),
        ],
        sessions_active: sessions_active(core).await,
        pools,
        hashing: core.hasher.stats(),
    }
}

/// Live sessions (see [`sessions::count_live`]): a count at most [`SESSIONS_MAX_AGE`] old,
/// or a fresh one within [`SESSIONS_COUNT_TIMEOUT`]. While another scrape is counting, the
/// last count is answered.
async fn sessions_active(core: &Core) -> Option<i64> {
    let m = &core.metrics;
    let now = core.clock.now();
    let last = *m.sessions.lock().unwrap_or_else(|p| p.into_inner());
    let max_age = chrono::Duration::from_std(SESSIONS_MAX_AGE).unwrap_or_default();
    if let Some((_, n)) = last.filter(|(at, _)| *at <= now && now - *at < max_age) {
        return Some(n);
    }
    let Ok(_counting) = m.counting.try_lock() else {
        return last.map(|(_, n)| n);
    };
    match tokio::time::timeout(SESSIONS_COUNT_TIMEOUT, count_live(core, now)).await {
        Ok(Ok(n)) => {
            *m.sessions.lock().unwrap_or_else(|p| p.into_inner()) = Some((now, n));
            Some(n)
        }
        Ok(Err(error)) => {
            tracing::debug!(%error, "sessions gauge: count failed");
            None
        }
        Err(_) => {
            tracing::debug!("sessions gauge: the database did not answer in time");
            None
        }
    }
}

async fn count_live(core: &Core, now: DateTime<Utc>) -> Result<i64, gatehouse_store::StoreError> {
    let mut conn = core.db.reader().await?;
    sessions::count_live(
        conn.exec(),
        now,
        before(now, core.config.idle_timeout),
        before(now, core.config.remember_me_idle_timeout),
    )
    .await
}
