//! The checks every setting passes before start-up goes on. Each refusal is one line that
//! names the key (and the variable that set it), so a bad deployment stops at once with
//! exit code 2 instead of failing later.

use super::{Origins, SettingError, Settings};
use gatehouse_core::keys::{parse_secret32, KeyError, SigningKeyPair};
use gatehouse_store::Location;
use std::net::SocketAddr;

impl Settings {
    pub(super) fn validate(&self, names: &Origins) -> Result<(), SettingError> {
        self.validate_service(names)?;
        self.validate_accounts(names)?;
        self.validate_maintenance(names)?;
        if let Some((key, message)) = self.audit.invalid() {
            return Err(names.refuse(key, message));
        }
        self.validate_notifications(names)?;
        self.validate_keys(names)
    }

    /// `[notifications]`: a transport chosen has what it needs, limits are in range.
    fn validate_notifications(&self, names: &Origins) -> Result<(), SettingError> {
        use gatehouse_core::notify::config::{EmailTransportKind, SmsTransportKind};
        let n = &self.notifications;
        if n.email_transport == EmailTransportKind::Smtp
            && !(n.smtp_url.starts_with("smtp://") || n.smtp_url.starts_with("smtps://"))
        {
            return Err(names.refuse(
                "notifications.smtp_url",
                "email_transport = \"smtp\" needs an smtp:// or smtps:// URL",
            ));
        }
        if n.sms_transport == SmsTransportKind::Twilio {
            for (key, value) in [
                ("notifications.sms_account_sid", &n.sms_account_sid),
                ("notifications.sms_auth_token", &n.sms_auth_token),
                ("notifications.sms_from", &n.sms_from),
            ] {
                if value.trim().is_empty() {
                    return Err(names.refuse(key, "sms_transport = \"twilio\" needs it"));
                }
            }
        }
        if !(n.public_url.is_empty()
            || n.public_url.starts_with("https://")
            || n.public_url.starts_with("http://"))
        {
            return Err(names.refuse("notifications.public_url", "must be an http(s) URL"));
        }
        for (key, value, range) in [
            (
                "notifications.max_retries",
                u64::from(n.max_retries),
                0..=100,
            ),
            (
                "notifications.batch_size",
                u64::from(n.batch_size),
                1..=10_000,
            ),
            (
                "notifications.concurrency",
                u64::from(n.concurrency),
                1..=1_000,
            ),
            ("notifications.lease_secs", n.lease_secs, 1..=86_400),
            (
                "notifications.poll_interval_ms",
                n.poll_interval_ms,
                10..=60_000,
            ),
            (
                "notifications.retry_base_ms",
                n.retry_base_ms,
                1..=86_400_000,
            ),
            (
                "notifications.retry_max_ms",
                n.retry_max_ms,
                1..=604_800_000,
            ),
        ] {
            if !range.contains(&value) {
                return Err(
                    names.refuse(key, format!("must be {} to {}", range.start(), range.end()))
                );
            }
        }
        Ok(())
    }

