//! Pruning what can no longer matter (issue 13): first the sessions still marked active
//! whose idle timeout or lifetime has passed are ended as `expired` (audited, as when
//! their token is presented); then refresh tokens of ended sessions once
//! the reuse-detection window has passed, ended sessions after a retention period, and
//! failed-attempt counters whose window and lock are both over. Run by `gatehouse serve`
//! every `[maintenance] interval_secs` and once by `gatehouse maintain`.
//!
//! Rotated tokens of *live* sessions are kept on purpose: they are what lets a replay of a
//! stolen, already-rotated token be recognised as reuse (and end the session) for as long
//! as the session lives. The audit rows are never pruned here: they are the record.

use crate::clock::before;
use crate::state::Core;
use gatehouse_store::{prune, Executor, StoreResult};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[maintenance]`: how long what is kept, and how pruning runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MaintenanceConfig {
    /// Seconds between two prune runs in `gatehouse serve`.
    pub interval_secs: u64,
    /// How long after a session ends (or expires) its refresh tokens are kept, so a
    /// replayed token is still reported as reuse rather than merely invalid.
    pub reuse_window_secs: u64,
    /// How long after a session ends (or expires) its row is kept (shown in no API, but
    /// there for investigations). At least `reuse_window_secs`.
    pub session_retention_secs: u64,
    /// Rows deleted per statement.
    pub batch_size: u32,
    /// How long a delivered (or failed) email or SMS, a line of a message's history and an
    /// in-app message are kept.
    pub notification_retention_secs: u64,
}

impl Default for MaintenanceConfig {
    fn default() -> Self {
        Self {
            interval_secs: 10 * 60,
            reuse_window_secs: 7 * 24 * 60 * 60,
            session_retention_secs: 30 * 24 * 60 * 60,
            batch_size: 1000,
            notification_retention_secs: 90 * 24 * 60 * 60,
        }
    }
}

/// Rows removed by one run, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Sessions ended as `expired` (not deleted): idle past their timeout or past their
    /// lifetime, with nobody presenting their token.
    pub sessions_expired: u64,
    pub refresh_tokens: u64,
    pub sessions: u64,
    pub throttle_counters: u64,
    /// Finished emails and SMS, history lines, in-app messages and expired alert links.
    pub notifications: u64,
    /// Expired login challenges and one-time codes.
    pub mfa_codes: u64,
}

/// The longest window any failed-attempt counter is read with: logins (per account and
/// per address) and the hourly password-change and sign-up counters.
fn longest_throttle_window(core: &Core) -> Duration {
    let t = &core.config.throttle;
    t.account_window
        .max(t.ip_window)
        .max(Duration::from_secs(60 * 60))
}

/// Run one pruning statement (`$call`, given an executor) on a fresh writer connection
/// until it removes fewer than `$batch` rows; each is its own short statement, so
/// concurrent requests interleave between them.
macro_rules! in_batches {
    ($db:expr, $batch:expr, |$ex:ident| $call:expr) => {{
        let mut total: u64 = 0;
        loop {
            let removed = {
                let mut conn = $db.writer().await?;
                let $ex = conn.exec();
                $call.await?
            };
            total += removed;
            if removed < $batch as u64 {
                break total;
            }
        }
    }};
}

/// Prune once, everything that is due, and count it in core's metrics.
pub async fn prune(core: &Core, config: &MaintenanceConfig) -> StoreResult<PruneReport> {
    let now = core.clock.now();
    let batch = i64::from(config.batch_size.max(1));
    let tokens_cutoff = before(now, Duration::from_secs(config.reuse_window_secs));
    let sessions_cutoff = before(now, Duration::from_secs(config.session_retention_secs));
    let throttle_cutoff = before(now, longest_throttle_window(core));
    let sessions_expired = crate::accounts::expire_lapsed(core, batch).await?;
    // Tokens first: a session past its retention is past the reuse window too, so its
    // tokens are counted here rather than vanishing uncounted by cascade.
    let refresh_tokens = in_batches!(
        core.db,
        batch,
        |ex| prune::refresh_tokens_of_ended_sessions(ex, tokens_cutoff, batch,)
    );
    let sessions = in_batches!(core.db, batch, |ex| prune::ended_sessions(
        ex,
        sessions_cutoff,
        batch
    ));
    let throttle_counters = in_batches!(core.db, batch, |ex| prune::stale_throttle_counters(
        ex,
        throttle_cutoff,
        now,
        batch,
    ));
    let notifications = prune_notifications(core, config, now, batch).await?;
    let challenges = in_batches!(core.db, batch, |ex| prune::expired_mfa_challenges(
        ex, now, batch
    ));
    let codes = in_batches!(core.db, batch, |ex| prune::expired_otp_codes(
        ex, now, batch
    ));
    let report = PruneReport {
        sessions_expired,
        refresh_tokens,
        sessions,
        throttle_counters,
        notifications,
        mfa_codes: challenges + codes,
    };
    core.metrics.sessions_expired(report.sessions_expired);
    core.metrics.pruned([
        report.refresh_tokens,
        report.sessions,
        report.throttle_counters,
        report.notifications,
        report.mfa_codes,
    ]);
    Ok(report)
}

/// What notifications leave behind: messages whose delivery is over, history lines and
/// in-app messages past the retention, and expired alert links. Pending messages stay
/// however old (a worker will still send or fail them); the consent ledger is never pruned.
async fn prune_notifications(
    core: &Core,
    config: &MaintenanceConfig,
    now: chrono::DateTime<chrono::Utc>,
    batch: i64,
) -> StoreResult<u64> {
    let cutoff = before(now, Duration::from_secs(config.notification_retention_secs));
    let emails = in_batches!(core.db, batch, |ex| prune::finished_emails(
        ex, cutoff, batch
    ));
    let sms = in_batches!(core.db, batch, |ex| prune::finished_sms(ex, cutoff, batch));
    let log = in_batches!(core.db, batch, |ex| prune::notification_log(
        ex, cutoff, batch
    ));
    let in_app = in_batches!(core.db, batch, |ex| prune::in_app_notifications(
        ex, cutoff, batch
    ));
    let links = in_batches!(core.db, batch, |ex| prune::expired_action_tokens(
        ex, now, batch
    ));
    Ok(emails + sms + log + in_app + links)
}
