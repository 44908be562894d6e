//! The risk part: scores a login from the signals the caller gathered (new device, new
//! country, impossible travel, failed-attempt bursts, a compromised device, an IP change in
//! the session, an unusual hour) into 0-100, a [`RiskLevel`] and the anomaly reasons that
//! audit rows store; then decides whether the login may skip MFA, needs it, or is refused.
//! Pure: locations, times and history are passed in; the core crate owns GeoIP and the clock.

mod decision;
mod geo;
mod score;
mod signals;

#[cfg(test)]
mod score_tests;

pub use decision::{decide_login, LoginDecision, LoginStanding};
pub use geo::{great_circle_km, GeoPoint, MEAN_EARTH_RADIUS_KM};
pub use score::{
    assess, is_speed_impossible, is_travel_impossible, AnomalyReason, RiskAssessment, RiskPolicy,
    RiskWeights,
};
pub use signals::{is_new_country, LoginHours, LoginSignals, Sighting};

string_enum!(
    /// The seed's four risk levels.
    RiskLevel {
        Low => "low",
        Medium => "medium",
        High => "high",
        Critical => "critical",
    }
);

impl RiskLevel {
    /// Map a 0-100 score to its level (0-24 low, 25-49 medium, 50-74 high, 75+ critical).
    pub fn from_score(score: u8) -> Self {
        match score {
            0..=24 => RiskLevel::Low,
            25..=49 => RiskLevel::Medium,
            50..=74 => RiskLevel::High,
            _ => RiskLevel::Critical,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_bands() {
        assert_eq!(RiskLevel::from_score(0), RiskLevel::Low);
        assert_eq!(RiskLevel::from_score(24), RiskLevel::Low);
        assert_eq!(RiskLevel::from_score(25), RiskLevel::Medium);
        assert_eq!(RiskLevel::from_score(50), RiskLevel::High);
        assert_eq!(RiskLevel::from_score(75), RiskLevel::Critical);
        assert_eq!(RiskLevel::from_score(100), RiskLevel::Critical);
    }
}
