//! `gatehouse backup --to FILE` and `gatehouse restore --from FILE [--replace]` for SQLite
//! deployments (issue 11, item 1). The backup is `VACUUM INTO` on the live database: a
//! consistent copy taken while `serve` keeps answering. A restore checks the copy first
//! (integrity, a gatehouse schema no newer than this binary), copies it beside the database
//! and renames it into place, so a failed restore leaves the old database as it was; with
//! `--replace` the old file and its WAL are kept as `<db>.replaced-<time>`. The service must
//! be stopped for a restore: a running server would keep writing to the file it opened.

use crate::settings::Settings;
use anyhow::{bail, Context};
use gatehouse_store::backup::{self, BackupFile};
use gatehouse_store::{migrate, Backend};
use std::path::{Path, PathBuf};

pub async fn run_backup(settings: &Settings, to: &Path) -> anyhow::Result<()> {
    let location = settings.database_location()?;
    if location.backend() == Backend::Postgres {
        bail!(
            "{} is PostgreSQL: back it up with base backups and WAL archiving (docs/operations.md, \"Backups\")",
            location.describe()
        );
    }
    if to.exists() {
        bail!(
            "{} already exists: a backup never overwrites a file",
            to.display()
        );
    }
    let db = crate::database::connect(settings, &location).await?;
    let result = backup::sqlite_backup(&db, to).await;
    db.close().await;
    result.with_context(|| format!("backup of {} failed", location.describe()))?;
    let bytes = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    println!(
        "backup of {} written to {} ({bytes} bytes)",
        location.describe(),
        to.display()
    );
    Ok(())
}

pub async fn run_restore(settings: &Settings, from: &Path, replace: bool) -> anyhow::Result<()> {
    let location = settings.database_location()?;
    let Some(target) = location.sqlite_file().map(Path::to_path_buf) else {
        bail!(
            "{} is not an SQLite file: PostgreSQL is restored from a base backup and its WAL archive (docs/operations.md, \"Backups\")",
            location.describe()
        );
    };
    let found = backup::inspect(from)
        .await
        .with_context(|| format!("{} cannot be restored", from.display()))?;
    check_versions(&found)?;
    if target.exists() && !replace {
        bail!(
            "{} exists: stop gatehouse and pass --replace to put the backup in its place (the old file is kept)",
            target.display()
        );
    }
    let staged = sibling(&target, ".restoring");
    std::fs::copy(from, &staged)
        .with_context(|| format!("cannot copy {} to {}", from.display(), staged.display()))?;
    std::fs::File::open(&staged)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot flush {}", staged.display()))?;
    if target.exists() {
        let kept = sibling(
            &target,
            &format!(".replaced-{}", chrono::Utc::now().format("%Y%m%dT%H%M%SZ")),
        );
        // The WAL and shared-memory files belong to the old database: left beside the
        // restored one, SQLite would replay the old WAL into it.
        for suffix in ["-wal", "-shm"] {
            let side = sibling(&target, suffix);
            if side.exists() {
                std::fs::rename(&side, sibling(&kept, suffix))
                    .with_context(|| format!("cannot move {} aside", side.display()))?;
            }
        }
        std::fs::rename(&target, &kept)
            .with_context(|| format!("cannot move {} aside", target.display()))?;
        println!("previous database kept as {}", kept.display());
    }
    std::fs::rename(&staged, &target)
        .with_context(|| format!("cannot move {} into place", staged.display()))?;
    let pending = migrate::none_applied(Backend::Sqlite)
        .iter()
        .filter(|m| !found.versions.contains(&m.version))
        .count();
    println!(
        "restored {} into {} ({} users, schema version {}{})",
        from.display(),
        target.display(),
        found.users,
        found.versions.last().copied().unwrap_or(0),
        if pending > 0 {
            format!("; {pending} newer migrations apply when gatehouse starts")
        } else {
            String::new()
        }
    );
    Ok(())
}

/// A backup from a newer gatehouse would meet code that does not know its schema.
fn check_versions(found: &BackupFile) -> anyhow::Result<()> {
    let known = migrate::none_applied(Backend::Sqlite);
    if let Some(v) = found
        .versions
        .iter()
        .find(|v| !known.iter().any(|m| m.version == **v))
    {
        bail!("the backup has migration {v}, which this gatehouse does not know: restore it with the version that wrote it");
    }
    Ok(())
}

/// `path` with `suffix` appended to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}
