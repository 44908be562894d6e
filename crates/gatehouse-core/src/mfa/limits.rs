//! The limits a login challenge applies to one method of one person: how many wrong codes a
//! challenge takes, how many answers an hour the method allows, and how long the method
//! stays locked after a challenge locked. A person may tighten the deployment's values in
//! `PUT /v1/me/mfa/settings` (stored in `mfa_method_preferences` once set: `limits_set_at`);
//! they never loosen them past `mfa.challenge_max_attempts` and `mfa.answers_per_hour`.
//!
//! The login challenge (`accounts::mfa_login`) calls [`challenge_max_attempts`] when it
//! opens a challenge and [`for_method`] / [`locked_until`] when it is answered; all read
//! inside the caller's transaction, the lockout from the MFA audit log so it holds across
//! processes.

use super::config::MfaConfig;
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use gatehouse_domain::mfa::MfaMethod;
use gatehouse_store::accounts::mfa_challenges;
use gatehouse_store::mfa::settings::{self, MethodPreferenceRow};
use gatehouse_store::{Executor, StoreResult, Tx};

/// What applies to one method of one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_attempts: u32,
    pub answers_per_hour: u32,
    pub lockout_minutes: u32,
}

/// The limits in force (pure): the person's own values where they set some, each capped by
/// the deployment's; the deployment's values otherwise.
pub fn effective(config: &MfaConfig, preference: Option<&MethodPreferenceRow>) -> Limits {
    let deployment = Limits {
        max_attempts: config.challenge_max_attempts,
        answers_per_hour: config.answers_per_hour,
        lockout_minutes: config.lockout_minutes_default,
    };
    let Some(p) = preference.filter(|p| p.limits_set_at.is_some()) else {
        return deployment;
    };
    let own = |v: i32| u32::try_from(v).unwrap_or(1).max(1);
    Limits {
        max_attempts: own(p.max_attempts).min(deployment.max_attempts),
        answers_per_hour: own(p.rate_limit_per_hour).min(deployment.answers_per_hour),
        lockout_minutes: own(p.lockout_minutes)
            .clamp(config.lockout_minutes_min, config.lockout_minutes_max),
    }
}

/// The limits of `method` for `user_id`, read in the caller's transaction.
pub async fn for_method(
    tx: &mut Tx,
    config: &MfaConfig,
    user_id: UserId,
    method: MfaMethod,
) -> StoreResult<Limits> {
    let preference = settings::method(tx.exec(), user_id, method).await?;
    Ok(effective(config, preference.as_ref()))
}

/// Wrong codes a new challenge offering `methods` takes: the smallest of the methods'.
pub async fn challenge_max_attempts(
    tx: &mut Tx,
    config: &MfaConfig,
    user_id: UserId,
    methods: &[MfaMethod],
) -> StoreResult<u32> {
    let mut max = config.challenge_max_attempts;
    for method in methods {
        max = max.min(for_method(tx, config, user_id, *method).await?.max_attempts);
    }
    Ok(max)
}

/// Until when `method` is locked for `user_id` because a challenge answered with it
/// locked less than the lockout period ago; `None` when it is not.
pub async fn locked_until(
    tx: &mut Tx,
    limits: &Limits,
    user_id: UserId,
    method: MfaMethod,
    now: DateTime<Utc>,
) -> StoreResult<Option<DateTime<Utc>>> {
    let period = chrono::Duration::minutes(i64::from(limits.lockout_minutes));
    let last =
        mfa_challenges::last_lockout_since(tx.exec(), user_id, method.as_str(), now - period)
            .await?;
    Ok(last.map(|at| at + period).filter(|until| *until > now))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preference(set: bool, max_attempts: i32, rate: i32, lockout: i32) -> MethodPreferenceRow {
        MethodPreferenceRow {
            mfa_method: MfaMethod::Totp,
            is_enabled: true,
            setup_completed: true,
            rate_limit_per_hour: rate,
            max_attempts,
            lockout_minutes: lockout,
            limits_set_at: set.then(Utc::now),
        }
    }

    #[test]
    fn a_persons_values_tighten_but_never_loosen_the_deployments() {
        let config = MfaConfig::default();
        let deployment = Limits {
            max_attempts: 3,
            answers_per_hour: 10,
            lockout_minutes: 30,
        };
        assert_eq!(effective(&config, None), deployment);
        // Row defaults the person never chose do not count.
        assert_eq!(
            effective(&config, Some(&preference(false, 1, 1, 5))),
            deployment
        );
        assert_eq!(
            effective(&config, Some(&preference(true, 1, 2, 60))),
            Limits {
                max_attempts: 1,
                answers_per_hour: 2,
                lockout_minutes: 60
            }
        );
        assert_eq!(
            effective(&config, Some(&preference(true, 9, 20, 99_999))),
            Limits {
                max_attempts: 3,
                answers_per_hour: 10,
                lockout_minutes: 1440
            }
        );
    }
}
