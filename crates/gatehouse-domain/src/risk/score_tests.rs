//! Table tests for the scorer: each signal alone, combinations, saturation, the level
//! bands, impossible-travel edges, and "one more signal never lowers the score" over every
//! combination of signals.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::AnomalyReason::{self, *};
use super::RiskLevel::{self, *};
use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap()
}

fn point(latitude: f64, longitude: f64) -> GeoPoint {
    GeoPoint::new(latitude, longitude).unwrap()
}

/// The MaxMind test database's London, Boxford and Milton (testdata/geoip/README.md).
fn london() -> GeoPoint {
    point(51.5142, -0.0931)
}
fn boxford() -> GeoPoint {
    point(51.75, -1.25)
}
fn milton() -> GeoPoint {
    point(47.2513, -122.3149)
}

/// A login that raises nothing but has every input filled in: a known device, London an
/// hour after a London login, at 9 a.m. for someone with 20 logins at 9 a.m.
fn ordinary() -> LoginSignals {
    let mut usual_hours = LoginHours::default();
    for _ in 0..20 {
        usual_hours.record(9);
    }
    LoginSignals {
        country: Some("GB".to_owned()),
        previous: Some(Sighting {
            at: now() - Duration::hours(1),
            location: Some(london()),
        }),
        current: Sighting {
            at: now(),
            location: Some(london()),
        },
        local_hour: Some(9),
        usual_hours,
        ..LoginSignals::quiet(now())
    }
}

/// Change `signals` so that `reason` is raised.
fn raise(signals: &mut LoginSignals, reason: AnomalyReason) {
    match reason {
        NewDevice => signals.is_new_device = true,
        NewCountry => {
            signals.country = Some("US".to_owned());
            signals.is_new_country = true;
        }
        ImpossibleTravel => signals.current.location = Some(milton()),
        FailedAttemptsBurst => signals.recent_failed_attempts = 5,
        DeviceCompromised => signals.is_device_compromised = true,
        IpChangedInSession => signals.is_ip_changed_in_session = true,
        UnusualHour => signals.local_hour = Some(3),
    }
}

fn with(reasons: &[AnomalyReason]) -> LoginSignals {
    let mut signals = ordinary();
    for &reason in reasons {
        raise(&mut signals, reason);
    }
    signals
}

fn policy() -> RiskPolicy {
    RiskPolicy::default()
}

#[test]
fn an_ordinary_login_raises_nothing() {
    for signals in [ordinary(), LoginSignals::quiet(now())] {
        let assessment = assess(&signals, &policy());
        assert_eq!((assessment.score, assessment.level), (0, Low));
        assert!(!assessment.is_anomalous());
    }
}

#[test]
fn each_signal_alone() {
    // (signal, score, level) with the default weights.
    let table = [
        (NewDevice, 20, Low),
        (NewCountry, 20, Low),
        (ImpossibleTravel, 50, High),
        (FailedAttemptsBurst, 30, Medium),
        (DeviceCompromised, 100, Critical),
        (IpChangedInSession, 15, Low),
        (UnusualHour, 10, Low),
    ];
    assert_eq!(table.len(), AnomalyReason::ALL.len(), "every signal");
    for (reason, score, level) in table {
        let assessment = assess(&with(&[reason]), &policy());
        assert_eq!(assessment.reasons, [reason], "{reason}");
        assert_eq!(
            (assessment.score, assessment.level),
            (score, level),
            "{reason}"
        );
        assert!(assessment.is_anomalous());
    }
}

#[test]
fn combinations() {
    let table: [(&[AnomalyReason], u8, RiskLevel); 9] = [
        (&[NewDevice, NewCountry], 40, Medium),
        (&[NewDevice, IpChangedInSession], 35, Medium),
        (&[NewDevice, NewCountry, UnusualHour], 50, High),
        (&[ImpossibleTravel, NewCountry], 70, High),
        (&[ImpossibleTravel, NewDevice], 70, High),
        (&[NewDevice, NewCountry, FailedAttemptsBurst], 70, High),
        (&[ImpossibleTravel, FailedAttemptsBurst], 80, Critical),
        (&[ImpossibleTravel, NewCountry, NewDevice], 90, Critical),
        (&[UnusualHour, IpChangedInSession], 25, Medium),
    ];
    for (reasons, score, level) in table {
        let assessment = assess(&with(reasons), &policy());
        assert_eq!(
            (assessment.score, assessment.level),
            (score, level),
            "{reasons:?}"
        );
        let mut expected = reasons.to_vec();
        expected.sort_by_key(|r| AnomalyReason::ALL.iter().position(|a| a == r));
        assert_eq!(assessment.reasons, expected, "reasons in declaration order");
    }
}

