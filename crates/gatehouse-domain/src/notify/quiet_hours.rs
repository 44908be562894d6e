//! Quiet hours: weekly windows (`quiet_hours`) plus the person's one daily window
//! (`notification_preferences.quiet_start/quiet_end`), each read in its own time zone, and
//! the instant a held message may go out. Change days follow [`super::local_time`].

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

use super::local_time::resolve_local;
use super::preferences::{validate_window_ends, GlobalPreferences};
use super::Priority;
use crate::FieldError;

/// One weekly quiet window. `start > end` crosses midnight: the rule for Friday 22:00-07:00
/// covers Friday 22:00 to Saturday 07:00 local time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuietHoursRule {
    /// The day the window starts on. Stored as 0..=6 with 0 = Monday (ISO 8601 order):
    /// see [`parse_day_of_week`] and [`day_of_week_number`].
    pub day_of_week: Weekday,
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub is_enabled: bool,
    /// `true`: critical messages pass this window; `false`: it holds everything.
    pub allow_critical_only: bool,
    pub timezone: Tz,
}

impl QuietHoursRule {
    /// Refuse a window that ends when it starts (empty or all day: ambiguous either way).
    pub fn validate(&self) -> Result<(), FieldError> {
        validate_window_ends(self.start, self.end, "end_time")
    }
}

/// Weekdays in stored order: index 0 = Monday .. 6 = Sunday.
pub const DAYS_OF_WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// `day_of_week` from the wire or the database: 0 = Monday .. 6 = Sunday.
pub fn parse_day_of_week(raw: i64) -> Result<Weekday, FieldError> {
    usize::try_from(raw)
        .ok()
        .and_then(|index| DAYS_OF_WEEK.get(index).copied())
        .ok_or_else(|| {
            FieldError::new(
                "day_of_week",
                "out_of_range",
                "Use 0 (Monday) to 6 (Sunday).",
            )
        })
}

/// The stored number of a weekday: 0 = Monday .. 6 = Sunday.
pub fn day_of_week_number(day: Weekday) -> u8 {
    match day {
        Weekday::Mon => 0,
        Weekday::Tue => 1,
        Weekday::Wed => 2,
        Weekday::Thu => 3,
        Weekday::Fri => 4,
        Weekday::Sat => 5,
        Weekday::Sun => 6,
    }
}

/// Bound on consecutive windows a message is carried across, so a person whose windows
/// leave no gap at all still gets it (after this many windows) rather than never.
const MAX_WINDOWS_CARRIED: usize = 32;

/// The first instant at or after `due` that lies in no quiet window holding a message of
/// `priority`: `due` itself when none holds it, otherwise the end of the window (or of the
/// windows that follow on back to back). Critical messages pass windows that allow them.
pub fn held_until(
    due: DateTime<Utc>,
    priority: Priority,
    rules: &[QuietHoursRule],
    global: &GlobalPreferences,
) -> DateTime<Utc> {
    let is_critical = priority == Priority::Critical;
    let mut at = due;
    for _ in 0..MAX_WINDOWS_CARRIED {
        let latest_end = windows_around(at, rules, global)
            .filter(|window| window.contains(at) && !(is_critical && window.lets_critical_through))
            .map(|window| window.end)
            .max();
        match latest_end {
            Some(end) => at = end,
            None => break,
        }
    }
    at
}

/// One occurrence of a quiet window, as instants: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    lets_critical_through: bool,
}

impl Window {
    /// The occurrence starting on local date `day` in `tz`.
    fn starting_on(
        day: NaiveDate,
        start: NaiveTime,
        end: NaiveTime,
        tz: Tz,
        lets_critical_through: bool,
    ) -> Self {
        let end_day = if end > start {
            day
        } else {
            day.succ_opt().unwrap_or(day)
        };
        Self {
            start: resolve_local(tz, day.and_time(start)),
            end: resolve_local(tz, end_day.and_time(end)),
            lets_critical_through,
        }
    }

    fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }
}

