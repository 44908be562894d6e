//! `[mfa]`: how this deployment's TOTP codes are made (RFC 6238: SHA1, 6 digits, 30 s by
//! default; SHA256/SHA512 and 7–8 digits for deployments whose apps support them), the
//! issuer name authenticator apps show, how recent a sign-in must be to change factors, the
//! bounds of the limits a person may set per method, and which changes need approval.

use gatehouse_domain::mfa::{ApprovalPolicy, OtpAlgorithm, TotpParams};
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
    /// Digits of a code sent by email or SMS (6 to 8).
    pub otp_digits: u32,
    /// How long a code sent by email or SMS works (at most 10 minutes).
    pub otp_ttl_secs: u64,
    /// Codes one account may be sent per purpose and hour (enrolling email, enrolling
    /// SMS, signing in), counted in the database.
    pub codes_sent_per_hour: u32,
    /// The largest hourly answer limit a person may set for one of their methods.
    pub method_rate_limit_per_hour_max: u32,
    /// The largest number of wrong codes a person may allow per challenge.
    pub method_max_attempts_max: u32,
    /// The bounds of the lockout a person may choose: after a challenge locks, the method
    /// it was answered with is refused for that many minutes.
    pub lockout_minutes_min: u32,
    pub lockout_minutes_max: u32,
    /// The lockout of a method whose person set none (within the bounds above).
    pub lockout_minutes_default: u32,
    /// Which changes to second factors wait for a staff member: `never`, `last_factor`
    /// (removing the last factor) or `always` (that and changing the primary method).
    pub changes_require_approval: ApprovalPolicy,
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
            otp_digits: 6,
            otp_ttl_secs: 300,
            codes_sent_per_hour: 5,
            method_rate_limit_per_hour_max: 20,
            method_max_attempts_max: 10,
            lockout_minutes_min: 5,
            lockout_minutes_max: 1440,
            lockout_minutes_default: 30,
            changes_require_approval: ApprovalPolicy::Never,
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
        if !(6..=8).contains(&self.otp_digits) {
            return Err(("mfa.otp_digits", "must be 6, 7 or 8".to_owned()));
        }
        if !(30..=600).contains(&self.otp_ttl_secs) {
            return Err(("mfa.otp_ttl_secs", "must be 30 to 600 seconds".to_owned()));
        }
        if !(1..=100).contains(&self.codes_sent_per_hour) {
            return Err(("mfa.codes_sent_per_hour", "must be 1 to 100".to_owned()));
        }
        if !(1..=1000).contains(&self.method_rate_limit_per_hour_max) {
            return Err((
                "mfa.method_rate_limit_per_hour_max",
                "must be 1 to 1000".to_owned(),
            ));
        }
        if !(1..=100).contains(&self.method_max_attempts_max) {
            return Err(("mfa.method_max_attempts_max", "must be 1 to 100".to_owned()));
        }
        if !(1..=10_080).contains(&self.lockout_minutes_min) {
            return Err((
                "mfa.lockout_minutes_min",
                "must be 1 to 10080 minutes".to_owned(),
            ));
        }
        if !(self.lockout_minutes_min..=10_080).contains(&self.lockout_minutes_max) {
            return Err((
                "mfa.lockout_minutes_max",
                "must be lockout_minutes_min to 10080 minutes".to_owned(),
            ));
        }
        if !(self.lockout_minutes_min..=self.lockout_minutes_max)
            .contains(&self.lockout_minutes_default)
        {
            return Err((
                "mfa.lockout_minutes_default",
                "must lie between lockout_minutes_min and lockout_minutes_max".to_owned(),
            ));
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

    pub fn otp_ttl(&self) -> Duration {
        Duration::from_secs(self.otp_ttl_secs)
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
                    otp_digits: 5,
                    ..MfaConfig::default()
                },
                "mfa.otp_digits",
            ),
            (
                MfaConfig {
                    otp_ttl_secs: 601,
                    ..MfaConfig::default()
                },
                "mfa.otp_ttl_secs",
            ),
            (
                MfaConfig {
                    codes_sent_per_hour: 0,
                    ..MfaConfig::default()
                },
                "mfa.codes_sent_per_hour",
            ),
            (
                MfaConfig {
                    method_rate_limit_per_hour_max: 0,
                    ..MfaConfig::default()
                },
                "mfa.method_rate_limit_per_hour_max",
            ),
            (
                MfaConfig {
                    method_max_attempts_max: 0,
                    ..MfaConfig::default()
                },
                "mfa.method_max_attempts_max",
            ),
            (
                MfaConfig {
                    lockout_minutes_min: 0,
                    ..MfaConfig::default()
                },
                "mfa.lockout_minutes_min",
            ),
            (
                MfaConfig {
                    lockout_minutes_max: 4,
                    ..MfaConfig::default()
                },
                "mfa.lockout_minutes_max",
            ),
            (
                MfaConfig {
                    lockout_minutes_default: 2000,
                    ..MfaConfig::default()
                },
                "mfa.lockout_minutes_default",
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
