//! The second step of a login: a challenge issued once the password was right, answered
//! with a second factor. It is single use, expires, and locks after `max_attempts` wrong
//! codes. These rules decide whether a challenge may still be answered; the store keeps
//! the counters and the core serialises the answers.

use chrono::{DateTime, Utc};

/// What decides whether a challenge may be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChallengeState {
    pub expires_at: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
    pub failed_attempts: u32,
    pub max_attempts: u32,
}

/// Why a challenge can no longer be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeRefusal {
    /// Already answered: a challenge signs in once.
    Used,
    Expired,
    /// `max_attempts` wrong codes were given.
    Locked,
}

impl ChallengeState {
    /// May the challenge be answered at `now`? A used challenge says so first (it is
    /// over whatever else holds), then a locked one, then an expired one.
    pub fn check(&self, now: DateTime<Utc>) -> Result<(), ChallengeRefusal> {
        if self.verified_at.is_some() {
            Err(ChallengeRefusal::Used)
        } else if self.failed_attempts >= self.max_attempts {
            Err(ChallengeRefusal::Locked)
        } else if now >= self.expires_at {
            Err(ChallengeRefusal::Expired)
        } else {
            Ok(())
        }
    }

    /// Wrong codes the challenge still accepts before it locks.
    pub fn attempts_left(&self) -> u32 {
        self.max_attempts.saturating_sub(self.failed_attempts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn a_challenge_is_answerable_until_used_locked_or_expired() {
        let now = Utc::now();
        let open = ChallengeState {
            expires_at: now + Duration::minutes(5),
            verified_at: None,
            failed_attempts: 0,
            max_attempts: 3,
        };
        let cases = [
            (open, now, Ok(())),
            (
                ChallengeState {
                    failed_attempts: 2,
                    ..open
                },
                now,
                Ok(()),
            ),
            (
                open,
                now + Duration::minutes(5),
                Err(ChallengeRefusal::Expired),
            ),
            (
                ChallengeState {
                    failed_attempts: 3,
                    ..open
                },
                now,
                Err(ChallengeRefusal::Locked),
            ),
            (
                ChallengeState {
                    failed_attempts: 3,
                    ..open
                },
                now + Duration::hours(1),
                Err(ChallengeRefusal::Locked),
            ),
            (
                ChallengeState {
                    verified_at: Some(now),
                    ..open
                },
                now,
                Err(ChallengeRefusal::Used),
            ),
            (
                ChallengeState {
                    verified_at: Some(now),
                    failed_attempts: 3,
                    ..open
                },
                now + Duration::hours(1),
                Err(ChallengeRefusal::Used),
            ),
        ];
        for (state, at, expected) in cases {
            assert_eq!(state.check(at), expected, "{state:?} at {at}");
        }
    }

    #[test]
    fn attempts_left_never_goes_below_zero() {
        let now = Utc::now();
        let state = |failed| ChallengeState {
            expires_at: now,
            verified_at: None,
            failed_attempts: failed,
            max_attempts: 3,
        };
        assert_eq!(state(0).attempts_left(), 3);
        assert_eq!(state(2).attempts_left(), 1);
        assert_eq!(state(5).attempts_left(), 0);
    }
}
