//! Settings, by section: defaults, then a TOML file (`--config`), then environment
//! variables. Each section is a struct next to the code that reads it (`[http]` in the HTTP
//! crate, `[database]` in the store, `[tokens]`, `[argon2]`, `[password]`, `[login]`, `[signup]`, `[mfa]` and
//! `[maintenance]` in core, `[log]` and `[keys]` here) and refuses keys it does not know.
//! crate, `[database]` in the store, `[tokens]`, `[argon2]`, `[password]`, `[login]`, `[signup]`,
//! `[accounts]`, `[maintenance]` and `[audit]` in core, `[log]` and `[keys]` here) and refuses keys it does not know.
//!
//! A variable names its key's path with `__` between levels: `GATEHOUSE_TOKENS__ISSUER`
//! is `[tokens] issuer`, `GATEHOUSE_NOTIFY__SMTP__URL` would be `[notify.smtp] url`. A
//! `_FILE` suffix reads the value from a file ([`env`]); the flat names of earlier releases
//! still work for now ([`legacy`]). A bad or unknown key stops start-up with one line that
//! names it ([`validate`]).

mod env;
mod legacy;
mod validate;

use crate::keys::KeysConfig;
use crate::logging::LogConfig;
use figment::providers::{Format, Toml};
use figment::Figment;
use gatehouse_core::audit_ops::AuditConfig;
use gatehouse_core::config::{
    AccountsConfig, Argon2Config, CoreConfig, LoginConfig, PasswordConfig, Sections, SignupConfig,
    TokensConfig,
};
use gatehouse_core::maintenance::MaintenanceConfig;
use gatehouse_core::mfa::MfaConfig;
use gatehouse_core::notify::NotificationsConfig;
use gatehouse_core::risk::RiskConfig;
use gatehouse_http::HttpConfig;
use gatehouse_store::{DatabaseConfig, Location};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every setting, with its default, section by section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Where generated keys and the default SQLite file live.
    pub data_dir: PathBuf,
    pub log: LogConfig,
    pub keys: KeysConfig,
    pub http: HttpConfig,
    pub database: DatabaseConfig,
    pub tokens: TokensConfig,
    pub argon2: Argon2Config,
    pub password: PasswordConfig,
    pub login: LoginConfig,
    pub signup: SignupConfig,
    pub maintenance: MaintenanceConfig,
    pub audit: AuditConfig,
    pub notifications: NotificationsConfig,
    pub mfa: MfaConfig,
    pub accounts: AccountsConfig,
    pub risk: RiskConfig,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            log: LogConfig::default(),
            keys: KeysConfig::default(),
            http: HttpConfig::default(),
            database: DatabaseConfig::default(),
            tokens: TokensConfig::default(),
            argon2: Argon2Config::default(),
            password: PasswordConfig::default(),
            login: LoginConfig::default(),
            signup: SignupConfig::default(),
            maintenance: MaintenanceConfig::default(),
            audit: AuditConfig::default(),
            notifications: NotificationsConfig::default(),
            mfa: MfaConfig::default(),
            accounts: AccountsConfig::default(),
            risk: RiskConfig::default(),
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

/// An old setting name that still works, for one release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deprecation {
    /// The name as the user wrote it.
    pub old: String,
    /// The name to use instead.
    pub new: String,
}

impl std::fmt::Display for Deprecation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the setting {} is deprecated and stops working in the next release; use {}",
            self.old, self.new
        )
    }
}

/// Settings that passed every check, and the old names they were given with.
#[derive(Debug)]
pub struct Loaded {
    pub settings: Settings,
    pub deprecations: Vec<Deprecation>,
}

/// Which variable set each key (dotted path -> variable name), so an error names what the
/// user actually wrote.
#[derive(Debug, Default)]
struct Origins(BTreeMap<String, String>);

impl Origins {
    fn refuse(&self, key: &str, message: impl Into<String>) -> SettingError {
        let key = match self.0.get(key) {
            Some(variable) => format!("{variable} ({key})"),
            None => key.to_owned(),
        };
        SettingError {
            key,
            message: message.into(),
        }
    }
}

impl Settings {
    pub fn load(config_file: Option<&Path>) -> Result<Loaded, SettingError> {
        Self::load_from(config_file, std::env::vars().collect())
    }

    /// Load from an explicit environment (testable without touching the process env).
    pub fn load_from(
        config_file: Option<&Path>,
        env: Vec<(String, String)>,
    ) -> Result<Loaded, SettingError> {
        let known = known_keys()?;
        let mut deprecations = Vec::new();
        let mut figment = Figment::new();
        if let Some(path) = config_file {
            let mut values = read_toml(path)?;
            deprecations.extend(legacy::rename_in_file(&mut values, path)?);
            figment = figment.merge(Layer::new(path.display().to_string(), values)?);
        }
        let env = env::collect(&known, env)?;
        deprecations.extend(env.deprecations);
        let origins = Origins(env.origins);
        figment = figment.merge(Layer::new("environment".to_owned(), env.values)?);
        let settings: Settings = figment
            .extract()
            .map_err(|e| extraction_error(e, &origins))?;
        settings.validate(&origins)?;
        Ok(Loaded {
            settings,
            deprecations,
        })
    }

