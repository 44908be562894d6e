//! `gatehouse audit summarize [--date D]`, `audit maintain`, `audit export`, `audit seal`
//! and `audit verify`, and the workers' runs (`gatehouse worker` and `serve`'s in-process
//! workers): summaries and maintenance once at start-up and then each day a few minutes
//! after UTC midnight, for the day before; sealing every `[audit] seal_interval_seconds`.
//! All are idempotent or serialised, so several nodes running them is harmless.

use crate::cli::{AuditAction, ExportFormatArg, ExportKind};
use crate::settings::Settings;
use anyhow::Context;
use chrono::{DateTime, Days, Utc};
use gatehouse_core::audit_ops::export::{self, AuditLog, ExportFormat, ExportRequest};
use gatehouse_core::audit_ops::seal::{self, Break, VerifyReport};
use gatehouse_core::audit_ops::{retention, summaries, AuditConfig};
use gatehouse_core::Core;
use gatehouse_store::migrate;
use std::io::{BufWriter, IsTerminal, Write};
use std::time::Duration;
use tokio::task::JoinHandle;

/// Minutes after UTC midnight the daily run starts (late rows of the day have landed).
const DAILY_RUN_MINUTE: u32 = 5;

pub async fn run(settings: &Settings, action: AuditAction) -> anyhow::Result<()> {
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
    // Seals are keyed from the server's pepper: the same keys `serve` uses.
    let keys = crate::keys::load(&settings.keys, &settings.data_dir)?;
    let core = Core::new(
        db.clone(),
        std::sync::Arc::new(gatehouse_core::SystemClock),
        keys,
        settings.core_config(),
    )
    .context("invalid configuration")?;
    let result = match action {
        AuditAction::Summarize { date } => {
            let date = date.unwrap_or_else(|| summaries::yesterday(core.clock.now()));
            let users = summaries::summarize(&core, date)
                .await
                .context("summarising failed")?;
            println!("{date}: {users} user summaries written");
            Ok(())
        }
        AuditAction::Maintain => {
            let r = retention::maintain(&core, &settings.audit)
                .await
                .context("audit maintenance failed")?;
            println!("database: {location}");
            println!("partitions created: {}", r.partitions_created);
            println!("partitions dropped: {}", r.partitions_dropped);
            println!("rows deleted: {}", r.rows_deleted);
            Ok(())
        }
        AuditAction::Export {
            from,
            to,
            kind,
            format,
            output,
        } => run_export(&core, from, to, kind, format, output).await,
        AuditAction::Seal => {
            let r = seal::seal_pending(&core).await.context("sealing failed")?;
            println!("{} seals written over {} rows", r.seals, r.rows);
            Ok(())
        }
        AuditAction::Verify { from, to } => {
            let from = from.unwrap_or_else(seal::beginning);
            let to = to.unwrap_or_else(|| core.clock.now());
            let report = seal::verify(&core, from, to)
                .await
                .context("verify failed")?;
            print!("{}", verify_text(&report));
            if !report.intact() {
                db.close().await;
                std::process::exit(1);
            }
            Ok(())
        }
    };
    db.close().await;
    result
}

async fn run_export(
    core: &Core,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    kind: ExportKind,
    format: ExportFormatArg,
    output: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let logs = match kind {
        ExportKind::Sessions => vec![AuditLog::Sessions],
        ExportKind::Devices => vec![AuditLog::Devices],
        ExportKind::Mfa => vec![AuditLog::Mfa],
        ExportKind::Links => vec![AuditLog::Links],
        ExportKind::All => Vec::new(),
    };
    let format = match format {
        ExportFormatArg::Ndjson => ExportFormat::Ndjson,
        ExportFormatArg::Csv => ExportFormat::Csv,
    };
    let request = ExportRequest::new(from, to, logs, format)?;
    let sink: Box<dyn Write> = match &output {
        Some(path) => Box::new(create_private(path)?),
        None => Box::new(std::io::stdout()),
    };
    let mut out = BufWriter::new(sink);
    // A bar only for a person watching: never in a pipe, a log or a test.
    let bar = if std::io::stderr().is_terminal() {
        let total = export::count(&core.db, &request).await?;
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} rows ({per_sec}, {eta} left)",
        ) {
            bar.set_style(style);
        }
        Some(bar)
    } else {
        None
    };
    let mut progress = |done: u64| {
        if let Some(bar) = &bar {
            bar.set_position(done);
        }
    };
    let written = export::export(&core.db, &request, &mut out, &mut progress).await?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if let Some(path) = output {
        eprintln!("{written} rows written to {}", path.display());
    }
    Ok(())
}

