//! Whether this node can serve: the database answers and its schema is the one this build
//! expects. `/readyz` asks here so the HTTP layer never reaches into the store itself.

use crate::state::Core;
use gatehouse_store::migrate;
use std::time::Duration;

/// The longest a readiness check waits for the database. Far below the pool's acquire
/// timeout, so a load balancer polling `/readyz` hears "not ready" at once during an outage
/// instead of after a connection attempt has run out of time.
pub const READINESS_TIMEOUT: Duration = Duration::from_millis(500);

/// The answer to "can this node take traffic?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// The database did not answer a trivial query.
    DatabaseUnreachable,
    /// Some migration embedded in this build is not applied yet.
    MigrationsPending,
    /// The migration table could not be read.
    MigrationStateUnreadable,
}

impl Readiness {
    pub fn is_ready(self) -> bool {
        self == Readiness::Ready
    }

    /// A short reason, safe to show to any caller (no database text).
    pub fn reason(self) -> &'static str {
        match self {
            Readiness::Ready => "ready",
            Readiness::DatabaseUnreachable => "database unreachable",
            Readiness::MigrationsPending => "migrations pending",
            Readiness::MigrationStateUnreadable => "migration state unreadable",
        }
    }
}

/// Check the database and the migration state, within [`READINESS_TIMEOUT`]. Causes are
/// logged here, never returned, because the readiness endpoint is public.
pub async fn readiness(core: &Core) -> Readiness {
    match tokio::time::timeout(READINESS_TIMEOUT, check(core)).await {
        Ok(readiness) => readiness,
        Err(_) => {
            tracing::warn!(
                timeout_ms = READINESS_TIMEOUT.as_millis(),
                "not ready: the database did not answer in time"
            );
            Readiness::DatabaseUnreachable
        }
    }
}

async fn check(core: &Core) -> Readiness {
    if let Err(error) = core.db.ping().await {
        tracing::warn!(%error, "not ready: database unreachable");
        return Readiness::DatabaseUnreachable;
    }
    match migrate::is_current(&core.db).await {
        Ok(true) => Readiness::Ready,
        Ok(false) => Readiness::MigrationsPending,
        Err(error) => {
            tracing::warn!(%error, "not ready: migration state unreadable");
            Readiness::MigrationStateUnreadable
        }
    }
}
