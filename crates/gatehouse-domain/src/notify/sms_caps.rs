//! SMS pumping guard: daily caps per number and per country calling code, so a script
//! requesting codes to premium-rate ranges cannot run up the SMS bill (SMS pumping, also
//! called artificially inflated traffic). The core counts what was sent today and asks here
//! before every SMS; a hit is audited there.

use std::collections::BTreeMap;
use std::fmt;

/// Per-day limits, configurable by the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsCaps {
    /// Messages to one number per day.
    pub per_number_per_day: u32,
    /// Messages to all numbers of one country calling code per day, unless overridden.
    pub per_country_per_day: u32,
    /// Per country calling code (1 = NANP, 44 = UK, ...), replacing `per_country_per_day`.
    pub country_overrides: BTreeMap<u16, u32>,
}

impl Default for SmsCaps {
    fn default() -> Self {
        Self {
            per_number_per_day: 10,
            per_country_per_day: 1000,
            country_overrides: BTreeMap::new(),
        }
    }
}

impl SmsCaps {
    /// The daily limit for one country calling code.
    pub fn country_limit(&self, country_code: u16) -> u32 {
        self.country_overrides
            .get(&country_code)
            .copied()
            .unwrap_or(self.per_country_per_day)
    }
}

/// Which cap one more SMS would exceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsCapHit {
    PerNumber { limit: u32 },
    PerCountry { country_code: u16, limit: u32 },
}

impl SmsCapHit {
    /// Stable name for audit rows and metrics labels.
    pub fn as_str(&self) -> &'static str {
        match self {
            SmsCapHit::PerNumber { .. } => "per_number",
            SmsCapHit::PerCountry { .. } => "per_country",
        }
    }
}

impl fmt::Display for SmsCapHit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SmsCapHit::PerNumber { limit } => {
                write!(f, "daily SMS cap per number reached ({limit})")
            }
            SmsCapHit::PerCountry {
                country_code,
                limit,
            } => write!(
                f,
                "daily SMS cap for country code +{country_code} reached ({limit})"
            ),
        }
    }
}

impl std::error::Error for SmsCapHit {}

/// Whether one more SMS may go to a number of `country_code`, given how many went to that
/// number and to that country code today. The number's cap is checked first: it is the
/// narrower finding.
pub fn check_sms_caps(
    caps: &SmsCaps,
    country_code: u16,
    sent_to_number_today: u32,
    sent_to_country_today: u32,
) -> Result<(), SmsCapHit> {
    if sent_to_number_today >= caps.per_number_per_day {
        return Err(SmsCapHit::PerNumber {
            limit: caps.per_number_per_day,
        });
    }
    let country_limit = caps.country_limit(country_code);
    if sent_to_country_today >= country_limit {
        return Err(SmsCapHit::PerCountry {
            country_code,
            limit: country_limit,
        });
    }
    Ok(())
}

/// The country calling code of an E.164 number ("+447911123456" -> 44), or `None` when it
/// does not parse.
pub fn country_calling_code(e164: &str) -> Option<u16> {
    phonenumber::parse(None, e164)
        .ok()
        .map(|number| number.code().value())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_per_number_and_per_country() {
        let caps = SmsCaps {
            country_overrides: BTreeMap::from([(44, 50), (7, 0)]),
            ..SmsCaps::default()
        };
        let cases = [
            // (country, to number, to country, expected)
            (1, 0, 0, Ok(())),
            (1, 9, 999, Ok(())),
            (1, 10, 0, Err(SmsCapHit::PerNumber { limit: 10 })),
            (
                1,
                3,
                1000,
                Err(SmsCapHit::PerCountry {
                    country_code: 1,
                    limit: 1000,
                }),
            ),
            (1, 10, 1000, Err(SmsCapHit::PerNumber { limit: 10 })),
            (44, 0, 49, Ok(())),
            (
                44,
                0,
                50,
                Err(SmsCapHit::PerCountry {
                    country_code: 44,
                    limit: 50,
                }),
            ),
            // An override of 0 shuts a country out entirely.
            (
                7,
                0,
                0,
                Err(SmsCapHit::PerCountry {
                    country_code: 7,
                    limit: 0,
                }),
            ),
        ];
        for (country, to_number, to_country, expected) in cases {
            assert_eq!(
                check_sms_caps(&caps, country, to_number, to_country),
                expected,
                "+{country}: {to_number} to the number, {to_country} to the country"
            );
        }
        assert_eq!(SmsCapHit::PerNumber { limit: 10 }.as_str(), "per_number");
        assert_eq!(
            SmsCapHit::PerCountry {
                country_code: 44,
                limit: 50
            }
            .to_string(),
            "daily SMS cap for country code +44 reached (50)"
        );
    }

    #[test]
    fn country_codes_of_e164_numbers() {
        let cases = [
            ("+14155552671", Some(1)),
            ("+442079460958", Some(44)),
            ("+4930123456", Some(49)),
            ("+33612345678", Some(33)),
            ("+8613800138000", Some(86)),
            ("+3548001234", Some(354)),
            ("not a number", None),
            ("", None),
        ];
        for (number, expected) in cases {
            assert_eq!(country_calling_code(number), expected, "{number}");
        }
    }
}