/// Every window occurrence that could contain `at`: a window is shorter than a day, so only
/// those starting on the local day of `at` or the day before, in each window's own zone.
fn windows_around<'a>(
    at: DateTime<Utc>,
    rules: &'a [QuietHoursRule],
    global: &'a GlobalPreferences,
) -> impl Iterator<Item = Window> + 'a {
    let weekly = rules
        .iter()
        .filter(|rule| rule.is_enabled)
        .flat_map(move |rule| {
            candidate_days(at, rule.timezone)
                .filter(|day| day.weekday() == rule.day_of_week)
                .map(|day| {
                    Window::starting_on(
                        day,
                        rule.start,
                        rule.end,
                        rule.timezone,
                        rule.allow_critical_only,
                    )
                })
        });
    // The global window has no flag of its own; it lets critical messages through, like a
    // rule with the table's default `allow_critical_only = true`.
    let daily = global
        .quiet_window()
        .into_iter()
        .flat_map(move |(start, end)| {
            candidate_days(at, global.timezone)
                .map(move |day| Window::starting_on(day, start, end, global.timezone, true))
        });
    weekly.chain(daily)
}

fn candidate_days(at: DateTime<Utc>, tz: Tz) -> impl Iterator<Item = NaiveDate> {
    let today = at.with_timezone(&tz).date_naive();
    today.pred_opt().into_iter().chain([today])
}

#[cfg(test)]
#[allow(clippy::expect_used)] // a failed expectation is the test failing
mod tests {
    use super::*;
    use chrono::NaiveDateTime;
    use chrono_tz::{America, Europe};

    fn utc(text: &str) -> DateTime<Utc> {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
            .expect("test datetime")
            .and_utc()
    }

    fn hm(text: &str) -> NaiveTime {
        NaiveTime::parse_from_str(text, "%H:%M").expect("test time")
    }

    fn rule(day: Weekday, start: &str, end: &str, tz: Tz) -> QuietHoursRule {
        QuietHoursRule {
            day_of_week: day,
            start: hm(start),
            end: hm(end),
            is_enabled: true,
            allow_critical_only: true,
            timezone: tz,
        }
    }

    const LOW: Priority = Priority::Low;
    const CRITICAL: Priority = Priority::Critical;

    /// (rules, priority, due, expected release, why), with no global window.
    fn check(cases: &[(Vec<QuietHoursRule>, Priority, &str, &str, &str)]) {
        let global = GlobalPreferences::default();
        for (rules, priority, due, expected, why) in cases {
            assert_eq!(
                held_until(utc(due), *priority, rules, &global),
                utc(expected),
                "{why}"
            );
        }
    }

    #[test]
    fn windows_across_midnight() {
        use Weekday::*;
        // 2026-05-01 is a Friday. Friday 22:00-07:00 UTC covers Fri 22:00 to Sat 07:00.
        let friday_night = || vec![rule(Fri, "22:00", "07:00", Tz::UTC)];
        check(&[
            (
                friday_night(),
                LOW,
                "2026-05-01 21:59",
                "2026-05-01 21:59",
                "before the window",
            ),
            (
                friday_night(),
                LOW,
                "2026-05-01 22:00",
                "2026-05-02 07:00",
                "at its start",
            ),
            (
                friday_night(),
                LOW,
                "2026-05-01 23:30",
                "2026-05-02 07:00",
                "Friday night",
            ),
            (
                friday_night(),
                LOW,
                "2026-05-02 03:00",
                "2026-05-02 07:00",
                "after midnight",
            ),
            (
                friday_night(),
                LOW,
                "2026-05-02 07:00",
                "2026-05-02 07:00",
                "the end is free",
            ),
            (
                friday_night(),
                LOW,
                "2026-05-02 23:00",
                "2026-05-02 23:00",
                "Saturday night",
            ),
            (
                friday_night(),
                LOW,
                "2026-05-08 23:00",
                "2026-05-09 07:00",
                "next Friday",
            ),
            // Within one day; and on Monday, whose previous day is Sunday.
            (
                vec![rule(Mon, "09:00", "12:00", Tz::UTC)],
                LOW,
                "2026-05-04 10:00",
                "2026-05-04 12:00",
                "a same-day window",
            ),
            (
                vec![rule(Sun, "20:00", "06:00", Tz::UTC)],
                LOW,
                "2026-05-04 05:00",
                "2026-05-04 06:00",
                "Sunday's window into Monday",
            ),
        ]);
    }

