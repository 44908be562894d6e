//! `[risk]`: the GeoIP database and the engine's thresholds.

use gatehouse_domain::risk::RiskPolicy;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RiskConfig {
    /// A MaxMind City database (`.mmdb`, GeoLite2 or GeoIP2). Empty: no GeoIP — logins are
    /// still scored, without the country and travel signals.
    pub geoip_city_db: String,
    /// Faster than this between two sign-ins is impossible travel (km/h).
    pub impossible_travel_kmh: u32,
    /// Distances up to this never count as travel (km): GeoIP is city-level at best.
    pub travel_tolerance_km: u32,
    /// This many failed logins of the account within the window is a burst.
    pub failed_attempts_burst: u32,
    pub failed_attempts_window_minutes: u32,
}

impl Default for RiskConfig {
    fn default() -> Self {
        let policy = RiskPolicy::default();
        Self {
            geoip_city_db: String::new(),
            impossible_travel_kmh: policy.impossible_travel_kmh as u32,
            travel_tolerance_km: policy.travel_tolerance_km as u32,
            failed_attempts_burst: policy.failed_attempts_burst,
            failed_attempts_window_minutes: policy.failed_attempts_window_minutes,
        }
    }
}

impl RiskConfig {
    /// The engine's policy: these thresholds over the default weights.
    pub fn policy(&self) -> RiskPolicy {
        RiskPolicy {
            impossible_travel_kmh: f64::from(self.impossible_travel_kmh),
            travel_tolerance_km: f64::from(self.travel_tolerance_km),
            failed_attempts_burst: self.failed_attempts_burst,
            failed_attempts_window_minutes: self.failed_attempts_window_minutes,
            ..RiskPolicy::default()
        }
    }

    /// The first setting out of bounds, as (key, why).
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if !(100..=20_000).contains(&self.impossible_travel_kmh) {
            return Err((
                "risk.impossible_travel_kmh",
                "must be 100 to 20000".to_owned(),
            ));
        }
        if self.travel_tolerance_km > 1_000 {
            return Err(("risk.travel_tolerance_km", "must be 0 to 1000".to_owned()));
        }
        if !(1..=1_000).contains(&self.failed_attempts_burst) {
            return Err(("risk.failed_attempts_burst", "must be 1 to 1000".to_owned()));
        }
        if !(1..=1_440).contains(&self.failed_attempts_window_minutes) {
            return Err((
                "risk.failed_attempts_window_minutes",
                "must be 1 to 1440".to_owned(),
            ));
        }
        self.policy()
            .validate()
            .map_err(|why| ("risk", format!("the engine refuses this policy: {why}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_pass_and_bounds_are_refused() {
        assert_eq!(RiskConfig::default().check(), Ok(()));
        for (config, key) in [
            (
                RiskConfig {
                    impossible_travel_kmh: 99,
                    ..RiskConfig::default()
                },
                "risk.impossible_travel_kmh",
            ),
            (
                RiskConfig {
                    travel_tolerance_km: 1_001,
                    ..RiskConfig::default()
                },
                "risk.travel_tolerance_km",
            ),
            (
                RiskConfig {
                    failed_attempts_burst: 0,
                    ..RiskConfig::default()
                },
                "risk.failed_attempts_burst",
            ),
            (
                RiskConfig {
                    failed_attempts_window_minutes: 0,
                    ..RiskConfig::default()
                },
                "risk.failed_attempts_window_minutes",
            ),
        ] {
            assert_eq!(config.check().map_err(|(k, _)| k), Err(key));
        }
    }
}
