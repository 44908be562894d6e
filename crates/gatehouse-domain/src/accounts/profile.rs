//! Profile field rules: IANA time zone names, BCP 47 language tags (a small subset) and
//! E.164 phone numbers. Each parser trims its input and returns the one canonical spelling
//! that gatehouse stores.

use std::fmt;
use std::str::FromStr;

use chrono_tz::Tz;
use isolang::Language;

use crate::FieldError;

/// Parse an IANA time zone name ("Europe/Paris") and return the name as the tz database
/// spells it. Matching is exact: the tz database names are case-sensitive identifiers.
pub fn parse_time_zone(raw: &str) -> Result<String, FieldError> {
    Tz::from_str(raw.trim())
        .map(|tz| tz.name().to_owned())
        .map_err(|_| {
            FieldError::new(
                "timezone",
                "invalid_time_zone",
                "Enter an IANA time zone name, such as Europe/Paris.",
            )
        })
}

/// Longest language tag accepted; the grammar below allows at most 7 ("eng-419").
const LANGUAGE_MAX_LENGTH: usize = 10;

/// ISO 639 codes that name no language a person reads: undetermined, uncoded, multiple,
/// no linguistic content.
const NON_LANGUAGES: [&str; 4] = ["und", "mis", "mul", "zxx"];

/// Parse a language tag: a BCP 47 (RFC 5646) subset of `language["-"region]`, where the
/// language is an ISO 639-1 or ISO 639-3 code and the region is ISO 3166-1 alpha-2 or a UN
/// M.49 number. Returns the canonical casing ("en", "en-US", "es-419"); a 639-3 code with a
/// 639-1 equivalent becomes the two-letter code, as RFC 5646 2.2.1 requires ("eng" -> "en").
pub fn parse_language(raw: &str) -> Result<String, FieldError> {
    let invalid = || {
        FieldError::new(
            "language",
            "invalid_language",
            "Enter a language tag such as en or en-US.",
        )
    };
    let trimmed = raw.trim();
    if trimmed.len() > LANGUAGE_MAX_LENGTH || !trimmed.is_ascii() {
        return Err(invalid());
    }
    let (primary, region) = match trimmed.split_once('-') {
        Some((primary, region)) => (primary, Some(region)),
        None => (trimmed, None),
    };
    if !primary.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(invalid());
    }
    let primary = primary.to_ascii_lowercase();
    let language = match primary.len() {
        2 => Language::from_639_1(&primary),
        3 if !NON_LANGUAGES.contains(&primary.as_str()) => Language::from_639_3(&primary),
        _ => None,
    }
    .ok_or_else(invalid)?;
    let mut tag = language
        .to_639_1()
        .unwrap_or_else(|| language.to_639_3())
        .to_owned();
    if let Some(region) = region {
        let is_alpha2 = region.len() == 2 && region.bytes().all(|b| b.is_ascii_alphabetic());
        let is_m49 = region.len() == 3 && region.bytes().all(|b| b.is_ascii_digit());
        if !(is_alpha2 || is_m49) {
            return Err(invalid());
        }
        tag.push('-');
        tag.push_str(&region.to_ascii_uppercase());
    }
    Ok(tag)
}

const PHONE_FIELD: &str = "phone_number";

/// Longest raw input looked at: E.164 allows 15 digits, the rest leaves room for spacing.
const PHONE_MAX_INPUT_LENGTH: usize = 32;

/// A valid phone number in E.164 form ("+14155552671").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parse an international number: it must start with '+' (no default region is
    /// assumed), may contain spaces, dots, dashes and parentheses, and must be a valid
    /// number per libphonenumber's metadata. Extensions are refused: E.164 has none.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let invalid = || {
            FieldError::new(
                PHONE_FIELD,
                "invalid_phone_number",
                "Enter a phone number in international format, such as +14155552671.",
            )
        };
        let trimmed = raw.trim();
        let Some(rest) = trimmed.strip_prefix('+') else {
            return Err(invalid());
        };
        // A narrow alphabet before handing the text to the parser keeps out "tel:" URIs,
        // extensions ("x123", ";ext=") and letters (vanity numbers), and bounds its input.
        if trimmed.len() > PHONE_MAX_INPUT_LENGTH
            || !rest.starts_with(|c: char| c.is_ascii_digit())
            || !rest
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
        {
            return Err(invalid());
        }
        let number = phonenumber::parse(None, trimmed).map_err(|_| invalid())?;
        if number.extension().is_some() || !phonenumber::is_valid(&number) {
            return Err(invalid());
        }
        let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
        Ok(Self(e164))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)] // a failed expectation is the test failing
