//! The `[http]` section: where the server listens and the largest request body it reads.
//! The binary checks the address and the limits at start-up; unknown keys are refused here.

use serde::{Deserialize, Serialize};

/// HTTP-level settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// The `address:port` to serve plain HTTP on.
    pub listen: String,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".to_owned(),
            max_body_bytes: 16 * 1024,
        }
    }
}
