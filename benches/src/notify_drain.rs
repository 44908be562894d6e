//! The hidden `notify-drain` subcommand, run by the harness as a child process (so the dev
//! transport's line per message goes to a log file, not to the table on stdout): either one
//! delivery worker drains an outbox the harness filled (`Worker::deliver_due`, the default
//! `[notifications]` settings), or the same messages go through the bare transport
//! (`EmailTransport::send` at the worker's concurrency, no database). Writes the timing as
//! JSON to `--result-file`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::ValueEnum;
use gatehouse_core::notify::config::EmailTransportKind;
use gatehouse_core::notify::templates::{MessageContext, RenderedMessage};
use gatehouse_core::notify::transport::{EmailMessage, EmailTransport};
use gatehouse_core::notify::worker::{Transports, Worker};
use gatehouse_core::notify::{NotificationsConfig, Notifier};
use gatehouse_core::SystemClock;
use gatehouse_domain::notify::NotificationType;
use gatehouse_store::{Backend, Db, DbOptions};
use serde::{Deserialize, Serialize};
use sqlx::{Connection, PgConnection};
use tokio::sync::Semaphore;

use crate::cpu;

/// What the child times.
#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum, Serialize, Deserialize)]
pub enum DrainWhat {
    /// One worker's `deliver_due` over the filled outbox.
    Worker,
    /// The transport alone: the same number of messages, same concurrency, no database.
    Raw,
}

/// Where the messages go.
#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum, Serialize, Deserialize)]
pub enum DrainTransport {
    /// SMTP to `--smtp-url` (gatehouse's transport: its own pooled connections).
    Smtp,
    /// The dev transport: one JSON line per message appended to `--outbox-file`.
    Dev,
}

#[derive(clap::Args, Debug)]
pub struct DrainArgs {
    #[arg(long, value_enum)]
    pub what: DrainWhat,
    #[arg(long, value_enum)]
    pub transport: DrainTransport,
    /// The filled database (worker only).
    #[arg(long)]
    pub database_url: Option<String>,
    #[arg(long, default_value = "")]
    pub smtp_url: String,
    #[arg(long)]
    pub outbox_file: PathBuf,
    /// Messages to send (raw), or expected in the outbox (worker).
    #[arg(long)]
    pub messages: u64,
    #[arg(long)]
    pub result_file: PathBuf,
}

/// What the child reports.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct DrainResult {
    pub sent: u64,
    pub failed: u64,
    pub secs: f64,
    /// CPU time of this process over the timed part.
    pub process_cpu_secs: f64,
    /// CPU time of the PostgreSQL backends serving the worker (PostgreSQL outboxes only).
    pub backend_cpu_secs: Option<f64>,
}

impl DrainResult {
    pub fn per_sec(&self) -> f64 {
        if self.secs > 0.0 {
            self.sent as f64 / self.secs
        } else {
            0.0
        }
    }
}

/// The recipient of every benchmark message.
pub const RECIPIENT: &str = "bench-worker@example.com";

/// A `login_new_device` alert as gatehouse renders it (English, text and HTML, a "this
/// wasn't me" link): the size and shape of a real message.
pub fn sample_message(notifier: &Notifier) -> anyhow::Result<RenderedMessage> {
    let context = MessageContext {
        occurred_at: Some("2026-05-04 09:30 (UTC)".to_owned()),
        ip: Some("203.0.113.7".to_owned()),
        device: Some("Firefox on Linux".to_owned()),
        action_url: Some(
            "http://127.0.0.1:8080/not-me#token=q0hXkzC3v9bT2fQe8mN1rYwP5sLdJ4aUgKiVxO7cZ6E"
                .to_owned(),
        ),
        ..MessageContext::new("gatehouse", "Ada Lovelace")
    };
    Ok(notifier.render(NotificationType::LoginNewDevice, "en", &context)?)
}

/// `[notifications]` as the defaults have it, with the transport under test.
pub fn notifications_config(args: &DrainArgs) -> NotificationsConfig {
    NotificationsConfig {
        email_transport: match args.transport {
            DrainTransport::Smtp => EmailTransportKind::Smtp,
            DrainTransport::Dev => EmailTransportKind::Dev,
        },
        smtp_url: args.smtp_url.clone(),
        dev_outbox_file: args.outbox_file.display().to_string(),
        ..NotificationsConfig::default()
    }
}

