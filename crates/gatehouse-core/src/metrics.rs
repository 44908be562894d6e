//! What an operator alerts on, counted where it is known: logins by outcome (a wrong
//! password and an unknown account answer alike over HTTP, so only core can tell them
//! apart), lockouts started, refresh-token reuse, tokens issued; and, read when metrics are
//! scraped, the gauges — sessions active, the database pools, the Argon2 queue. Core counts,
//! the HTTP crate renders ([`crate::scrape::snapshot`] is everything at one moment).
//!
//! Counting is an atomic increment on the request's path and nothing more. The sessions
//! gauge is a count query, run at scrape time under a timeout and reused for
//! [`SESSIONS_MAX_AGE`], so a burst of scrapes (the endpoint is public) costs the database
//! one query.

use chrono::{DateTime, Utc};
use gatehouse_domain::accounts::LockKind;
use gatehouse_store::PoolStats;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Duration;

/// How long a sessions count is reused (by the core clock).
pub const SESSIONS_MAX_AGE: Duration = Duration::from_secs(5);

/// The longest a scrape waits for the sessions count; past it the gauge is left out, so a
/// scrape during a database outage still answers at once.
pub const SESSIONS_COUNT_TIMEOUT: Duration = Duration::from_millis(500);

/// How a login attempt ended (the discriminant is its counter's index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum LoginOutcome {
    Success = 0,
    WrongPassword = 1,
    UnknownAccount = 2,
    /// Refused because a lock held (or this attempt set it), before any password check.
    Locked = 3,
    /// The right password for a disabled account.
    Disabled = 4,
    /// The right password; the account's second factor was asked for.
    MfaRequired = 5,
    /// The right password, but the sign-in's risk was critical (refused).
    RiskRefused = 6,
}

impl LoginOutcome {
    pub const ALL: [LoginOutcome; 7] = [
        LoginOutcome::Success,
        LoginOutcome::WrongPassword,
        LoginOutcome::UnknownAccount,
        LoginOutcome::Locked,
        LoginOutcome::Disabled,
        LoginOutcome::MfaRequired,
        LoginOutcome::RiskRefused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LoginOutcome::Success => "success",
            LoginOutcome::WrongPassword => "wrong_password",
            LoginOutcome::UnknownAccount => "unknown_account",
            LoginOutcome::Locked => "locked",
            LoginOutcome::Disabled => "disabled",
            LoginOutcome::MfaRequired => "mfa_required",
            LoginOutcome::RiskRefused => "risk_refused",
        }
    }
}

/// Every kind of lock, in the order they are listed.
pub(crate) const LOCK_KINDS: [LockKind; 4] = [
    LockKind::Account,
    LockKind::KnownClient,
    LockKind::Session,
    LockKind::Address,
];

fn lock_index(kind: LockKind) -> usize {
    match kind {
        LockKind::Account => 0,
        LockKind::KnownClient => 1,
        LockKind::Session => 2,
        LockKind::Address => 3,
    }
}

/// What pruning removes, in the order the counters are listed (`kind` label).
pub(crate) const PRUNED_KINDS: [&str; 5] = [
    "refresh_token",
    "session",
    "throttle_counter",
    "notification",
    "mfa_code",
];

/// The counters core keeps; one per [`Core`].
#[derive(Debug, Default)]
pub struct CoreMetrics {
    pub(crate) logins: [AtomicU64; LoginOutcome::ALL.len()],
    pub(crate) lockouts: [AtomicU64; LOCK_KINDS.len()],
    pub(crate) refresh_token_reuse: AtomicU64,
    pub(crate) sessions_expired: AtomicU64,
    pub(crate) access_tokens: AtomicU64,
    pub(crate) refresh_tokens: AtomicU64,
    /// Rows removed by pruning, by [`PRUNED_KINDS`] index.
    pub(crate) pruned: [AtomicU64; PRUNED_KINDS.len()],
    /// The last sessions count and when (core clock) it was taken.
    pub(crate) sessions: Mutex<Option<(DateTime<Utc>, i64)>>,
    /// Held while a count runs, so concurrent scrapes do not each start one.
    pub(crate) counting: tokio::sync::Mutex<()>,
}

impl CoreMetrics {
    pub fn login(&self, outcome: LoginOutcome) {
        self.logins[outcome as usize].fetch_add(1, Relaxed);
    }

    /// A lock was set (an attempt tripped a counter's limit).
    pub fn lockout_started(&self, kind: LockKind) {
        self.lockouts[lock_index(kind)].fetch_add(1, Relaxed);
    }

    /// Sessions the expiry sweep ended (idle past their timeout or past their lifetime).
    pub fn sessions_expired(&self, n: u64) {
        self.sessions_expired.fetch_add(n, Relaxed);
    }

