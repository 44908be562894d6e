//! A person's notification preferences: the global switches (`notification_preferences`)
//! and the per-type settings (`notification_type_preferences`), with the seed's defaults
//! and the range checks the HTTP edge answers 422 with, naming the field.

use chrono::NaiveTime;
use chrono_tz::Tz;

use super::{Channel, ConsentType, DigestFrequency, NotificationType, Priority};
use crate::FieldError;

/// Global switches, one row per person. `quiet_start`/`quiet_end` form one daily quiet
/// window in `timezone` (the person's profile time zone); it lets critical messages through,
/// like a quiet-hours rule with `allow_critical_only` (the table's default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalPreferences {
    /// One-time codes by email (applies only when another channel could carry the code).
    pub email_otp: bool,
    /// Security alerts and digests by email.
    pub email_alerts: bool,
    /// Marketing by email (consent is needed as well).
    pub email_marketing: bool,
    /// One-time codes by SMS (applies only when another channel could carry the code).
    pub sms_otp: bool,
    /// Security alerts and digests by SMS.
    pub sms_alerts: bool,
    /// Anything by push.
    pub push_enabled: bool,
    pub quiet_hours_enabled: bool,
    pub quiet_start: Option<NaiveTime>,
    pub quiet_end: Option<NaiveTime>,
    pub digest_frequency: DigestFrequency,
    /// The person's time zone: the global quiet window and digest windows are read in it.
    pub timezone: Tz,
}

impl Default for GlobalPreferences {
    /// The seed's defaults: codes and alerts on, marketing and push off, no quiet window,
    /// real-time delivery, UTC.
    fn default() -> Self {
        Self {
            email_otp: true,
            email_alerts: true,
            email_marketing: false,
            sms_otp: true,
            sms_alerts: true,
            push_enabled: false,
            quiet_hours_enabled: false,
            quiet_start: None,
            quiet_end: None,
            digest_frequency: DigestFrequency::RealTime,
            timezone: Tz::UTC,
        }
    }
}

impl GlobalPreferences {
    /// The global quiet window when it is switched on and complete.
    pub fn quiet_window(&self) -> Option<(NaiveTime, NaiveTime)> {
        match (self.quiet_hours_enabled, self.quiet_start, self.quiet_end) {
            (true, Some(start), Some(end)) => Some((start, end)),
            _ => None,
        }
    }

    /// Refuse a quiet window switched on without both ends, one end without the other,
    /// and a window that starts when it ends (empty or the whole day: ambiguous either way).
    pub fn validate(&self) -> Result<(), FieldError> {
        match (self.quiet_start, self.quiet_end) {
            (Some(start), Some(end)) => validate_window_ends(start, end, "quiet_end"),
            (None, None) if !self.quiet_hours_enabled => Ok(()),
            (None, _) => Err(FieldError::new(
                "quiet_start",
                "required",
                "Set when quiet hours start.",
            )),
            (_, None) => Err(FieldError::new(
                "quiet_end",
                "required",
                "Set when quiet hours end.",
            )),
        }
    }
}

/// Refuse `start == end` for a quiet window; `field` names the end on the wire.
pub(crate) fn validate_window_ends(
    start: NaiveTime,
    end: NaiveTime,
    field: &'static str,
) -> Result<(), FieldError> {
    if start == end {
        return Err(FieldError::new(
            field,
            "empty_window",
            "Quiet hours must end at a different time than they start.",
        ));
    }
    Ok(())
}

/// Longest delay a person may put on a type: one day.
pub const MAX_DELAY_MINUTES: u32 = 1440;
/// Bounds of the per-type daily cap.
pub const MIN_PER_DAY: u32 = 1;
pub const MAX_PER_DAY: u32 = 1000;
/// The table's default daily cap.
pub const DEFAULT_MAX_PER_DAY: u32 = 100;

/// Settings for one notification type. Transactional types (codes, links) ignore them: the
/// person asked for that message just now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypePreference {
    pub email_enabled: bool,
    pub sms_enabled: bool,
    pub in_app_enabled: bool,
    pub push_enabled: bool,
    pub priority: Priority,
    /// `false`: sent during quiet hours too.
    pub respect_quiet_hours: bool,
    /// Held this long before sending, 0..=1440.
    pub delay_minutes: u32,
    /// At most this many of the type per channel per local day, 1..=1000.
    pub max_per_day: u32,
}

impl TypePreference {
    /// The table's defaults, with the type's own priority.
    pub fn default_for(notification_type: NotificationType) -> Self {
        Self {
            email_enabled: true,
            sms_enabled: true,
            in_app_enabled: true,
            push_enabled: true,
            priority: notification_type.default_priority(),
            respect_quiet_hours: true,
            delay_minutes: 0,
            max_per_day: DEFAULT_MAX_PER_DAY,
        }
    }

    /// The per-type switch for `channel`.
    pub fn is_enabled(&self, channel: Channel) -> bool {
        match channel {
            Channel::Email => self.email_enabled,
            Channel::Sms => self.sms_enabled,
            Channel::InApp => self.in_app_enabled,
            Channel::Push => self.push_enabled,
        }
    }

    /// Check the ranges of a value built in code (values from the wire go through
    /// [`parse_delay_minutes`] and [`parse_max_per_day`]).
    pub fn validate(&self) -> Result<(), FieldError> {
        parse_delay_minutes(i64::from(self.delay_minutes))?;
        parse_max_per_day(i64::from(self.max_per_day))?;
        Ok(())
    }
}

