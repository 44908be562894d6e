//! `gatehouse serve`: bind the listen address, say what is starting, then the database,
//! keys, migrations, partition upkeep and pruning, then the HTTP server until SIGTERM or Ctrl-C
//! (in-flight requests finish first).
//!
//! The order is the operator's: a busy port fails before anything else is touched, the
//! first log line names what this process is (version, backend, database without its
//! password, data directory, the address actually bound), and an unreachable database
//! fails before any key is generated.

use crate::database::backend_name;
use crate::settings::{Loaded, Settings};
use anyhow::Context;
use gatehouse_core::maintenance::MaintenanceConfig;
use gatehouse_core::{Core, SystemClock};
use gatehouse_http::{router, AppState};
use gatehouse_store::{maintenance, Db};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub async fn run(loaded: Loaded) -> anyhow::Result<()> {
    let settings: Settings = loaded.settings;
    let location = settings.database_location()?;
    let addr: SocketAddr = settings
        .http
        .listen
        .parse()
        .context("invalid listen address")?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    // Port 0 asks the system for a free port: this says which one it gave.
    let bound = listener
        .local_addr()
        .with_context(|| format!("cannot read the address bound for {addr}"))?;
    tracing::info!(
        version = %env!("CARGO_PKG_VERSION"),
        backend = %backend_name(location.backend()),
        database = %location,
        data_dir = %settings.data_dir.display(),
        listen = %bound,
        "gatehouse {} starting on {bound}",
        env!("CARGO_PKG_VERSION"),
    );
    for deprecation in &loaded.deprecations {
        tracing::warn!(old = %deprecation.old, new = %deprecation.new, "{deprecation}");
    }

    settings.ensure_data_dir()?;
    let db = crate::database::connect(&settings, &location).await?;
    let keys = crate::keys::load(&settings.keys, &settings.data_dir)?;
    crate::schema_check::prepare_for_serve(&db, &location, settings.database.migrate_on_start)
        .await?;
    spawn_partition_upkeep(db.clone());
    // The phone-number metadata takes ~200 ms to build on first use: do it now, aside.
    std::thread::spawn(|| gatehouse_domain::accounts::PhoneNumber::parse("+14155552671").is_ok());

    let core = Core::new(
        db.clone(),
        Arc::new(SystemClock),
        keys,
        settings.core_config(),
    )
    .context("invalid configuration")?;
    // Other nodes' changes reach this node's session cache through PostgreSQL notices.
    gatehouse_core::accounts::spawn_session_cache_listener(&core);
    spawn_pruning(core.clone(), settings.maintenance.clone());
    let workers = match settings.notifications.workers_in_serve {
        true => Some(crate::worker::spawn(&core, &settings)?),
        false => None,
    };
    let app = router(AppState::new(core), &settings.http);
    let tls = match (&settings.http.tls_cert_file, &settings.http.tls_key_file) {
        (Some(cert), Some(key)) => {
            let certificates = crate::tls::Certificates::load(cert, key)?;
            crate::tls::reload_on_sighup(certificates.clone())?;
            Some(certificates.acceptor()?)
        }
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(listen = %bound, scheme, "gatehouse ready");
    crate::server::serve(
        listener,
        tls,
        app,
        settings.http.header_read_timeout(),
        crate::server::shutdown_signal(),
    )
    .await;
    if let Some(workers) = workers {
        workers.stop().await;
    }
    db.close().await;
    tracing::info!("gatehouse stopped");
    Ok(())
}

/// Create coming audit partitions now and daily (PostgreSQL only), when this role owns the
/// audit tables; a least-privilege role leaves it to `gatehouse audit maintain`.
fn spawn_partition_upkeep(db: Db) {
    tokio::spawn(async move {
        if !maintenance::owns_schema(&db).await.unwrap_or(false) {
            tracing::info!(
                "audit partitions are left to the tables' owner: run `gatehouse audit maintain` as that role"
            );
            return;
        }
        let mut tick = tokio::time::interval(Duration::from_secs(24 * 60 * 60));
        loop {
            tick.tick().await;
            match maintenance::ensure_audit_partitions(&db, 3).await {
                Ok(n) if n > 0 => tracing::info!(created = n, "audit partitions created"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "audit partition upkeep failed"),
            }
        }
    });
}

/// Prune what can no longer matter every `[maintenance] interval_secs`, the first run a
/// full interval after start-up (so restarts in a loop do not sweep in a loop).
fn spawn_pruning(core: Core, config: MaintenanceConfig) {
    tokio::spawn(async move {
        let period = Duration::from_secs(config.interval_secs);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match gatehouse_core::maintenance::prune(&core, &config).await {
                Ok(r) => tracing::info!(
                    sessions_expired = r.sessions_expired,
                    refresh_tokens = r.refresh_tokens,
                    sessions = r.sessions,
                    throttle_counters = r.throttle_counters,
                    notifications = r.notifications,
                    "pruned"
                ),
                Err(e) => tracing::error!(error = %e, "pruning failed"),
            }
        }
    });
}