    #[test]
    fn the_same_instant_in_two_time_zones() {
        use Weekday::*;
        // 2026-05-01 05:30 UTC is Friday 07:30 in Berlin (CEST) and Friday 01:30 in New York
        // (EDT). A Thursday 22:00-08:00 window is still on in Berlin, and in New York too.
        let now = "2026-05-01 05:30";
        check(&[
            (
                vec![rule(Thu, "22:00", "08:00", Europe::Berlin)],
                LOW,
                now,
                "2026-05-01 06:00",
                "Berlin: until 08:00 CEST",
            ),
            (
                vec![rule(Thu, "22:00", "08:00", America::New_York)],
                LOW,
                now,
                "2026-05-01 12:00",
                "New York: until 08:00 EDT",
            ),
            // A Friday 00:00-06:00 window: over in Berlin (07:30), on in New York (01:30).
            (
                vec![rule(Fri, "00:00", "06:00", Europe::Berlin)],
                LOW,
                now,
                now,
                "Berlin: already over",
            ),
            (
                vec![rule(Fri, "00:00", "06:00", America::New_York)],
                LOW,
                now,
                "2026-05-01 10:00",
                "New York: until 06:00 EDT",
            ),
        ]);
    }

    #[test]
    fn dst_change_days_in_berlin() {
        use Weekday::*;
        // Saturday 22:00 to Sunday 02:30. On 2026-03-29 02:30 does not exist (02:00 CET ->
        // 03:00 CEST): the window ends at 03:00 CEST = 01:00 UTC. On 2026-10-25 02:30 occurs
        // twice: the earlier one counts, 02:30 CEST = 00:30 UTC.
        let saturday = || vec![rule(Sat, "22:00", "02:30", Europe::Berlin)];
        check(&[
            (
                saturday(),
                LOW,
                "2026-03-28 20:59",
                "2026-03-28 20:59",
                "21:59 CET, before",
            ),
            (
                saturday(),
                LOW,
                "2026-03-28 21:00",
                "2026-03-29 01:00",
                "22:00 CET, start",
            ),
            (
                saturday(),
                LOW,
                "2026-03-29 00:50",
                "2026-03-29 01:00",
                "01:50 CET",
            ),
            (
                saturday(),
                LOW,
                "2026-03-29 01:00",
                "2026-03-29 01:00",
                "03:00 CEST, over",
            ),
            (
                saturday(),
                LOW,
                "2026-10-24 20:00",
                "2026-10-25 00:30",
                "22:00 CEST, start",
            ),
            (
                saturday(),
                LOW,
                "2026-10-25 00:10",
                "2026-10-25 00:30",
                "02:10 CEST",
            ),
            (
                saturday(),
                LOW,
                "2026-10-25 00:30",
                "2026-10-25 00:30",
                "02:30 CEST, over",
            ),
            (
                saturday(),
                LOW,
                "2026-10-25 01:10",
                "2026-10-25 01:10",
                "02:10 CET, the repeated hour, after the earlier 02:30",
            ),
            // An ordinary Saturday for comparison: 02:30 CET = 01:30 UTC.
            (
                saturday(),
                LOW,
                "2026-02-01 00:10",
                "2026-02-01 01:30",
                "a winter Sunday",
            ),
        ]);
    }

