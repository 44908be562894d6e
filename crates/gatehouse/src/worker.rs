//! Notification delivery workers: in `gatehouse serve` (by default,
//! `notifications.workers_in_serve`) or alone as `gatehouse worker`, which delivers until
//! SIGTERM or Ctrl-C. Each worker also runs the daily audit summaries and retention
//! (`crate::audit::spawn_daily`). Several workers on one PostgreSQL share the outbox (each claim is
//! `FOR UPDATE SKIP LOCKED`); a stop lets the pass in progress write its outcomes first.

use crate::settings::Settings;
use anyhow::Context;
use gatehouse_core::notify::config::{EmailTransportKind, SmsTransportKind};
use gatehouse_core::notify::worker::{Transports, Worker};
use gatehouse_core::{Core, SystemClock};
use gatehouse_store::migrate;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running worker and the way to stop it.
pub struct RunningWorker {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
    /// The daily audit summaries and retention run (see `crate::audit`).
    audit: JoinHandle<()>,
    /// The audit sealer (see `crate::audit::spawn_sealer`).
    sealer: JoinHandle<()>,
}

impl RunningWorker {
    /// Ask the worker to stop and wait for its pass in progress to finish.
    pub async fn stop(self) {
        self.audit.abort();
        self.sealer.abort();
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Start one worker for `core`'s database in this process, woken by its enqueues.
pub fn spawn(core: &Core, settings: &Settings) -> anyhow::Result<RunningWorker> {
    let transports = Transports::from_config(core.notifier.config(), &settings.data_dir)
        .context("notifications: cannot set up the transports")?;
    describe(settings);
    let worker = Worker::new(
        core.db.clone(),
        core.clock.clone(),
        Arc::new(transports),
        core.notifier.clone(),
    );
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    let audit = crate::audit::spawn_daily(core.clone(), settings.audit.clone());
    let sealer = crate::audit::spawn_sealer(
        core.clone(),
        std::time::Duration::from_secs(u64::from(settings.audit.seal_interval_seconds)),
    );
    Ok(RunningWorker {
        stop,
        task,
        audit,
        sealer,
    })
}

/// `gatehouse worker`: deliver notifications until SIGTERM or Ctrl-C. Migrations are not
/// applied here: an out-of-date schema is refused.
pub async fn run(settings: &Settings) -> anyhow::Result<()> {
    let location = settings.database_location()?;
    let db = crate::database::connect(settings, &location).await?;
    let pending = migrate::status(&db)
        .await
        .context("cannot read migration state")?
        .iter()
        .any(|m| !m.applied);
    if pending {
        anyhow::bail!("{location} has pending migrations: run `gatehouse migrate up` first");
    }
    let keys = crate::keys::load(&settings.keys, &settings.data_dir)?;
    let core = Core::new(
        db.clone(),
        Arc::new(SystemClock),
        keys,
        settings.core_config(),
    )
    .context("invalid configuration")?;
    tracing::info!(database = %location, "gatehouse worker starting");
    let worker = spawn(&core, settings)?;
    crate::server::shutdown_signal().await;
    worker.stop().await;
    db.close().await;
    tracing::info!("gatehouse worker stopped");
    Ok(())
}

fn describe(settings: &Settings) {
    let n = &settings.notifications;
    let email = match n.email_transport {
        EmailTransportKind::Dev => "dev outbox file",
        EmailTransportKind::Smtp => "SMTP",
    };
    let sms = match n.sms_transport {
        SmsTransportKind::Dev => "dev outbox file",
        SmsTransportKind::Twilio => "Twilio-style API",
    };
    tracing::info!(email, sms, "notification delivery worker started");
    if n.email_transport == EmailTransportKind::Dev || n.sms_transport == SmsTransportKind::Dev {
        let file = match n.dev_outbox_file.as_str() {
            "" => settings.data_dir.join("outbox.log"),
            path => path.into(),
        };
        tracing::warn!(
            file = %file.display(),
            "notifications go to the dev outbox file, not to people: set notifications.email_transport = \"smtp\" (and sms_transport) in production"
        );
    }
}
