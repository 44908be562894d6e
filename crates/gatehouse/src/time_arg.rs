//! Times given on the command line (`--from`, `--to` of `gatehouse audit export|verify`).

use chrono::{DateTime, NaiveDate, Utc};

/// `--from`/`--to`: a UTC day (its midnight) or an RFC 3339 time.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| "expected YYYY-MM-DD or an RFC 3339 time (2026-11-01T00:00:00Z)".into())
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_days_or_rfc3339() {
        assert_eq!(
            parse_time("2026-11-01").unwrap().to_rfc3339(),
            "2026-11-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_time("2026-11-01T12:30:00+01:00")
                .unwrap()
                .to_rfc3339(),
            "2026-11-01T11:30:00+00:00"
        );
        assert!(parse_time("yesterday").is_err());
    }
}
