//! The scorer: each raised signal adds its policy weight to a 0-100 score (saturating), the
//! score gives the [`RiskLevel`], and each raised signal is named as an [`AnomalyReason`]
//! (the strings audit rows store in `anomaly_reasons`). Additive on purpose: a reviewer can
//! read a score back as the sum of its reasons, and one more signal never lowers it.

use chrono::Duration;

use super::{great_circle_km, LoginSignals, RiskLevel, Sighting};

string_enum!(
    /// Why a login looked risky; stored as these strings in `anomaly_reasons`.
    AnomalyReason {
        NewDevice => "new_device",
        NewCountry => "new_country",
        ImpossibleTravel => "impossible_travel",
        FailedAttemptsBurst => "failed_attempts_burst",
        DeviceCompromised => "device_compromised",
        IpChangedInSession => "ip_changed_in_session",
        UnusualHour => "unusual_hour",
    }
);

/// Points each signal adds to the score (the sum saturates at 100). Bands: 0-24 low,
/// 25-49 medium, 50-74 high, 75-100 critical ([`RiskLevel::from_score`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RiskWeights {
    pub new_device: u8,
    pub new_country: u8,
    pub impossible_travel: u8,
    pub failed_attempts_burst: u8,
    pub device_compromised: u8,
    pub ip_changed_in_session: u8,
    pub unusual_hour: u8,
}

impl Default for RiskWeights {
    /// Chosen so that one weak signal stays low (a new phone, a trip abroad on a trusted
    /// laptop, a mobile network changing IPs, a late night), one strong signal is medium
    /// (a failed-attempt burst) or high (impossible travel: step-up MFA), and only a
    /// compromised device or several strong signals together reach critical (refusal):
    /// impossible travel + new country + new device (90), impossible travel + burst (80).
    fn default() -> Self {
        Self {
            new_device: 20,
            new_country: 20,
            impossible_travel: 50,
            failed_attempts_burst: 30,
            device_compromised: 100,
            ip_changed_in_session: 15,
            unusual_hour: 10,
        }
    }
}

impl RiskWeights {
    /// The weight of one reason.
    pub fn of(&self, reason: AnomalyReason) -> u8 {
        match reason {
            AnomalyReason::NewDevice => self.new_device,
            AnomalyReason::NewCountry => self.new_country,
            AnomalyReason::ImpossibleTravel => self.impossible_travel,
            AnomalyReason::FailedAttemptsBurst => self.failed_attempts_burst,
            AnomalyReason::DeviceCompromised => self.device_compromised,
            AnomalyReason::IpChangedInSession => self.ip_changed_in_session,
            AnomalyReason::UnusualHour => self.unusual_hour,
        }
    }
}

/// How logins are scored. `Default` gives the documented values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskPolicy {
    pub weights: RiskWeights,
    /// Faster than this between two logins is impossible travel. Default 900 km/h: about an
    /// airliner's cruising speed, so no real trip between two cities beats it.
    pub impossible_travel_kmh: f64,
    /// Distances up to this never count as travel. Default 50 km: GeoIP places an address
    /// at city level, often at its provider's hub, so a few tens of km is noise.
    pub travel_tolerance_km: f64,
    /// This many failed attempts in the window is a burst. Default 5: a person mistypes
    /// once or twice; five is guessing (and below NIST 800-63B 5.2.2's 100-failure cap, so
    /// the score rises long before the lockout).
    pub failed_attempts_burst: u32,
    /// The window the caller counts failed attempts in (the scorer does not read it; it
    /// lives here so that both sides share one setting). Default 15 minutes.
    pub failed_attempts_window_minutes: u32,
    /// Judge the hour only once the user's [`super::LoginHours`] holds this many logins.
    /// Default 10: with fewer, every hour looks unusual.
    pub usual_hours_min_logins: u32,
    /// An hour (with its neighbours) is unusual when it holds less than this share of the
    /// user's logins, in percent. Default 5: one login in twenty.
    pub usual_hours_min_percent: u32,
}

impl Default for RiskPolicy {
    fn default() -> Self {
        Self {
            weights: RiskWeights::default(),
            impossible_travel_kmh: 900.0,
            travel_tolerance_km: 50.0,
            failed_attempts_burst: 5,
            failed_attempts_window_minutes: 15,
            usual_hours_min_logins: 10,
            usual_hours_min_percent: 5,
        }
    }
}

