//! `--only notify-login`: what queueing a security alert adds to a login. Each round starts
//! three release gatehouse processes, each on its own fresh database of the same PostgreSQL:
//! - "alerts on": the defaults (alerts on, dev transport, delivery worker in the process);
//! - "queue only": alerts on, but no delivery worker in the process
//!   (`notifications.workers_in_serve = false`, as when `gatehouse worker` runs elsewhere),
//!   so the phase measures what queueing alone adds to a login;
//! - "alerts off": `notifications.alerts = false`.
//!
//! Every measured login comes from a device its account has never used, so with alerts on
//! each one renders and queues a `login_new_device` email (outbox row, history line, "this
//! wasn't me" token, in-app entry); on the "alerts on" side the worker writes it to the dev
//! outbox file while the phase runs.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::{Connection, PgConnection};

use crate::cpu::{self, CpuSpent};
use crate::gatehouse::{login_on_device, Gatehouse, GatehouseOptions};
use crate::load::{run_phase, PhaseConfig, PhaseStats, Throughput};
use crate::pgdb::BenchDatabase;
use crate::report::{ratio, Figure, Target};
use crate::MAX_ERROR_RATIO;

/// How long the alerts-on side may take to deliver its backlog after a phase, before the
/// next phase starts (so a backlog never runs into the other side's phase).
const DRAIN_TIMEOUT: Duration = Duration::from_secs(120);
const DRAIN_POLL: Duration = Duration::from_millis(100);

/// Emails in the alerts-on database, by status.
#[derive(Debug, Default, Clone, Copy)]
pub struct EmailCounts {
    pub pending: u64,
    pub sent: u64,
    pub failed: u64,
}

impl EmailCounts {
    pub fn total(&self) -> u64 {
        self.pending + self.sent + self.failed
    }
}

/// CPU time per successful login over a side's phases (warm-up and tail included on both
/// ends of the division).
#[derive(Debug, Default, Clone, Copy)]
pub struct CpuPerLogin {
    /// The gatehouse process, its in-process delivery worker included.
    pub process_ms: f64,
    /// The PostgreSQL backends of its database.
    pub backends_ms: f64,
}

impl CpuPerLogin {
    fn of(spent: CpuSpent, logins: u64) -> Option<Self> {
        (logins > 0).then(|| CpuPerLogin {
            process_ms: spent.process.as_secs_f64() * 1000.0 / logins as f64,
            backends_ms: spent.backends.as_secs_f64() * 1000.0 / logins as f64,
        })
    }
}

/// Everything one round measures.
#[derive(Debug, Default, Clone, Copy)]
pub struct NotifyLoginRound {
    pub with_alerts: Option<Throughput>,
    pub queue_only: Option<Throughput>,
    pub without_alerts: Option<Throughput>,
    pub cpu_with_alerts: Option<CpuPerLogin>,
    pub cpu_queue_only: Option<CpuPerLogin>,
    pub cpu_without_alerts: Option<CpuPerLogin>,
    /// Emails the queue-only database holds at the end (all pending: no one delivers them);
    /// one per successful login of that side.
    pub queued_without_worker: u64,
    pub logins_queue_only: u64,
    /// Successful logins on the alerts-on side during its phases, warm-up and the requests
    /// that ended after the deadline included: each should have queued one email.
    pub logins_with_alerts: u64,
    /// Emails still pending at the end of an alerts-on phase (the larger of its two).
    pub backlog_at_phase_end: u64,
    /// The alerts-on database's emails after the last drain.
    pub emails: EmailCounts,
    /// Lines in the alerts-on process's dev outbox file.
    pub outbox_lines: u64,
    /// Emails in the alerts-off database at the end: none, or the setting did not hold.
    pub emails_with_alerts_off: u64,
}

