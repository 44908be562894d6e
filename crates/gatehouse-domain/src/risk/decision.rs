//! What a login's risk level means for the login: skip MFA (only a trusted device at low
//! risk), require it (step-up), allow a user who has no second factor but alert them, or
//! refuse (critical). Pure: the caller says whether the device's MFA skip window is open
//! and whether the account has a factor.

use super::RiskLevel;

string_enum!(
    /// The outcome of [`decide_login`]; the strings are for audit metadata.
    LoginDecision {
        Allow => "allow",
        RequireMfa => "require_mfa",
        AllowWithAlert => "allow_with_alert",
        Refuse => "refuse",
    }
);

impl LoginDecision {
    /// The user is told about this login at once (a security alert, whatever their
    /// notification preferences hold back).
    pub fn alerts_user(self) -> bool {
        matches!(self, LoginDecision::AllowWithAlert | LoginDecision::Refuse)
    }
}

/// What the caller knows about the account and the device, beside the risk level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginStanding {
    /// The device is trusted for this account, its trust neither revoked nor expired, and
    /// its MFA skip window still open at `now`.
    pub has_open_skip_window: bool,
    /// The account has at least one confirmed second factor.
    pub has_mfa: bool,
}

/// Decide a login from its risk level.
///
/// | level    | trusted device, skip open | other device                  |
/// |----------|---------------------------|-------------------------------|
/// | low      | `Allow`                   | `RequireMfa`                  |
/// | medium   | `RequireMfa`              | `RequireMfa`                  |
/// | high     | `RequireMfa` (step-up)    | `RequireMfa` (step-up)        |
/// | critical | `Refuse`                  | `Refuse`                      |
///
/// An account without MFA cannot be asked for it: below high it is `Allow`ed as before; at
/// high it is `AllowWithAlert`. That is a variant and not a note on `RequireMfa` on
/// purpose: the caller has to match it, so "no factor to step up to" can never fall
/// silently into a plain allow. It is allowed rather than refused because refusing would
/// lock out every MFA-less user on a heuristic they cannot answer, and critical already
/// refuses the clear cases; the alert lets the real owner react (and nudges them to enrol).
pub fn decide_login(level: RiskLevel, standing: LoginStanding) -> LoginDecision {
    match level {
        RiskLevel::Critical => LoginDecision::Refuse,
        RiskLevel::Low if standing.has_open_skip_window => LoginDecision::Allow,
        _ if standing.has_mfa => LoginDecision::RequireMfa,
        RiskLevel::High => LoginDecision::AllowWithAlert,
        RiskLevel::Low | RiskLevel::Medium => LoginDecision::Allow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LoginDecision::*;
    use RiskLevel::*;

    #[test]
    fn decision_table() {
        // (level, skip window open, has MFA, decision)
        let table = [
            (Low, true, true, Allow),
            (Low, true, false, Allow),
            (Low, false, true, RequireMfa),
            (Low, false, false, Allow),
            (Medium, true, true, RequireMfa),
            (Medium, true, false, Allow),
            (Medium, false, true, RequireMfa),
            (Medium, false, false, Allow),
            (High, true, true, RequireMfa),
            (High, true, false, AllowWithAlert),
            (High, false, true, RequireMfa),
            (High, false, false, AllowWithAlert),
            (Critical, true, true, Refuse),
            (Critical, true, false, Refuse),
            (Critical, false, true, Refuse),
            (Critical, false, false, Refuse),
        ];
        assert_eq!(table.len(), RiskLevel::ALL.len() * 4, "every combination");
        for (level, has_open_skip_window, has_mfa, expected) in table {
            let standing = LoginStanding {
                has_open_skip_window,
                has_mfa,
            };
            assert_eq!(
                decide_login(level, standing),
                expected,
                "{level} {standing:?}"
            );
        }
    }

    #[test]
    fn only_a_trusted_device_at_low_risk_skips_mfa() {
        for &level in RiskLevel::ALL {
            for has_open_skip_window in [false, true] {
                let standing = LoginStanding {
                    has_open_skip_window,
                    has_mfa: true,
                };
                let skips = decide_login(level, standing) == Allow;
                assert_eq!(skips, level == Low && has_open_skip_window, "{level}");
            }
        }
    }

    #[test]
    fn alerts_go_with_refusals_and_unanswerable_step_ups() {
        let alerting: Vec<_> = LoginDecision::ALL
            .iter()
            .filter(|decision| decision.alerts_user())
            .collect();
        assert_eq!(alerting, [&AllowWithAlert, &Refuse]);
    }
}
