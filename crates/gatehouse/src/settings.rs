//! Settings: defaults, then a TOML file (`--config`), then `GATEHOUSE_<KEY>` variables,
//! then `GATEHOUSE_<KEY>_FILE` (the setting's value read from a file, for secrets; a
//! setting whose own name ends in `_file`, like `signing_key_file`, is set directly).
//! Every key is known: an unknown or invalid one is refused with its name.
//! `GATEHOUSE_TEST_*` and `GATEHOUSE_BENCH_*` are reserved for the test suite and
//! benchmarks and ignored here.

use figment::providers::{Format, Serialized, Toml};
use figment::Figment;
use gatehouse_core::config::{Argon2Params, CoreConfig, ThrottleLimits};
use gatehouse_core::keys::{parse_secret32, KeyError, SigningKeyPair};
use gatehouse_domain::accounts::PasswordPolicy;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

const PREFIX: &str = "GATEHOUSE_";

/// Every setting, with its default. Keys are the field names (TOML) and
/// `GATEHOUSE_<FIELD NAME IN CAPITALS>` (environment).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `sqlite:…` or `postgres://…`. Default: an SQLite file in the data directory.
    pub database_url: String,
    pub listen: String,
    pub data_dir: PathBuf,
    /// `auto` (JSON when not on a terminal), `json` or `text`.
    pub log_format: String,
    /// A tracing filter, e.g. `info` or `gatehouse=debug,info`.
    pub log_level: String,
    /// Ed25519 PKCS#8 PEM file; default `<data_dir>/signing-key.pem`, created if missing.
    pub signing_key_file: Option<PathBuf>,
    /// Base64 of 32 bytes; default read from (or created in) `<data_dir>/pepper.key`.
    pub pepper: Option<String>,
    /// Base64 of 32 bytes; default read from (or created in) `<data_dir>/encryption.key`.
    pub encryption_key: Option<String>,
    pub issuer: String,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    pub session_ttl_secs: u64,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    /// Concurrent password hashes; 0 = number of CPUs.
    pub hash_concurrency: usize,
    pub password_min_length: usize,
    pub password_max_length: usize,
    pub password_history: u32,
    pub login_max_failures_per_account: u32,
    pub login_account_window_secs: u64,
    pub login_max_failures_per_ip: u32,
    pub login_ip_window_secs: u64,
    pub login_lockout_secs: u64,
    pub max_body_bytes: usize,
    pub db_max_connections: u32,
}

impl Default for Settings {
    fn default() -> Self {
        let core = CoreConfig::default();
        Self {
            database_url: String::new(),
            listen: "127.0.0.1:8080".to_owned(),
            data_dir: PathBuf::from("./data"),
            log_format: "auto".to_owned(),
            log_level: "info".to_owned(),
            signing_key_file: None,
            pepper: None,
            encryption_key: None,
            issuer: core.issuer,
            access_token_ttl_secs: core.access_token_ttl.as_secs(),
            refresh_token_ttl_secs: core.refresh_token_ttl.as_secs(),
            session_ttl_secs: core.session_ttl.as_secs(),
            argon2_memory_kib: core.argon2.memory_kib,
            argon2_iterations: core.argon2.iterations,
            argon2_parallelism: core.argon2.parallelism,
            hash_concurrency: 0,
            password_min_length: core.password_policy.min_length,
            password_max_length: core.password_policy.max_length,
            password_history: core.password_history,
            login_max_failures_per_account: core.throttle.account_max_failures,
            login_account_window_secs: core.throttle.account_window.as_secs(),
            login_max_failures_per_ip: core.throttle.ip_max_failures,
            login_ip_window_secs: core.throttle.ip_window.as_secs(),
            login_lockout_secs: core.throttle.lockout.as_secs(),
            max_body_bytes: 16 * 1024,
            db_max_connections: 16,
        }
    }
}

/// A refused setting: the key as the user wrote it, and why.
#[derive(Debug, thiserror::Error)]
#[error("{key}: {message}")]
pub struct SettingError {
    pub key: String,
    pub message: String,
}

fn env_name(key: &str) -> String {
    format!("{PREFIX}{}", key.to_uppercase())
}

fn refuse(key: &str, message: impl Into<String>) -> SettingError {
    SettingError {
        key: format!("{} ({key})", env_name(key)),
        message: message.into(),
    }
}

/// What was wrong with a key, without the `what` prefix (the caller names the setting).
fn key_error_detail(e: KeyError) -> String {
    match e {
        KeyError::Invalid { detail, .. } => detail,
        e @ KeyError::Io { .. } => e.to_string(),
    }
}

fn is_reserved(var: &str) -> bool {
    var.starts_with("GATEHOUSE_TEST_") || var.starts_with("GATEHOUSE_BENCH_")
}

impl Settings {
    pub fn load(config_file: Option<&Path>) -> Result<Self, SettingError> {
        Self::load_from(config_file, std::env::vars().collect())
    }