#[rustfmt::skip]
pub const FIGURES: &[Figure<NotifyLoginRound>] = &[
    Figure { name: "Logins/s, queue only (each queues an email, no worker in the process)", unit: "", decimals: 1, target: None, value: |r| r.queue_only.map(|t| t.per_sec) },
    Figure { name: "Logins/s, alerts on (each queues an email, delivered in the process)", unit: "", decimals: 1, target: None, value: |r| r.with_alerts.map(|t| t.per_sec) },
    Figure { name: "Logins/s, alerts off", unit: "", decimals: 1, target: None, value: |r| r.without_alerts.map(|t| t.per_sec) },
    Figure { name: "Queue only ÷ alerts off (what queueing adds)", unit: "", decimals: 3, target: Some(Target::AtLeast(0.95)), value: |r| ratio(r.queue_only.map(|t| t.per_sec), r.without_alerts.map(|t| t.per_sec)) },
    Figure { name: "Alerts on ÷ alerts off (queueing and delivery on the same cores)", unit: "", decimals: 3, target: None, value: |r| ratio(r.with_alerts.map(|t| t.per_sec), r.without_alerts.map(|t| t.per_sec)) },
    Figure { name: "Login alerts on p50 / p99 latency", unit: " ms", decimals: 1, target: None, value: |r| r.with_alerts.map(|t| t.p50_ms) },
    Figure { name: "", unit: " ms", decimals: 1, target: None, value: |r| r.with_alerts.map(|t| t.p99_ms) },
    Figure { name: "Login alerts off p50 / p99 latency", unit: " ms", decimals: 1, target: None, value: |r| r.without_alerts.map(|t| t.p50_ms) },
    Figure { name: "", unit: " ms", decimals: 1, target: None, value: |r| r.without_alerts.map(|t| t.p99_ms) },
    Figure { name: "gatehouse CPU per login, alerts on", unit: " ms", decimals: 2, target: None, value: |r| r.cpu_with_alerts.map(|c| c.process_ms) },
    Figure { name: "gatehouse CPU per login, queue only", unit: " ms", decimals: 2, target: None, value: |r| r.cpu_queue_only.map(|c| c.process_ms) },
    Figure { name: "gatehouse CPU per login, alerts off", unit: " ms", decimals: 2, target: None, value: |r| r.cpu_without_alerts.map(|c| c.process_ms) },
    Figure { name: "PostgreSQL CPU per login, alerts on", unit: " ms", decimals: 2, target: None, value: |r| r.cpu_with_alerts.map(|c| c.backends_ms) },
    Figure { name: "PostgreSQL CPU per login, queue only", unit: " ms", decimals: 2, target: None, value: |r| r.cpu_queue_only.map(|c| c.backends_ms) },
    Figure { name: "PostgreSQL CPU per login, alerts off", unit: " ms", decimals: 2, target: None, value: |r| r.cpu_without_alerts.map(|c| c.backends_ms) },
    Figure { name: "Queue-only logins (with warm-up)", unit: "", decimals: 0, target: None, value: |r| Some(r.logins_queue_only as f64) },
    Figure { name: "Emails queued (queue-only database)", unit: "", decimals: 0, target: None, value: |r| Some(r.queued_without_worker as f64) },
    Figure { name: "Logins on the alerts-on side (with warm-up)", unit: "", decimals: 0, target: None, value: |r| Some(r.logins_with_alerts as f64) },
    Figure { name: "Emails queued (alerts-on database)", unit: "", decimals: 0, target: None, value: |r| Some(r.emails.total() as f64) },
    Figure { name: "Emails sent (status sent)", unit: "", decimals: 0, target: None, value: |r| Some(r.emails.sent as f64) },
    Figure { name: "Emails pending or failed after the drain", unit: "", decimals: 0, target: None, value: |r| Some((r.emails.pending + r.emails.failed) as f64) },
    Figure { name: "Dev outbox lines written", unit: "", decimals: 0, target: None, value: |r| Some(r.outbox_lines as f64) },
    Figure { name: "Largest backlog at a phase's end", unit: "", decimals: 0, target: None, value: |r| Some(r.backlog_at_phase_end as f64) },
    Figure { name: "Emails queued with alerts off", unit: "", decimals: 0, target: None, value: |r| Some(r.emails_with_alerts_off as f64) },
];

/// Which of the three processes a phase drives.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    AlertsOn,
    QueueOnly,
    AlertsOff,
}

/// A-B-C-C-B-A: a load that drifts steadily over the round weighs on every side alike.
const ORDER: [Side; 6] = [
    Side::AlertsOn,
    Side::QueueOnly,
    Side::AlertsOff,
    Side::AlertsOff,
    Side::QueueOnly,
    Side::AlertsOn,
];

