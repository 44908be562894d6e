//! `[mfa]`: how this deployment's TOTP codes are made (RFC 6238: SHA1, 6 digits, 30 s by
//! default; SHA256/SHA512 and 7–8 digits for deployments whose apps support them), the
//! issuer name authenticator apps show, and how recent a sign-in must be to change factors.

use gatehouse_domain::mfa::{OtpAlgorithm, TotpParams};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MfaConfig {
    /// The issuer in the otpauth URI: the name an authenticator app lists the account under.
    pub issuer_name: String,
    pub totp_algorithm: OtpAlgorithm,
    pub totp_digits: u32,
    pub totp_period_secs: u64,
    /// Enrolment and removal need a sign-in (the access token's `auth_time`) at most this
    /// many seconds old.
    pub recent_auth_secs: u64,
    /// How long a login's challenge can be answered.
    pub challenge_ttl_secs: u64,
    /// Wrong codes a challenge takes before it locks (the login must start again).
    pub challenge_max_attempts: u32,
    /// Codes (right or wrong) one account may give per method and hour, over all its
    /// challenges.
    pub answers_per_hour: u32,
    /// How long an email recovery (for a person with no backup codes left) waits before
    /// it can be completed, while every channel tells the person and offers a cancel.
    pub recovery_delay_secs: u64,
}

impl Default for MfaConfig {
    fn default() -> Self {
        let totp = TotpParams::default();
        Self {
            issuer_name: "Gatehouse".to_owned(),
            totp_algorithm: totp.algorithm,
            totp_digits: totp.digits,
            totp_period_secs: totp.period,
            recent_auth_secs: 600,
            challenge_ttl_secs: 300,
            challenge_max_attempts: 3,
            answers_per_hour: 10,
            recovery_delay_secs: 86_400,
        }
    }
}

impl MfaConfig {
    pub fn totp(&self) -> TotpParams {
        TotpParams {
            algorithm: self.totp_algorithm,
            digits: self.totp_digits,
            period: self.totp_period_secs,
        }
    }

    pub fn recent_auth(&self) -> Duration {
        Duration::from_secs(self.recent_auth_secs)
    }

    pub fn challenge_ttl(&self) -> Duration {
        Duration::from_secs(self.challenge_ttl_secs)
    }

    pub fn recovery_delay(&self) -> Duration {
        Duration::from_secs(self.recovery_delay_secs)
    }

    /// The first refused key and why (for start-up validation).
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let issuer = self.issuer_name.trim();
        if issuer.is_empty() || issuer.chars().count() > 64 || issuer.contains(':') {
            return Err((
                "mfa.issuer_name",
                "must be 1 to 64 characters without ':'".to_owned(),
            ));
        }
        if !(6..=8).contains(&self.totp_digits) {
            return Err(("mfa.totp_digits", "must be 6, 7 or 8".to_owned()));
        }
        if let Err(e) = self.totp().validate() {
            return Err(("mfa.totp_period_secs", e));
        }
        if !(60..=86_400).contains(&self.recent_auth_secs) {
            return Err((
                "mfa.recent_auth_secs",
                "must be 60 to 86400 seconds".to_owned(),
            ));
        }
        // A code lives at most 10 minutes (issue 9); its challenge no longer.
        if !(30..=600).contains(&self.challenge_ttl_secs) {
            return Err((
                "mfa.challenge_ttl_secs",
                "must be 30 to 600 seconds".to_owned(),
            ));
        }
        if !(1..=10).contains(&self.challenge_max_attempts) {
            return Err(("mfa.challenge_max_attempts", "must be 1 to 10".to_owned()));
        }
        if !(1..=100).contains(&self.answers_per_hour) {
            return Err(("mfa.answers_per_hour", "must be 1 to 100".to_owned()));
        }
        // Long enough for the person to see a message and cancel; short enough that
        // someone locked out is not locked out for good.
        if !(3_600..=604_800).contains(&self.recovery_delay_secs) {
            return Err((
                "mfa.recovery_delay_secs",
                "must be 3600 to 604800 seconds (1 hour to 7 days)".to_owned(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_pass_and_each_bad_value_names_its_key() {
        assert_eq!(MfaConfig::default().check(), Ok(()));
        let bad = [
            (
                MfaConfig {
                    issuer_name: " ".into(),
                    ..MfaConfig::default()
                },
                "mfa.issuer_name",
            ),
            (
                MfaConfig {
                    issuer_name: "a:b".into(),
                    ..MfaConfig::default()
                },
                "mfa.issuer_name",
            ),
            (
                MfaConfig {
                    totp_digits: 9,
                    ..MfaConfig::default()
                },
                "mfa.totp_digits",
            ),
            (
                MfaConfig {
                    totp_period_secs: 5,
                    ..MfaConfig::default()
                },
                "mfa.totp_period_secs",
            ),
            (
                MfaConfig {
                    recent_auth_secs: 0,
                    ..MfaConfig::default()
                },
                "mfa.recent_auth_secs",
            ),
            (
                MfaConfig {
                    recovery_delay_secs: 3_599,
                    ..MfaConfig::default()
                },
                "mfa.recovery_delay_secs",
            ),
            (
                MfaConfig {
                    recovery_delay_secs: 604_801,
                    ..MfaConfig::default()
                },
                "mfa.recovery_delay_secs",
            ),
        ];
        for (config, key) in bad {
            assert_eq!(config.check().map_err(|(k, _)| k), Err(key));
        }
    }
}