#[test]
fn saturates_at_100() {
    let all = assess(&with(AnomalyReason::ALL), &policy());
    assert_eq!((all.score, all.level), (100, Critical));
    assert_eq!(all.reasons, AnomalyReason::ALL);

    let mut heavy = policy();
    heavy.weights = RiskWeights {
        new_device: u8::MAX,
        new_country: u8::MAX,
        impossible_travel: u8::MAX,
        failed_attempts_burst: u8::MAX,
        device_compromised: u8::MAX,
        ip_changed_in_session: u8::MAX,
        unusual_hour: u8::MAX,
    };
    assert_eq!(assess(&with(&[NewDevice]), &heavy).score, 100);
    assert_eq!(assess(&with(AnomalyReason::ALL), &heavy).score, 100);
}

#[test]
fn a_compromised_device_is_always_critical() {
    let mut lenient = policy();
    lenient.weights.device_compromised = 0;
    for policy in [policy(), lenient] {
        for others in [&[][..], &[NewDevice], &[UnusualHour, IpChangedInSession]] {
            let mut signals = with(others);
            raise(&mut signals, DeviceCompromised);
            let assessment = assess(&signals, &policy);
            assert_eq!(assessment.level, Critical, "{others:?} {policy:?}");
            assert!(assessment.score >= 75);
            assert!(assessment.reasons.contains(&DeviceCompromised));
        }
    }
}

#[test]
fn level_bands_follow_the_score() {
    // One configurable signal walks the score through every value.
    for weight in 0..=u8::MAX {
        let mut policy = policy();
        policy.weights.new_device = weight;
        let assessment = assess(&with(&[NewDevice]), &policy);
        assert_eq!(assessment.score, weight.min(100));
        let expected = match weight {
            0..=24 => Low,
            25..=49 => Medium,
            50..=74 => High,
            _ => Critical,
        };
        assert_eq!(assessment.level, expected, "weight {weight}");
    }
}

#[test]
fn impossible_travel_edges() {
    let policy = policy();
    let secs = Duration::seconds;
    // (distance km, elapsed, impossible)
    let table = [
        (0.0, secs(0), false),
        (10.0, secs(0), false),
        (50.0, secs(0), false), // at the tolerance: GeoIP noise
        (50.1, secs(0), true),  // beyond it with no time between: impossible
        (7700.0, secs(0), true),
        (900.0, secs(3600), false), // exactly 900 km/h is possible
        (900.001, secs(3600), true),
        (900.0, secs(3599), true),
        (450.0, secs(1800), false),
        (60.0, secs(240), false), // 900 km/h exactly
        (60.0, secs(239), true),
        (7700.0, secs(-3600), true), // order of the two logins does not matter
        (7700.0, Duration::days(1), false),
        (20015.1, Duration::days(365 * 100), false),
        (f64::NAN, secs(0), false),
        (f64::INFINITY, secs(3600), true),
    ];
    for (distance, elapsed, impossible) in table {
        assert_eq!(
            is_speed_impossible(distance, elapsed, &policy),
            impossible,
            "{distance} km in {elapsed}"
        );
    }
}

#[test]
fn impossible_travel_from_sightings() {
    let policy = policy();
    let at = |minutes: i64, location: Option<GeoPoint>| Sighting {
        at: now() + Duration::minutes(minutes),
        location,
    };
    // (previous, current, impossible)
    let table = [
        (at(0, Some(london())), at(60, Some(milton())), true), // 7732 km in 1 h
        (at(0, Some(london())), at(600, Some(milton())), false), // 773 km/h
        (at(0, Some(london())), at(5, Some(boxford())), true), // 84 km in 5 min
        (at(0, Some(london())), at(60, Some(boxford())), false),
        (at(0, Some(london())), at(0, Some(london())), false),
        (at(0, None), at(1, Some(milton())), false), // no location: no judgement
        (at(0, Some(london())), at(1, None), false),
    ];
    for (previous, current, impossible) in table {
        assert_eq!(
            is_travel_impossible(&previous, &current, &policy),
            impossible,
            "{previous:?} -> {current:?}"
        );
    }
    let mut first_login = with(&[ImpossibleTravel]);
    first_login.previous = None;
    assert!(!assess(&first_login, &policy).is_anomalous());
}

#[test]
fn new_country_needs_a_country() {
    let mut signals = with(&[NewCountry]);
    assert_eq!(assess(&signals, &policy()).reasons, [NewCountry]);
    signals.country = None;
    assert!(!assess(&signals, &policy()).is_anomalous());
}

