//! Wall-clock times in a person's time zone turned into instants, the one place where
//! daylight-saving changes are handled. Quiet windows, digest windows and "today" for
//! daily caps all go through [`resolve_local`].
//!
//! Choices on change days (documented here once, relied on everywhere):
//! - a local time that does not exist (skipped by a spring-forward change, e.g. 02:30 in
//!   Europe/Berlin on 2026-03-29) becomes the first instant after it that the clock shows,
//!   which is the change itself (03:00 CEST = 01:00 UTC);
//! - a local time that occurs twice (repeated by a fall-back change, e.g. 02:30 in
//!   Europe/Berlin on 2026-10-25) becomes the earlier of the two (02:30 CEST = 00:30 UTC),
//!   so a quiet window ending then lasts as long as on any other day.

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// UTC offsets in use lie within -12 h and +14 h, so the instant a local time names lies
/// within this distance of the same digits read as UTC.
const MAX_OFFSET_SEARCH: Duration = Duration::hours(26);

/// The instant at which `tz`'s clocks show `local` (see the module doc for change days).
pub fn resolve_local(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) => at.with_timezone(&Utc),
        LocalResult::Ambiguous(first, second) => first.min(second).with_timezone(&Utc),
        LocalResult::None => first_instant_showing_at_least(tz, local),
    }
}

/// The first whole-second instant at which the local clock reads `local` or later: for a
/// time inside a spring-forward gap, the moment the clock jumps over it. Found by bisection
/// because chrono-tz does not expose its transition table.
fn first_instant_showing_at_least(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let as_utc = local.and_utc();
    // Invariant: the clock reads less than `local` at `below` and at least `local` at `above`.
    let mut below = (as_utc - MAX_OFFSET_SEARCH).timestamp();
    let mut above = (as_utc + MAX_OFFSET_SEARCH).timestamp();
    while above - below > 1 {
        let middle = below + (above - below) / 2;
        let shows = DateTime::from_timestamp(middle, 0)
            .map(|at| at.with_timezone(&tz).naive_local())
            .unwrap_or(local);
        if shows >= local {
            above = middle;
        } else {
            below = middle;
        }
    }
    DateTime::from_timestamp(above, 0).unwrap_or(as_utc)
}

/// When the person's current local day began ("today" for per-day caps): local midnight,
/// or the first instant of the day where a change skips midnight itself.
pub fn local_day_start(now: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let today = now.with_timezone(&tz).date_naive();
    resolve_local(tz, today.and_time(NaiveTime::MIN))
}

/// The next local midnight after `now` (the end of the person's local day).
pub fn next_local_midnight(now: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let today = now.with_timezone(&tz).date_naive();
    let tomorrow = today.succ_opt().unwrap_or(today);
    resolve_local(tz, tomorrow.and_time(NaiveTime::MIN))
}

/// The next instant after `now` at which the person's clock shows a full hour, counted in
/// elapsed time from the start of the current local hour. Offsets change by whole hours
/// nearly everywhere, so this lands on a local full hour on change days too (Lord Howe
/// Island's half-hour change is the exception, where it lands on a half hour).
pub fn next_local_hour(now: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let local = now.with_timezone(&tz);
    let into_hour = Duration::seconds(i64::from(local.minute() * 60 + local.second()))
        + Duration::nanoseconds(i64::from(local.nanosecond()));
    now - into_hour + Duration::hours(1)
}

#[cfg(test)]
#[allow(clippy::expect_used)] // a failed expectation is the test failing
mod tests {
    use super::*;
    use chrono_tz::{America, Europe, Pacific};

    fn local(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").expect("test datetime")
    }

    fn utc(text: &str) -> DateTime<Utc> {
        local(text).and_utc()
    }

