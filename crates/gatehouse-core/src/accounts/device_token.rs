//! Device tokens: OWASP's "device cookie" defence against lockout abuse.
//!
//! The failed-login lock of an account protects it from guessing, but it is also a switch
//! anyone can pull: a few wrong passwords an hour from anywhere keep the owner out. So
//! each successful login hands the client a device token — the account it signed in to,
//! a random nonce and an expiry, signed with the server's HMAC key — and the client
//! presents it with its next login. A login carrying a valid token for the account it
//! names is a *known client*: the account lock does not apply to it, and its failures
//! count against a counter of its own (`client:<nonce>`), which locks like the account
//! counter does. Logins without one (or with an invalid, expired or foreign one) meet
//! the account lock as before.
//!
//! Limits: a stolen device token gives its thief the same allowance as the owner's client
//! (its own few guesses an hour, then it locks), not a way around it; the token is
//! stateless, so it cannot be revoked before it expires except by rotating the pepper.
//! The per-address limit still applies to every client.

use crate::keys::{HashPurpose, Keys};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use rand::RngCore;
use uuid::Uuid;

/// Bytes signed: user id (16), nonce (16), expiry in Unix seconds (8, big-endian).
const PAYLOAD_LEN: usize = 40;
/// Longest text worth decoding (the real ones are 98 characters).
const MAX_TEXT_LEN: usize = 128;

/// A client that signed in to `user_id` before, proven by a valid device token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownClient {
    pub user_id: UserId,
    nonce: [u8; 16],
}

impl KnownClient {
    /// The throttle counter this client's own failures count against.
    pub fn counter_id(&self) -> String {
        hex::encode(self.nonce)
    }
}

/// A new device token for `user_id`, valid until `expires_at`.
pub fn issue(keys: &Keys, user_id: UserId, expires_at: DateTime<Utc>) -> String {
    let mut nonce = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let payload = payload(user_id, &nonce, expires_at.timestamp());
    let tag = keys.keyed_mac(HashPurpose::DeviceToken, &payload);
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(payload),
        URL_SAFE_NO_PAD.encode(tag)
    )
}

/// The client a device token proves, if its signature holds and it has not expired.
/// Anything else — malformed, forged, expired — is simply not a known client.
pub fn verify(keys: &Keys, text: &str, now: DateTime<Utc>) -> Option<KnownClient> {
    if text.len() > MAX_TEXT_LEN {
        return None;
    }
    let (payload_text, tag_text) = text.split_once('.')?;
    let payload = URL_SAFE_NO_PAD.decode(payload_text).ok()?;
    let tag = URL_SAFE_NO_PAD.decode(tag_text).ok()?;
    if payload.len() != PAYLOAD_LEN
        || !keys.verify_keyed_mac(HashPurpose::DeviceToken, &payload, &tag)
    {
        return None;
    }
    let user_id = Uuid::from_slice(&payload[..16]).ok()?;
    let nonce: [u8; 16] = payload[16..32].try_into().ok()?;
    let expires = i64::from_be_bytes(payload[32..40].try_into().ok()?);
    if expires <= now.timestamp() {
        return None;
    }
    Some(KnownClient {
        user_id: UserId(user_id),
        nonce,
    })
}

fn payload(user_id: UserId, nonce: &[u8; 16], expires: i64) -> [u8; PAYLOAD_LEN] {
    let mut out = [0u8; PAYLOAD_LEN];
    out[..16].copy_from_slice(user_id.as_uuid().as_bytes());
    out[16..32].copy_from_slice(nonce);
    out[32..].copy_from_slice(&expires.to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn a_token_proves_its_account_until_it_expires() {
        let keys = Keys::ephemeral().unwrap();
        let now = Utc::now();
        let user = UserId::new();
        let token = issue(&keys, user, now + Duration::days(1));
        let known = verify(&keys, &token, now).expect("valid");
        assert_eq!(known.user_id, user);
        assert_eq!(known.counter_id().len(), 32);
        assert!(token.len() <= MAX_TEXT_LEN);
        assert_eq!(verify(&keys, &token, now + Duration::days(2)), None);
        // Two tokens for one account are two clients.
        let other = issue(&keys, user, now + Duration::days(1));
        assert_ne!(
            verify(&keys, &other, now).unwrap().counter_id(),
            known.counter_id()
        );
    }

    #[test]
    fn forged_altered_and_foreign_tokens_prove_nothing() {
        let keys = Keys::ephemeral().unwrap();
        let now = Utc::now();
        let token = issue(&keys, UserId::new(), now + Duration::days(1));
        // Another server's key.
        assert_eq!(verify(&Keys::ephemeral().unwrap(), &token, now), None);
        // Another account in the payload, the old signature kept.
        let (_, tag) = token.split_once('.').unwrap();
        let forged = payload(
            UserId::new(),
            &[0; 16],
            (now + Duration::days(9)).timestamp(),
        );
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(forged));
        assert_eq!(verify(&keys, &forged, now), None);
        for junk in [
            "",
            ".",
            "abc",
            "a.b",
            &"x".repeat(4000),
            &format!("{token}x"),
        ] {
            assert_eq!(verify(&keys, junk, now), None, "{junk:.20}");
        }
    }
}