/// `delay_minutes` from the wire: 0..=1440.
pub fn parse_delay_minutes(raw: i64) -> Result<u32, FieldError> {
    in_range(raw, 0, MAX_DELAY_MINUTES, "delay_minutes")
}

/// `max_per_day` from the wire: 1..=1000.
pub fn parse_max_per_day(raw: i64) -> Result<u32, FieldError> {
    in_range(raw, MIN_PER_DAY, MAX_PER_DAY, "max_per_day")
}

fn in_range(raw: i64, min: u32, max: u32, field: &'static str) -> Result<u32, FieldError> {
    u32::try_from(raw)
        .ok()
        .filter(|value| (min..=max).contains(value))
        .ok_or_else(|| {
            FieldError::new(
                field,
                "out_of_range",
                format!("Must be between {min} and {max}."),
            )
        })
}

/// Whether `wanted` is granted in the person's current consent states (one per type, as
/// `notification_consents` keeps them). A type with no state was never granted.
pub fn has_consent(states: &[(ConsentType, bool)], wanted: ConsentType) -> bool {
    states
        .iter()
        .rev()
        .find(|(consent_type, _)| *consent_type == wanted)
        .is_some_and(|(_, granted)| *granted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(hour: u32, minute: u32) -> Option<NaiveTime> {
        NaiveTime::from_hms_opt(hour, minute, 0)
    }

    #[test]
    fn defaults_are_the_seeds() {
        let global = GlobalPreferences::default();
        assert!(global.email_otp && global.email_alerts && global.sms_otp && global.sms_alerts);
        assert!(!global.email_marketing && !global.push_enabled && !global.quiet_hours_enabled);
        assert_eq!(global.digest_frequency, DigestFrequency::RealTime);
        assert_eq!(global.timezone, Tz::UTC);
        assert_eq!(global.quiet_window(), None);
        assert_eq!(global.validate(), Ok(()));

        let otp = TypePreference::default_for(NotificationType::OtpCode);
        assert_eq!(otp.priority, Priority::Critical);
        let digest = TypePreference::default_for(NotificationType::SecurityDigest);
        assert_eq!(digest.priority, Priority::Low);
        assert!(Channel::ALL.iter().all(|&c| digest.is_enabled(c)));
        assert_eq!((digest.delay_minutes, digest.max_per_day), (0, 100));
        assert!(digest.respect_quiet_hours);
        assert_eq!(digest.validate(), Ok(()));
    }

    #[test]
    fn per_type_ranges_name_their_field() {
        let cases: [(i64, Option<u32>); 5] = [
            (0, Some(0)),
            (1440, Some(1440)),
            (1441, None),
            (-1, None),
            (i64::MAX, None),
        ];
        for (raw, expected) in cases {
            match (parse_delay_minutes(raw), expected) {
                (Ok(value), Some(want)) => assert_eq!(value, want),
                (Err(err), None) => {
                    assert_eq!((err.field, err.code), ("delay_minutes", "out_of_range"))
                }
                (got, want) => panic!("delay {raw}: got {got:?}, want {want:?}"),
            }
        }
        let cases: [(i64, Option<u32>); 5] = [
            (1, Some(1)),
            (1000, Some(1000)),
            (0, None),
            (1001, None),
            (-5, None),
        ];
        for (raw, expected) in cases {
            match (parse_max_per_day(raw), expected) {
                (Ok(value), Some(want)) => assert_eq!(value, want),
                (Err(err), None) => {
                    assert_eq!((err.field, err.code), ("max_per_day", "out_of_range"))
                }
                (got, want) => panic!("cap {raw}: got {got:?}, want {want:?}"),
            }
        }
        let mut pref = TypePreference::default_for(NotificationType::LoginNewDevice);
        pref.max_per_day = 0;
        assert_eq!(pref.validate().map_err(|e| e.field), Err("max_per_day"));
    }

    #[test]
    fn global_quiet_window_validation() {
        let cases = [
            // (enabled, start, end, expected error field and code)
            (true, time(22, 0), time(7, 0), None),
            (false, time(22, 0), time(7, 0), None),
            (false, None, None, None),
            (true, None, None, Some(("quiet_start", "required"))),
            (true, time(22, 0), None, Some(("quiet_end", "required"))),
            (false, None, time(7, 0), Some(("quiet_start", "required"))),
            (
                true,
                time(7, 0),
                time(7, 0),
                Some(("quiet_end", "empty_window")),
            ),
        ];
        for (enabled, start, end, expected) in cases {
            let prefs = GlobalPreferences {
                quiet_hours_enabled: enabled,
                quiet_start: start,
                quiet_end: end,
                ..GlobalPreferences::default()
            };
            let got = prefs.validate().err().map(|e| (e.field, e.code));
            assert_eq!(got, expected, "{enabled} {start:?}-{end:?}");
        }
    }

    #[test]
    fn consent_missing_means_not_given() {
        use ConsentType::*;
        assert!(!has_consent(&[], Marketing));
        assert!(!has_consent(&[(Analytics, true)], Marketing));
        assert!(!has_consent(&[(Marketing, false)], Marketing));
        assert!(has_consent(
            &[(Analytics, false), (Marketing, true)],
            Marketing
        ));
    }
}
