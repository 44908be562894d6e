//! Command-line interface and the `migrate` subcommands.

use crate::settings::Settings;
use anyhow::Context;
use clap::{Parser, Subcommand};
use gatehouse_store::{migrate, Db};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "gatehouse",
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
    /// Print the version.
    Version,
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

pub async fn migrate(settings: &Settings, action: MigrateAction) -> anyhow::Result<()> {
    settings.ensure_data_dir()?;
    let db = Db::connect(&settings.database_url(), &settings.database.options())
        .await
        .context("cannot connect to the database")?;
    match action {
        MigrateAction::Up => {
            migrate::up(&db).await.context("migration failed")?;
            println!("migrations applied");
        }
        MigrateAction::Down { to } => {
            migrate::down_to(&db, to)
                .await
                .context("reverting migrations failed")?;
            println!("reverted to version {to}");
        }
        MigrateAction::Status => {
            for m in migrate::status(&db)
                .await
                .context("cannot read migration state")?
            {
                println!(
                    "{:04} {:<12} {}",
                    m.version,
                    m.description,
                    if m.applied { "applied" } else { "pending" }
                );
            }
        }
    }
    db.close().await;
    Ok(())
}
