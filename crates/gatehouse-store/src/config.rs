//! The `[database]` section: which database to use, how many connections to hold and how
//! long a call waits for one. The binary fills in the default URL (an SQLite file in its
//! data directory) and checks the values at start-up; unknown keys are refused here.

use crate::db::DbOptions;
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite:…` or `postgres://…`; empty means the binary's default SQLite file.
    pub url: String,
    /// Maximum PostgreSQL connections (or SQLite reader connections).
    pub max_connections: u32,
    /// How long a call waits for a connection (opening one included) before it fails as
    /// "database unavailable" (HTTP 503); see [`DEFAULT_ACQUIRE_TIMEOUT`](crate::db::DEFAULT_ACQUIRE_TIMEOUT).
    pub acquire_timeout_ms: u64,
    /// Whether `serve` applies pending migrations at start-up (`true`) or refuses to start
    /// until `gatehouse migrate up` has (`false`, for deployments that migrate as a
    /// separate, owner-privileged step).
    pub migrate_on_start: bool,
    /// A streaming replica (`postgres://…`) for reports: staff audit lists, daily
    /// summaries and exports. Empty: everything reads the primary.
    pub replica_url: String,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            max_connections: DbOptions::default().max_connections,
            acquire_timeout_ms: millis(DbOptions::default().acquire_timeout),
            migrate_on_start: true,
            replica_url: String::new(),
        }
    }
}

impl DatabaseConfig {
    /// The pool options for [`Db::connect`](crate::Db::connect); what the section does not
    /// set keeps its default.
    pub fn options(&self) -> DbOptions {
        DbOptions {
            max_connections: self.max_connections,
            acquire_timeout: Duration::from_millis(self.acquire_timeout_ms),
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
