//! Settings the use cases need (lifetimes, limits, hashing cost), with production
//! defaults, and the configuration sections they are read from (`[tokens]`, `[argon2]`,
//! `[password]`, `[login]`). The binary fills these from its configuration file and
//! environment.

use gatehouse_domain::accounts::PasswordPolicy;
use serde::{Deserialize, Serialize};
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
    /// How long a device token (proof of an earlier login from this client, which keeps
    /// it clear of the account lock) stays valid.
    pub device_token_ttl: Duration,
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        Self {
            account_max_failures: 10,
            account_window: Duration::from_secs(60 * 60),
            ip_max_failures: 100,
            ip_window: Duration::from_secs(15 * 60),
            lockout: Duration::from_secs(15 * 60),
            device_token_ttl: Duration::from_secs(90 * 24 * 60 * 60),
        }
    }
}

/// Everything core needs to know that is not a key or a connection.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// JWT `iss`.
    pub issuer: String,
    pub access_token_ttl: Duration,
    /// A session not refreshed for this long ends (each refresh token expires this long
    /// after it was issued; ASVS 3.3.2).
    pub idle_timeout: Duration,
    /// Absolute session lifetime: refreshing never extends a session past this.
    pub session_ttl: Duration,
    /// The idle timeout and absolute lifetime of a login that asked to be remembered.
    pub remember_me_idle_timeout: Duration,
    pub remember_me_session_ttl: Duration,
    /// Capacity of the per-node session cache; 0 turns it off.
    pub session_cache_entries: usize,
    /// Active sessions one account may hold; a login beyond it ends the oldest.
    pub max_active_sessions_per_user: u32,
    pub argon2: Argon2Params,
    /// Concurrent Argon2 computations (defaults to the number of CPUs).
    pub hash_concurrency: usize,
    pub password_policy: PasswordPolicy,
    /// How many previous passwords a change may not reuse.
    pub password_history: u32,
    /// Password-change attempts per account per hour, counted before any hashing.
    pub password_changes_per_hour: u32,
    /// Accounts one client address (IPv6: its /64) may create per hour.
    pub signups_per_address_per_hour: u32,
    pub throttle: ThrottleLimits,
    /// How long a "remember this device" grant lasts (and lets a login skip MFA).
    pub trusted_device_ttl: Duration,
    /// `[notifications]`: transports, retries, limits, links.
    pub notifications: crate::notify::NotificationsConfig,
    /// `[mfa]`: TOTP parameters, the issuer name, the recent-sign-in window.
    pub mfa: crate::mfa::config::MfaConfig,
    /// `[accounts]`: email verification and password reset.
    pub accounts: AccountsConfig,
    /// `[risk]`: the GeoIP database and the risk engine's thresholds.
    pub risk: crate::risk::RiskConfig,
}

impl Default for CoreConfig {
    fn default() -> Self {
        Self {
            issuer: "gatehouse".to_owned(),
            access_token_ttl: Duration::from_secs(15 * 60),
            // Keycloak's defaults: 30 minutes idle, 10 hours at most.
            idle_timeout: Duration::from_secs(30 * 60),
            session_ttl: Duration::from_secs(10 * 60 * 60),
            remember_me_idle_timeout: Duration::from_secs(7 * 24 * 60 * 60),
            remember_me_session_ttl: Duration::from_secs(30 * 24 * 60 * 60),
            // A few hundred bytes to ~1.5 KiB an entry: at most ~15 MiB.
            session_cache_entries: 10_000,
            // Every browser and app of a person, with room to spare; a script logging in
            // in a loop no longer grows the table (and `GET /v1/me/sessions`) without end.
            max_active_sessions_per_user: 50,
            argon2: Argon2Params::default(),
            hash_concurrency: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            password_policy: PasswordPolicy::default(),
            password_history: 5,
            password_changes_per_hour: 5,
            signups_per_address_per_hour: 20,
            throttle: ThrottleLimits::default(),
            // As long as Okta's and Auth0's default "remember this device".
            trusted_device_ttl: Duration::from_secs(30 * 24 * 60 * 60),
            notifications: crate::notify::NotificationsConfig::default(),
            mfa: crate::mfa::config::MfaConfig::default(),
            accounts: AccountsConfig::default(),
            risk: crate::risk::RiskConfig::default(),
        }
    }
}

