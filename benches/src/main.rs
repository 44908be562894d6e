//! `gatehouse-bench`: drives the release gatehouse binary on PostgreSQL (logins, refreshes,
//! `GET /v1/me`, memory, start-to-ready) and, in the same round, two references on this machine
//! (raw Argon2id and a bare axum + sqlx lookup). Prints medians over rounds as a markdown table.
//! Two notification modes (issue 8) measure what queueing an alert adds to a login and how
//! fast one delivery worker empties the outbox. `--only audit-history` (issue 10) times a
//! user's last 50 audit events with 10 million session audit rows.

mod audit_cost;
mod audit_history;
mod audit_ingest;
mod bare_server;
mod cpu;
mod gatehouse;
mod http;
mod load;
mod mfa_login;
mod notify_drain;
mod notify_login;
mod notify_worker;
mod pgdb;
mod process;
mod references;
mod report;
mod smtp_sink;
mod totp_verify;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};

use crate::gatehouse::{Gatehouse, GatehouseOptions};
use crate::load::PhaseConfig;
use crate::notify_worker::{OutboxBackend, WorkerBenchOptions};
use crate::pgdb::BenchDatabase;
use crate::report::RoundResult;
use crate::smtp_sink::SinkKind;

/// More failed requests than this in any phase aborts the run: its figures would be misleading.
pub const MAX_ERROR_RATIO: f64 = 0.01;

#[derive(Parser)]
#[command(
    name = "gatehouse-bench",
    about,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Internal>,
    #[command(flatten)]
    bench: BenchArgs,
}

#[derive(Subcommand)]
enum Internal {
    /// Runs the bare axum + sqlx reference server (started by the harness itself).
    #[command(hide = true)]
    ServeBareLookup {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        listen: SocketAddr,
        #[arg(long, default_value_t = 16)]
        pool_size: u32,
    },
    /// Drains a filled outbox with one delivery worker, or sends as many messages through
    /// the bare transport (started by the harness itself in `--only notify-worker`).
    #[command(hide = true)]
    NotifyDrain(notify_drain::DrainArgs),
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Only {
    /// gatehouse and both references
    All,
    /// only the Argon2id and bare lookup references (no gatehouse binary needed)
    References,
    /// only gatehouse (ratios then show n/a)
    Gatehouse,
    /// logins/s of two gatehouse processes, security alerts on and off, every login from a
    /// new device
    NotifyLogin,
    /// messages/s of one delivery worker draining the outbox to SMTP and to the dev file,
    /// against the bare transport (no gatehouse binary needed)
    NotifyWorker,
    /// TOTP verifications/s through gatehouse's own check and replay guard, on PostgreSQL
    /// and SQLite, against a bare lookup (no gatehouse binary needed)
    Totp,
    /// logins with a TOTP second step (login + verify) against password-only logins and
    /// the Argon2id rate
    MfaLogin,
    /// latency of a user's last 50 audit events (`GET /v1/me/security-events`'s query) with
    /// `--audit-rows` session audit rows, against a bare primary-key lookup (no gatehouse
    /// binary needed)
    AuditHistory,
    /// logins/s and refreshes/s of two gatehouse processes, audit row hashes on and off,
    /// and the cost of one login's audit inserts beside the login's own (issue 10)
    AuditHash,
    /// session audit rows/s into PostgreSQL through the store's bulk path, against COPY
    /// (no gatehouse binary needed; issue 10)
    AuditIngest,
}

#[derive(clap::Args)]
struct BenchArgs {
    /// The release gatehouse binary [default: $CARGO_TARGET_DIR/release/gatehouse, else
    /// target/release/gatehouse]
    #[arg(long)]
    gatehouse_bin: Option<PathBuf>,
    /// Admin connection; a fresh `gh_bench_<uuid>` database is created next to it per round.
    #[arg(
        long,
        env = "GATEHOUSE_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    postgres_url: String,
    /// Measured seconds per phase.
    #[arg(long, default_value_t = 10)]
    duration_secs: u64,
    /// Unmeasured seconds before each phase (connections open, caches warm).
    #[arg(long, default_value_t = 1.0)]
    warmup_secs: f64,
    /// Concurrent client tasks per phase, for gatehouse and the bare lookup alike.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Times the whole set is repeated; the table shows medians.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Accounts registered per round (logins go round-robin over them).
    #[arg(long, default_value_t = 200)]
    users: usize,
    /// What to measure.
    #[arg(long, value_enum, default_value_t = Only::All)]
    only: Only,
    /// Tokio worker threads of the load generator [default: one per core].
    #[arg(long)]
    client_threads: Option<usize>,
    /// Connection pool size of the bare lookup server (gatehouse's default PostgreSQL pool is 16).
    #[arg(long, default_value_t = 16)]
    bare_pool_size: u32,
    /// Extra environment for gatehouse, as KEY=VALUE (repeatable).
    #[arg(long = "gatehouse-env", value_parser = parse_key_value)]
    gatehouse_env: Vec<(String, String)>,
    /// Seconds to wait for /readyz before giving up.
    #[arg(long, default_value_t = 30)]
    ready_timeout_secs: u64,
    /// notify-worker: pending emails each drain starts with (and the reference sends).
    #[arg(long, default_value_t = 5000)]
    messages: u64,
    /// notify-worker: the SMTP server that receives.
    #[arg(long, value_enum, default_value_t = SinkKind::Rust)]
    smtp_sink: SinkKind,
    /// notify-worker: the outbox backends measured, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "postgres,sqlite"
    )]
    outbox_backends: Vec<OutboxBackend>,
    /// mfa-login: accounts that set up TOTP per round. Each signs in at most once a round
    /// (a code works once per 30 s step), so this must exceed the TOTP logins of a round.
    #[arg(long, default_value_t = 2000)]
    mfa_users: usize,
    /// audit-history: session audit rows loaded (once per run).
    #[arg(long, default_value_t = 10_000_000)]
    audit_rows: u64,
    /// audit-history: accounts the rows belong to (skewed: see benches/src/audit_history.rs).
    #[arg(long, default_value_t = 100_000)]
    audit_users: u64,
    /// audit-history: random accounts timed per round (each query once per account).
    #[arg(long, default_value_t = 3000)]
    audit_samples: usize,
    /// audit-hash: keep row hashes on for both sides (an A/A check of the set-up).
    #[arg(long)]
    audit_aa_check: bool,
    /// audit-ingest: rows per pass (each bulk batch size and COPY write this many).
    #[arg(long, default_value_t = 200_000)]
    ingest_rows: usize,
    /// audit-ingest: connections writing in parallel in each pass.
    #[arg(long, default_value_t = 2)]
    ingest_connections: usize,
}