    #[test]
    fn critical_messages_and_the_allow_critical_only_flag() {
        use Weekday::*;
        let mut strict = rule(Fri, "22:00", "07:00", Tz::UTC);
        strict.allow_critical_only = false;
        let mut disabled = rule(Fri, "22:00", "07:00", Tz::UTC);
        disabled.is_enabled = false;
        let at = "2026-05-01 23:00";
        check(&[
            (
                vec![rule(Fri, "22:00", "07:00", Tz::UTC)],
                CRITICAL,
                at,
                at,
                "critical passes",
            ),
            (
                vec![rule(Fri, "22:00", "07:00", Tz::UTC)],
                Priority::High,
                at,
                "2026-05-02 07:00",
                "high is held",
            ),
            (
                vec![strict.clone()],
                CRITICAL,
                at,
                "2026-05-02 07:00",
                "strict window holds all",
            ),
            (vec![disabled], LOW, at, at, "a disabled rule holds nothing"),
            // Allowing and strict windows overlap: the strict one still holds critical ones.
            (
                vec![rule(Fri, "21:00", "09:00", Tz::UTC), strict],
                CRITICAL,
                at,
                "2026-05-02 07:00",
                "strict overlap",
            ),
        ]);
    }

    #[test]
    fn back_to_back_windows_and_the_global_window() {
        use Weekday::*;
        // Friday 22:00-07:00 then Saturday 06:00-10:00: carried across both.
        check(&[(
            vec![
                rule(Fri, "22:00", "07:00", Tz::UTC),
                rule(Sat, "06:00", "10:00", Tz::UTC),
            ],
            LOW,
            "2026-05-01 23:00",
            "2026-05-02 10:00",
            "two windows back to back",
        )]);
        // The global window: every day, in the person's zone, lets critical ones through.
        let global = GlobalPreferences {
            quiet_hours_enabled: true,
            quiet_start: Some(hm("23:00")),
            quiet_end: Some(hm("06:30")),
            timezone: America::New_York,
            ..GlobalPreferences::default()
        };
        // 2026-05-06 04:00 UTC is Wednesday 00:00 EDT; the window ends 06:30 EDT = 10:30 UTC.
        let due = utc("2026-05-06 04:00");
        assert_eq!(held_until(due, LOW, &[], &global), utc("2026-05-06 10:30"));
        assert_eq!(held_until(due, CRITICAL, &[], &global), due);
        let switched_off = GlobalPreferences {
            quiet_hours_enabled: false,
            ..global
        };
        assert_eq!(held_until(due, LOW, &[], &switched_off), due);
    }

    #[test]
    fn windows_without_a_gap_still_release_the_message() {
        // Two windows covering the whole day, every day: the message is carried across at
        // most MAX_WINDOWS_CARRIED windows instead of forever.
        let rules: Vec<_> = DAYS_OF_WEEK
            .into_iter()
            .flat_map(|day| {
                [
                    rule(day, "00:00", "12:00", Tz::UTC),
                    rule(day, "12:00", "00:00", Tz::UTC),
                ]
            })
            .collect();
        let due = utc("2026-05-01 03:00");
        let released = held_until(due, LOW, &rules, &GlobalPreferences::default());
        assert_eq!(
            released,
            utc("2026-05-01 12:00") + chrono::Duration::hours(12 * 31)
        );
    }

    #[test]
    fn rule_validation_and_day_numbers() {
        let mut empty = rule(Weekday::Mon, "07:00", "07:00", Tz::UTC);
        assert_eq!(
            empty.validate().map_err(|e| (e.field, e.code)),
            Err(("end_time", "empty_window"))
        );
        empty.end = hm("07:01");
        assert_eq!(empty.validate(), Ok(()));
        assert_eq!(parse_day_of_week(0), Ok(Weekday::Mon));
        assert_eq!(parse_day_of_week(6), Ok(Weekday::Sun));
        for raw in [-1, 7, i64::MAX] {
            assert_eq!(
                parse_day_of_week(raw).map_err(|e| e.field),
                Err("day_of_week")
            );
        }
        for (number, day) in DAYS_OF_WEEK.into_iter().enumerate() {
            assert_eq!(usize::from(day_of_week_number(day)), number);
            assert_eq!(
                parse_day_of_week(i64::from(day_of_week_number(day))),
                Ok(day)
            );
        }
    }
}
