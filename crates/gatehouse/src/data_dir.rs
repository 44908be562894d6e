//! The data directory holds the generated keys and the default SQLite database, so it is
//! created readable by its owner only (0700), as the key files and the database file are
//! (0600). A directory or database the operator made is not changed, only warned about
//! when others can read it: they may have reasons (a group-shared backup) we cannot see.

use std::path::Path;

/// Create `dir` (and missing parents) with mode 0700, or warn if it exists and others
/// can read it; likewise warn about `database` (the default SQLite file) if it exists.
pub fn ensure(dir: &Path, database: Option<&Path>) -> anyhow::Result<()> {
    if dir.exists() {
        warn_if_shared(dir, "data directory", "700");
    } else {
        create_private_dir(dir)
            .map_err(|e| anyhow::anyhow!("cannot create data directory {}: {e}", dir.display()))?;
    }
    if let Some(file) = database.filter(|f| f.exists()) {
        warn_if_shared(file, "database file", "600");
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

#[cfg(unix)]
fn warn_if_shared(path: &Path, what: &str, advice: &str) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        tracing::warn!(
            path = %path.display(),
            mode = format!("{mode:o}"),
            "the {what} is accessible to other users; it holds keys and account data: chmod {advice} it"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_path: &Path, _what: &str, _advice: &str) {}