fn parse_key_value(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .ok_or_else(|| format!("expected KEY=VALUE, got {text:?}"))
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Internal::ServeBareLookup {
            database_url,
            listen,
            pool_size,
        }) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(bare_server::serve(&database_url, listen, pool_size)),
        // The runtime gatehouse itself would give its worker: one thread per core.
        Some(Internal::NotifyDrain(args)) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(notify_drain::run(args)),
        None => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cli.bench.client_threads.unwrap_or_else(cores).max(1))
            .enable_all()
            .build()?
            .block_on(run(cli.bench)),
    }
}

async fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.rounds == 0 || args.concurrency == 0 || args.users == 0 || args.duration_secs == 0 {
        bail!("--rounds, --concurrency, --users and --duration-secs must be at least 1");
    }
    let load_at_start = load_average();
    match args.only {
        Only::NotifyLogin => return run_notify_login(&args, &load_at_start).await,
        Only::NotifyWorker => return run_notify_worker(&args, &load_at_start).await,
        Only::Totp => return run_totp(&args, &load_at_start).await,
        Only::MfaLogin => return run_mfa_login(&args, &load_at_start).await,
        Only::AuditHistory => return run_audit_history(&args, &load_at_start).await,
        Only::AuditHash => return run_audit_hash(&args, &load_at_start).await,
        Only::AuditIngest => return run_audit_ingest(&args, &load_at_start).await,
        _ => {}
    }
    let gatehouse = if args.only == Only::References {
        None
    } else {
        Some(gatehouse_options(&args)?)
    };
    let config = phase_config(&args);
    let mut rounds = Vec::with_capacity(args.rounds);
    for round in 1..=args.rounds {
        eprintln!("round {round}/{}", args.rounds);
        rounds.push(run_round(&args, gatehouse.as_ref(), config).await?);
    }
    println!("{}", header(&args, &load_at_start));
    println!("{}", report::markdown_table(&rounds));
    println!("Per round:\n\n{}", report::rounds_table(&rounds));
    Ok(())
}

