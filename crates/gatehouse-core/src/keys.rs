//! Server keys: the Ed25519 key that signs access tokens, the pepper for keyed hashes
//! (refresh tokens, fingerprints, throttle keys) and the AES-256-GCM key for secrets at
//! rest. With no configuration they are generated once into the data directory.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::SigningKey;
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox};
use sha2::{Digest, Sha256};
use std::path::Path;

mod at_rest;
pub use at_rest::{SecretPurpose, SecretUnreadable};

/// Why keys could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{what}: {detail}")]
    Invalid { what: String, detail: String },
}

/// The access-token signing key.
pub struct SigningKeyPair {
    /// RFC 7638 thumbprint of the public JWK.
    pub kid: String,
    /// Base64url public key (the JWK `x`).
    pub public_x: String,
    /// Signs directly: jsonwebtoken's `EncodingKey` re-reads the PKCS#8 key and derives
    /// the public key again on every signature, twice the work of one signature.
    pub(crate) signer: SigningKey,
    pub(crate) decoding: jsonwebtoken::DecodingKey,
}

impl SigningKeyPair {
    /// From a PKCS#8 PEM Ed25519 private key.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let key = SigningKey::from_pkcs8_pem(pem).map_err(|e| KeyError::Invalid {
            what: "signing key".into(),
            detail: e.to_string(),
        })?;
        Ok(Self::from_signing_key(&key))
    }

    fn from_signing_key(key: &SigningKey) -> Self {
        let public = key.verifying_key().to_bytes();
        let public_x = URL_SAFE_NO_PAD.encode(public);
        // RFC 7638: SHA-256 over the required members in lexicographic order.
        let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{public_x}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
        Self {
            kid,
            public_x,
            signer: key.clone(),
            decoding: jsonwebtoken::DecodingKey::from_ed_der(&public),
        }
    }

    /// A fresh random key, and its PEM for storing.
    pub fn generate() -> Result<(Self, String), KeyError> {
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        let key = SigningKey::from_bytes(&seed);
        let pem = key
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map_err(|e| KeyError::Invalid {
                what: "signing key".into(),
                detail: e.to_string(),
            })?;
        Ok((Self::from_signing_key(&key), pem.to_string()))
    }
}

/// A 256-bit secret.
pub type Secret32 = SecretBox<[u8; 32]>;

/// Decode a base64 32-byte secret (as written in key files and settings).
pub fn parse_secret32(what: &str, text: &str) -> Result<Secret32, KeyError> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|e| KeyError::Invalid {
            what: what.into(),
            detail: format!("not base64: {e}"),
        })?;
    let arr: [u8; 32] = bytes.try_into().map_err(|_| KeyError::Invalid {
        what: what.into(),
        detail: "must decode to exactly 32 bytes".into(),
    })?;
    Ok(SecretBox::new(Box::new(arr)))
}

fn random_secret32() -> (Secret32, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let text = STANDARD.encode(bytes);
    (SecretBox::new(Box::new(bytes)), text)
}

impl std::fmt::Debug for SigningKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyPair")
            .field("kid", &self.kid)
            .field("private_key", &"[redacted]")
            .finish()
    }
}

/// What a keyed hash is for. Each purpose is mixed into the hash, so a value hashed for
/// one purpose can never match a value hashed for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashPurpose {
    /// `refresh_tokens.jti`: the stored form of an opaque refresh token.
    RefreshToken,
    /// `devices.fingerprint_hash`: a client fingerprint, per user.
    DeviceFingerprint,
    /// Throttle key for a login name that matches no account.
    LoginIdentifier,
    /// The signature of a device token (a client that signed in before: `device_token`).
    DeviceToken,
    /// `security_action_tokens.token_hash`: a single-use link in a security alert.
    ActionToken,
    /// `backup_codes.code_hash`: an MFA backup code in its canonical form.
    BackupCode,
    /// `otp_codes.code_hash`: a code sent by email or SMS, with its purpose, challenge (or
    /// account) and channel (`gatehouse_domain::mfa::otp_hash_input`).
    OtpCode,
    /// `audit_seals.seal_hash`: the HMAC linking a seal to the one before it.
    AuditSeal,
}