impl RiskPolicy {
    /// Refuse settings the scorer cannot use (for settings validation at start).
    pub fn validate(&self) -> Result<(), String> {
        if !(self.impossible_travel_kmh.is_finite() && self.impossible_travel_kmh > 0.0) {
            return Err(format!(
                "impossible_travel_kmh must be a positive number, not {}",
                self.impossible_travel_kmh
            ));
        }
        if !(self.travel_tolerance_km.is_finite() && self.travel_tolerance_km >= 0.0) {
            return Err(format!(
                "travel_tolerance_km must be 0 or more, not {}",
                self.travel_tolerance_km
            ));
        }
        if self.failed_attempts_burst == 0 {
            return Err("failed_attempts_burst must be at least 1".to_owned());
        }
        if self.failed_attempts_window_minutes == 0 {
            return Err("failed_attempts_window_minutes must be at least 1".to_owned());
        }
        if self.usual_hours_min_percent > 100 {
            return Err(format!(
                "usual_hours_min_percent must be 0 to 100, not {}",
                self.usual_hours_min_percent
            ));
        }
        Ok(())
    }
}

/// The result of [`assess`]. `level` is always `RiskLevel::from_score(score)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskAssessment {
    /// 0..=100.
    pub score: u8,
    pub level: RiskLevel,
    /// The raised signals, in [`AnomalyReason::ALL`] order.
    pub reasons: Vec<AnomalyReason>,
}

impl RiskAssessment {
    /// Any signal raised (the audit rows' `is_anomalous`).
    pub fn is_anomalous(&self) -> bool {
        !self.reasons.is_empty()
    }
}

/// The lowest score of the critical band: a compromised device scores at least this, so
/// its level is critical whatever its configured weight.
const CRITICAL_FLOOR: u8 = 75;

/// Score a login.
pub fn assess(signals: &LoginSignals, policy: &RiskPolicy) -> RiskAssessment {
    let raised = |reason: AnomalyReason| match reason {
        AnomalyReason::NewDevice => signals.is_new_device,
        // A "new" country GeoIP could not name is a caller's mistake, not a signal.
        AnomalyReason::NewCountry => signals.is_new_country && signals.country.is_some(),
        AnomalyReason::ImpossibleTravel => signals
            .previous
            .is_some_and(|previous| is_travel_impossible(&previous, &signals.current, policy)),
        AnomalyReason::FailedAttemptsBurst => {
            signals.recent_failed_attempts >= policy.failed_attempts_burst.max(1)
        }
        AnomalyReason::DeviceCompromised => signals.is_device_compromised,
        AnomalyReason::IpChangedInSession => signals.is_ip_changed_in_session,
        AnomalyReason::UnusualHour => is_hour_unusual(signals, policy),
    };
    let reasons: Vec<AnomalyReason> = AnomalyReason::ALL
        .iter()
        .copied()
        .filter(|&reason| raised(reason))
        .collect();

    let sum: u32 = reasons
        .iter()
        .map(|&reason| u32::from(policy.weights.of(reason)))
        .sum();
    let mut score = u8::try_from(sum.min(100)).unwrap_or(100);
    if signals.is_device_compromised {
        score = score.max(CRITICAL_FLOOR);
    }
    RiskAssessment {
        score,
        level: RiskLevel::from_score(score),
        reasons,
    }
}

/// Whether going from `previous` to `current` needs a speed above the policy's. Needs both
/// locations; distances up to the tolerance never count; with no time between the two, any
/// distance beyond the tolerance does. The order of the two does not matter.
pub fn is_travel_impossible(previous: &Sighting, current: &Sighting, policy: &RiskPolicy) -> bool {
    let (Some(from), Some(to)) = (previous.location, current.location) else {
        return false;
    };
    is_speed_impossible(great_circle_km(from, to), current.at - previous.at, policy)
}

/// The impossible-travel rule on a distance and the time between the two logins.
/// `distance / hours > speed` is checked as `distance * 3600 > speed * seconds`, so a zero
/// elapsed time needs no division by zero: any distance beyond the tolerance is then too fast.
pub fn is_speed_impossible(distance_km: f64, elapsed: Duration, policy: &RiskPolicy) -> bool {
    if distance_km.is_nan() || distance_km <= policy.travel_tolerance_km {
        return false;
    }
    let elapsed_seconds = elapsed.abs().num_milliseconds() as f64 / 1000.0;
    distance_km * 3600.0 > policy.impossible_travel_kmh * elapsed_seconds
}

/// The login hour holds (with its neighbours) less than the policy's share of the user's
/// logins, and the history is long enough to say so.
fn is_hour_unusual(signals: &LoginSignals, policy: &RiskPolicy) -> bool {
    let Some(hour) = signals.local_hour.filter(|hour| *hour < 24) else {
        return false;
    };
    let total = signals.usual_hours.total();
    if total == 0 || total < policy.usual_hours_min_logins {
        return false;
    }
    let share_needed = total.saturating_mul(policy.usual_hours_min_percent);
    signals.usual_hours.around(hour).saturating_mul(100) < share_needed
}