mod tests {
    use super::*;

    #[test]
    fn time_zones() {
        let valid = [
            ("Europe/Paris", "Europe/Paris"),
            ("America/New_York", "America/New_York"),
            ("  Asia/Tokyo ", "Asia/Tokyo"),
            ("UTC", "UTC"),
            (
                "America/Argentina/Buenos_Aires",
                "America/Argentina/Buenos_Aires",
            ),
        ];
        for (raw, expected) in valid {
            assert_eq!(
                parse_time_zone(raw).as_deref(),
                Ok(expected),
                "input {raw:?}"
            );
        }
        for raw in [
            "Mars/Olympus",
            "",
            "Europe",
            "europe/paris",
            "Paris",
            "+02:00",
        ] {
            let err = parse_time_zone(raw).expect_err(raw);
            assert_eq!((err.field, err.code), ("timezone", "invalid_time_zone"));
        }
    }

    #[test]
    fn languages() {
        let valid = [
            ("en", "en"),
            ("EN", "en"),
            ("en-us", "en-US"),
            ("en-US", "en-US"),
            ("pt-BR", "pt-BR"),
            ("es-419", "es-419"),
            ("fr", "fr"),
            ("eng", "en"),
            ("yue", "yue"),
            ("yue-HK", "yue-HK"),
            (" de-at ", "de-AT"),
        ];
        for (raw, expected) in valid {
            assert_eq!(
                parse_language(raw).as_deref(),
                Ok(expected),
                "input {raw:?}"
            );
        }
        let invalid = [
            "",
            "zz",
            "english",
            "e",
            "en-",
            "-US",
            "en-USA",
            "en-U1",
            "en-1234",
            "en_US",
            "en-US-x",
            "und",
            "zxx",
            "qqq",
            "en-Latn",
            "e1",
            "ünd",
            "abcdefghijklmnop",
        ];
        for raw in invalid {
            let err = parse_language(raw).expect_err(raw);
            assert_eq!(
                (err.field, err.code),
                ("language", "invalid_language"),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn phone_numbers() {
        let valid = [
            ("+14155552671", "+14155552671"),
            ("+1 415 555 2671", "+14155552671"),
            ("+1 (415) 555-2671", "+14155552671"),
            (" +44 20 7946 0958 ", "+442079460958"),
            ("+33 6 12 34 56 78", "+33612345678"),
            ("+49.30.123456", "+4930123456"),
        ];
        for (raw, expected) in valid {
            let phone = PhoneNumber::parse(raw)
                .unwrap_or_else(|e| panic!("{raw:?} should be valid: {e:?}"));
            assert_eq!(phone.as_str(), expected, "input {raw:?}");
        }
        let invalid = [
            "",
            "+",
            "4155552671",
            "14155552671",
            "+999123",
            "+1 415 555 267",
            "+1415555267100000",
            "+1 415 555 2671 x123",
            "+1 415 555 2671;ext=12",
            "tel:+1-415-555-2671",
            "+1-800-FLOWERS",
            "+(1) 415 555 2671",
            "++14155552671",
            "+1 415 555 2671 +1 415 555 2671 +1",
        ];
        for raw in invalid {
            let err = PhoneNumber::parse(raw).expect_err(raw);
            assert_eq!(
                (err.field, err.code),
                ("phone_number", "invalid_phone_number"),
                "input {raw:?}"
            );
        }
    }

    #[test]
    fn phone_number_into_string() {
        let phone = PhoneNumber::parse("+1 415 555 2671").expect("valid");
        assert_eq!(phone.to_string(), "+14155552671");
        assert_eq!(phone.into_string(), "+14155552671");
    }
}