/// The export file, readable by its owner only: audit rows are personal data.
fn create_private(path: &std::path::Path) -> anyhow::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))
}

/// What `audit verify` prints: totals, the chain head, then each break, the first first.
fn verify_text(r: &VerifyReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let head = r
        .head
        .as_ref()
        .map_or("none".to_owned(), |(seq, hash)| format!("#{seq} {hash}"));
    let _ = writeln!(out, "seals: {} (head {head})", r.seals);
    let _ = writeln!(
        out,
        "windows checked: {}, past retention (chain only): {}",
        r.windows_checked, r.windows_past_retention
    );
    let _ = writeln!(
        out,
        "rows checked: {} ({} not sealed yet)",
        r.rows_checked, r.unsealed_rows
    );
    if r.intact() {
        let _ = writeln!(out, "intact: every seal and every row checked matches");
        return out;
    }
    let _ = writeln!(
        out,
        "BROKEN: {} problem(s); the first broken seal first",
        r.breaks.len()
    );
    for b in &r.breaks {
        let line = match b {
            Break::Chain { seq, reason } => format!("seal #{seq}: {reason}"),
            Break::Gap { seq, log, from, to } => {
                format!(
                    "seal #{seq} ({}): nothing seals [{from}, {to})",
                    log.as_str()
                )
            }
            Break::Window {
                seq,
                log,
                from,
                to,
                sealed_rows,
                found_rows,
                edited,
            } => {
                let mut line = format!(
                    "seal #{seq} ({}, rows created in [{from}, {to})): {sealed_rows} rows sealed, {found_rows} found",
                    log.as_str()
                );
                if !edited.is_empty() {
                    let ids: Vec<String> = edited.iter().map(ToString::to_string).collect();
                    let _ = write!(line, "; edited rows: {}", ids.join(", "));
                }
                line
            }
            Break::Unsealed { log, edited } => {
                let ids: Vec<String> = edited.iter().map(ToString::to_string).collect();
                format!(
                    "not yet sealed ({}): edited rows: {}",
                    log.as_str(),
                    ids.join(", ")
                )
            }
            Break::BeforeFirstSeal { log, rows } => format!(
                "{} rows of {} are dated before its first seal began",
                rows,
                log.as_str()
            ),
        };
        let _ = writeln!(out, "  {line}");
    }
    out
}

/// Seal what has been written, now and every `interval`.
pub fn spawn_sealer(core: Core, interval: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match seal::seal_pending(&core).await {
                Ok(r) if r.seals > 0 => {
                    tracing::debug!(seals = r.seals, rows = r.rows, "audit rows sealed");
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "audit sealing failed"),
            }
            tokio::time::sleep(interval).await;
        }
    })
}

/// Summarise yesterday and run retention now, then daily after UTC midnight.
pub fn spawn_daily(core: Core, config: AuditConfig) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let now = core.clock.now();
            match summaries::summarize(&core, summaries::yesterday(now)).await {
                Ok(users) => tracing::info!(users, "audit summaries written"),
                Err(e) => tracing::error!(error = %e, "audit summaries failed"),
            }
            // Partitions and retention need the tables' owner; a least-privilege role
            // (issue 11) leaves them to `gatehouse audit maintain` run as the owner.
            let owner = gatehouse_store::maintenance::owns_schema(&core.db)
                .await
                .unwrap_or(false);
            if !owner {
                tracing::info!("audit retention is left to the tables' owner");
            } else {
                match retention::maintain(&core, &config).await {
                    Ok(r) => tracing::info!(
                        partitions_created = r.partitions_created,
                        partitions_dropped = r.partitions_dropped,
                        rows_deleted = r.rows_deleted,
                        "audit retention done"
                    ),
                    Err(e) => tracing::error!(error = %e, "audit retention failed"),
                }
            }
            tokio::time::sleep(until_next_run(core.clock.now())).await;
        }
    })
}

/// Time from `now` to the next run: `DAILY_RUN_MINUTE` past the coming UTC midnight.
fn until_next_run(now: DateTime<Utc>) -> Duration {
    let next = now
        .date_naive()
        .checked_add_days(Days::new(1))
        .and_then(|d| d.and_hms_opt(0, DAILY_RUN_MINUTE, 0))
        .map(|t| t.and_utc());
    next.and_then(|t| (t - now).to_std().ok())
        .unwrap_or(Duration::from_secs(24 * 60 * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_run_is_just_after_the_coming_utc_midnight() {
        let now = "2026-11-27T23:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(until_next_run(now), Duration::from_secs(65 * 60));
        let now = "2026-11-28T00:05:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(until_next_run(now), Duration::from_secs(24 * 60 * 60));
    }
}
