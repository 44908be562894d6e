//! Access tokens (JWT, EdDSA, RFC 7519/8037) and opaque refresh tokens.
//!
//! Access tokens carry `sub`, `sid`, `jti` and `amr`; expiry is checked against the
//! injected clock (not the library's wall clock) so tests can move time. Refresh tokens
//! are 256 random bits, base64url; only their keyed hash is ever stored.

use crate::keys::{HashPurpose, Keys, SigningKeyPair};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use ed25519_dalek::Signer;
use jsonwebtoken::{Algorithm, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: Uuid,
    pub sid: Uuid,
    pub jti: Uuid,
    /// Authentication methods used (RFC 8176), e.g. `["pwd"]`: the session's, so a
    /// refreshed token says what the session proved.
    pub amr: Vec<String>,
    /// When the session last authenticated (OpenID Connect `auth_time`, seconds).
    #[serde(default)]
    pub auth_time: i64,
    pub iat: i64,
    pub exp: i64,
}

/// Why an access token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the access token is malformed or its signature does not verify")]
    Invalid,
    #[error("the access token has expired")]
    Expired,
}

/// Sign claims with the server key: the same compact JWS as `jsonwebtoken::encode`
/// (Ed25519 signatures are deterministic, so byte for byte), signed with the key pair
/// held in memory instead of one rebuilt from PKCS#8 per call (half the Ed25519 work).
pub fn sign(
    key: &SigningKeyPair,
    claims: &AccessClaims,
) -> Result<String, jsonwebtoken::errors::Error> {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(key.kid.clone());
    let mut token = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(serde_json::to_vec(claims)?, &mut token);
    let signature = key.signer.sign(token.as_bytes());
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature.to_bytes(), &mut token);
    Ok(token)
}

/// Verify signature, algorithm and issuer, then expiry against `now`.
pub fn verify(
    key: &SigningKeyPair,
    issuer: &str,
    token: &str,
    now: DateTime<Utc>,
) -> Result<AccessClaims, TokenError> {
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[issuer]);
    validation.validate_exp = false;
    validation.set_required_spec_claims(&["exp", "sub", "iss"]);
    let data = jsonwebtoken::decode::<AccessClaims>(token, &key.decoding, &validation)
        .map_err(|_| TokenError::Invalid)?;
    if data.claims.exp <= now.timestamp() {
        return Err(TokenError::Expired);
    }
    Ok(data.claims)
}

