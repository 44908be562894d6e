//! Settings the use cases need (lifetimes, limits, hashing cost), with production
//! defaults. The binary fills this from its configuration file and environment.

use gatehouse_domain::accounts::PasswordPolicy;
use std::time::Duration;

/// Argon2id cost. Production default: OWASP's m=19456 KiB, t=2, p=1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Failed-login limits (NIST 800-63B 5.2.2 allows at most 100 consecutive failures).
#[derive(Debug, Clone, Copy)]
pub struct ThrottleLimits {
    /// Failed attempts per account within `account_window` before it locks.
    pub account_max_failures: u32,
    pub account_window: Duration,
    /// Failed attempts per client address within `ip_window` before it is blocked.
    pub ip_max_failures: u32,
    pub ip_window: Duration,
    /// How long a lock lasts.
    pub lockout: Duration,
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        Self {
            account_max_failures: 10,
            account_window: Duration::from_secs(60 * 60),
            ip_max_failures: 100,
            ip_window: Duration::from_secs(15 * 60),
            lockout: Duration::from_secs(15 * 60),
        }
    }
}

/// Everything core needs to know that is not a key or a connection.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// JWT `iss`.
    pub issuer: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// Absolute session lifetime: refreshing never extends a session past this.
    pub session_ttl: Duration,
    pub argon2: Argon2Params,
    /// Concurrent Argon2 computations (defaults to the number of CPUs).
    pub hash_concurrency: usize,
    pub password_policy: PasswordPolicy,
    /// How many previous passwords a change may not reuse.
    pub password_history: u32,
    pub throttle: ThrottleLimits,
}

impl Default for CoreConfig {
    fn default() -> Self {
        Self {
            issuer: "gatehouse".to_owned(),
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 60 * 60),
            session_ttl: Duration::from_secs(30 * 24 * 60 * 60),
            argon2: Argon2Params::default(),
            hash_concurrency: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            password_policy: PasswordPolicy::default(),
            password_history: 5,
            throttle: ThrottleLimits::default(),
        }
    }
}