impl HashPurpose {
    fn label(self) -> &'static str {
        match self {
            HashPurpose::RefreshToken => "refresh-token",
            HashPurpose::DeviceFingerprint => "device-fingerprint",
            HashPurpose::LoginIdentifier => "login-identifier",
            HashPurpose::DeviceToken => "device-token",
            HashPurpose::ActionToken => "action-token",
            HashPurpose::BackupCode => "backup-code",
            HashPurpose::OtpCode => "otp-code",
            HashPurpose::AuditSeal => "audit-seal",
        }
    }
}

/// All server keys. Their `Debug` shows no key material.
pub struct Keys {
    pub signing: SigningKeyPair,
    /// HMAC-SHA256 already keyed with the pepper: each keyed hash clones it instead of
    /// redoing the key schedule (two SHA-256 blocks saved per hash on the refresh path).
    keyed: Hmac<Sha256>,
    /// AES-256-GCM key for secrets at rest (TOTP secrets; see `at_rest`).
    pub encryption_key: Secret32,
}

impl Keys {
    pub fn new(signing: SigningKeyPair, pepper: Secret32, encryption_key: Secret32) -> Self {
        let keyed = <Hmac<Sha256> as Mac>::new_from_slice(pepper.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        Self {
            signing,
            keyed,
            encryption_key,
        }
    }

    /// Random keys held only in memory (tests, benchmarks).
    pub fn ephemeral() -> Result<Self, KeyError> {
        let (signing, _) = SigningKeyPair::generate()?;
        Ok(Self::new(signing, random_secret32().0, random_secret32().0))
    }

    /// HMAC-SHA256(pepper, purpose || 0x00 || input) as lowercase hex. The purpose
    /// separates domains, so a refresh-token hash can never equal a fingerprint hash.
    pub fn keyed_hash(&self, purpose: HashPurpose, input: &[u8]) -> String {
        hex::encode(self.keyed_mac(purpose, input))
    }

    /// HMAC-SHA256(pepper, purpose || 0x00 || input) as raw bytes.
    pub fn keyed_mac(&self, purpose: HashPurpose, input: &[u8]) -> [u8; 32] {
        self.mac_for(purpose, input).finalize().into_bytes().into()
    }

    /// Does `tag` equal [`Keys::keyed_mac`] of `input`? Compared in constant time, so a
    /// forger learns nothing from how long a wrong tag takes to refuse.
    pub fn verify_keyed_mac(&self, purpose: HashPurpose, input: &[u8], tag: &[u8]) -> bool {
        self.mac_for(purpose, input).verify_slice(tag).is_ok()
    }

    fn mac_for(&self, purpose: HashPurpose, input: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(purpose.label().as_bytes());
        mac.update(&[0]);
        mac.update(input);
        mac
    }
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("signing", &self.signing)
            .field("pepper", &"[redacted]")
            .field("encryption_key", &"[redacted]")
            .finish()
    }
}

/// Key files in the data directory, created on first start.
pub struct KeyFiles;

impl KeyFiles {
    pub const SIGNING: &'static str = "signing-key.pem";
    pub const PEPPER: &'static str = "pepper.key";
    pub const ENCRYPTION: &'static str = "encryption.key";

    /// Load the signing key PEM from `path`, creating it if missing. Returns whether it
    /// was created.
    pub fn signing_key(path: &Path) -> Result<(SigningKeyPair, bool), KeyError> {
        if path.exists() {
            let pem = read(path)?;
            return Ok((SigningKeyPair::from_pem(&pem)?, false));
        }
        let (pair, pem) = SigningKeyPair::generate()?;
        write_private(path, &pem)?;
        Ok((pair, true))
    }