/// A new opaque refresh token (256 random bits, base64url, 43 characters).
pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a refresh token.
pub fn refresh_token_hash(keys: &Keys, token: &str) -> String {
    keys.keyed_hash(HashPurpose::RefreshToken, token.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn claims(now: DateTime<Utc>) -> AccessClaims {
        AccessClaims {
            iss: "gatehouse".into(),
            sub: Uuid::now_v7(),
            sid: Uuid::now_v7(),
            jti: Uuid::now_v7(),
            amr: vec!["pwd".into()],
            auth_time: now.timestamp(),
            iat: now.timestamp(),
            exp: (now + Duration::minutes(15)).timestamp(),
        }
    }

    #[test]
    fn signed_token_verifies_until_it_expires() {
        let keys = Keys::ephemeral().unwrap();
        let now = Utc::now();
        let c = claims(now);
        let token = sign(&keys.signing, &c).unwrap();
        assert_eq!(verify(&keys.signing, "gatehouse", &token, now).unwrap(), c);
        assert_eq!(
            verify(
                &keys.signing,
                "gatehouse",
                &token,
                now + Duration::minutes(16)
            ),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn signature_is_the_one_jsonwebtoken_makes() {
        let keys = Keys::ephemeral().unwrap();
        let c = claims(Utc::now());
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(keys.signing.kid.clone());
        let der =
            ed25519_dalek::pkcs8::EncodePrivateKey::to_pkcs8_der(&keys.signing.signer).unwrap();
        let reference = jsonwebtoken::encode(
            &header,
            &c,
            &jsonwebtoken::EncodingKey::from_ed_der(der.as_bytes()),
        )
        .unwrap();
        assert_eq!(sign(&keys.signing, &c).unwrap(), reference);
    }

    #[test]
    fn foreign_key_wrong_issuer_and_tampering_are_refused() {
        let keys = Keys::ephemeral().unwrap();
        let other = Keys::ephemeral().unwrap();
        let now = Utc::now();
        let token = sign(&keys.signing, &claims(now)).unwrap();
        assert_eq!(
            verify(&other.signing, "gatehouse", &token, now),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            verify(&keys.signing, "someone-else", &token, now),
            Err(TokenError::Invalid)
        );
        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(
            verify(&keys.signing, "gatehouse", &tampered, now),
            Err(TokenError::Invalid)
        );
        // alg=none is never accepted.
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = token.split('.').nth(1).unwrap();
        let none = format!("{header}.{body}.");
        assert_eq!(
            verify(&keys.signing, "gatehouse", &none, now),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let keys = Keys::ephemeral().unwrap();
        let a = new_refresh_token();
        let b = new_refresh_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert_ne!(refresh_token_hash(&keys, &a), a);
        assert_eq!(refresh_token_hash(&keys, &a), refresh_token_hash(&keys, &a));
    }
}

/// Access tokens whose signature already verified, so a token used for many requests
/// (its whole 15-minute life) pays for one Ed25519 verification. Keyed by the complete
/// token text, so only the identical token hits; expiry is still checked against the
/// clock on every use, and the session is still checked by the caller. Bounded: when
/// full it is emptied (simple, and a miss only costs one verification).
pub struct VerifiedTokens {
    entries: std::sync::Mutex<std::collections::HashMap<Box<str>, AccessClaims>>,
    capacity: usize,
}

impl VerifiedTokens {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: std::sync::Mutex::new(std::collections::HashMap::new()),
            capacity,
        }
    }

    /// Verify `token` (or recall that it verified), then check its expiry against `now`.
    pub fn verify(
        &self,
        key: &SigningKeyPair,
        issuer: &str,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<AccessClaims, TokenError> {
        let cached = self
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(token)
            .cloned();
        let claims = match cached {
            Some(claims) => claims,
            None => {
                let claims = verify(key, issuer, token, now)?;
                let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
                if entries.len() >= self.capacity {
                    entries.clear();
                }
                entries.insert(token.into(), claims.clone());
                claims
            }
        };
        if claims.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod cache_tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn cached_tokens_still_expire_and_forgeries_never_hit() {
        let keys = Keys::ephemeral().unwrap();
        let cache = VerifiedTokens::new(2);
        let now = Utc::now();
        let claims = AccessClaims {
            iss: "gatehouse".into(),
            sub: Uuid::now_v7(),
            sid: Uuid::now_v7(),
            jti: Uuid::now_v7(),
            amr: vec!["pwd".into()],
            auth_time: now.timestamp(),
            iat: now.timestamp(),
            exp: (now + Duration::minutes(15)).timestamp(),
        };
        let token = sign(&keys.signing, &claims).unwrap();
        assert_eq!(
            cache
                .verify(&keys.signing, "gatehouse", &token, now)
                .unwrap(),
            claims
        );
        assert_eq!(
            cache
                .verify(&keys.signing, "gatehouse", &token, now)
                .unwrap(),
            claims
        );
        assert_eq!(
            cache.verify(
                &keys.signing,
                "gatehouse",
                &token,
                now + Duration::minutes(16)
            ),
            Err(TokenError::Expired)
        );
        let mut forged = token.clone();
        forged.push('x');
        assert_eq!(
            cache.verify(&keys.signing, "gatehouse", &forged, now),
            Err(TokenError::Invalid)
        );
        // Filling past capacity empties it; verification still works afterwards.
        for _ in 0..3 {
            let other = sign(
                &keys.signing,
                &AccessClaims {
                    jti: Uuid::now_v7(),
                    ..claims.clone()
                },
            )
            .unwrap();
            assert!(cache
                .verify(&keys.signing, "gatehouse", &other, now)
                .is_ok());
        }
        assert!(cache.entries.lock().unwrap().len() <= 2);
    }
}
