//! `--only notify-worker`: messages/s one delivery worker sends. For each outbox backend
//! (PostgreSQL, SQLite) and transport (a local SMTP server, the dev file), a fresh database
//! gets `--messages` pending `login_new_device` emails for one registered account, and one
//! worker (`Worker::deliver_due`, default batch 64 and concurrency 8) drains it in a child
//! process. Beside it, in the same round, the reference: the same number of messages sent by
//! the bare `EmailTransport::send` at the same concurrency with no database.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context};
use chrono::Utc;
use clap::ValueEnum;
use gatehouse_core::notify::{NotificationsConfig, Notifier};
use gatehouse_domain::ids::UserId;
use gatehouse_domain::notify::NotificationType;
use gatehouse_store::accounts::users;
use gatehouse_store::notify::outbox::{self, NewEmail};
use gatehouse_store::{migrate, Db, DbOptions, Executor};
use uuid::Uuid;

use crate::notify_drain::{sample_message, DrainResult, DrainTransport, DrainWhat, RECIPIENT};
use crate::pgdb::BenchDatabase;
use crate::report::{ratio, Figure, Target};
use crate::smtp_sink::{Sink, SinkKind};

/// Where the outbox lives.
#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum OutboxBackend {
    Postgres,
    Sqlite,
}

/// How the worker mode runs.
pub struct WorkerBenchOptions {
    pub admin_url: String,
    pub messages: u64,
    pub sink: SinkKind,
    pub backends: Vec<OutboxBackend>,
}

/// One timed drain.
#[derive(Debug, Clone, Copy)]
pub struct Drain {
    pub per_sec: f64,
    pub secs: f64,
    /// SMTP connections the server accepted during the drain (SMTP only).
    pub connections: Option<u64>,
    /// CPU per message of the sending process (worker or bare transport), in µs.
    pub process_cpu_us: f64,
    /// CPU per message of the worker's PostgreSQL backends, in µs (PostgreSQL only).
    pub backend_cpu_us: Option<f64>,
}

/// A worker drain and its reference, measured back to back.
#[derive(Debug, Clone, Copy)]
pub struct Pair {
    pub worker: Drain,
    pub raw: Drain,
}

/// Everything one round measures; `None` for a backend left out.
#[derive(Debug, Default, Clone, Copy)]
pub struct WorkerRound {
    pub postgres_smtp: Option<Pair>,
    pub postgres_dev: Option<Pair>,
    pub sqlite_smtp: Option<Pair>,
    pub sqlite_dev: Option<Pair>,
}

fn worker_rate(pair: Option<Pair>) -> Option<f64> {
    pair.map(|p| p.worker.per_sec)
}

fn raw_rate(pair: Option<Pair>) -> Option<f64> {
    pair.map(|p| p.raw.per_sec)
}

fn connections(drain: Drain) -> Option<f64> {
    drain.connections.map(|c| c as f64)
}