/// One round on three fresh databases, dropped whatever happens; the work directory (logs,
/// data dirs, the dev outbox) is kept when the round fails.
pub async fn run_round(
    admin_url: &str,
    options: &GatehouseOptions,
    config: PhaseConfig,
) -> anyhow::Result<NotifyLoginRound> {
    let mut databases = Vec::new();
    for _ in 0..3 {
        match BenchDatabase::create(admin_url).await {
            Ok(db) => databases.push(db),
            Err(error) => {
                for db in databases {
                    let _ = db.drop_database().await;
                }
                return Err(error);
            }
        }
    }
    let [on_db, queue_db, off_db] = &databases[..] else {
        unreachable!("three databases were created")
    };
    let work_dir = std::env::temp_dir().join(&on_db.name);
    let outcome = measure_round(
        options,
        config,
        Databases {
            on: on_db,
            queue: queue_db,
            off: off_db,
        },
        &work_dir,
    )
    .await;
    let mut dropped = Vec::new();
    for db in databases {
        dropped.push(db.drop_database().await);
    }
    match &outcome {
        Ok(_) => {
            let _ = std::fs::remove_dir_all(&work_dir);
        }
        Err(_) => eprintln!("  logs kept in {}", work_dir.display()),
    }
    let result = outcome?;
    for d in dropped {
        d?;
    }
    Ok(result)
}

/// The three sides' databases.
struct Databases<'a> {
    on: &'a BenchDatabase,
    queue: &'a BenchDatabase,
    off: &'a BenchDatabase,
}