// The configuration file's sections that core reads. Each is the section as an operator
// writes it (whole seconds, plain numbers); `CoreConfig::from_sections` turns them into
// the typed values above. The binary layers file and environment over these defaults and
// checks the ranges; unknown keys are refused here, by serde.

/// `[tokens]`: the JWT issuer, the access-token lifetime, and the idle timeouts and absolute
/// lifetimes of sessions (ordinary and remembered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokensConfig {
    pub issuer: String,
    pub access_token_ttl_secs: u64,
    pub idle_timeout_secs: u64,
    pub session_ttl_secs: u64,
    pub remember_me_idle_timeout_secs: u64,
    pub remember_me_session_ttl_secs: u64,
    /// Sessions each node remembers between requests (0 turns the cache off). Only used on
    /// PostgreSQL, where change notices keep nodes in step; see docs/operations.md.
    pub session_cache_entries: usize,
    /// Active sessions per account; starting one more ends the oldest (audited, reason
    /// `session_limit`).
    pub max_active_sessions_per_user: u32,
}

impl Default for TokensConfig {
    fn default() -> Self {
        let core = CoreConfig::default();
        Self {
            issuer: core.issuer,
            access_token_ttl_secs: core.access_token_ttl.as_secs(),
            idle_timeout_secs: core.idle_timeout.as_secs(),
            session_ttl_secs: core.session_ttl.as_secs(),
            remember_me_idle_timeout_secs: core.remember_me_idle_timeout.as_secs(),
            remember_me_session_ttl_secs: core.remember_me_session_ttl.as_secs(),
            session_cache_entries: core.session_cache_entries,
            max_active_sessions_per_user: core.max_active_sessions_per_user,
        }
    }
}

/// `[argon2]`: the Argon2id cost of new hashes, and how many may run at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Argon2Config {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Concurrent password hashes; 0 = one per CPU.
    pub hash_concurrency: usize,
}

impl Default for Argon2Config {
    fn default() -> Self {
        let params = Argon2Params::default();
        Self {
            memory_kib: params.memory_kib,
            iterations: params.iterations,
            parallelism: params.parallelism,
            hash_concurrency: 0,
        }
    }
}

/// `[password]`: the length policy (NIST 800-63B 5.1.1.2) and the reuse history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordConfig {
    pub min_length: usize,
    pub max_length: usize,
    pub history: u32,
    /// Password changes (attempts, right or wrong) one account may make per hour; each
    /// can cost several Argon2id runs, so they are counted before any hashing.
    pub changes_per_hour: u32,
}

impl Default for PasswordConfig {
    fn default() -> Self {
        let policy = PasswordPolicy::default();
        Self {
            min_length: policy.min_length,
            max_length: policy.max_length,
            history: CoreConfig::default().password_history,
            changes_per_hour: CoreConfig::default().password_changes_per_hour,
        }
    }
}

/// `[login]`: the failed-login throttle ([`ThrottleLimits`]) in whole seconds, and how
/// long a trusted device stays trusted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginConfig {
    pub max_failures_per_account: u32,
    pub account_window_secs: u64,
    pub max_failures_per_ip: u32,
    pub ip_window_secs: u64,
    pub lockout_secs: u64,
    /// Lifetime of the device token each successful login returns.
    pub device_token_ttl_secs: u64,
    /// How long "remember this device" lasts.
    pub trusted_device_secs: u64,
}

impl Default for LoginConfig {
    fn default() -> Self {
        let limits = ThrottleLimits::default();
        Self {
            max_failures_per_account: limits.account_max_failures,
            account_window_secs: limits.account_window.as_secs(),
            max_failures_per_ip: limits.ip_max_failures,
            ip_window_secs: limits.ip_window.as_secs(),
            lockout_secs: limits.lockout.as_secs(),
            device_token_ttl_secs: limits.device_token_ttl.as_secs(),
            trusted_device_secs: CoreConfig::default().trusted_device_ttl.as_secs(),
        }
    }
}

/// `[signup]`: how many accounts one client address may create per hour (IPv6 by /64),
/// counted in the database so the limit holds across processes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignupConfig {
    pub max_per_address_per_hour: u32,
}

