//! Retention of the audit logs (`[audit]`): rows older than `retention_days` go, and
//! nothing else ever removes an audit row. On PostgreSQL monthly partitions are created
//! `partitions_ahead` months ahead and a partition is detached and dropped once its whole
//! month is past the retention (rows in the DEFAULT partition are deleted in batches); on
//! SQLite expired rows are deleted `batch_size` at a time, each batch its own statement.

use super::seal::{self, day_start};
use crate::clock::before;
use crate::state::Core;
use gatehouse_store::audit_retention::{self, AuditLog};
use gatehouse_store::audit_seals;
use gatehouse_store::{maintenance, Executor, StoreResult};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[audit]`: how long audit rows are kept and how their upkeep runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Days an audit row is kept (30 to 3660). On PostgreSQL a month's partition goes once
    /// its last day is this old, so rows live up to a month longer.
    pub retention_days: u32,
    /// Rows deleted per statement (1 to 10000).
    pub batch_size: u32,
    /// Monthly partitions kept ready beyond the current month (PostgreSQL; 1 to 24).
    pub partitions_ahead: u32,
    /// Seconds between the workers' sealing runs (10 to 86400; see `audit_ops::seal`).
    pub seal_interval_seconds: u32,
    /// Whether each audit row stores the hash of its content. Turn off only to measure
    /// what the hashes cost: rows written without one are sealed by id and time alone.
    pub row_hashes: bool,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            // Thirteen months and a bit: a year's comparison plus the month being closed.
            retention_days: 400,
            batch_size: 1000,
            partitions_ahead: 3,
            seal_interval_seconds: 300,
            row_hashes: true,
        }
    }
}

impl AuditConfig {
    /// The first bad key and why, or `None`.
    pub fn invalid(&self) -> Option<(&'static str, &'static str)> {
        if !(30..=3660).contains(&self.retention_days) {
            return Some(("audit.retention_days", "must be 30 to 3660"));
        }
        if !(1..=10_000).contains(&self.batch_size) {
            return Some(("audit.batch_size", "must be 1 to 10000"));
        }
        if !(1..=24).contains(&self.partitions_ahead) {
            return Some(("audit.partitions_ahead", "must be 1 to 24"));
        }
        if !(10..=86_400).contains(&self.seal_interval_seconds) {
            return Some(("audit.seal_interval_seconds", "must be 10 to 86400"));
        }
        None
    }
}

/// What one `maintain` run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MaintainReport {
    pub partitions_created: i32,
    pub partitions_dropped: i32,
    /// Rows deleted one batch at a time (SQLite; PostgreSQL's DEFAULT partitions).
    pub rows_deleted: u64,
}

/// Create the coming partitions, then remove what is past the retention. The cutoff is a
/// UTC midnight (rows live up to a day longer) so it never falls inside a sealed window;
/// the seal chain records it before any row goes.
#[tracing::instrument(skip_all)]
pub async fn maintain(core: &Core, config: &AuditConfig) -> StoreResult<MaintainReport> {
    let now = core.clock.now();
    let cutoff = day_start(before(
        now,
        Duration::from_secs(u64::from(config.retention_days) * 24 * 60 * 60),
    ));
    let ahead = i32::try_from(config.partitions_ahead).unwrap_or(24);
    let partitions_created = maintenance::ensure_audit_partitions(&core.db, ahead).await?;
    for log in AuditLog::ALL {
        seal::record_retention(core, log, cutoff).await?;
    }
    let partitions_dropped = audit_retention::drop_expired_partitions(&core.db, cutoff).await?;
    let batch = i64::from(config.batch_size.max(1));
    let mut rows_deleted = 0;
    for log in AuditLog::ALL {
        loop {
            let removed = {
                let mut tx = core.db.begin().await?;
                audit_seals::allow_retention_deletes(tx.exec()).await?;
                let removed =
                    audit_retention::delete_expired(tx.exec(), log, cutoff, batch).await?;
                tx.commit().await?;
                removed
            };
            rows_deleted += removed;
            if removed < batch as u64 {
                break;
            }
        }
    }
    Ok(MaintainReport {
        partitions_created,
        partitions_dropped,
        rows_deleted,
    })
}