    /// Load from an explicit environment (testable without touching the process env).
    pub fn load_from(
        config_file: Option<&Path>,
        env: Vec<(String, String)>,
    ) -> Result<Self, SettingError> {
        if let Some(path) = config_file {
            if !path.exists() {
                return Err(SettingError {
                    key: "--config".to_owned(),
                    message: format!("{} does not exist", path.display()),
                });
            }
        }
        let defaults = default_values()?;
        let env_map = collect_env(&defaults, env)?;
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = config_file {
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(EnvValues(env_map));
        let settings: Settings = figment.extract().map_err(|e| {
            let key = e.path.join(".");
            let key = if key.is_empty() {
                "configuration".to_owned()
            } else {
                key
            };
            let origin = e
                .metadata
                .as_ref()
                .map(|m| m.name.to_string())
                .unwrap_or_default();
            let message = match &e.kind {
                // Only the TOML file can get here: unknown variables are refused earlier.
                figment::error::Kind::UnknownField(field, _) => {
                    return SettingError {
                        key: field.clone(),
                        message: "unknown setting".to_owned(),
                    };
                }
                kind => format!(
                    "{kind}{}",
                    if origin.is_empty() {
                        String::new()
                    } else {
                        format!(" (from {origin})")
                    }
                ),
            };
            refuse(&key, message)
        })?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingError> {
        self.listen
            .parse::<SocketAddr>()
            .map_err(|e| refuse("listen", format!("not an address:port ({e})")))?;
        let url = self.database_url.as_str();
        if !(url.is_empty()
            || url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(refuse(
                "database_url",
                "must start with sqlite: or postgres://",
            ));
        }
        if !["auto", "json", "text"].contains(&self.log_format.as_str()) {
            return Err(refuse("log_format", "must be auto, json or text"));
        }
        tracing_subscriber::EnvFilter::try_new(&self.log_level)
            .map_err(|e| refuse("log_level", e.to_string()))?;
        if !(8..=64).contains(&self.password_min_length) {
            return Err(refuse(
                "password_min_length",
                "must be 8 to 64 (NIST 800-63B requires at least 8)",
            ));
        }
        if self.password_max_length < 64.max(self.password_min_length)
            || self.password_max_length > 1024
        {
            return Err(refuse(
                "password_max_length",
                "must be 64 to 1024 and at least password_min_length",
            ));
        }
        if self.argon2_parallelism == 0
            || self.argon2_iterations == 0
            || self.argon2_memory_kib < 8 * self.argon2_parallelism
        {
            return Err(refuse(
                "argon2_memory_kib",
                "argon2 needs iterations >= 1, parallelism >= 1, memory >= 8 KiB x parallelism",
            ));
        }
        if self.hash_concurrency > 256 {
            return Err(refuse(
                "hash_concurrency",
                "must be 0 (one per CPU) to 256; each hash holds argon2_memory_kib of memory",
            ));
        }
        if !(1..=24).contains(&self.password_history) {
            return Err(refuse("password_history", "must be 1 to 24"));
        }
        if !(1..=100).contains(&self.login_max_failures_per_account) {
            return Err(refuse(
                "login_max_failures_per_account",
                "must be 1 to 100 (NIST 800-63B 5.2.2)",
            ));
        }
        // Per address, not per account: one address can front many users (NAT, proxies),
        // but 0 would block every login.
        if !(1..=100_000).contains(&self.login_max_failures_per_ip) {
            return Err(refuse("login_max_failures_per_ip", "must be 1 to 100000"));
        }
        for (key, value) in [
            ("access_token_ttl_secs", self.access_token_ttl_secs),
            ("refresh_token_ttl_secs", self.refresh_token_ttl_secs),
            ("session_ttl_secs", self.session_ttl_secs),
            ("login_account_window_secs", self.login_account_window_secs),
            ("login_ip_window_secs", self.login_ip_window_secs),
            ("login_lockout_secs", self.login_lockout_secs),
        ] {
            if value == 0 {
                return Err(refuse(key, "must be greater than 0"));
            }
        }
        if self.max_body_bytes < 1024 {
            return Err(refuse("max_body_bytes", "must be at least 1024"));
        }
        if self.db_max_connections == 0 {
            return Err(refuse("db_max_connections", "must be at least 1"));
        }
        self.validate_keys()
    }

    /// Keys given in the configuration are checked here, so a bad one stops start-up like
    /// any other setting instead of failing later in `keys::load`. The values themselves
    /// are never echoed.
    fn validate_keys(&self) -> Result<(), SettingError> {
        for (key, value) in [
            ("pepper", &self.pepper),
            ("encryption_key", &self.encryption_key),
        ] {
            if let Some(text) = value {
                parse_secret32(key, text).map_err(|e| refuse(key, key_error_detail(e)))?;
            }
        }
        if let Some(path) = &self.signing_key_file {
            let pem = std::fs::read_to_string(path).map_err(|e| {
                refuse(
                    "signing_key_file",
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
            SigningKeyPair::from_pem(&pem).map_err(|e| {
                refuse(
                    "signing_key_file",
                    format!(
                        "{} is not an Ed25519 PKCS#8 PEM key: {}",
                        path.display(),
                        key_error_detail(e)
                    ),
                )
            })?;
        }
        Ok(())
    }

    /// Create the data directory if needed, and fill in the default database URL.
    pub fn ensure_data_dir(&self) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.data_dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot create data directory {}: {e}",
                self.data_dir.display()
            )
        })
    }

    /// The database URL, defaulting to `<data_dir>/gatehouse.db`.
    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("gatehouse.db").display())
        } else {
            self.database_url.clone()
        }
    }

    pub fn core_config(&self) -> CoreConfig {
        let secs = Duration::from_secs;
        CoreConfig {
            issuer: self.issuer.clone(),
            access_token_ttl: secs(self.access_token_ttl_secs),
            refresh_token_ttl: secs(self.refresh_token_ttl_secs),
            session_ttl: secs(self.session_ttl_secs),
            argon2: Argon2Params {
                memory_kib: self.argon2_memory_kib,
                iterations: self.argon2_iterations,
                parallelism: self.argon2_parallelism,
            },
            hash_concurrency: if self.hash_concurrency == 0 {
                CoreConfig::default().hash_concurrency
            } else {
                self.hash_concurrency
            },
            password_policy: PasswordPolicy {
                min_length: self.password_min_length,
                max_length: self.password_max_length,
            },
            password_history: self.password_history,
            throttle: ThrottleLimits {
                account_max_failures: self.login_max_failures_per_account,
                account_window: secs(self.login_account_window_secs),
                ip_max_failures: self.login_max_failures_per_ip,
                ip_window: secs(self.login_ip_window_secs),
                lockout: secs(self.login_lockout_secs),
            },
        }
    }
}