#[rustfmt::skip]
pub const FIGURES: &[Figure<WorkerRound>] = &[
    Figure { name: "PostgreSQL: worker → SMTP msgs/s", unit: "", decimals: 0, target: Some(Target::AtLeast(500.0)), value: |r| worker_rate(r.postgres_smtp) },
    Figure { name: "Raw SMTP transport msgs/s (reference)", unit: "", decimals: 0, target: None, value: |r| raw_rate(r.postgres_smtp) },
    Figure { name: "PostgreSQL: worker ÷ raw SMTP", unit: "", decimals: 2, target: None, value: |r| ratio(worker_rate(r.postgres_smtp), raw_rate(r.postgres_smtp)) },
    Figure { name: "SMTP connections, worker", unit: "", decimals: 0, target: None, value: |r| r.postgres_smtp.and_then(|p| connections(p.worker)) },
    Figure { name: "SMTP connections, raw transport", unit: "", decimals: 0, target: None, value: |r| r.postgres_smtp.and_then(|p| connections(p.raw)) },
    Figure { name: "PostgreSQL: worker → dev file msgs/s", unit: "", decimals: 0, target: None, value: |r| worker_rate(r.postgres_dev) },
    Figure { name: "Raw dev transport msgs/s (reference)", unit: "", decimals: 0, target: None, value: |r| raw_rate(r.postgres_dev) },
    Figure { name: "PostgreSQL: worker ÷ raw dev", unit: "", decimals: 2, target: None, value: |r| ratio(worker_rate(r.postgres_dev), raw_rate(r.postgres_dev)) },
    Figure { name: "PostgreSQL: worker CPU per message, SMTP / dev", unit: " µs", decimals: 0, target: None, value: |r| r.postgres_smtp.map(|p| p.worker.process_cpu_us) },
    Figure { name: "", unit: " µs", decimals: 0, target: None, value: |r| r.postgres_dev.map(|p| p.worker.process_cpu_us) },
    Figure { name: "PostgreSQL: backends CPU per message, SMTP / dev", unit: " µs", decimals: 0, target: None, value: |r| r.postgres_smtp.and_then(|p| p.worker.backend_cpu_us) },
    Figure { name: "", unit: " µs", decimals: 0, target: None, value: |r| r.postgres_dev.and_then(|p| p.worker.backend_cpu_us) },
    Figure { name: "Raw transport CPU per message, SMTP / dev", unit: " µs", decimals: 0, target: None, value: |r| r.postgres_smtp.map(|p| p.raw.process_cpu_us) },
    Figure { name: "", unit: " µs", decimals: 0, target: None, value: |r| r.postgres_dev.map(|p| p.raw.process_cpu_us) },
    Figure { name: "SQLite: worker → SMTP msgs/s", unit: "", decimals: 0, target: Some(Target::AtLeast(500.0)), value: |r| worker_rate(r.sqlite_smtp) },
    Figure { name: "Raw SMTP transport msgs/s (SQLite's reference)", unit: "", decimals: 0, target: None, value: |r| raw_rate(r.sqlite_smtp) },
    Figure { name: "SQLite: worker ÷ raw SMTP", unit: "", decimals: 2, target: None, value: |r| ratio(worker_rate(r.sqlite_smtp), raw_rate(r.sqlite_smtp)) },
    Figure { name: "SMTP connections, SQLite worker", unit: "", decimals: 0, target: None, value: |r| r.sqlite_smtp.and_then(|p| connections(p.worker)) },
    Figure { name: "SQLite: worker → dev file msgs/s", unit: "", decimals: 0, target: None, value: |r| worker_rate(r.sqlite_dev) },
    Figure { name: "Raw dev transport msgs/s (SQLite's reference)", unit: "", decimals: 0, target: None, value: |r| raw_rate(r.sqlite_dev) },
    Figure { name: "SQLite: worker ÷ raw dev", unit: "", decimals: 2, target: None, value: |r| ratio(worker_rate(r.sqlite_dev), raw_rate(r.sqlite_dev)) },
    Figure { name: "SQLite: worker CPU per message, SMTP / dev", unit: " µs", decimals: 0, target: None, value: |r| r.sqlite_smtp.map(|p| p.worker.process_cpu_us) },
    Figure { name: "", unit: " µs", decimals: 0, target: None, value: |r| r.sqlite_dev.map(|p| p.worker.process_cpu_us) },
];

