//! When a message goes: delay, quiet hours (two zones, change days, priority) and digests.

use super::*;

#[test]
fn quiet_hours_delay_and_priority() {
    let friday_night = |c: &mut Case, critical_ok: bool| {
        c.now = at("2026-05-01 23:00");
        c.quiet(Weekday::Fri, "22:00", "07:00", Tz::UTC, critical_ok);
    };
    let (late, morning) = (deliver("2026-05-01 23:00"), deliver("2026-05-02 07:00"));
    run(vec![
        (
            "a non-critical alert is held to the window's end",
            with(LoginNewDevice, |c| friday_night(c, true)),
            [morning, morning, late, OFF],
        ),
        (
            "critical passes a window that allows it",
            with(SuspiciousActivity, |c| friday_night(c, true)),
            [late, late, late, OFF],
        ),
        (
            "critical is held by a window that does not",
            with(SuspiciousActivity, |c| friday_night(c, false)),
            [morning, morning, late, OFF],
        ),
        (
            "the person raised this type to critical",
            with(MfaEnabled, |c| {
                friday_night(c, true);
                c.preference().priority = Priority::Critical;
            }),
            [late, late, late, OFF],
        ),
        (
            "respect_quiet_hours = false ignores the window",
            with(LoginNewDevice, |c| {
                friday_night(c, false);
                c.preference().respect_quiet_hours = false;
            }),
            [late, late, late, OFF],
        ),
        (
            "a delay",
            with(LoginNewDevice, |c| c.preference().delay_minutes = 15),
            [
                deliver("2026-05-01 12:15"),
                deliver("2026-05-01 12:15"),
                deliver("2026-05-01 12:15"),
                OFF,
            ],
        ),
        (
            "a delay that ends inside the window waits for its end",
            with(LoginNewDevice, |c| {
                friday_night(c, true);
                c.now = at("2026-05-01 21:45");
                c.preference().delay_minutes = 30;
            }),
            [morning, morning, deliver("2026-05-01 22:15"), OFF],
        ),
        (
            "the global window, in the person's zone",
            with(LoginNewDevice, |c| {
                // 23:00 UTC Friday is 19:00 in New York (EDT): inside 18:00-08:00 EDT.
                c.now = at("2026-05-01 23:00");
                c.global.timezone = America::New_York;
                c.global.quiet_hours_enabled = true;
                c.global.quiet_start = Some(hm("18:00"));
                c.global.quiet_end = Some(hm("08:00"));
            }),
            [
                deliver("2026-05-02 12:00"),
                deliver("2026-05-02 12:00"),
                late,
                OFF,
            ],
        ),
    ]);
}

#[test]
fn quiet_hours_in_two_zones_and_on_change_days() {
    // The same instant, 2026-05-01 05:30 UTC: 07:30 in Berlin, 01:30 in New York.
    let early = "2026-05-01 05:30";
    let thursday_night = |tz: Tz| {
        with(LoginNewDevice, move |c| {
            c.now = at(early);
            c.quiet(Weekday::Thu, "22:00", "08:00", tz, true);
        })
    };
    let sunday_morning = |now: &str| {
        with(BackupCodesGenerated, |c| {
            c.now = at(now);
            c.quiet(Weekday::Sat, "22:00", "02:30", Europe::Berlin, true);
        })
    };
    let held = |until: &str, now: &str| [deliver(until), deliver(until), deliver(now), OFF];
    run(vec![
        (
            "Berlin: held to 08:00 CEST",
            thursday_night(Europe::Berlin),
            held("2026-05-01 06:00", early),
        ),
        (
            "New York: held to 08:00 EDT",
            thursday_night(America::New_York),
            held("2026-05-01 12:00", early),
        ),
        // 2026-03-29: 02:30 does not exist in Berlin; the window ends at 03:00 CEST.
        (
            "spring forward, 01:50 CET",
            sunday_morning("2026-03-29 00:50"),
            held("2026-03-29 01:00", "2026-03-29 00:50"),
        ),
        // 2026-10-25: 02:30 happens twice; the window ends at the first, 00:30 UTC.
        (
            "fall back, 02:10 CEST",
            sunday_morning("2026-10-25 00:10"),
            held("2026-10-25 00:30", "2026-10-25 00:10"),
        ),
        (
            "fall back, 02:10 CET (the repeated hour)",
            sunday_morning("2026-10-25 01:10"),
            held("2026-10-25 01:10", "2026-10-25 01:10"),
        ),
    ]);
}

#[test]
fn digests_gather_non_critical_alerts() {
    let now = deliver(NOON);
    let daily_in = |kind: NotificationType, tz: Tz| {
        with(kind, move |c| {
            c.now = at("2026-05-01 22:30");
            c.global.digest_frequency = DigestFrequency::Daily;
            c.global.timezone = tz;
        })
    };
    run(vec![
        (
            "hourly: email and SMS wait for the hour, in-app does not",
            with(MfaEnabled, |c| {
                c.now = at("2026-05-01 12:20");
                c.global.digest_frequency = DigestFrequency::Hourly;
            }),
            [
                digest("2026-05-01 13:00"),
                digest("2026-05-01 13:00"),
                deliver("2026-05-01 12:20"),
                OFF,
            ],
        ),
        // 22:30 UTC is 00:30 on 2 May in Berlin and 18:30 on 1 May in New York.
        (
            "daily, Berlin: next local midnight",
            daily_in(LoginNewDevice, Europe::Berlin),
            [
                digest("2026-05-02 22:00"),
                digest("2026-05-02 22:00"),
                deliver("2026-05-01 22:30"),
                OFF,
            ],
        ),
        (
            "daily, New York: next local midnight",
            daily_in(LoginNewDevice, America::New_York),
            [
                digest("2026-05-02 04:00"),
                digest("2026-05-02 04:00"),
                deliver("2026-05-01 22:30"),
                OFF,
            ],
        ),
        (
            "critical alerts are not gathered",
            daily_in(AccountLocked, Tz::UTC),
            [
                deliver("2026-05-01 22:30"),
                deliver("2026-05-01 22:30"),
                deliver("2026-05-01 22:30"),
                OFF,
            ],
        ),
        (
            "the digest itself is not gathered",
            daily_in(SecurityDigest, Tz::UTC),
            [
                deliver("2026-05-01 22:30"),
                deliver("2026-05-01 22:30"),
                deliver("2026-05-01 22:30"),
                OFF,
            ],
        ),
        (
            "real-time is the default",
            Case::of(MfaEnabled),
            [now, now, now, OFF],
        ),
    ]);
}