impl Default for SignupConfig {
    fn default() -> Self {
        Self {
            max_per_address_per_hour: CoreConfig::default().signups_per_address_per_hour,
        }
    }
}

/// `[accounts]`: email verification and password reset links.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountsConfig {
    /// Refuse logins (403 `email_not_verified`, after a correct password) until the
    /// account's address is verified. Off by default so the quick start stays short.
    pub require_verified_email: bool,
    /// How long an email verification link works.
    pub email_verification_ttl_secs: u64,
    /// How long a password reset link works.
    pub password_reset_ttl_secs: u64,
    /// Messages with a link (reset, resent verification, change of address) one address
    /// or account may be sent per hour, so no inbox can be flooded.
    pub link_mails_per_email_per_hour: u32,
    /// Reset requests one client address (IPv6: its /64) may make per hour.
    pub password_resets_per_address_per_hour: u32,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        Self {
            require_verified_email: false,
            email_verification_ttl_secs: 24 * 60 * 60,
            password_reset_ttl_secs: 60 * 60,
            link_mails_per_email_per_hour: 5,
            password_resets_per_address_per_hour: 20,
        }
    }
}

impl AccountsConfig {
    pub fn email_verification_ttl(&self) -> chrono::Duration {
        chrono::Duration::seconds(i64::try_from(self.email_verification_ttl_secs).unwrap_or(86_400))
    }

    pub fn password_reset_ttl(&self) -> chrono::Duration {
        chrono::Duration::seconds(i64::try_from(self.password_reset_ttl_secs).unwrap_or(3_600))
    }
}

/// The sections core reads, as written in the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Sections<'a> {
    pub tokens: &'a TokensConfig,
    pub argon2: &'a Argon2Config,
    pub password: &'a PasswordConfig,
    pub login: &'a LoginConfig,
    pub signup: &'a SignupConfig,
    pub notifications: &'a crate::notify::NotificationsConfig,
    pub mfa: &'a crate::mfa::config::MfaConfig,
    pub accounts: &'a AccountsConfig,
    pub risk: &'a crate::risk::RiskConfig,
}

impl CoreConfig {
    /// The configuration core runs with, from the sections as written.
    pub fn from_sections(sections: Sections<'_>) -> Self {
        let Sections {
            tokens,
            argon2,
            password,
            login,
            signup,
            notifications,
            mfa,
            accounts,
            risk,
        } = sections;
        let secs = Duration::from_secs;
        let defaults = Self::default();
        Self {
            issuer: tokens.issuer.clone(),
            access_token_ttl: secs(tokens.access_token_ttl_secs),
            idle_timeout: secs(tokens.idle_timeout_secs),
            session_ttl: secs(tokens.session_ttl_secs),
            remember_me_idle_timeout: secs(tokens.remember_me_idle_timeout_secs),
            remember_me_session_ttl: secs(tokens.remember_me_session_ttl_secs),
            session_cache_entries: tokens.session_cache_entries,
            max_active_sessions_per_user: tokens.max_active_sessions_per_user,
            argon2: Argon2Params {
                memory_kib: argon2.memory_kib,
                iterations: argon2.iterations,
                parallelism: argon2.parallelism,
            },
            hash_concurrency: match argon2.hash_concurrency {
                0 => defaults.hash_concurrency,
                n => n,
            },
            password_policy: PasswordPolicy {
                min_length: password.min_length,
                max_length: password.max_length,
            },
            password_history: password.history,
            password_changes_per_hour: password.changes_per_hour,
            signups_per_address_per_hour: signup.max_per_address_per_hour,
            throttle: ThrottleLimits {
                account_max_failures: login.max_failures_per_account,
                account_window: secs(login.account_window_secs),
                ip_max_failures: login.max_failures_per_ip,
                ip_window: secs(login.ip_window_secs),
                lockout: secs(login.lockout_secs),
                device_token_ttl: secs(login.device_token_ttl_secs),
            },
            trusted_device_ttl: secs(login.trusted_device_secs),
            notifications: notifications.clone(),
            mfa: mfa.clone(),
            accounts: accounts.clone(),
            risk: risk.clone(),
        }
    }
}