/// One round: every backend and transport, worker and reference back to back. Odd rounds
/// run the reference first, even rounds the worker, so drift does not favour one side.
pub async fn run_round(options: &WorkerBenchOptions, round: usize) -> anyhow::Result<WorkerRound> {
    let work_dir =
        std::env::temp_dir().join(format!("gh_bench_notify_{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&work_dir)
        .with_context(|| format!("creating {}", work_dir.display()))?;
    let outcome = measure_round(options, round, &work_dir).await;
    match &outcome {
        Ok(_) => {
            let _ = std::fs::remove_dir_all(&work_dir);
        }
        Err(_) => eprintln!("  logs kept in {}", work_dir.display()),
    }
    outcome
}

async fn measure_round(
    options: &WorkerBenchOptions,
    round: usize,
    work_dir: &Path,
) -> anyhow::Result<WorkerRound> {
    let mut result = WorkerRound::default();
    let worker_first = round % 2 == 0;
    for &backend in &options.backends {
        for transport in [DrainTransport::Smtp, DrainTransport::Dev] {
            let pair = measure_pair(options, backend, transport, worker_first, work_dir).await?;
            let slot = match (backend, transport) {
                (OutboxBackend::Postgres, DrainTransport::Smtp) => &mut result.postgres_smtp,
                (OutboxBackend::Postgres, DrainTransport::Dev) => &mut result.postgres_dev,
                (OutboxBackend::Sqlite, DrainTransport::Smtp) => &mut result.sqlite_smtp,
                (OutboxBackend::Sqlite, DrainTransport::Dev) => &mut result.sqlite_dev,
            };
            *slot = Some(pair);
        }
    }
    Ok(result)
}

async fn measure_pair(
    options: &WorkerBenchOptions,
    backend: OutboxBackend,
    transport: DrainTransport,
    worker_first: bool,
    work_dir: &Path,
) -> anyhow::Result<Pair> {
    let order = if worker_first {
        [DrainWhat::Worker, DrainWhat::Raw]
    } else {
        [DrainWhat::Raw, DrainWhat::Worker]
    };
    let (mut worker, mut raw) = (None, None);
    for what in order {
        let drain = match what {
            DrainWhat::Worker => measure_worker(options, backend, transport, work_dir).await?,
            DrainWhat::Raw => run_child(options, what, transport, None, work_dir).await?,
        };
        eprintln!(
            "  {backend:?} {transport:?} {what:?}: {} messages in {:.2} s = {:.0}/s, \
             CPU per message {:.0} µs{}{}",
            options.messages,
            drain.secs,
            drain.per_sec,
            drain.process_cpu_us,
            drain
                .backend_cpu_us
                .map(|us| format!(" + PostgreSQL {us:.0} µs"))
                .unwrap_or_default(),
            drain
                .connections
                .map(|c| format!(", {c} SMTP connection(s)"))
                .unwrap_or_default()
        );
        match what {
            DrainWhat::Worker => worker = Some(drain),
            DrainWhat::Raw => raw = Some(drain),
        }
    }
    match (worker, raw) {
        (Some(worker), Some(raw)) => Ok(Pair { worker, raw }),
        _ => bail!("a drain of the pair did not run"),
    }
}

/// A fresh database of `backend`, filled, drained by one worker; the database is dropped
/// (or its file removed) afterwards.
async fn measure_worker(
    options: &WorkerBenchOptions,
    backend: OutboxBackend,
    transport: DrainTransport,
    work_dir: &Path,
) -> anyhow::Result<Drain> {
    match backend {
        OutboxBackend::Postgres => {
            let db = BenchDatabase::create(&options.admin_url).await?;
            let outcome = async {
                fill_outbox(&db.url, options.messages).await?;
                run_child(
                    options,
                    DrainWhat::Worker,
                    transport,
                    Some(&db.url),
                    work_dir,
                )
                .await
            }
            .await;
            let dropped = db.drop_database().await;
            let drain = outcome?;
            dropped?;
            Ok(drain)
        }
        OutboxBackend::Sqlite => {
            let file = work_dir.join(format!("outbox-{}.db", Uuid::now_v7().simple()));
            let url = format!("sqlite://{}", file.display());
            fill_outbox(&url, options.messages).await?;
            let drain = run_child(options, DrainWhat::Worker, transport, Some(&url), work_dir);
            let drain = drain.await?;
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
            Ok(drain)
        }
    }
}

/// Migrates the database at `url`, registers one account and queues `count` pending
/// `login_new_device` emails to it, all due now, through the store's own insert.
async fn fill_outbox(url: &str, count: u64) -> anyhow::Result<()> {
    let db = Db::connect(url, &DbOptions::default()).await?;
    migrate::up(&db).await?;
    let notifier = Notifier::new(NotificationsConfig::default())?;
    let message = sample_message(&notifier)?;
    let now = Utc::now();
    let user_id = UserId::new();
    let user = crate::pgdb::bench_user(user_id, RECIPIENT.to_owned(), now);
    let kind = NotificationType::LoginNewDevice.as_str();
    let mut tx = db.begin().await?;
    users::insert_with_profile(tx.exec(), &user, Uuid::now_v7()).await?;
    for _ in 0..count {
        let email = NewEmail {
            id: Uuid::now_v7(),
            user_id,
            to_email: RECIPIENT,
            subject: &message.subject,
            email_type: kind,
            template_name: kind,
            text: &message.text,
            html: Some(&message.html),
            max_retries: notifier.max_retries(),
            not_before: now - chrono::Duration::seconds(1),
            created_at: now,
        };
        outbox::insert_email(tx.exec(), &email).await?;
    }
    tx.commit().await?;
    db.close().await;
    Ok(())
}

/// Runs `gatehouse-bench notify-drain` with a fresh sink (SMTP) or outbox file (dev), and
/// checks that the receiving side got every message.
async fn run_child(
    options: &WorkerBenchOptions,
    what: DrainWhat,
    transport: DrainTransport,
    database_url: Option<&str>,
    work_dir: &Path,
) -> anyhow::Result<Drain> {
    let sink = match transport {
        DrainTransport::Smtp => Some(Sink::start(options.sink).await?),
        DrainTransport::Dev => None,
    };
    let tag = Uuid::now_v7().simple().to_string();
    let outbox_file = work_dir.join(format!("outbox-{tag}.log"));
    let result_file = work_dir.join(format!("result-{tag}.json"));
    let log = work_dir.join(format!("drain-{tag}.log"));
    let exe = std::env::current_exe().context("locating the harness binary")?;
    let mut command = Command::new(exe);
    command
        .arg("notify-drain")
        .args(["--what", value_name(what)?.as_str()])
        .args(["--transport", value_name(transport)?.as_str()])
        .args(["--messages", &options.messages.to_string()])
        .arg("--outbox-file")
        .arg(&outbox_file)
        .arg("--result-file")
        .arg(&result_file);
    if let Some(sink) = &sink {
        command.args(["--smtp-url", &sink.url()]);
    }
    if let Some(url) = database_url {
        command.args(["--database-url", url]);
    }
    let log_file = std::fs::File::create(&log)?;
    command
        .stdin(Stdio::null())
        .stdout(log_file.try_clone()?)
        .stderr(log_file);
    // The sink answers on this runtime: wait for the child off it.
    let status = tokio::task::spawn_blocking(move || command.status()).await??;
    if !status.success() {
        bail!(
            "notify-drain {what:?} {transport:?} exited with {status}; log {}:\n{}",
            log.display(),
            tail(&log)
        );
    }
    let result: DrainResult = serde_json::from_slice(
        &std::fs::read(&result_file)
            .with_context(|| format!("reading {}", result_file.display()))?,
    )?;
    let received = match &sink {
        Some(sink) => sink.messages(options.messages).await,
        None => count_lines(&outbox_file)?,
    };
    if received != options.messages {
        bail!(
            "{what:?} via {transport:?}: the receiving side got {received} of {} messages",
            options.messages
        );
    }
    let per_message_us = |secs: f64| secs * 1e6 / options.messages as f64;
    Ok(Drain {
        per_sec: result.per_sec(),
        secs: result.secs,
        connections: sink.as_ref().map(Sink::connections),
        process_cpu_us: per_message_us(result.process_cpu_secs),
        backend_cpu_us: result.backend_cpu_secs.map(per_message_us),
    })
}

/// The command-line spelling of a clap value.
fn value_name<T: ValueEnum>(value: T) -> anyhow::Result<String> {
    value
        .to_possible_value()
        .map(|v| v.get_name().to_owned())
        .context("a value without a name")
}

fn count_lines(path: &PathBuf) -> anyhow::Result<u64> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(bytes.iter().filter(|&&b| b == b'\n').count() as u64)
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}