    pub fn refresh_token_reused(&self) {
        self.refresh_token_reuse.fetch_add(1, Relaxed);
    }

    /// Rows removed by one prune run (see `crate::maintenance`), by kind: refresh tokens,
    /// sessions, throttle counters. Plain counts, so this module needs nothing of the
    /// maintenance one (which needs `Core`, which holds these counters).
    /// Rows pruned, in [`PRUNED_KINDS`] order.
    pub fn pruned(&self, counts: [u64; PRUNED_KINDS.len()]) {
        for (counter, n) in self.pruned.iter().zip(counts) {
            counter.fetch_add(n, Relaxed);
        }
    }

    /// A signed access token and a refresh token were handed out together.
    pub fn token_pair_issued(&self) {
        self.access_tokens.fetch_add(1, Relaxed);
        self.refresh_tokens.fetch_add(1, Relaxed);
    }
}

/// Argon2id work: the queue and how long each run took.
#[derive(Debug, Clone, PartialEq)]
pub struct HashingStats {
    /// The hashing threads (`[argon2] hash_concurrency`).
    pub workers: u64,
    /// Hashes and verifications waiting for a thread now.
    pub queued: u64,
    /// Runs by duration: (upper bound in seconds, runs up to it), cumulative.
    pub buckets: Vec<(f64, u64)>,
    pub count: u64,
    pub sum_seconds: f64,
}

/// Everything the metrics show, at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub logins: Vec<(&'static str, u64)>,
    pub lockouts: Vec<(&'static str, u64)>,
    pub refresh_token_reuse: u64,
    /// Sessions the expiry sweep ended.
    pub sessions_expired: u64,
    /// (`access` or `refresh`, count).
    pub tokens_issued: Vec<(&'static str, u64)>,
    /// Rows removed by pruning, by kind.
    pub pruned: Vec<(&'static str, u64)>,
    /// `None` when the count could not be had in time.
    pub sessions_active: Option<i64>,
    pub pools: Vec<PoolStats>,
    pub hashing: HashingStats,
}

/// A histogram of durations with fixed bounds, on atomics (observed off the async threads).
#[derive(Debug)]
pub(crate) struct Histogram {
    bounds: &'static [f64],
    /// Observations per bucket, not cumulative; the last counts those above every bound.
    buckets: Vec<AtomicU64>,
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub(crate) fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }

    pub(crate) fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let bucket = self
            .bounds
            .iter()
            .position(|bound| secs <= *bound)
            .unwrap_or(self.bounds.len());
        if let Some(b) = self.buckets.get(bucket) {
            b.fetch_add(1, Relaxed);
        }
        self.count.fetch_add(1, Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Relaxed);
    }

    /// (bound, cumulative count) per bound, the total count and the sum in seconds.
    pub(crate) fn read(&self) -> (Vec<(f64, u64)>, u64, f64) {
        let mut cumulative = 0;
        let buckets = self
            .bounds
            .iter()
            .zip(&self.buckets)
            .map(|(bound, n)| {
                cumulative += n.load(Relaxed);
                (*bound, cumulative)
            })
            .collect();
        let sum = self.sum_micros.load(Relaxed) as f64 / 1e6;
        (buckets, self.count.load(Relaxed), sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_the_slowest_only_counted() {
        static BOUNDS: [f64; 3] = [0.01, 0.1, 1.0];
        let h = Histogram::new(&BOUNDS);
        h.observe(Duration::from_millis(5));
        h.observe(Duration::from_millis(50));
        h.observe(Duration::from_millis(60));
        h.observe(Duration::from_secs(3));
        let (buckets, count, sum) = h.read();
        assert_eq!(buckets, vec![(0.01, 1), (0.1, 3), (1.0, 3)]);
        assert_eq!(count, 4);
        assert!((sum - 3.115).abs() < 1e-9, "{sum}");
    }

    #[test]
    fn each_outcome_and_lock_kind_has_its_own_counter() {
        let m = CoreMetrics::default();
        for (i, outcome) in LoginOutcome::ALL.into_iter().enumerate() {
            for _ in 0..=i {
                m.login(outcome);
            }
        }
        for (i, kind) in LOCK_KINDS.into_iter().enumerate() {
            for _ in 0..=i {
                m.lockout_started(kind);
            }
        }
        let logins: Vec<u64> = m.logins.iter().map(|n| n.load(Relaxed)).collect();
        assert_eq!(logins, vec![1, 2, 3, 4, 5, 6, 7]);
        let lockouts: Vec<u64> = m.lockouts.iter().map(|n| n.load(Relaxed)).collect();
        assert_eq!(lockouts, vec![1, 2, 3, 4]);
    }
}
