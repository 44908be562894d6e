//! Reading raw wire values for the preference use cases: clock times, choices among an
//! enumeration and bounded free text, each refused with a `FieldError` that names the
//! field.

use crate::notify::NotifyError;
use chrono::NaiveTime;
use gatehouse_domain::FieldError;
use std::fmt::Display;
use std::str::FromStr;

/// A time of day as `HH:MM` (24-hour, two digits each): what quiet windows are set in.
/// Seconds are not accepted, so a stored window always starts and ends on a minute.
pub(super) fn clock_time(raw: &str, field: &'static str) -> Result<NaiveTime, FieldError> {
    let refused = || FieldError::new(field, "invalid_time", "Use HH:MM, from 00:00 to 23:59.");
    let bytes = raw.as_bytes();
    let shaped = bytes.len() == 5
        && bytes[2] == b':'
        && [0, 1, 3, 4].iter().all(|&i| bytes[i].is_ascii_digit());
    if !shaped {
        return Err(refused());
    }
    NaiveTime::parse_from_str(raw, "%H:%M").map_err(|_| refused())
}

/// One of an enumeration's wire names; the refusal lists them.
pub(super) fn choice<T: FromStr + Display>(
    raw: &str,
    field: &'static str,
    all: &[T],
) -> Result<T, FieldError> {
    raw.parse().map_err(|_| {
        let names: Vec<String> = all.iter().map(ToString::to_string).collect();
        FieldError::new(
            field,
            "invalid_choice",
            format!("Use one of: {}.", names.join(", ")),
        )
    })
}

/// Optional free text: trimmed, then 1 to `max` characters (the column's `varchar` length,
/// which PostgreSQL counts in characters).
pub(super) fn optional_text(
    raw: Option<String>,
    max: usize,
    field: &'static str,
) -> Result<Option<String>, FieldError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let text = raw.trim();
    if text.is_empty() || text.chars().count() > max {
        return Err(FieldError::new(
            field,
            "invalid_length",
            format!("Must be 1 to {max} characters."),
        ));
    }
    Ok(Some(text.to_owned()))
}

/// `Ok` when nothing was refused, otherwise every refusal at once.
pub(super) fn all_valid(errors: Vec<FieldError>) -> Result<(), NotifyError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(NotifyError::Validation(errors))
    }
}

/// Keep the value, or note why it was refused.
pub(super) fn collect<T>(result: Result<T, FieldError>, errors: &mut Vec<FieldError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_domain::notify::Priority;

    #[test]
    fn clock_times_are_two_digit_hours_and_minutes() {
        for (raw, expected) in [
            ("00:00", Some((0, 0))),
            ("07:05", Some((7, 5))),
            ("23:59", Some((23, 59))),
        ] {
            let parsed = clock_time(raw, "start_time").ok();
            assert_eq!(
                parsed,
                expected.and_then(|(h, m)| NaiveTime::from_hms_opt(h, m, 0))
            );
        }
        for raw in [
            "24:00",
            "7:00",
            "07:60",
            "07:00:00",
            " 07:00",
            "0700",
            "",
            "ab:cd",
            "１２:00",
        ] {
            let err = clock_time(raw, "start_time").err();
            assert_eq!(
                err.map(|e| (e.field, e.code)),
                Some(("start_time", "invalid_time")),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn choices_and_text_name_their_field() {
        assert_eq!(
            choice("high", "priority", Priority::ALL),
            Ok(Priority::High)
        );
        let err = choice::<Priority>("urgent", "priority", Priority::ALL).err();
        let err = err.map(|e| (e.field, e.code, e.message));
        assert_eq!(
            err,
            Some((
                "priority",
                "invalid_choice",
                "Use one of: low, medium, high, critical.".to_owned()
            ))
        );
        assert_eq!(optional_text(None, 5, "reason"), Ok(None));
        assert_eq!(
            optional_text(Some(" ok ".into()), 5, "reason"),
            Ok(Some("ok".into()))
        );
        assert_eq!(
            optional_text(Some("ééééé".into()), 5, "reason"),
            Ok(Some("ééééé".into()))
        );
        for raw in ["", "   ", "toolong"] {
            let err = optional_text(Some(raw.into()), 5, "reason").err();
            assert_eq!(
                err.map(|e| (e.field, e.code)),
                Some(("reason", "invalid_length"))
            );
        }
    }
}
