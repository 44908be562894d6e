//! Loading (or, on first start, creating) the server keys. Generated keys live in the
//! data directory with owner-only permissions, and each generation is warned about:
//! production must provide its own, backed-up keys.

use crate::settings::Settings;
use anyhow::Context;
use gatehouse_core::keys::{parse_secret32, KeyFiles, Keys};

/// `Settings::validate` has already checked any configured key (exit code 2); an error here
/// means a generated key file is unusable, or a configured one changed since start-up.
pub fn load(settings: &Settings) -> anyhow::Result<Keys> {
    let dir = &settings.data_dir;
    let signing_path = settings
        .signing_key_file
        .clone()
        .unwrap_or_else(|| dir.join(KeyFiles::SIGNING));
    let (signing, created) = if settings.signing_key_file.is_some() {
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

    let pepper = match &settings.pepper {
        Some(text) => parse_secret32("GATEHOUSE_PEPPER", text)?,
        None => {
            let path = dir.join(KeyFiles::PEPPER);
            let (secret, created) = KeyFiles::secret("pepper", &path)?;
            warn_if_created(created, "keyed-hash pepper", &path.display().to_string());
            secret
        }
    };
    let encryption = match &settings.encryption_key {
        Some(text) => parse_secret32("GATEHOUSE_ENCRYPTION_KEY", text)?,
        None => {
            let path = dir.join(KeyFiles::ENCRYPTION);
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
             (GATEHOUSE_SIGNING_KEY_FILE, GATEHOUSE_PEPPER_FILE, GATEHOUSE_ENCRYPTION_KEY_FILE) and back it up"
        );
    }
}