async fn measure_round(
    options: &GatehouseOptions,
    config: PhaseConfig,
    dbs: Databases<'_>,
    work_dir: &Path,
) -> anyhow::Result<NotifyLoginRound> {
    let (on_db, queue_db, off_db) = (dbs.on, dbs.queue, dbs.off);
    let (on_url, queue_url, off_url) = (
        on_db.url.as_str(),
        queue_db.url.as_str(),
        off_db.url.as_str(),
    );
    let on_dir = work_dir.join("alerts-on");
    let queue_dir = work_dir.join("queue-only");
    let off_dir = work_dir.join("alerts-off");
    for dir in [&on_dir, &queue_dir, &off_dir] {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let on_options = with_settings(options, "alerts = true", &on_dir)?;
    let queue_options = with_settings(
        options,
        "alerts = true\nworkers_in_serve = false",
        &queue_dir,
    )?;
    let off_options = with_settings(options, "alerts = false", &off_dir)?;
    eprintln!("  gatehouse with alerts on");
    let on = Gatehouse::start(&on_options, on_url, &on_dir, config.concurrency).await?;
    eprintln!("  gatehouse queueing only");
    let queue = Gatehouse::start(&queue_options, queue_url, &queue_dir, config.concurrency).await?;
    eprintln!("  gatehouse with alerts off");
    let off = Gatehouse::start(&off_options, off_url, &off_dir, config.concurrency).await?;

    // Each account's first device raises no alert: sign every account in once, untimed, so
    // that every login of the phases comes from a second (or later) device.
    for gatehouse in [&on, &queue, &off] {
        gatehouse.with_log(first_logins(gatehouse, config.concurrency).await)?;
    }
    let mut counts = open_counts(on_url).await?;
    drain(&mut counts).await?;
    let before = email_counts(&mut counts).await?;

    let devices = Arc::new(AtomicU64::new(0));
    let logins_with_alerts = Arc::new(AtomicU64::new(0));
    let logins_queue_only = Arc::new(AtomicU64::new(0));
    let logins_without_alerts = Arc::new(AtomicU64::new(0));
    let mut with_alerts_stats = PhaseStats::default();
    let mut queue_only_stats = PhaseStats::default();
    let mut without_alerts_stats = PhaseStats::default();
    let (mut on_cpu, mut queue_cpu, mut off_cpu) = (
        CpuSpent::default(),
        CpuSpent::default(),
        CpuSpent::default(),
    );
    let mut backlog_at_phase_end = 0;
    for side in ORDER {
        let (gatehouse, database, logins, stats, cpu_spent) = match side {
            Side::AlertsOn => (
                &on,
                &on_db.name,
                &logins_with_alerts,
                &mut with_alerts_stats,
                &mut on_cpu,
            ),
            Side::QueueOnly => (
                &queue,
                &queue_db.name,
                &logins_queue_only,
                &mut queue_only_stats,
                &mut queue_cpu,
            ),
            Side::AlertsOff => (
                &off,
                &off_db.name,
                &logins_without_alerts,
                &mut without_alerts_stats,
                &mut off_cpu,
            ),
        };
        eprintln!("  {side:?}: new-device logins for {:?}", config.duration);
        let cpu_before = cpu::snapshot(gatehouse.pid(), &mut counts, database).await?;
        let phase = new_device_phase(gatehouse, config, &devices, logins).await;
        let phase = gatehouse.with_log(phase)?;
        eprintln!("  -> {:.1} logins/s", phase.per_sec());
        stats.absorb(phase);
        if side == Side::AlertsOn {
            // The phase's own emails are its cost: the CPU window closes once they are out.
            let backlog = email_counts(&mut counts).await?.pending;
            backlog_at_phase_end = backlog_at_phase_end.max(backlog);
            let waited = drain(&mut counts).await?;
            eprintln!("  backlog {backlog} at the phase's end, delivered in {waited:?}");
        }
        let cpu_after = cpu::snapshot(gatehouse.pid(), &mut counts, database).await?;
        cpu_spent.add(cpu::spent(&cpu_before, &cpu_after));
    }
    with_alerts_stats.check("logins with alerts", MAX_ERROR_RATIO)?;
    queue_only_stats.check("logins queueing only", MAX_ERROR_RATIO)?;
    without_alerts_stats.check("logins without alerts", MAX_ERROR_RATIO)?;
    let after = email_counts(&mut counts).await?;
    counts.close().await?;
    let mut off_counts = open_counts(off_url).await?;
    let emails_with_alerts_off = email_counts(&mut off_counts).await?.total();
    off_counts.close().await?;
    let mut queue_counts = open_counts(queue_url).await?;
    let queued_without_worker = email_counts(&mut queue_counts).await?.pending;
    queue_counts.close().await?;
    let outbox_lines = count_lines(&on_dir.join("gatehouse-data").join("outbox.log"))?;
    on.stop().await?;
    queue.stop().await?;
    off.stop().await?;
    if before.total() != 0 {
        eprintln!(
            "  note: {} emails were queued before the phases",
            before.total()
        );
    }
    let logins_off = logins_without_alerts.load(Ordering::Relaxed);
    let logins_queue = logins_queue_only.load(Ordering::Relaxed);
    let round = NotifyLoginRound {
        with_alerts: Some(with_alerts_stats.throughput()),
        queue_only: Some(queue_only_stats.throughput()),
        without_alerts: Some(without_alerts_stats.throughput()),
        cpu_with_alerts: CpuPerLogin::of(on_cpu, logins_with_alerts.load(Ordering::Relaxed)),
        cpu_queue_only: CpuPerLogin::of(queue_cpu, logins_queue),
        cpu_without_alerts: CpuPerLogin::of(off_cpu, logins_off),
        queued_without_worker,
        logins_queue_only: logins_queue,
        logins_with_alerts: logins_with_alerts.load(Ordering::Relaxed),
        backlog_at_phase_end,
        emails: EmailCounts {
            pending: after.pending - before.pending.min(after.pending),
            sent: after.sent - before.sent.min(after.sent),
            failed: after.failed - before.failed.min(after.failed),
        },
        outbox_lines,
        emails_with_alerts_off,
    };
    if round.emails.total() != round.logins_with_alerts {
        // One email per new-device login is the expectation; fewer means routing skipped
        // some (the per-type daily cap, 100, is reached with fewer than ~50 users here).
        eprintln!(
            "  note: {} logins with alerts on, {} emails queued",
            round.logins_with_alerts,
            round.emails.total()
        );
    }
    eprintln!("  -> {round:?}");
    Ok(round)
}

/// The options with `[notifications]` settings said explicitly on every side, in a
/// settings file.
fn with_settings(
    options: &GatehouseOptions,
    notifications: &str,
    dir: &Path,
) -> anyhow::Result<GatehouseOptions> {
    let file = dir.join("gatehouse.toml");
    std::fs::write(&file, format!("[notifications]\n{notifications}\n"))
        .with_context(|| format!("writing {}", file.display()))?;
    let mut options = options.clone();
    options.config_file = Some(file);
    Ok(options)
}

/// One login per account from its first device, `concurrency` at a time.
async fn first_logins(gatehouse: &Gatehouse, concurrency: usize) -> anyhow::Result<()> {
    let users = gatehouse.users().clone();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..concurrency.max(1) {
        let (client, base, users) = (
            gatehouse.client().clone(),
            gatehouse.base_url().to_owned(),
            users.clone(),
        );
        tasks.spawn(async move {
            for (index, user) in users.iter().enumerate().skip(worker).step_by(concurrency) {
                let fingerprint = format!("bench-first-device-{index}");
                login_on_device(&client, &base, user, &fingerprint)
                    .await
                    .map_err(|error| anyhow::anyhow!("first login of {}: {error}", user.email))?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined??;
    }
    Ok(())
}

/// Password logins round-robin over the accounts, each from a device never seen before.
/// `logins` counts every success, inside the measured window or not.
async fn new_device_phase(
    gatehouse: &Gatehouse,
    config: PhaseConfig,
    devices: &Arc<AtomicU64>,
    logins: &Arc<AtomicU64>,
) -> anyhow::Result<PhaseStats> {
    let next_user = Arc::new(AtomicU64::new(0));
    let (client, base, users) = (
        gatehouse.client().clone(),
        gatehouse.base_url().to_owned(),
        gatehouse.users().clone(),
    );
    let (devices, logins) = (devices.clone(), logins.clone());
    let (stats, _) = run_phase(config, vec![(); config.concurrency], move |()| {
        let (client, base, users, logins) =
            (client.clone(), base.clone(), users.clone(), logins.clone());
        let user = next_user.fetch_add(1, Ordering::Relaxed) as usize % users.len();
        let fingerprint = format!("bench-device-{}", devices.fetch_add(1, Ordering::Relaxed));
        async move {
            let result = login_on_device(&client, &base, &users[user], &fingerprint).await;
            if result.is_ok() {
                logins.fetch_add(1, Ordering::Relaxed);
            }
            ((), result)
        }
    })
    .await?;
    Ok(stats)
}

async fn open_counts(database_url: &str) -> anyhow::Result<PgConnection> {
    PgConnection::connect(database_url)
        .await
        .context("connecting to a benchmark database")
}

async fn email_counts(conn: &mut PgConnection) -> anyhow::Result<EmailCounts> {
    let rows: Vec<(String, i64)> =
        // Only the alerts: sign-up queues a verification email per account on every side.
        sqlx::query_as(
            "SELECT status, COUNT(*) FROM email_notifications
             WHERE email_type = 'login_new_device' GROUP BY status",
        )
            .fetch_all(&mut *conn)
            .await
            .context("counting email_notifications")?;
    let mut counts = EmailCounts::default();
    for (status, count) in rows {
        let count = u64::try_from(count).unwrap_or(0);
        match status.as_str() {
            "pending" => counts.pending += count,
            "sent" => counts.sent += count,
            // Later states (delivered, bounced) come only from webhooks, which no one sends
            // here; anything else is a failure as far as this run is concerned.
            _ => counts.failed += count,
        }
    }
    Ok(counts)
}

/// Waits until no email is pending; returns how long that took.
async fn drain(conn: &mut PgConnection) -> anyhow::Result<Duration> {
    let started = Instant::now();
    loop {
        let pending = email_counts(conn).await?.pending;
        if pending == 0 {
            return Ok(started.elapsed());
        }
        if started.elapsed() > DRAIN_TIMEOUT {
            anyhow::bail!("{pending} emails still pending after {DRAIN_TIMEOUT:?}");
        }
        tokio::time::sleep(DRAIN_POLL).await;
    }
}

fn count_lines(path: &Path) -> anyhow::Result<u64> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(bytes.iter().filter(|&&b| b == b'\n').count() as u64),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
    }
}