    #[test]
    fn resolves_ordinary_gap_and_repeated_times() {
        let cases = [
            // (zone, local time, expected UTC instant, why)
            (
                Europe::Berlin,
                "2026-01-15 09:00:00",
                "2026-01-15 08:00:00",
                "winter, CET",
            ),
            (
                Europe::Berlin,
                "2026-07-15 09:00:00",
                "2026-07-15 07:00:00",
                "summer, CEST",
            ),
            (
                Europe::Berlin,
                "2026-03-29 02:30:00",
                "2026-03-29 01:00:00",
                "gap -> 03:00 CEST",
            ),
            (
                Europe::Berlin,
                "2026-03-29 02:00:00",
                "2026-03-29 01:00:00",
                "gap start",
            ),
            (
                Europe::Berlin,
                "2026-03-29 03:00:00",
                "2026-03-29 01:00:00",
                "gap end exists",
            ),
            (
                Europe::Berlin,
                "2026-10-25 02:30:00",
                "2026-10-25 00:30:00",
                "repeated -> CEST",
            ),
            (
                America::New_York,
                "2026-03-08 02:30:00",
                "2026-03-08 07:00:00",
                "gap -> 03:00 EDT",
            ),
            (
                America::New_York,
                "2026-11-01 01:30:00",
                "2026-11-01 05:30:00",
                "repeated -> EDT",
            ),
            // Samoa skipped the whole of 2011-12-30 going from UTC-10 to UTC+14.
            (
                Pacific::Apia,
                "2011-12-30 12:00:00",
                "2011-12-30 10:00:00",
                "skipped day",
            ),
        ];
        for (tz, at, expected, why) in cases {
            assert_eq!(
                resolve_local(tz, local(at)),
                utc(expected),
                "{tz} {at}: {why}"
            );
        }
    }

    #[test]
    fn day_start_and_next_midnight_in_the_persons_zone() {
        // 23:30 UTC on 14 March is already 15 March in Berlin but still 14 March in New York.
        let now = utc("2026-03-14 23:30:00");
        assert_eq!(
            local_day_start(now, Europe::Berlin),
            utc("2026-03-14 23:00:00")
        );
        assert_eq!(
            next_local_midnight(now, Europe::Berlin),
            utc("2026-03-15 23:00:00")
        );
        assert_eq!(
            local_day_start(now, America::New_York),
            utc("2026-03-14 04:00:00")
        );
        assert_eq!(
            next_local_midnight(now, America::New_York),
            utc("2026-03-15 04:00:00")
        );
        // Sao Paulo skipped midnight itself on 2018-11-04 (00:00 -> 01:00): the day began at
        // the change, 01:00 local = 03:00 UTC.
        let sao_paulo = chrono_tz::America::Sao_Paulo;
        let morning = utc("2018-11-04 12:00:00");
        assert_eq!(
            local_day_start(morning, sao_paulo),
            utc("2018-11-04 03:00:00")
        );
        assert_eq!(
            next_local_midnight(utc("2018-11-03 12:00:00"), sao_paulo),
            utc("2018-11-04 03:00:00")
        );
    }

    #[test]
    fn next_local_hour_lands_on_the_local_full_hour() {
        let cases = [
            (chrono_tz::UTC, "2026-05-01 10:20:00", "2026-05-01 11:00:00"),
            (chrono_tz::UTC, "2026-05-01 10:00:00", "2026-05-01 11:00:00"),
            // India is UTC+05:30: its full hours fall at half past in UTC.
            (
                chrono_tz::Asia::Kolkata,
                "2026-05-01 10:20:00",
                "2026-05-01 10:30:00",
            ),
            // Berlin spring-forward: 01:30 CET (00:30 UTC) -> 03:00 CEST (01:00 UTC).
            (Europe::Berlin, "2026-03-29 00:30:00", "2026-03-29 01:00:00"),
            // Berlin fall-back: 02:30 CEST (00:30 UTC) -> 02:00 CET (01:00 UTC).
            (Europe::Berlin, "2026-10-25 00:30:00", "2026-10-25 01:00:00"),
        ];
        for (tz, now, expected) in cases {
            let next = next_local_hour(utc(now), tz);
            assert_eq!(next, utc(expected), "{tz} at {now}");
            assert_eq!(next.with_timezone(&tz).format("%M:%S").to_string(), "00:00");
        }
    }
}