fn phase_config(args: &BenchArgs) -> PhaseConfig {
    PhaseConfig {
        concurrency: args.concurrency,
        warmup: Duration::from_secs_f64(args.warmup_secs.max(0.0)),
        duration: Duration::from_secs(args.duration_secs),
    }
}

/// `--only notify-login`: each round on two fresh databases, alerts on and off.
async fn run_notify_login(args: &BenchArgs, load_at_start: &str) -> anyhow::Result<()> {
    let options = gatehouse_options(args)?;
    let config = phase_config(args);
    let mut rounds = Vec::with_capacity(args.rounds);
    for round in 1..=args.rounds {
        eprintln!("round {round}/{} (notify-login)", args.rounds);
        rounds.push(notify_login::run_round(&args.postgres_url, &options, config).await?);
    }
    println!("{}", header(args, load_at_start));
    println!(
        "Each side: phases of {} s after {} s warm-up, run A-B-B-A; figures pool both phases.\n",
        args.duration_secs, args.warmup_secs
    );
    println!("{}", report::figures_table(notify_login::FIGURES, &rounds));
    println!(
        "Per round:\n\n{}",
        report::figures_rounds_table(notify_login::FIGURES, &rounds)
    );
    Ok(())
}

/// `--only notify-worker`: no gatehouse binary, the worker runs in this binary's child.
async fn run_notify_worker(args: &BenchArgs, load_at_start: &str) -> anyhow::Result<()> {
    if args.messages == 0 || args.outbox_backends.is_empty() {
        bail!("--messages must be at least 1 and --outbox-backends name one backend");
    }
    let options = WorkerBenchOptions {
        admin_url: args.postgres_url.clone(),
        messages: args.messages,
        sink: args.smtp_sink,
        backends: args.outbox_backends.clone(),
    };
    let mut rounds = Vec::with_capacity(args.rounds);
    for round in 1..=args.rounds {
        eprintln!("round {round}/{} (notify-worker)", args.rounds);
        rounds.push(notify_worker::run_round(&options, round).await?);
    }
    println!(
        "\n## gatehouse-bench notify-worker results\n\n\
         Machine: {} cores ({}). Medians of {} round(s); {} messages per drain; SMTP server: \
         {:?} sink on loopback. Load average (1, 5, 15 min) at start: {load_at_start}; at end: {}.\n",
        cores(),
        cpu_model(),
        args.rounds,
        args.messages,
        args.smtp_sink,
        load_average(),
    );
    println!("{}", report::figures_table(notify_worker::FIGURES, &rounds));
    println!(
        "Per round:\n\n{}",
        report::figures_rounds_table(notify_worker::FIGURES, &rounds)
    );
    Ok(())
}

/// `--only mfa-login`: each round on a fresh database.
async fn run_mfa_login(args: &BenchArgs, load_at_start: &str) -> anyhow::Result<()> {
    let options = gatehouse_options(args)?;
    let config = phase_config(args);
    let mut rounds = Vec::with_capacity(args.rounds);
    for round in 1..=args.rounds {
        eprintln!("round {round}/{} (mfa-login)", args.rounds);
        let measured = mfa_login::run_round(&args.postgres_url, &options, args.mfa_users, config);
        rounds.push(measured.await?);
    }
    println!("{}", header(args, load_at_start));
    println!(
        "Phases of {} s after {} s warm-up, run A-B-B-A (TOTP logins, password logins) after \
         the Argon2id reference; figures pool both phases.\n",
        args.duration_secs, args.warmup_secs
    );
    println!("{}", report::figures_table(mfa_login::FIGURES, &rounds));
    println!(
        "Per round:\n\n{}",
        report::figures_rounds_table(mfa_login::FIGURES, &rounds)
    );
    Ok(())
}

