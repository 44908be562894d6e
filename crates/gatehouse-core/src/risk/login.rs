//! Scoring one sign-in. The signals come from what the account already has: its last
//! sign-in attempts (session audit rows: where from, when, failed or not), the device the
//! login names (new, or marked compromised) and where the request comes from (GeoIP).
//! One indexed read of at most [`HISTORY`] rows; the scoring itself is the pure engine in
//! `gatehouse_domain::risk`.

use crate::client::ClientInfo;
use crate::state::Core;
use chrono::{DateTime, Duration, Timelike, Utc};
use gatehouse_domain::ids::UserId;
use gatehouse_domain::risk::{
    assess, is_new_country, GeoPoint, LoginHours, LoginSignals, RiskAssessment, Sighting,
};
use gatehouse_store::accounts::devices::DeviceRow;
use gatehouse_store::audit::{self, LoginTrace};
use gatehouse_store::{Exec, StoreResult};

/// How many past sign-in attempts are read: enough for the usual-hours histogram and the
/// countries the account signs in from, few enough to stay one short index scan.
pub const HISTORY: i64 = 200;

const SUCCEEDED: &str = "login_succeeded";
const FAILED: &str = "login_failed";

/// Score a login of `user_id` from `device` (`None`: a device the account never used).
pub(crate) async fn assess_login(
    ex: Exec<'_>,
    core: &Core,
    user_id: UserId,
    device: Option<&DeviceRow>,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> StoreResult<RiskAssessment> {
    let history = audit::recent_logins(ex, user_id, HISTORY).await?;
    let policy = core.config.risk.policy();
    let signals = signals(
        &history,
        device,
        client,
        now,
        policy.failed_attempts_window_minutes,
    );
    Ok(assess(&signals, &policy))
}

/// The engine's input (pure, so the gathering is tested apart from the database).
fn signals(
    history: &[LoginTrace],
    device: Option<&DeviceRow>,
    client: &ClientInfo,
    now: DateTime<Utc>,
    window_minutes: u32,
) -> LoginSignals {
    let succeeded = || history.iter().filter(|t| t.action == SUCCEEDED);
    let known_countries: Vec<&str> = succeeded().filter_map(|t| t.country.as_deref()).collect();
    let country = client.geo.as_ref().and_then(|g| g.country.clone());
    // The newest successful sign-in with a place: travel is judged from there.
    let previous = succeeded().find_map(|t| {
        let location = GeoPoint::new(t.latitude?, t.longitude?).ok()?;
        Some(Sighting {
            at: t.created_at,
            location: Some(location),
        })
    });
    let since = now - Duration::minutes(i64::from(window_minutes));
    let recent_failed = history
        .iter()
        .filter(|t| t.action == FAILED && t.created_at > since)
        .count();
    // Hours in UTC on both sides: what matters is this login against the account's own
    // habit, and one clock for both keeps that comparison right without a time zone.
    let mut usual_hours = LoginHours::default();
    for t in succeeded() {
        usual_hours.record(hour(t.created_at));
    }
    LoginSignals {
        is_new_device: device.is_none(),
        is_device_compromised: device.is_some_and(|d| d.is_compromised),
        is_new_country: is_new_country(country.as_deref(), &known_countries),
        country,
        previous,
        current: Sighting {
            at: now,
            location: client.geo.as_ref().and_then(|g| g.point),
        },
        recent_failed_attempts: u32::try_from(recent_failed).unwrap_or(u32::MAX),
        is_ip_changed_in_session: false,
        local_hour: Some(hour(now)),
        usual_hours,
    }
}

fn hour(at: DateTime<Utc>) -> u8 {
    u8::try_from(at.hour()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::GeoInfo;
    use chrono::TimeZone;
    use gatehouse_domain::risk::{AnomalyReason, RiskLevel};

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 5, 17, h, m, 0).unwrap()
    }

    fn trace(action: &str, country: &str, lat: f64, lon: f64, when: DateTime<Utc>) -> LoginTrace {
        LoginTrace {
            action: action.to_owned(),
            country: Some(country.to_owned()),
            latitude: Some(lat),
            longitude: Some(lon),
            created_at: when,
        }
    }

    fn from(country: &str, lat: f64, lon: f64) -> ClientInfo {
        ClientInfo {
            geo: Some(GeoInfo {
                country: Some(country.to_owned()),
                city: None,
                point: GeoPoint::new(lat, lon).ok(),
            }),
            ..ClientInfo::default()
        }
    }

    #[test]
    fn history_becomes_signals() {
        let history = [
            trace(FAILED, "GB", 51.5, -0.09, at(10, 55)),
            trace(SUCCEEDED, "GB", 51.5142, -0.0931, at(10, 0)),
            trace(FAILED, "GB", 51.5, -0.09, at(9, 0)),
        ];
        let milton = from("US", 47.2513, -122.3149);
        let s = signals(&history, None, &milton, at(11, 0), 15);
        assert!(s.is_new_device);
        assert!(s.is_new_country, "US after GB only");
        assert_eq!(s.previous.unwrap().at, at(10, 0));
        assert_eq!(
            s.recent_failed_attempts, 1,
            "only the one inside the window"
        );
        assert_eq!(s.usual_hours.total(), 1);
        let verdict = assess(&s, &core_policy());
        assert!(verdict.reasons.contains(&AnomalyReason::ImpossibleTravel));
        assert!(
            matches!(verdict.level, RiskLevel::High | RiskLevel::Critical),
            "{verdict:?}"
        );
    }

    #[test]
    fn a_first_login_without_history_is_quiet_but_new() {
        let s = signals(&[], None, &ClientInfo::default(), at(11, 0), 15);
        assert!(s.is_new_device);
        assert!(!s.is_new_country, "no history: nothing to compare with");
        assert!(s.previous.is_none());
        assert_eq!(assess(&s, &core_policy()).level, RiskLevel::Low);
    }

    fn core_policy() -> gatehouse_domain::risk::RiskPolicy {
        crate::risk::RiskConfig::default().policy()
    }
}
