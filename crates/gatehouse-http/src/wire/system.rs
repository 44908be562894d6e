//! Health and readiness answers, and the public JWK set.

use gatehouse_core::keys::SigningKeyPair;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The keys that verify access tokens (RFC 7517 §5): the one current signing key.
#[derive(Debug, Serialize, ToSchema)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

/// An Ed25519 public key (RFC 8037 §2).
#[derive(Debug, Serialize, ToSchema)]
pub struct Jwk {
    #[schema(example = "OKP")]
    pub kty: &'static str,
    #[schema(example = "Ed25519")]
    pub crv: &'static str,
    #[schema(example = "EdDSA")]
    pub alg: &'static str,
    #[serde(rename = "use")]
    #[schema(example = "sig")]
    pub use_: &'static str,
    /// The key's RFC 7638 thumbprint; access tokens name it in their `kid` header.
    pub kid: String,
    /// The public key, base64url.
    pub x: String,
}

impl From<&SigningKeyPair> for JwkSet {
    fn from(key: &SigningKeyPair) -> Self {
        Self {
            keys: vec![Jwk {
                kty: "OKP",
                crv: "Ed25519",
                alg: "EdDSA",
                use_: "sig",
                kid: key.kid.clone(),
                x: key.public_x.clone(),
            }],
        }
    }
}