#[test]
fn failed_attempts_burst_threshold() {
    for (failures, burst) in [
        (0, false),
        (4, false),
        (5, true),
        (6, true),
        (u32::MAX, true),
    ] {
        let mut signals = ordinary();
        signals.recent_failed_attempts = failures;
        let raised = assess(&signals, &policy()).reasons == [FailedAttemptsBurst];
        assert_eq!(raised, burst, "{failures} failures");
    }
}

#[test]
fn unusual_hour_needs_history_and_spares_neighbours() {
    let mut nine_to_five = LoginHours::default();
    for hour in 9..17 {
        for _ in 0..5 {
            nine_to_five.record(hour); // 40 logins, 5 an hour
        }
    }
    let mut few = LoginHours::default();
    for _ in 0..9 {
        few.record(9);
    }
    let mut one_odd = nine_to_five;
    one_odd.record(3); // 1 of 41: under 5%
    let mut two_odd = one_odd;
    two_odd.record(3);
    two_odd.record(4); // 3 of 43 around 3 a.m. (2-4): 7%, usual now
                       // (history, local hour, unusual)
    let table = [
        (nine_to_five, Some(12), false),
        (nine_to_five, Some(8), false),  // next to 9
        (nine_to_five, Some(17), false), // next to 16
        (nine_to_five, Some(7), true),
        (nine_to_five, Some(3), true),
        (nine_to_five, None, false),
        (nine_to_five, Some(24), false), // out of range: not judged
        (few, Some(3), false),           // 9 logins: too few to judge
        (LoginHours::default(), Some(3), false),
        (one_odd, Some(3), true),
        (two_odd, Some(3), false),
    ];
    for (usual_hours, local_hour, unusual) in table {
        let signals = LoginSignals {
            local_hour,
            usual_hours,
            ..ordinary()
        };
        let raised = assess(&signals, &policy()).reasons == [UnusualHour];
        assert_eq!(raised, unusual, "{local_hour:?} with {usual_hours:?}");
    }
}

#[test]
fn adding_a_signal_never_lowers_the_score() {
    let weightings = [
        RiskWeights::default(),
        RiskWeights {
            new_device: 0,
            new_country: 1,
            impossible_travel: 99,
            failed_attempts_burst: 100,
            device_compromised: 0,
            ip_changed_in_session: 255,
            unusual_hour: 37,
        },
    ];
    let all = AnomalyReason::ALL;
    for weights in weightings {
        let policy = RiskPolicy {
            weights,
            ..policy()
        };
        for subset in 0u32..(1 << all.len()) {
            let reasons: Vec<_> = (0..all.len())
                .filter(|i| subset & (1 << i) != 0)
                .map(|i| all[i])
                .collect();
            let base = assess(&with(&reasons), &policy);
            assert_eq!(base.reasons, reasons, "exactly the raised signals");
            assert_eq!(base.level, RiskLevel::from_score(base.score));
            assert!(base.score <= 100);
            for &extra in all {
                let mut signals = with(&reasons);
                raise(&mut signals, extra);
                let more = assess(&signals, &policy);
                assert!(more.score >= base.score, "{reasons:?} + {extra}");
                assert!(more.level as u8 >= base.level as u8);
            }
        }
    }
}

#[test]
fn reasons_are_stable_strings() {
    let stored: Vec<_> = AnomalyReason::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(
        stored,
        [
            "new_device",
            "new_country",
            "impossible_travel",
            "failed_attempts_burst",
            "device_compromised",
            "ip_changed_in_session",
            "unusual_hour",
        ]
    );
    for &reason in AnomalyReason::ALL {
        assert_eq!(reason.as_str().parse::<AnomalyReason>(), Ok(reason));
    }
}

#[test]
fn policy_defaults_and_validation() {
    let defaults = RiskPolicy::default();
    assert_eq!(defaults.validate(), Ok(()));
    assert_eq!(defaults.impossible_travel_kmh, 900.0);
    assert_eq!(defaults.travel_tolerance_km, 50.0);
    assert_eq!(defaults.failed_attempts_burst, 5);
    let broken: [fn(&mut RiskPolicy); 7] = [
        |p| p.impossible_travel_kmh = 0.0,
        |p| p.impossible_travel_kmh = f64::NAN,
        |p| p.travel_tolerance_km = -1.0,
        |p| p.travel_tolerance_km = f64::INFINITY,
        |p| p.failed_attempts_burst = 0,
        |p| p.failed_attempts_window_minutes = 0,
        |p| p.usual_hours_min_percent = 101,
    ];
    for (i, break_it) in broken.iter().enumerate() {
        let mut policy = RiskPolicy::default();
        break_it(&mut policy);
        assert!(policy.validate().is_err(), "case {i}: {policy:?}");
    }
}
