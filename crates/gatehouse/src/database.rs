//! Opening the database for `serve` and `migrate`. A failure is one line that says where
//! (host:port, database and user — never the password) and why, once: `cannot connect to
//! PostgreSQL at db:5432 (database gatehouse, user gatehouse): connection refused`.

use crate::settings::Settings;
use gatehouse_store::{Backend, Db, Location};

/// Connect to the configured database. A PostgreSQL server that refuses, rejects the
/// login or lacks the database fails at once; one that does not answer fails after
/// `database.acquire_timeout_ms` (1.5 s by default).
pub async fn connect(settings: &Settings, location: &Location) -> anyhow::Result<Db> {
    let options = settings.database.options();
    let db = Db::connect(&settings.database_url(), &options)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot connect to {}: {}",
                location.describe(),
                e.connect_cause()
            )
        })?;
    let replica = settings.database.replica_url.as_str();
    if replica.is_empty() {
        return Ok(db);
    }
    let replica_location = Location::parse(replica)?;
    db.with_replica(replica, &options).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot connect to the replica, {}: {}",
            replica_location.describe(),
            e.connect_cause()
        )
    })
}

/// The backend as the logs and `migrate status` name it.
pub fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "postgres",
        Backend::Sqlite => "sqlite",
    }
}
