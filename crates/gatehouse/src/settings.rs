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
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)]) -> Result<Settings, SettingError> {
        let env = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::load_from(None, env)
    }

    fn refused(env: &[(&str, &str)]) -> String {
        match load(env) {
            Ok(_) => panic!("{env:?} was accepted"),
            Err(e) => e.to_string(),
        }
    }

    /// Base64 of 32 zero bytes.
    fn secret32() -> String {
        format!("{}=", "A".repeat(43))
    }

    fn write_signing_key(dir: &Path) -> PathBuf {
        let (_, pem) = SigningKeyPair::generate().unwrap();
        let path = dir.join("signing.pem");
        std::fs::write(&path, pem).unwrap();
        path
    }

    #[test]
    fn known_keys_come_from_the_struct() {
        let defaults = default_values().unwrap();
        assert!(defaults.contains_key("signing_key_file"));
        assert!(defaults.contains_key("db_max_connections"));
        assert!(defaults["access_token_ttl_secs"].is_number());
        assert!(defaults["issuer"].is_string());
    }

    #[test]
    fn signing_key_file_is_a_setting_not_a_file_suffix() {
        let dir = tempfile::tempdir().unwrap();
        let key = write_signing_key(dir.path());
        let s = load(&[("GATEHOUSE_SIGNING_KEY_FILE", key.to_str().unwrap())]).unwrap();
        assert_eq!(s.signing_key_file.as_deref(), Some(key.as_path()));

        // ..._FILE_FILE reads the path from a file.
        let holder = dir.path().join("path.txt");
        std::fs::write(&holder, format!("{}\n", key.display())).unwrap();
        let s = load(&[("GATEHOUSE_SIGNING_KEY_FILE_FILE", holder.to_str().unwrap())]).unwrap();
        assert_eq!(s.signing_key_file.as_deref(), Some(key.as_path()));

        let e = refused(&[
            ("GATEHOUSE_SIGNING_KEY_FILE", key.to_str().unwrap()),
            ("GATEHOUSE_SIGNING_KEY_FILE_FILE", holder.to_str().unwrap()),
        ]);
        assert!(e.contains("GATEHOUSE_SIGNING_KEY_FILE"), "{e}");
        assert!(e.contains("choose one"), "{e}");
    }

    #[test]
    fn a_bad_signing_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let e = refused(&[("GATEHOUSE_SIGNING_KEY_FILE", missing.to_str().unwrap())]);
        assert!(
            e.starts_with("GATEHOUSE_SIGNING_KEY_FILE (signing_key_file)"),
            "{e}"
        );
        assert!(e.contains("cannot read"), "{e}");

        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "not a key").unwrap();
        let e = refused(&[("GATEHOUSE_SIGNING_KEY_FILE", garbage.to_str().unwrap())]);
        assert!(
            e.starts_with("GATEHOUSE_SIGNING_KEY_FILE (signing_key_file)"),
            "{e}"
        );
        assert!(e.contains("not an Ed25519"), "{e}");
    }

    #[test]
    fn file_suffix_reads_the_stem_and_unknown_stems_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("issuer.txt");
        std::fs::write(&file, "from-a-file\r\n").unwrap();
        let s = load(&[("GATEHOUSE_ISSUER_FILE", file.to_str().unwrap())]).unwrap();
        assert_eq!(s.issuer, "from-a-file");

        let e = refused(&[
            ("GATEHOUSE_ISSUER", "x"),
            ("GATEHOUSE_ISSUER_FILE", file.to_str().unwrap()),
        ]);
        assert!(
            e.contains("GATEHOUSE_ISSUER (issuer)") && e.contains("choose one"),
            "{e}"
        );

        // Unknown, whether or not the file exists; the file is not read.
        for name in [
            "GATEHOUSE_MYSTERY_FILE",
            "GATEHOUSE_SIGNING_KEY_FILE_FILE_FILE",
        ] {
            let e = refused(&[(name, "/nonexistent")]);
            assert_eq!(e, format!("{name}: unknown setting"));
        }
        let e = refused(&[("GATEHOUSE_LISTN", "127.0.0.1:1")]);
        assert_eq!(e, "GATEHOUSE_LISTN: unknown setting");

        let e = refused(&[("GATEHOUSE_LISTEN_FILE", "/nonexistent/listen")]);
        assert!(e.starts_with("GATEHOUSE_LISTEN_FILE: cannot read"), "{e}");
    }

    #[test]
    fn digits_stay_text_for_text_settings() {
        let s = load(&[
            ("GATEHOUSE_ISSUER", "12345"),
            ("GATEHOUSE_LOG_LEVEL", "info"),
        ])
        .unwrap();
        assert_eq!(s.issuer, "12345");
        let s = load(&[("GATEHOUSE_ACCESS_TOKEN_TTL_SECS", "60")]).unwrap();
        assert_eq!(s.access_token_ttl_secs, 60);

        let e = refused(&[("GATEHOUSE_ACCESS_TOKEN_TTL_SECS", "soon")]);
        assert!(
            e.starts_with("GATEHOUSE_ACCESS_TOKEN_TTL_SECS (access_token_ttl_secs)"),
            "{e}"
        );
        let e = refused(&[("GATEHOUSE_DB_MAX_CONNECTIONS", "-1")]);
        assert!(e.contains("db_max_connections"), "{e}");
        // Too large for the field's type is refused by extraction, still naming the key.
        let e = refused(&[("GATEHOUSE_ARGON2_ITERATIONS", "99999999999")]);
        assert!(e.contains("argon2_iterations"), "{e}");
    }

    #[test]
    fn secrets_must_be_32_bytes_of_base64() {
        let good = secret32();
        let s = load(&[
            ("GATEHOUSE_PEPPER", &good),
            ("GATEHOUSE_ENCRYPTION_KEY", &good),
        ])
        .unwrap();
        assert_eq!(s.pepper.as_deref(), Some(good.as_str()));
        for (name, key) in [
            ("GATEHOUSE_PEPPER", "pepper"),
            ("GATEHOUSE_ENCRYPTION_KEY", "encryption_key"),
        ] {
            for bad in ["not base64!", "c2hvcnQ=", ""] {
                let e = refused(&[(name, bad)]);
                assert!(e.starts_with(&format!("{name} ({key}): ")), "{e}");
                if !bad.is_empty() {
                    assert!(!e.contains(bad), "the value is not echoed: {e}");
                }
            }
        }
    }

    #[test]
    fn ranges_are_checked() {
        let cases = [
            ("GATEHOUSE_LOGIN_MAX_FAILURES_PER_IP", "0"),
            ("GATEHOUSE_LOGIN_MAX_FAILURES_PER_IP", "100001"),
            ("GATEHOUSE_LOGIN_ACCOUNT_WINDOW_SECS", "0"),
            ("GATEHOUSE_LOGIN_IP_WINDOW_SECS", "0"),
            ("GATEHOUSE_HASH_CONCURRENCY", "257"),
            ("GATEHOUSE_PASSWORD_HISTORY", "0"),
            ("GATEHOUSE_PASSWORD_HISTORY", "25"),
        ];
        for (name, value) in cases {
            let e = refused(&[(name, value)]);
            assert!(e.starts_with(&format!("{name} (")), "{name}={value}: {e}");
        }
        let edges = [
            ("GATEHOUSE_LOGIN_MAX_FAILURES_PER_IP", "1"),
            ("GATEHOUSE_LOGIN_MAX_FAILURES_PER_IP", "100000"),
            ("GATEHOUSE_HASH_CONCURRENCY", "256"),
            ("GATEHOUSE_PASSWORD_HISTORY", "1"),
            ("GATEHOUSE_PASSWORD_HISTORY", "24"),
            ("GATEHOUSE_LOGIN_IP_WINDOW_SECS", "1"),
        ];
        for (name, value) in edges {
            assert!(load(&[(name, value)]).is_ok(), "{name}={value}");
        }
    }

    #[test]
    fn reserved_and_foreign_variables_are_ignored() {
        let s = load(&[
            ("GATEHOUSE_TEST_DATABASE_URL", "nonsense"),
            ("GATEHOUSE_BENCH_ANYTHING_FILE", "/nonexistent"),
            ("PATH", "/bin"),
        ])
        .unwrap();
        assert_eq!(s.database_url, "");
    }
}
