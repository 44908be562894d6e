//! The flat setting names of earlier releases and where each one moved.
//!
//! Three names that every quick start and deployment uses stay in the environment for
//! good, without a warning: `GATEHOUSE_DATABASE_URL`, `GATEHOUSE_LISTEN` and
//! `GATEHOUSE_DATA_DIR` (`data_dir` did not move). Every other old name, and every old
//! name in the TOML file (where the sections are the one way to write them), works for one
//! more release with a deprecation warning. Setting a key by its old and new name at once
//! is refused.

use super::{insert, leaf_at, Deprecation, SettingError};
use serde_json::{Map, Value};
use std::path::Path;

/// One renamed setting.
#[derive(Debug)]
pub(super) struct Renamed {
    /// The flat name, as a TOML key (the variable is `GATEHOUSE_` and it in capitals).
    pub old: &'static str,
    /// The new key as a dotted path.
    pub new: &'static str,
    /// A quick-start variable that keeps working without a warning.
    pub kept_in_environment: bool,
}

const fn renamed(old: &'static str, new: &'static str) -> Renamed {
    Renamed {
        old,
        new,
        kept_in_environment: false,
    }
}

const fn kept(old: &'static str, new: &'static str) -> Renamed {
    Renamed {
        old,
        new,
        kept_in_environment: true,
    }
}

/// Every flat name of the last release except `data_dir`, which kept its name.
pub(super) const RENAMED: &[Renamed] = &[
    kept("database_url", "database.url"),
    kept("listen", "http.listen"),
    renamed("max_body_bytes", "http.max_body_bytes"),
    renamed("db_max_connections", "database.max_connections"),
    renamed("log_format", "log.format"),
    renamed("log_level", "log.level"),
    renamed("signing_key_file", "keys.signing_key_file"),
    renamed("pepper", "keys.pepper"),
    renamed("encryption_key", "keys.encryption_key"),
    renamed("issuer", "tokens.issuer"),
    renamed("access_token_ttl_secs", "tokens.access_token_ttl_secs"),
    renamed("refresh_token_ttl_secs", "tokens.idle_timeout_secs"),
    renamed("session_ttl_secs", "tokens.session_ttl_secs"),
    renamed("argon2_memory_kib", "argon2.memory_kib"),
    renamed("argon2_iterations", "argon2.iterations"),
    renamed("argon2_parallelism", "argon2.parallelism"),
    renamed("hash_concurrency", "argon2.hash_concurrency"),
    renamed("password_min_length", "password.min_length"),
    renamed("password_max_length", "password.max_length"),
    renamed("password_history", "password.history"),
    renamed(
        "login_max_failures_per_account",
        "login.max_failures_per_account",
    ),
    renamed("login_account_window_secs", "login.account_window_secs"),
    renamed("login_max_failures_per_ip", "login.max_failures_per_ip"),
    renamed("login_ip_window_secs", "login.ip_window_secs"),
    renamed("login_lockout_secs", "login.lockout_secs"),
];

/// The renamed setting whose old name is `old` (lower case, no prefix).
pub(super) fn find(old: &str) -> Option<&'static Renamed> {
    RENAMED.iter().find(|renamed| renamed.old == old)
}

/// How a key is written in the TOML file: `[tokens] issuer`, or `data_dir` at the top.
fn toml_name(path: &[&str]) -> String {
    match path.split_last() {
        Some((key, [])) => (*key).to_owned(),
        Some((key, sections)) => format!("[{}] {key}", sections.join(".")),
        None => String::new(),
    }
}

/// Move the file's old top-level keys into their sections, one warning each.
pub(super) fn rename_in_file(
    values: &mut Map<String, Value>,
    file: &Path,
) -> Result<Vec<Deprecation>, SettingError> {
    let mut deprecations = Vec::new();
    for renamed in RENAMED {
        let Some(value) = values.remove(renamed.old) else {
            continue;
        };
        let path: Vec<&str> = renamed.new.split('.').collect();
        if leaf_at(values, &path).is_some() {
            return Err(SettingError {
                key: format!("{} ({})", renamed.old, renamed.new),
                message: format!(
                    "also set as {} in {}; choose one",
                    toml_name(&path),
                    file.display()
                ),
            });
        }
        insert(values, &path, value);
        deprecations.push(Deprecation {
            old: format!("{} (in {})", renamed.old, file.display()),
            new: toml_name(&path),
        });
    }
    Ok(deprecations)
}
