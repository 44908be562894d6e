//! Command-line interface and the `migrate` subcommands.

use crate::settings::Settings;
use anyhow::Context;
use clap::{Parser, Subcommand};
use gatehouse_store::migrate::{self, MigrationStatus};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "Account-security service: accounts, sessions, tokens, devices"
)]
pub struct Cli {
    /// TOML configuration file (settings in it are overridden by GATEHOUSE_* variables).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations and serve the API.
    Serve,
    /// Manage the database schema.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Print the version (as `--version` does).
    Version,
    /// Prune once what can no longer matter (see `[maintenance]`) and print the counts.
    Maintain,
    /// Deliver queued notifications until SIGTERM or Ctrl-C (beside `serve`, or instead of
    /// its in-process workers: `notifications.workers_in_serve = false`).
    Worker,
    /// Exit 0 if the server at http.listen answers GET /healthz with 200 (container checks).
    Healthcheck,
    /// Operator tasks on accounts.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Write a consistent copy of the SQLite database to FILE while it keeps serving
    /// (PostgreSQL: base backups and WAL archiving, see docs/operations.md).
    Backup {
        /// The copy to write; it must not exist.
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Put a backup written by `gatehouse backup` in place of the SQLite database (stop
    /// gatehouse first).
    Restore {
        /// The backup to restore; checked before anything is changed.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// Replace an existing database (kept beside it as `<db>.replaced-<time>`).
        #[arg(long)]
        replace: bool,
    },
    /// Audit upkeep: daily summaries, retention and partitions, exports.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Write one row per user for a UTC day in audit_daily_summaries (a rerun leaves
    /// the same rows). The workers do it daily for the day before.
    Summarize {
        /// The UTC day; yesterday (UTC) by default.
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<chrono::NaiveDate>,
    },
    /// Create the coming monthly partitions (PostgreSQL) and remove audit rows older than
    /// `[audit] retention_days`. The workers do it daily.
    Maintain,
    /// Write the audit rows created in [--from, --to) to stdout or a file, page by page.
    Export {
        /// Start, included: a UTC day (YYYY-MM-DD) or an RFC 3339 time.
        #[arg(long, value_name = "TIME", value_parser = crate::time_arg::parse_time)]
        from: chrono::DateTime<chrono::Utc>,
        /// End, excluded: a UTC day (YYYY-MM-DD) or an RFC 3339 time.
        #[arg(long, value_name = "TIME", value_parser = crate::time_arg::parse_time)]
        to: chrono::DateTime<chrono::Utc>,
        /// Which log; `all` (NDJSON only) by default.
        #[arg(long, value_enum, default_value_t = ExportKind::All)]
        kind: ExportKind,
        #[arg(long, value_enum)]
        format: ExportFormatArg,
        /// Write here (created readable by its owner only) instead of stdout.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Seal the audit rows written up to two minutes ago. The workers do it every
    /// `[audit] seal_interval_seconds`.
    Seal,
    /// Check the chain of seals and that the rows of [--from, --to) are the rows that were
    /// sealed; reports the first broken seal and the rows it covers. Exits 1 if anything
    /// is broken.
    Verify {
        /// Start, included: a UTC day (YYYY-MM-DD) or an RFC 3339 time; the beginning by default.
        #[arg(long, value_name = "TIME", value_parser = crate::time_arg::parse_time)]
        from: Option<chrono::DateTime<chrono::Utc>>,
        /// End, excluded: a UTC day (YYYY-MM-DD) or an RFC 3339 time; now by default.
        #[arg(long, value_name = "TIME", value_parser = crate::time_arg::parse_time)]
        to: Option<chrono::DateTime<chrono::Utc>>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportKind {
    Sessions,
    Devices,
    Mfa,
    Links,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormatArg {
    Ndjson,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum AdminAction {
    /// Create a staff member (may use /v1/admin), or promote the account with this email.
    /// A new account's password is read from stdin (prompted for, without echo, on a
    /// terminal).
    CreateStaff {
        #[arg(long, value_name = "EMAIL")]
        email: String,
        #[arg(long, value_name = "USERNAME")]
        username: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert migrations down to version N (0 reverts everything).
    Down {
        #[arg(long = "to", value_name = "N")]
        to: i64,
    },
    /// List migrations and whether each is applied.
    Status,
}

/// `gatehouse maintain`: one prune run against the configured database, as `serve` runs
/// it periodically. Migrations are not applied here: an out-of-date schema is refused.
pub async fn maintain(settings: &Settings) -> anyhow::Result<()> {
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
    // Pruning signs and hashes nothing: throwaway keys, so no key file is read or created.
    let keys = gatehouse_core::keys::Keys::ephemeral().context("cannot create keys")?;
    let core = gatehouse_core::Core::new(
        db.clone(),
        std::sync::Arc::new(gatehouse_core::SystemClock),
        keys,
        settings.core_config(),
    )
    .context("invalid configuration")?;
    let report = gatehouse_core::maintenance::prune(&core, &settings.maintenance)
        .await
        .context("pruning failed")?;
    println!("database: {location}");
    println!("sessions expired: {}", report.sessions_expired);
    println!("refresh tokens pruned: {}", report.refresh_tokens);
    println!("sessions pruned: {}", report.sessions);
    println!("throttle counters pruned: {}", report.throttle_counters);
    println!("notification rows pruned: {}", report.notifications);
    db.close().await;
    Ok(())
}

pub async fn migrate(settings: &Settings, action: MigrateAction) -> anyhow::Result<()> {
    let location = settings.database_location()?;
    if let MigrateAction::Status = action {
        // Looking must not create anything: a missing SQLite file (or data directory) is
        // reported as such, every migration pending, and left missing.
        if location.sqlite_file().is_some_and(|file| !file.exists()) {
            println!("database: {location} (does not exist yet)");
            print_status(&migrate::none_applied(location.backend()));
            return Ok(());
        }
        println!("database: {location}");
    } else {
        settings.ensure_data_dir()?;
    }
    let db = crate::database::connect(settings, &location).await?;
    match action {
        MigrateAction::Up => {
            crate::schema_check::refuse_newer_schema(&db, &location).await?;
            migrate::up(&db).await.context("migration failed")?;
            println!("migrations applied to {location}");
        }
        MigrateAction::Down { to } => {
            migrate::down_to(&db, to)
                .await
                .context("reverting migrations failed")?;
            println!("{location} reverted to version {to}");
        }
        MigrateAction::Status => print_status(
            &migrate::status(&db)
                .await
                .context("cannot read migration state")?,
        ),
    }
    db.close().await;
    Ok(())
}

fn print_status(migrations: &[MigrationStatus]) {
    for m in migrations {
        println!(
            "{:04} {:<12} {}",
            m.version,
            m.description,
            if m.applied { "applied" } else { "pending" }
        );
    }
}