/// `--only audit-history`: one database, loaded once, timed `--rounds` times.
async fn run_audit_history(args: &BenchArgs, load_at_start: &str) -> anyhow::Result<()> {
    let options = audit_history::HistoryOptions {
        admin_url: args.postgres_url.clone(),
        rows: args.audit_rows,
        users: args.audit_users,
        samples: args.audit_samples,
        rounds: args.rounds,
    };
    let (load, rounds) = audit_history::run(&options).await?;
    println!(
        "\n## gatehouse-bench audit-history results\n\n\
         Machine: {} cores ({}). Medians of {} round(s) of {} random accounts, one call at a \
         time on one connection, after a warm-up of as many. Load average (1, 5, 15 min) at \
         start: {load_at_start}; at end: {}.\n",
        cores(),
        cpu_model(),
        args.rounds,
        args.audit_samples,
        load_average(),
    );
    println!(
        "Load: {} session audit rows for {} accounts in {:.0} s ({:.0} rows/s, indexes in \
         place); VACUUM ANALYZE {:.0} s; table {:.0} MiB, its indexes {:.0} MiB.\n",
        load.rows,
        args.audit_users,
        load.load_secs,
        load.rows as f64 / load.load_secs,
        load.vacuum_analyze_secs,
        load.table_mib,
        load.indexes_mib,
    );
    println!("{}", report::figures_table(audit_history::FIGURES, &rounds));
    println!(
        "Per round:\n\n{}",
        report::figures_rounds_table(audit_history::FIGURES, &rounds)
    );
    let short: Vec<usize> = rounds.iter().map(|r| r.short_pages).collect();
    println!("History pages shorter than 50 rows, per round: {short:?}");
    Ok(())
}

/// `--only audit-hash`: each round on two fresh databases, row hashes on and off.
async fn run_audit_hash(args: &BenchArgs, load_at_start: &str) -> anyhow::Result<()> {
    let options = gatehouse_options(args)?;
    let config = phase_config(args);
    let mut rounds = Vec::with_capacity(args.rounds);
    for round in 1..=args.rounds {
        eprintln!("round {round}/{} (audit-hash)", args.rounds);
        rounds.push(
            audit_cost::run_round(
                &args.postgres_url,
                &options,
                config,
                round,
                args.audit_aa_check,
            )
            .await?,
        );
    }
    println!("{}", header(args, load_at_start));
    println!(
        "Each side: logins then refreshes, {} s after {} s warm-up; sides alternate order \
         between rounds. Audit inserts and empty transactions: same phase length and \
         concurrency, on the hashes-on database after its phases, gatehouse stopped.\n",
        args.duration_secs, args.warmup_secs
    );
    println!("{}", report::figures_table(audit_cost::FIGURES, &rounds));
    println!(
        "Per round:\n\n{}",
        report::figures_rounds_table(audit_cost::FIGURES, &rounds)
    );
    Ok(())
}

/// `--only audit-ingest`: no gatehouse binary, the store's bulk path runs in this process.
async fn run_audit_ingest(args: &BenchArgs, load_at_start: &str) -> anyhow::Result<()> {
    if args.ingest_rows == 0 || args.ingest_connections == 0 {
        bail!("--ingest-rows and --ingest-connections must be at least 1");
    }
    let options = audit_ingest::IngestOptions {
        rows: args.ingest_rows,
        connections: args.ingest_connections,
    };
    let mut rounds = Vec::with_capacity(args.rounds);
    for round in 1..=args.rounds {
        eprintln!("round {round}/{} (audit-ingest)", args.rounds);
        rounds.push(audit_ingest::run_round(&args.postgres_url, options, round).await?);
    }
    println!(
        "\n## gatehouse-bench audit-ingest results\n\n\
         Machine: {} cores ({}). Medians of {} round(s); {} rows per pass over {} \
         connection(s). Load average (1, 5, 15 min) at start: {load_at_start}; at end: {}.\n",
        cores(),
        cpu_model(),
        args.rounds,
        args.ingest_rows,
        args.ingest_connections,
        load_average(),
    );
    println!("{}", report::figures_table(audit_ingest::FIGURES, &rounds));
    println!(
        "Per round:\n\n{}",
        report::figures_rounds_table(audit_ingest::FIGURES, &rounds)
    );
    Ok(())
}