    /// `[http]`, `[database]` and `[log]`.
    fn validate_service(&self, names: &Origins) -> Result<(), SettingError> {
        self.http
            .listen
            .parse::<SocketAddr>()
            .map_err(|e| names.refuse("http.listen", format!("not an address:port ({e})")))?;
        // HTTPS needs both halves; one alone is a mistake, not a wish for plain HTTP.
        match (&self.http.tls_cert_file, &self.http.tls_key_file) {
            (Some(_), None) => {
                return Err(names.refuse("http.tls_key_file", "must be set with tls_cert_file"))
            }
            (None, Some(_)) => {
                return Err(names.refuse("http.tls_cert_file", "must be set with tls_key_file"))
            }
            _ => {}
        }
        if self.http.max_body_bytes < 1024 {
            return Err(names.refuse("http.max_body_bytes", "must be at least 1024"));
        }
        for (key, value) in [
            (
                "http.header_read_timeout_secs",
                self.http.header_read_timeout_secs,
            ),
            (
                "http.body_read_timeout_secs",
                self.http.body_read_timeout_secs,
            ),
            ("http.request_timeout_secs", self.http.request_timeout_secs),
        ] {
            // 0 would refuse every request; past an hour a stuck client is not "slow".
            if !(1..=3600).contains(&value) {
                return Err(names.refuse(key, "must be 1 to 3600"));
            }
        }
        let url = self.database.url.as_str();
        if !(url.is_empty()
            || url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(names.refuse("database.url", "must start with sqlite: or postgres://"));
        }
        if !url.is_empty() {
            // Parsed now so start-up can name the database before connecting to it.
            Location::parse(url).map_err(|e| names.refuse("database.url", e.connect_cause()))?;
        }
        let replica = self.database.replica_url.as_str();
        if !replica.is_empty() {
            if !(replica.starts_with("postgres://") || replica.starts_with("postgresql://")) {
                return Err(names.refuse("database.replica_url", "must start with postgres://"));
            }
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return Err(names.refuse(
                    "database.replica_url",
                    "needs database.url on PostgreSQL (SQLite has no replicas)",
                ));
            }
            Location::parse(replica)
                .map_err(|e| names.refuse("database.replica_url", e.connect_cause()))?;
        }
        if self.database.max_connections == 0 {
            return Err(names.refuse("database.max_connections", "must be at least 1"));
        }
        // Below 100 ms a healthy but busy pool would answer 503; above 30 s a client waits
        // that long for every answer during an outage.
        if !(100..=30_000).contains(&self.database.acquire_timeout_ms) {
            return Err(names.refuse(
                "database.acquire_timeout_ms",
                "must be 100 to 30000 (milliseconds)",
            ));
        }
        if !["auto", "json", "text"].contains(&self.log.format.as_str()) {
            return Err(names.refuse("log.format", "must be auto, json or text"));
        }
        crate::logging::check_level(&self.log.level).map_err(|e| names.refuse("log.level", e))?;
        Ok(())
    }

    /// `[tokens]`, `[argon2]`, `[password]` and `[login]`.
    fn validate_accounts(&self, names: &Origins) -> Result<(), SettingError> {
        let password = &self.password;
        if !(8..=64).contains(&password.min_length) {
            return Err(names.refuse(
                "password.min_length",
                "must be 8 to 64 (NIST 800-63B requires at least 8)",
            ));
        }
        if password.max_length < 64.max(password.min_length) || password.max_length > 1024 {
            return Err(names.refuse(
                "password.max_length",
                "must be 64 to 1024 and at least password.min_length",
            ));
        }
        if !(1..=24).contains(&password.history) {
            return Err(names.refuse("password.history", "must be 1 to 24"));
        }
        if !(1..=1000).contains(&password.changes_per_hour) {
            return Err(names.refuse("password.changes_per_hour", "must be 1 to 1000"));
        }
        if !(1..=100_000).contains(&self.signup.max_per_address_per_hour) {
            return Err(names.refuse("signup.max_per_address_per_hour", "must be 1 to 100000"));
        }
        if let Err((key, message)) = self.mfa.check() {
            return Err(names.refuse(key, message));
        }
        if let Err((key, message)) = self.risk.check() {
            return Err(names.refuse(key, message));
        }
        let accounts = &self.accounts;
        if !(300..=30 * 86_400).contains(&accounts.email_verification_ttl_secs) {
            return Err(names.refuse(
                "accounts.email_verification_ttl_secs",
                "must be 300 to 2592000 (5 minutes to 30 days)",
            ));
        }
        if !(300..=86_400).contains(&accounts.password_reset_ttl_secs) {
            return Err(names.refuse(
                "accounts.password_reset_ttl_secs",
                "must be 300 to 86400 (5 minutes to a day)",
            ));
        }
        if !(1..=1000).contains(&accounts.link_mails_per_email_per_hour) {
            return Err(names.refuse(
                "accounts.link_mails_per_email_per_hour",
                "must be 1 to 1000",
            ));
        }
        if !(1..=100_000).contains(&accounts.password_resets_per_address_per_hour) {
            return Err(names.refuse(
                "accounts.password_resets_per_address_per_hour",
                "must be 1 to 100000",
            ));
        }
        let argon2 = &self.argon2;
        if argon2.iterations == 0 {
            return Err(names.refuse("argon2.iterations", "must be at least 1"));
        }
        if argon2.parallelism == 0 {
            return Err(names.refuse("argon2.parallelism", "must be at least 1"));
        }
        if u64::from(argon2.memory_kib) < 8 * u64::from(argon2.parallelism) {
            return Err(names.refuse(
                "argon2.memory_kib",
                "must be at least 8 KiB x argon2.parallelism",
            ));
        }
        if argon2.hash_concurrency > 256 {
            return Err(names.refuse(
                "argon2.hash_concurrency",
                "must be 0 (one per CPU) to 256; each hash holds argon2.memory_kib of memory",
            ));
        }
        let login = &self.login;
        if !(1..=100).contains(&login.max_failures_per_account) {
            return Err(names.refuse(
                "login.max_failures_per_account",
                "must be 1 to 100 (NIST 800-63B 5.2.2)",
            ));
        }
        // Per address, not per account: one address can front many users (NAT, proxies),
        // but 0 would block every login.
        if !(1..=100_000).contains(&login.max_failures_per_ip) {
            return Err(names.refuse("login.max_failures_per_ip", "must be 1 to 100000"));
        }
        let tokens = &self.tokens;
        if !(1..=10_000).contains(&tokens.max_active_sessions_per_user) {
            return Err(names.refuse("tokens.max_active_sessions_per_user", "must be 1 to 10000"));
        }
        for (key, value) in [
            ("tokens.access_token_ttl_secs", tokens.access_token_ttl_secs),
            ("tokens.idle_timeout_secs", tokens.idle_timeout_secs),
            ("tokens.session_ttl_secs", tokens.session_ttl_secs),
            (
                "tokens.remember_me_idle_timeout_secs",
                tokens.remember_me_idle_timeout_secs,
            ),
            (
                "tokens.remember_me_session_ttl_secs",
                tokens.remember_me_session_ttl_secs,
            ),
            ("login.account_window_secs", login.account_window_secs),
            ("login.ip_window_secs", login.ip_window_secs),
            ("login.lockout_secs", login.lockout_secs),
            ("login.device_token_ttl_secs", login.device_token_ttl_secs),
            ("login.trusted_device_secs", login.trusted_device_secs),
        ] {
            if value == 0 {
                return Err(names.refuse(key, "must be greater than 0"));
            }
        }
        // A client refreshes when its access token runs out: an idle timeout shorter than
        // that would end every session at its first refresh.
        for (key, value) in [
            ("tokens.idle_timeout_secs", tokens.idle_timeout_secs),
            (
                "tokens.remember_me_idle_timeout_secs",
                tokens.remember_me_idle_timeout_secs,
            ),
        ] {
            if value < tokens.access_token_ttl_secs {
                return Err(names.refuse(key, "must be at least tokens.access_token_ttl_secs"));
            }
        }
        if tokens.remember_me_session_ttl_secs < tokens.session_ttl_secs {
            return Err(names.refuse(
                "tokens.remember_me_session_ttl_secs",
                "must be at least tokens.session_ttl_secs",
            ));
        }
        Ok(())
    }

    /// `[maintenance]`.
    fn validate_maintenance(&self, names: &Origins) -> Result<(), SettingError> {
        let m = &self.maintenance;
        // Under a minute the sweeps would run back to back; past a day tables grow for days.
        if !(60..=86_400).contains(&m.interval_secs) {
            return Err(names.refuse("maintenance.interval_secs", "must be 60 to 86400"));
        }
        // Reuse must stay detectable for at least as long as a refresh token could be
        // presented (its idle timeout); ten years bounds the date arithmetic.
        const TEN_YEARS: u64 = 10 * 366 * 24 * 60 * 60;
        let idle = self
            .tokens
            .idle_timeout_secs
            .max(self.tokens.remember_me_idle_timeout_secs);
        if m.reuse_window_secs < idle || m.reuse_window_secs > TEN_YEARS {
            return Err(names.refuse(
                "maintenance.reuse_window_secs",
                "must be at least tokens.idle_timeout_secs and tokens.remember_me_idle_timeout_secs, and at most ten years",
            ));
        }
        // The tokens go with their session, so a session kept for less than the reuse
        // window would cut that window short.
        if m.session_retention_secs < m.reuse_window_secs || m.session_retention_secs > TEN_YEARS {
            return Err(names.refuse(
                "maintenance.session_retention_secs",
                "must be at least maintenance.reuse_window_secs, and at most ten years",
            ));
        }
        if !(1..=10_000).contains(&m.batch_size) {
            return Err(names.refuse("maintenance.batch_size", "must be 1 to 10000"));
        }
        // A day at least: a message's history should outlive its delivery reports.
        if !(86_400..=315_360_000).contains(&m.notification_retention_secs) {
            return Err(names.refuse(
                "maintenance.notification_retention_secs",
                "must be one day to ten years",
            ));
        }
        Ok(())
    }

    /// `[keys]`: keys given in the configuration are checked here, so a bad one stops
    /// start-up like any other setting instead of failing later in `keys::load`. The values
    /// themselves are never echoed.
    fn validate_keys(&self, names: &Origins) -> Result<(), SettingError> {
        for (key, value) in [
            ("keys.pepper", &self.keys.pepper),
            ("keys.encryption_key", &self.keys.encryption_key),
        ] {
            if let Some(text) = value {
                parse_secret32(key, text).map_err(|e| names.refuse(key, key_error_detail(e)))?;
            }
        }
        if let Some(path) = &self.keys.signing_key_file {
            let key = "keys.signing_key_file";
            let pem = std::fs::read_to_string(path)
                .map_err(|e| names.refuse(key, format!("cannot read {}: {e}", path.display())))?;
            SigningKeyPair::from_pem(&pem).map_err(|e| {
                names.refuse(
                    key,
                    format!(
                        "{} is not an Ed25519 PKCS#8 PEM key: {}",
                        path.display(),
                        key_error_detail(e)
                    ),
                )
            })?;
        }
        Ok(())
    }
}

/// What was wrong with a key, without the `what` prefix (the caller names the setting).
fn key_error_detail(e: KeyError) -> String {
    match e {
        KeyError::Invalid { detail, .. } => detail,
        e @ KeyError::Io { .. } => e.to_string(),
    }
}
