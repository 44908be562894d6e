//! Secrets at rest (TOTP secrets): AES-256-GCM under `Keys::encryption_key`, a random 96-bit
//! nonce per encryption (NIST SP 800-38D §8.2.2), stored as base64(nonce || ciphertext || tag).
//! The owner's user id and the secret's purpose are the associated data, so a ciphertext
//! copied into another user's row (or another column) fails authentication instead of
//! decrypting.

use super::Keys;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use gatehouse_domain::ids::UserId;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretSlice};

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// What an encrypted secret is for; part of the associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretPurpose {
    /// `totp_devices.secret_encrypted`.
    TotpSecret,
}

impl SecretPurpose {
    fn label(self) -> &'static [u8] {
        match self {
            SecretPurpose::TotpSecret => b"totp-secret",
        }
    }
}

/// A stored secret that does not decrypt: altered, another user's, another key's, or not
/// in the stored form at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored secret does not decrypt")]
pub struct SecretUnreadable;

impl Keys {
    /// Encrypt `plaintext` for `user_id`: base64(nonce || ciphertext || tag).
    pub fn encrypt_secret(
        &self,
        purpose: SecretPurpose,
        user_id: UserId,
        plaintext: &[u8],
    ) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = associated_data(purpose, user_id);
        let sealed = self
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            // Fails only for plaintexts over 64 GiB.
            .unwrap_or_else(|_| unreachable!("AES-GCM encrypts a short secret"));
        let mut stored = Vec::with_capacity(NONCE_LEN + sealed.len());
        stored.extend_from_slice(&nonce);
        stored.extend_from_slice(&sealed);
        STANDARD.encode(stored)
    }

    /// Decrypt what [`Keys::encrypt_secret`] stored for the same purpose and user.
    pub fn decrypt_secret(
        &self,
        purpose: SecretPurpose,
        user_id: UserId,
        stored: &str,
    ) -> Result<SecretSlice<u8>, SecretUnreadable> {
        let bytes = STANDARD.decode(stored).map_err(|_| SecretUnreadable)?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(SecretUnreadable);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let aad = associated_data(purpose, user_id);
        let plain = self
            .cipher()
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| SecretUnreadable)?;
        Ok(SecretSlice::from(plain))
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(self.encryption_key.expose_secret().into())
    }
}

fn associated_data(purpose: SecretPurpose, user_id: UserId) -> Vec<u8> {
    let mut aad = purpose.label().to_vec();
    aad.push(0);
    aad.extend_from_slice(user_id.as_uuid().as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOTP: SecretPurpose = SecretPurpose::TotpSecret;

    #[test]
    fn round_trips_with_a_fresh_nonce_each_time() {
        let keys = Keys::ephemeral().unwrap();
        let user = UserId::new();
        let a = keys.encrypt_secret(TOTP, user, b"12345678901234567890");
        let b = keys.encrypt_secret(TOTP, user, b"12345678901234567890");
        assert_ne!(a, b, "random nonce");
        for stored in [a, b] {
            let plain = keys.decrypt_secret(TOTP, user, &stored).unwrap();
            assert_eq!(plain.expose_secret(), b"12345678901234567890");
            assert_eq!(STANDARD.decode(&stored).unwrap().len(), 12 + 20 + 16);
        }
    }

    #[test]
    fn tampering_is_refused() {
        let keys = Keys::ephemeral().unwrap();
        let user = UserId::new();
        let stored = STANDARD
            .decode(keys.encrypt_secret(TOTP, user, b"secret"))
            .unwrap();
        for i in 0..stored.len() {
            let mut altered = stored.clone();
            altered[i] ^= 0x01;
            assert!(
                keys.decrypt_secret(TOTP, user, &STANDARD.encode(&altered))
                    .is_err(),
                "byte {i}"
            );
        }
        let short = STANDARD.encode(&stored[..27]);
        assert!(keys.decrypt_secret(TOTP, user, &short).is_err());
        assert!(keys.decrypt_secret(TOTP, user, "not base64!").is_err());
    }

    #[test]
    fn another_user_or_key_cannot_decrypt() {
        let keys = Keys::ephemeral().unwrap();
        let user = UserId::new();
        let stored = keys.encrypt_secret(TOTP, user, b"secret");
        assert!(keys.decrypt_secret(TOTP, UserId::new(), &stored).is_err());
        let other_keys = Keys::ephemeral().unwrap();
        assert!(other_keys.decrypt_secret(TOTP, user, &stored).is_err());
    }
}