/// `--only totp`: no gatehouse binary, the use case's check runs in this process.
async fn run_totp(args: &BenchArgs, load_at_start: &str) -> anyhow::Result<()> {
    let config = phase_config(args);
    let work_dir =
        std::env::temp_dir().join(format!("gh-bench-totp-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&work_dir)?;
    let mut rounds = Vec::with_capacity(args.rounds);
    for round in 1..=args.rounds {
        eprintln!("round {round}/{} (totp)", args.rounds);
        rounds
            .push(totp_verify::run_round(&args.postgres_url, args.users, config, &work_dir).await?);
    }
    let _ = std::fs::remove_dir_all(&work_dir);
    println!("{}", header(args, load_at_start));
    println!(
        "Each backend: verification and lookup phases of {} s after {} s warm-up, run A-B-B-A; \
         figures pool both phases.\n",
        args.duration_secs, args.warmup_secs
    );
    println!("{}", report::figures_table(totp_verify::FIGURES, &rounds));
    println!(
        "Per round:\n\n{}",
        report::figures_rounds_table(totp_verify::FIGURES, &rounds)
    );
    Ok(())
}

/// The first three fields of /proc/loadavg, to print beside the figures.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

fn gatehouse_options(args: &BenchArgs) -> anyhow::Result<GatehouseOptions> {
    let bin = args.gatehouse_bin.clone().unwrap_or_else(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into());
        Path::new(&target).join("release").join("gatehouse")
    });
    if !bin.is_file() {
        bail!(
            "no gatehouse binary at {}: run `cargo build --release -p gatehouse` or pass \
             --gatehouse-bin (or --only references)",
            bin.display()
        );
    }
    Ok(GatehouseOptions {
        bin,
        extra_env: args.gatehouse_env.clone(),
        config_file: None,
        users: args.users,
        ready_timeout: Duration::from_secs(args.ready_timeout_secs),
    })
}

/// One round on its own database; the database is dropped whatever happens, the work directory
/// (logs, gatehouse data dir) is kept when the round fails.
async fn run_round(
    args: &BenchArgs,
    gatehouse: Option<&GatehouseOptions>,
    config: PhaseConfig,
) -> anyhow::Result<RoundResult> {
    let db = BenchDatabase::create(&args.postgres_url).await?;
    let work_dir = std::env::temp_dir().join(&db.name);
    std::fs::create_dir_all(&work_dir)
        .with_context(|| format!("creating {}", work_dir.display()))?;
    let outcome = measure_round(args, gatehouse, config, &db.url, &work_dir).await;
    let dropped = db.drop_database().await;
    match &outcome {
        Ok(_) => {
            let _ = std::fs::remove_dir_all(&work_dir);
        }
        Err(_) => eprintln!("  logs kept in {}", work_dir.display()),
    }
    let result = outcome?;
    dropped?;
    Ok(result)
}

/// The order pairs each gatehouse phase with its reference back to back (Argon2id, then logins;
/// bare lookup, then `GET /v1/me`), so that a neighbour's load drifting over the minutes of a
/// round moves both sides of a ratio alike. gatehouse sits idle while a reference runs.
async fn measure_round(
    args: &BenchArgs,
    gatehouse: Option<&GatehouseOptions>,
    config: PhaseConfig,
    database_url: &str,
    work_dir: &Path,
) -> anyhow::Result<RoundResult> {
    let references = args.only != Only::Gatehouse;
    let mut result = RoundResult::default();
    let mut running = match gatehouse {
        Some(options) => {
            eprintln!("  gatehouse: {}", options.bin.display());
            let started = Gatehouse::start(options, database_url, work_dir, config.concurrency);
            Some(started.await?)
        }
        None => None,
    };

    if references {
        eprintln!("  Argon2id reference on {} threads", cores());
        let per_sec = references::argon2_hashes_per_sec(config, cores()).await?;
        eprintln!("  -> {per_sec:.1} hashes/s");
        result.argon2_per_sec = Some(per_sec);
    }
    if let Some(gatehouse) = running.as_mut() {
        gatehouse.run_logins(config).await?;
        gatehouse.run_refreshes(config).await?;
    }
    if references {
        eprintln!("  bare lookup reference");
        let bare =
            references::bare_lookup(database_url, args.bare_pool_size, work_dir, config).await?;
        eprintln!("  -> {bare:?}");
        result.bare = Some(bare);
    }
    if let Some(mut gatehouse) = running.take() {
        gatehouse.run_me(config).await?;
        let figures = gatehouse.finish().await?;
        eprintln!("  -> {figures:?}");
        result.gatehouse = Some(figures);
    }
    Ok(result)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

fn header(args: &BenchArgs, load_at_start: &str) -> String {
    format!(
        "\n## gatehouse-bench results\n\n\
         Machine: {} cores ({}). Medians of {} round(s); {} s measured per phase after {} s \
         warm-up; {} concurrent clients; {} users; load generator on {} thread(s) of the same \
         machine. Load average (1, 5, 15 min) at start: {load_at_start}; at end: {}.\n",
        cores(),
        cpu_model(),
        args.rounds,
        args.duration_secs,
        args.warmup_secs,
        args.concurrency,
        args.users,
        args.client_threads.unwrap_or_else(cores),
        load_average(),
    )
}