    /// Load a base64 32-byte secret from `path`, creating it if missing.
    pub fn secret(what: &str, path: &Path) -> Result<(Secret32, bool), KeyError> {
        if path.exists() {
            return Ok((parse_secret32(what, &read(path)?)?, false));
        }
        let (secret, text) = random_secret32();
        write_private(path, &format!("{text}\n"))?;
        Ok((secret, true))
    }
}

fn read(path: &Path) -> Result<String, KeyError> {
    std::fs::read_to_string(path).map_err(|source| KeyError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Write a file readable by its owner only.
fn write_private(path: &Path, contents: &str) -> Result<(), KeyError> {
    use std::io::Write;
    let io = |source| KeyError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    file.write_all(contents.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hash_separates_purposes_and_keys() {
        let a = Keys::ephemeral().unwrap();
        let b = Keys::ephemeral().unwrap();
        let refresh = HashPurpose::RefreshToken;
        assert_eq!(a.keyed_hash(refresh, b"x"), a.keyed_hash(refresh, b"x"));
        assert_ne!(
            a.keyed_hash(refresh, b"x"),
            a.keyed_hash(HashPurpose::DeviceFingerprint, b"x")
        );
        assert_ne!(a.keyed_hash(refresh, b"x"), b.keyed_hash(refresh, b"x"));
        assert_eq!(a.keyed_hash(refresh, b"x").len(), 64);
    }

    /// Keys with a known pepper and encryption key (base64 of 32 bytes each).
    fn known_keys() -> (Keys, String, String) {
        let pepper = STANDARD.encode([7u8; 32]);
        let encryption = STANDARD.encode([9u8; 32]);
        let keys = Keys::new(
            SigningKeyPair::generate().unwrap().0,
            parse_secret32("pepper", &pepper).unwrap(),
            parse_secret32("encryption_key", &encryption).unwrap(),
        );
        (keys, pepper, encryption)
    }

    #[test]
    fn keyed_hash_is_hmac_sha256_of_purpose_and_input_under_the_pepper() {
        let (keys, _, _) = known_keys();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&[7u8; 32]).unwrap();
        mac.update(b"refresh-token\0token");
        let expected = hex::encode(mac.finalize().into_bytes());
        assert_eq!(
            keys.keyed_hash(HashPurpose::RefreshToken, b"token"),
            expected
        );
        // The prepared state is reused, never consumed: the same input hashes the same.
        assert_eq!(
            keys.keyed_hash(HashPurpose::RefreshToken, b"token"),
            expected
        );
    }

    #[test]
    fn debug_output_shows_no_key_material() {
        let (keys, pepper_b64, encryption_b64) = known_keys();
        let shown = format!("{keys:?}");
        assert!(shown.contains("[redacted]"));
        assert!(shown.contains(&keys.signing.kid));
        assert!(!shown.contains(&pepper_b64));
        assert!(!shown.contains(&encryption_b64));
        assert!(!shown.contains("[7, 7"), "pepper bytes");
        assert!(!shown.contains("PRIVATE KEY"));
    }

    #[test]
    fn signing_key_round_trips_through_pem() {
        let (pair, pem) = SigningKeyPair::generate().unwrap();
        let again = SigningKeyPair::from_pem(&pem).unwrap();
        assert_eq!(pair.kid, again.kid);
        assert_eq!(pair.public_x, again.public_x);
        assert!(SigningKeyPair::from_pem("not a key").is_err());
    }

    #[test]
    fn secrets_must_be_32_bytes() {
        assert!(parse_secret32("pepper", &STANDARD.encode([1u8; 32])).is_ok());
        assert!(parse_secret32("pepper", &STANDARD.encode([1u8; 16])).is_err());
        assert!(parse_secret32("pepper", "!!!").is_err());
    }
}