/// The subcommand's body.
pub async fn run(args: DrainArgs) -> anyhow::Result<()> {
    let config = notifications_config(&args);
    let data_dir = args
        .outbox_file
        .parent()
        .unwrap_or(Path::new("."))
        .to_owned();
    let transports = Arc::new(Transports::from_config(&config, &data_dir)?);
    let notifier = Arc::new(Notifier::new(config.clone())?);
    let result = match args.what {
        DrainWhat::Worker => {
            let url = args
                .database_url
                .as_deref()
                .context("--database-url is needed to drain an outbox")?;
            drain_outbox(url, transports, notifier).await?
        }
        DrainWhat::Raw => {
            let message = sample_message(&notifier)?;
            let concurrency = config.concurrency.max(1) as usize;
            send_raw(&transports.email, &message, args.messages, concurrency).await
        }
    };
    if result.sent != args.messages {
        bail!(
            "{:?} via {:?}: {} sent, {} failed, {} expected",
            args.what,
            args.transport,
            result.sent,
            result.failed,
            args.messages
        );
    }
    std::fs::write(&args.result_file, serde_json::to_vec(&result)?)
        .with_context(|| format!("writing {}", args.result_file.display()))?;
    Ok(())
}

/// One worker, the default batch and concurrency, until the outbox is empty.
async fn drain_outbox(
    database_url: &str,
    transports: Arc<Transports>,
    notifier: Arc<Notifier>,
) -> anyhow::Result<DrainResult> {
    let db = Db::connect(database_url, &DbOptions::default()).await?;
    let worker = Worker::new(db.clone(), Arc::new(SystemClock), transports, notifier);
    // The worker's PostgreSQL backends are counted from a connection of their own, before
    // the worker's pool closes them.
    let mut observer = match db.backend() {
        Backend::Postgres => Some(BackendObserver::connect(database_url).await?),
        Backend::Sqlite => None,
    };
    let backends_before = match observer.as_mut() {
        Some(observer) => Some(observer.snapshot().await?),
        None => None,
    };
    let cpu_before = cpu::cpu_time(std::process::id())?;
    let started = Instant::now();
    let report = worker.deliver_due().await?;
    let secs = started.elapsed().as_secs_f64();
    let process_cpu = cpu::cpu_time(std::process::id())?.saturating_sub(cpu_before);
    let backend_cpu_secs = match (observer.as_mut(), backends_before) {
        (Some(observer), Some(before)) => {
            let after = observer.snapshot().await?;
            Some(cpu::spent(&before, &after).backends.as_secs_f64())
        }
        _ => None,
    };
    db.close().await;
    Ok(DrainResult {
        sent: report.sent,
        failed: report.failed + report.retried,
        secs,
        process_cpu_secs: process_cpu.as_secs_f64(),
        backend_cpu_secs,
    })
}

/// A connection that reads the CPU time of the database's other backends.
struct BackendObserver {
    conn: PgConnection,
    database: String,
}

impl BackendObserver {
    async fn connect(url: &str) -> anyhow::Result<Self> {
        let mut conn = PgConnection::connect(url).await?;
        let (database,): (String,) = sqlx::query_as("SELECT current_database()")
            .fetch_one(&mut conn)
            .await?;
        Ok(Self { conn, database })
    }

    async fn snapshot(&mut self) -> anyhow::Result<cpu::CpuSnapshot> {
        cpu::snapshot(std::process::id(), &mut self.conn, &self.database).await
    }
}

/// `count` copies of `message` through `transport`, at most `concurrency` at once, each
/// send its own task as the worker's are.
async fn send_raw(
    transport: &EmailTransport,
    message: &RenderedMessage,
    count: u64,
    concurrency: usize,
) -> DrainResult {
    let messages: Vec<EmailMessage> = (0..count)
        .map(|_| EmailMessage {
            id: uuid::Uuid::now_v7(),
            to: RECIPIENT.to_owned(),
            subject: message.subject.clone(),
            text: message.text.clone(),
            html: Some(message.html.clone()),
        })
        .collect();
    let permits = Arc::new(Semaphore::new(concurrency));
    let cpu_before = cpu::cpu_time(std::process::id()).unwrap_or_default();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for message in messages {
        let (permits, transport) = (permits.clone(), transport.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            transport.send(&message).await.is_ok()
        });
    }
    let (mut sent, mut failed) = (0, 0);
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(true) => sent += 1,
            _ => failed += 1,
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let process_cpu = cpu::cpu_time(std::process::id())
        .unwrap_or_default()
        .saturating_sub(cpu_before);
    DrainResult {
        sent,
        failed,
        secs,
        process_cpu_secs: process_cpu.as_secs_f64(),
        backend_cpu_secs: None,
    }
}
