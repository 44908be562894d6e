//! How busy the connection pools are, for the metrics an operator alerts on: each pool's
//! connections in use and idle (read from sqlx at scrape time), and the acquisitions that
//! had to wait or got no connection at all (counted here, as they happen).
//!
//! Counting costs the common case one load: an acquisition that finds an idle connection
//! is not timed. One that finds none — it waits for a connection to come back or for a new
//! one to open — is counted and timed; one that runs out of time is also a timeout (the
//! request answers `503 database_unavailable`).

use sqlx::{Database, Pool};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

/// The counters of one pool, kept by the [`Db`](crate::Db) that owns it.
#[derive(Debug, Default)]
pub struct PoolCounters {
    waits: AtomicU64,
    wait_micros: AtomicU64,
    timeouts: AtomicU64,
}

impl PoolCounters {
    /// Run `acquire` (the pool's `acquire()` or `begin()`), counting it if it had to wait.
    pub(crate) async fn acquire<DB: Database, T>(
        &self,
        pool: &Pool<DB>,
        acquire: impl Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, sqlx::Error> {
        if pool.num_idle() > 0 {
            let result = acquire.await;
            // Rare: the idle connections were dead and no new one opened in time.
            if matches!(result, Err(sqlx::Error::PoolTimedOut)) {
                self.timeouts.fetch_add(1, Relaxed);
            }
            return result;
        }
        // Counted before waiting, so a request given up on while it waits still counts.
        self.waits.fetch_add(1, Relaxed);
        let started = Instant::now();
        let result = acquire.await;
        let waited = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.wait_micros.fetch_add(waited, Relaxed);
        if matches!(result, Err(sqlx::Error::PoolTimedOut)) {
            self.timeouts.fetch_add(1, Relaxed);
        }
        result
    }

    /// This pool's figures now.
    pub(crate) fn read<DB: Database>(&self, name: &'static str, pool: &Pool<DB>) -> PoolStats {
        let size = pool.size();
        let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX).min(size);
        PoolStats {
            pool: name,
            max_connections: pool.options().get_max_connections(),
            in_use: size - idle,
            idle,
            waits: self.waits.load(Relaxed),
            wait_seconds: self.wait_micros.load(Relaxed) as f64 / 1e6,
            timeouts: self.timeouts.load(Relaxed),
        }
    }
}

/// The counters of a [`Db`](crate::Db)'s pools: PostgreSQL's one pool, or SQLite's writer
/// (`primary`) and reader pools. Read them through [`Db::pool_stats`](crate::Db::pool_stats).
#[derive(Debug, Default)]
pub struct DbCounters {
    pub(crate) primary: PoolCounters,
    pub(crate) reader: PoolCounters,
}

/// One pool's figures at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolStats {
    /// `postgres`, or `sqlite_writer` / `sqlite_reader`.
    pub pool: &'static str,
    pub max_connections: u32,
    /// Connections handed out now.
    pub in_use: u32,
    /// Open connections waiting in the pool now.
    pub idle: u32,
    /// Acquisitions since start that found no idle connection.
    pub waits: u64,
    /// The time those acquisitions waited, in total (a wait given up on adds nothing).
    pub wait_seconds: f64,
    /// Acquisitions since start that got no connection within the acquire timeout.
    pub timeouts: u64,
}