    /// Create the data directory (owner-only) if needed; warn if it, or the default
    /// database file, is open to other users.
    pub fn ensure_data_dir(&self) -> anyhow::Result<()> {
        let database = self
            .database
            .url
            .is_empty()
            .then(|| self.default_database_file());
        crate::data_dir::ensure(&self.data_dir, database.as_deref())
    }

    /// The database URL, defaulting to `<data_dir>/gatehouse.db`.
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!("sqlite://{}", self.default_database_file().display())
        } else {
            self.database.url.clone()
        }
    }

    /// Where [`database_url`](Self::database_url) points, without its password.
    pub fn database_location(&self) -> anyhow::Result<Location> {
        Location::parse(&self.database_url())
            .map_err(|e| anyhow::anyhow!("database.url: {}", e.connect_cause()))
    }

    fn default_database_file(&self) -> PathBuf {
        self.data_dir.join("gatehouse.db")
    }

    pub fn core_config(&self) -> CoreConfig {
        let mut notifications = self.notifications.clone();
        if notifications.public_url.is_empty() {
            notifications.public_url = format!("http://{}", self.http.listen);
        }
        CoreConfig::from_sections(Sections {
            tokens: &self.tokens,
            argon2: &self.argon2,
            password: &self.password,
            login: &self.login,
            signup: &self.signup,
            notifications: &notifications,
            mfa: &self.mfa,
            accounts: &self.accounts,
            risk: &self.risk,
        })
    }
}

/// Every setting's default, by section: the set of known keys and, from each default's
/// type, how to read an environment value for it. Taken from the structs themselves so a
/// new field or section needs no second list.
fn known_keys() -> Result<Map<String, Value>, SettingError> {
    match serde_json::to_value(Settings::default()) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(internal("defaults are not a map of settings")),
        Err(e) => Err(internal(format!("cannot list the defaults: {e}"))),
    }
}

/// The value at `path` if it is a setting (not a section), else `None`.
fn leaf_at<'a, S: AsRef<str>>(known: &'a Map<String, Value>, path: &[S]) -> Option<&'a Value> {
    let (last, sections) = path.split_last()?;
    let mut node = known;
    for section in sections {
        node = node.get(section.as_ref())?.as_object()?;
    }
    node.get(last.as_ref()).filter(|value| !value.is_object())
}

/// Put `value` at `path`, creating sections on the way. A section that is already something
/// else is left as it is: extracting it reports the wrong type.
fn insert<S: AsRef<str>>(map: &mut Map<String, Value>, path: &[S], value: Value) {
    match path {
        [] => {}
        [key] => {
            map.insert(key.as_ref().to_owned(), value);
        }
        [section, rest @ ..] => {
            let node = map
                .entry(section.as_ref().to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(inner) = node {
                insert(inner, rest, value);
            }
        }
    }
}

fn internal(message: impl Into<String>) -> SettingError {
    SettingError {
        key: "configuration".to_owned(),
        message: message.into(),
    }
}

/// The file's settings as written (sections are tables), before old names are moved.
fn read_toml(path: &Path) -> Result<Map<String, Value>, SettingError> {
    let refuse = |message: String| SettingError {
        key: "--config".to_owned(),
        message,
    };
    if !path.exists() {
        return Err(refuse(format!("{} does not exist", path.display())));
    }
    let data = figment::Provider::data(&Toml::file_exact(path))
        .map_err(|e| refuse(format!("{}: {e}", path.display())))?;
    let dict = data
        .get(&figment::Profile::Default)
        .cloned()
        .unwrap_or_default();
    match serde_json::to_value(dict) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(refuse(format!(
            "{} is not a table of settings",
            path.display()
        ))),
    }
}

/// One source of settings (the file or the environment), named in extraction errors.
struct Layer {
    name: String,
    values: figment::value::Dict,
}

impl Layer {
    fn new(name: String, values: Map<String, Value>) -> Result<Self, SettingError> {
        let values = figment::value::Value::serialize(values)
            .ok()
            .and_then(figment::value::Value::into_dict)
            .ok_or_else(|| internal(format!("cannot read the settings from {name}")))?;
        Ok(Self { name, values })
    }
}

impl figment::Provider for Layer {
    fn metadata(&self) -> figment::Metadata {
        figment::Metadata::named(self.name.clone())
    }

    fn data(
        &self,
    ) -> Result<figment::value::Map<figment::Profile, figment::value::Dict>, figment::Error> {
        Ok(figment::Profile::Default.collect(self.values.clone()))
    }
}

/// A value of the wrong type, or a key no section knows (only the file can have one:
/// unknown variables are refused while collecting them).
fn extraction_error(e: figment::Error, origins: &Origins) -> SettingError {
    let path = e.path.join(".");
    if let figment::error::Kind::UnknownField(field, _) = &e.kind {
        // The path already ends with the field, but say so even if it did not.
        let key = if path.is_empty() { field.clone() } else { path };
        return SettingError {
            key,
            message: "unknown setting".to_owned(),
        };
    }
    if path.is_empty() {
        return internal(e.kind.to_string());
    }
    let from = e
        .metadata
        .as_ref()
        .map(|m| format!(" (from {})", m.name))
        .unwrap_or_default();
    origins.refuse(&path, format!("{}{from}", e.kind))
}

#[cfg(test)]
mod tests;
