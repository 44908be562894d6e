//! The `[http]` section: where the server listens, the largest request body it reads,
//! how long it waits for a client and which proxies it believes. The binary checks the address and the limits at
//! start-up; unknown keys are refused here.

use crate::proxies::ProxyNet;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// HTTP-level settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// The `address:port` to serve on (plain HTTP, or HTTPS with the TLS files).
    pub listen: String,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// How long a connection may take to send a request's whole header block (also how
    /// long an idle keep-alive connection stays open); then it is closed.
    pub header_read_timeout_secs: u64,
    /// How long the body may go without a byte arriving; then the request is answered
    /// 408 `body_timeout`.
    pub body_read_timeout_secs: u64,
    /// How long a request may take from its headers to its answer; then it is answered
    /// 503 `request_timeout` and its unfinished work is dropped (rolled back).
    pub request_timeout_secs: u64,
    /// Peers (addresses or networks) whose `X-Forwarded-For` names the client; empty means
    /// the TCP peer is always the client.
    pub trusted_proxies: Vec<ProxyNet>,
    /// PEM certificate chain; with `tls_key_file`, `serve` speaks HTTPS on `listen`
    /// (both files are re-read on SIGHUP).
    pub tls_cert_file: Option<PathBuf>,
    /// PEM private key of `tls_cert_file`.
    pub tls_key_file: Option<PathBuf>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".to_owned(),
            max_body_bytes: 16 * 1024,
            header_read_timeout_secs: 10,
            body_read_timeout_secs: 10,
            // Far above a login under load (p99 ~0.4 s with 32 concurrent logins queued
            // for Argon2id, docs/performance.md): a request this slow is stuck, not busy.
            request_timeout_secs: 30,
            trusted_proxies: Vec::new(),
            tls_cert_file: None,
            tls_key_file: None,
        }
    }
}

impl HttpConfig {
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs)
    }

    pub fn body_read_timeout(&self) -> Duration {
        Duration::from_secs(self.body_read_timeout_secs)
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }
}
