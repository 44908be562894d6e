//! What the scorer looks at: [`LoginSignals`], gathered by the caller from the device and
//! session rows, the GeoIP lookup, the failed-attempt counters and the user's login-hour
//! history ([`LoginHours`], 24 bytes a caller can keep on the user's row).

use chrono::{DateTime, Utc};

use super::GeoPoint;
use crate::FieldError;

/// Everything [`super::assess`] needs about one login (or one session refresh). Each field
/// is a fact the caller already has; none is looked up here.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginSignals {
    /// This device (fingerprint) has not signed in to this account before.
    pub is_new_device: bool,
    /// The device is marked compromised (`devices.is_compromised`): always critical.
    pub is_device_compromised: bool,
    /// ISO 3166-1 alpha-2 country of this login from GeoIP (`GB`), `None` when unknown
    /// (then the new-country signal is never raised).
    pub country: Option<String>,
    /// This login's country is known and the account has signed in before, but never from
    /// it. Compute it with [`is_new_country`] so "no history" and "no GeoIP" stay false.
    pub is_new_country: bool,
    /// The previous successful login of this account, if any: where and when.
    pub previous: Option<Sighting>,
    /// This login: where (GeoIP, if it knows) and when (`now`).
    pub current: Sighting,
    /// Failed password or MFA attempts for this account in the last
    /// [`super::RiskPolicy::failed_attempts_window_minutes`], counted by the caller.
    pub recent_failed_attempts: u32,
    /// The session's client IP differs from the one it was opened with (refresh and
    /// session checks; `false` for a fresh login).
    pub is_ip_changed_in_session: bool,
    /// Hour of day (0..=23) of this login in the user's time zone (UTC when the profile has
    /// none). `None` or an hour out of range skips the unusual-hour check.
    pub local_hour: Option<u8>,
    /// The hours this user usually signs in at.
    pub usual_hours: LoginHours,
}

impl LoginSignals {
    /// A login at `at` with no signal raised: a known device, no location, no history.
    /// Callers and tests set the fields they know from here.
    pub fn quiet(at: DateTime<Utc>) -> Self {
        Self {
            is_new_device: false,
            is_device_compromised: false,
            country: None,
            is_new_country: false,
            previous: None,
            current: Sighting { at, location: None },
            recent_failed_attempts: 0,
            is_ip_changed_in_session: false,
            local_hour: None,
            usual_hours: LoginHours::default(),
        }
    }
}

/// Where (per GeoIP, if it knew) and when a login of the account was seen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sighting {
    pub at: DateTime<Utc>,
    pub location: Option<GeoPoint>,
}

/// Whether `current` is a country the account has not signed in from before. `false` when
/// GeoIP gave no country, and `false` when `known` is empty: a first login has nothing to
/// compare with, so it should not count as travel. Codes compare case-insensitively.
pub fn is_new_country<S: AsRef<str>>(current: Option<&str>, known: &[S]) -> bool {
    match current {
        Some(code) if !known.is_empty() => !known
            .iter()
            .any(|seen| seen.as_ref().eq_ignore_ascii_case(code)),
        _ => false,
    }
}

/// A user's login hours as a decaying histogram: one count per local hour of day, each a
/// byte. The caller keeps the 24 bytes (`as_bytes` / `from_bytes`, e.g. a BLOB/bytea
/// column on the user) and [`record`](Self::record)s the hour of each login that succeeded
/// without anomaly. When a count would pass 255 every count is halved, so old habits fade
/// and a single odd login never makes an hour "usual" for good (a plain 24-bit mask would:
/// one 3 a.m. login would whitelist 3 a.m. forever). The scorer judges an hour only once
/// the history holds enough logins ([`super::RiskPolicy::usual_hours_min_logins`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoginHours([u8; 24]);

impl LoginHours {
    /// Stored length in bytes.
    pub const LEN: usize = 24;

    /// Read the stored bytes; anything but 24 of them is refused.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FieldError> {
        <[u8; 24]>::try_from(bytes).map(Self).map_err(|_| {
            FieldError::new(
                "login_hours",
                "invalid_length",
                format!("Expected {} bytes, got {}.", Self::LEN, bytes.len()),
            )
        })
    }

    pub fn as_bytes(&self) -> [u8; 24] {
        self.0
    }

    /// Count one more login at `hour` (0..=23; other values are ignored).
    pub fn record(&mut self, hour: u8) {
        let Some(&count) = self.0.get(usize::from(hour)) else {
            return;
        };
        if count == u8::MAX {
            for slot in &mut self.0 {
                *slot /= 2;
            }
        }
        self.0[usize::from(hour)] += 1;
    }

    /// Logins counted at `hour` (0 for hours out of range).
    pub fn count(&self, hour: u8) -> u32 {
        self.0.get(usize::from(hour)).copied().map_or(0, u32::from)
    }

    /// Logins counted in all.
    pub fn total(&self) -> u32 {
        self.0.iter().copied().map(u32::from).sum()
    }

    /// Logins at `hour` and the hours either side (23 and 0 are neighbours): habits drift
    /// by an hour, and daylight-saving changes shift a routine by one.
    pub fn around(&self, hour: u8) -> u32 {
        if hour > 23 {
            return 0;
        }
        let before = (hour + 23) % 24;
        let after = (hour + 1) % 24;
        self.count(before) + self.count(hour) + self.count(after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_country_needs_a_country_and_a_history() {
        let known = ["GB", "se"];
        let none: [&str; 0] = [];
        let cases = [
            (Some("US"), &known[..], true),
            (Some("GB"), &known[..], false),
            (Some("gb"), &known[..], false),
            (Some("SE"), &known[..], false),
            (None, &known[..], false),
            (Some("US"), &none[..], false),
            (None, &none[..], false),
        ];
        for (current, known, expected) in cases {
            assert_eq!(
                is_new_country(current, known),
                expected,
                "{current:?} {known:?}"
            );
        }
    }

    #[test]
    fn login_hours_count_and_wrap_neighbours() {
        let mut hours = LoginHours::default();
        for hour in [23, 0, 0, 9, 24, 200] {
            hours.record(hour);
        }
        assert_eq!(hours.total(), 4, "hours out of range are ignored");
        assert_eq!(hours.count(0), 2);
        assert_eq!(hours.count(24), 0);
        assert_eq!(hours.around(0), 3, "23 + 0");
        assert_eq!(hours.around(23), 3, "22 + 23 + 0");
        assert_eq!(hours.around(1), 2);
        assert_eq!(hours.around(10), 1);
        assert_eq!(hours.around(12), 0);
        assert_eq!(hours.around(24), 0);
    }

    #[test]
    fn login_hours_halve_instead_of_overflowing() {
        let mut hours = LoginHours::default();
        hours.record(3);
        for _ in 0..255 {
            hours.record(9);
        }
        assert_eq!((hours.count(9), hours.count(3)), (255, 1));
        hours.record(9);
        // 255 / 2 + 1 and 1 / 2: the odd 3 a.m. login has faded out.
        assert_eq!((hours.count(9), hours.count(3)), (128, 0));
    }

    #[test]
    fn login_hours_round_trip_as_bytes() {
        let mut hours = LoginHours::default();
        hours.record(7);
        hours.record(18);
        let stored = hours.as_bytes();
        assert_eq!(LoginHours::from_bytes(&stored), Ok(hours));
        for len in [0, 23, 25] {
            let error = LoginHours::from_bytes(&vec![0; len]).unwrap_err();
            assert_eq!((error.field, error.code), ("login_hours", "invalid_length"));
        }
    }
}