/// Every setting's default, keyed by setting name: the set of known keys and, from each
/// default's type, how to read an environment value for it. Taken from the struct itself
/// so a new field needs no second list.
fn default_values() -> Result<serde_json::Map<String, serde_json::Value>, SettingError> {
    match serde_json::to_value(Settings::default()) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(SettingError {
            key: "configuration".to_owned(),
            message: "defaults are not a map of settings".to_owned(),
        }),
        Err(e) => Err(SettingError {
            key: "configuration".to_owned(),
            message: format!("cannot list the defaults: {e}"),
        }),
    }
}

/// Collect `GATEHOUSE_<KEY>` and `GATEHOUSE_<KEY>_FILE` as setting name -> value.
///
/// A variable whose whole lower-cased name is a setting is that setting, so
/// `GATEHOUSE_SIGNING_KEY_FILE` is the path setting `signing_key_file`. Only otherwise does
/// a `_FILE` suffix mean "the value of `<stem>`, read from this file" (so
/// `GATEHOUSE_SIGNING_KEY_FILE_FILE` reads that path from a file).
fn collect_env(
    defaults: &serde_json::Map<String, serde_json::Value>,
    env: Vec<(String, String)>,
) -> Result<figment::value::Dict, SettingError> {
    let mut env_map = figment::value::Dict::new();
    for (name, value) in env {
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        if is_reserved(&name) {
            continue;
        }
        let lower = rest.to_lowercase();
        let (key, value) = if defaults.contains_key(&lower) {
            (lower, value)
        } else {
            match lower.strip_suffix("_file") {
                Some(stem) if defaults.contains_key(stem) => {
                    let contents = std::fs::read_to_string(&value).map_err(|e| SettingError {
                        key: name.clone(),
                        message: format!("cannot read {value}: {e}"),
                    })?;
                    (
                        stem.to_owned(),
                        contents.trim_end_matches(['\n', '\r']).to_owned(),
                    )
                }
                _ => {
                    return Err(SettingError {
                        key: name,
                        message: "unknown setting".to_owned(),
                    })
                }
            }
        };
        let value = env_value(&key, defaults.get(&key), value)?;
        if env_map.insert(key.clone(), value).is_some() {
            return Err(refuse(
                &key,
                "set both directly and through _FILE; choose one",
            ));
        }
    }
    Ok(env_map)
}

/// The collected variables as one figment source, so errors say "from environment".
struct EnvValues(figment::value::Dict);

impl figment::Provider for EnvValues {
    fn metadata(&self) -> figment::Metadata {
        figment::Metadata::named("environment")
    }

    fn data(
        &self,
    ) -> Result<figment::value::Map<figment::Profile, figment::value::Dict>, figment::Error> {
        Ok(figment::Profile::Default.collect(self.0.clone()))
    }
}

/// Environment values are text. A setting whose default is a number gets a number (or a
/// refusal); every other setting keeps the text as it is, digits or not.
fn env_value(
    key: &str,
    default: Option<&serde_json::Value>,
    value: String,
) -> Result<figment::value::Value, SettingError> {
    if let Some(serde_json::Value::Number(_)) = default {
        return value
            .trim()
            .parse::<u64>()
            .map(Into::into)
            .map_err(|_| refuse(key, format!("must be a whole number, not {value:?}")));
    }
    Ok(value.into())
}

#[cfg(test)]
mod tests;
