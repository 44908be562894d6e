//! The `gatehouse` binary: `serve`, `migrate` (`up`, `down --to N`, `status`), `maintain`
//! (prune once), `admin create-staff`, `audit summarize|maintain|export|seal|verify`,
//! `backup`, `restore`, `healthcheck` and `version` (also `--version`, `-V`). Configuration comes
//! from a TOML file in sections, `GATEHOUSE_SECTION__KEY` variables and
//! `GATEHOUSE_SECTION__KEY_FILE` secrets; a bad setting stops start-up with one line naming
//! it and exit code 2, an old flat name is warned about. A failure after that is one
//! `gatehouse: <cause>` line and exit code 1.

mod admin;
mod audit;
mod backup;
mod cli;
mod data_dir;
mod database;
mod healthcheck;
mod healthcheck_tls;
mod keys;
mod logging;
mod schema_check;
mod serve;
mod server;
mod settings;
mod time_arg;
mod tls;
mod worker;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    if let cli::Command::Version = cli.command {
        println!("gatehouse {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let loaded = match settings::Settings::load(cli.config.as_deref()) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("gatehouse: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    logging::init(&loaded.settings.log);
    gatehouse_store::audit_hash::set_row_hashes(loaded.settings.audit.row_hashes);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("gatehouse: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            // `serve` warns about old setting names after its first line (what is starting).
            cli::Command::Serve => serve::run(loaded).await,
            cli::Command::Migrate { action } => {
                for deprecation in &loaded.deprecations {
                    tracing::warn!(old = %deprecation.old, new = %deprecation.new, "{deprecation}");
                }
                cli::migrate(&loaded.settings, action).await
            }
            cli::Command::Maintain => cli::maintain(&loaded.settings).await,
            cli::Command::Worker => worker::run(&loaded.settings).await,
            cli::Command::Version => Ok(()),
            cli::Command::Healthcheck => healthcheck::run(&loaded.settings.http),
            cli::Command::Admin { action } => admin::run(&loaded.settings, action).await,
            cli::Command::Audit { action } => audit::run(&loaded.settings, action).await,
            cli::Command::Backup { to } => backup::run_backup(&loaded.settings, &to).await,
            cli::Command::Restore { from, replace } => {
                backup::run_restore(&loaded.settings, &from, replace).await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the cause chain joined by ": " (`cannot listen on ...: Address in use`).
            eprintln!("gatehouse: {e:#}");
            ExitCode::FAILURE
        }
    }
}
