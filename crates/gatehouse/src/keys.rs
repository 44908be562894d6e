//! Loading (or, on first start, creating) the server keys, configured by `[keys]`.
//! Generated keys live in the data directory with owner-only permissions, and each
//! generation is warned about: production must provide its own, backed-up keys.

use anyhow::Context;
use gatehouse_core::keys::{parse_secret32, KeyFiles, Keys};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// `[keys]`: where the server keys come from. Each one left unset is read from (or created
/// in) the data directory.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeysConfig {
    /// Ed25519 PKCS#8 PEM file; default `<data_dir>/signing-key.pem`, created if missing.
    pub signing_key_file: Option<PathBuf>,
    /// Base64 of 32 bytes; default read from (or created in) `<data_dir>/pepper.key`.
    pub pepper: Option<String>,
    /// Base64 of 32 bytes; default read from (or created in) `<data_dir>/encryption.key`.
    pub encryption_key: Option<String>,
}

/// The secrets never reach a log: only whether each is set.
impl std::fmt::Debug for KeysConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |value: &Option<String>| value.as_ref().map(|_| "[redacted]");
        f.debug_struct("KeysConfig")
            .field("signing_key_file", &self.signing_key_file)
            .field("pepper", &redacted(&self.pepper))
            .field("encryption_key", &redacted(&self.encryption_key))
            .finish()
    }
}

/// Settings validation has already checked any configured key (exit code 2); an error here
/// means a generated key file is unusable, or a configured one changed since start-up.
pub fn load(config: &KeysConfig, data_dir: &Path) -> anyhow::Result<Keys> {
    let signing_path = config
        .signing_key_file
        .clone()
        .unwrap_or_else(|| data_dir.join(KeyFiles::SIGNING));
    let (signing, created) = if config.signing_key_file.is_some() {
        let pem = std::fs::read_to_string(&signing_path)
            .with_context(|| format!("cannot read signing key {}", signing_path.display()))?;
        (gatehouse_core::keys::SigningKeyPair::from_pem(&pem)?, false)
    } else {
        KeyFiles::signing_key(&signing_path)?
    };
    warn_if_created(
        created,
        "access-token signing key",
        &signing_path.display().to_string(),
    );

    let pepper = match &config.pepper {
        Some(text) => parse_secret32("keys.pepper", text)?,
        None => {
            let path = data_dir.join(KeyFiles::PEPPER);
            let (secret, created) = KeyFiles::secret("pepper", &path)?;
            warn_if_created(created, "keyed-hash pepper", &path.display().to_string());
            secret
        }
    };
    let encryption = match &config.encryption_key {
        Some(text) => parse_secret32("keys.encryption_key", text)?,
        None => {
            let path = data_dir.join(KeyFiles::ENCRYPTION);
            let (secret, created) = KeyFiles::secret("encryption key", &path)?;
            warn_if_created(created, "encryption key", &path.display().to_string());
            secret
        }
    };
    Ok(Keys::new(signing, pepper, encryption))
}

fn warn_if_created(created: bool, what: &str, path: &str) {
    if created {
        tracing::warn!(
            path,
            "generated a new {what}; fine for development, but production must set its own \
             (GATEHOUSE_KEYS__SIGNING_KEY_FILE, GATEHOUSE_KEYS__PEPPER_FILE, \
             GATEHOUSE_KEYS__ENCRYPTION_KEY_FILE) and back it up"
        );
    }
}
