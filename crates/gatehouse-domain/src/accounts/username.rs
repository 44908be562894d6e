//! `Username`: a parsed, lower-cased account handle. 3 to 150 characters of `[a-z0-9._-]`,
//! starting with a letter or digit. It never contains '@': login tells an email from a
//! username by that character alone.

use std::fmt;

use crate::FieldError;

const FIELD: &str = "username";

/// Fewest characters in a username.
pub const MIN_LENGTH: usize = 3;
/// Most characters in a username.
pub const MAX_LENGTH: usize = 150;

/// A valid, trimmed, lower-cased username.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Parse user input: trims surrounding whitespace, checks length and characters,
    /// lower-cases.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        let length = trimmed.chars().count();
        if length < MIN_LENGTH {
            return Err(FieldError::new(
                FIELD,
                "too_short",
                format!("Username must be at least {MIN_LENGTH} characters."),
            ));
        }
        if length > MAX_LENGTH {
            return Err(FieldError::new(
                FIELD,
                "too_long",
                format!("Username must be at most {MAX_LENGTH} characters."),
            ));
        }
        if trimmed.contains('@') {
            return Err(FieldError::new(
                FIELD,
                "invalid_username",
                "Username must not contain '@'.",
            ));
        }
        // Checked on the raw characters with ASCII predicates: Unicode lower-casing would
        // turn look-alikes such as the Kelvin sign (U+212A) into ASCII letters.
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if !trimmed.chars().all(allowed) {
            return Err(FieldError::new(
                FIELD,
                "invalid_username",
                "Username may contain only letters a-z, digits, '.', '_' and '-'.",
            ));
        }
        if !trimmed.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(FieldError::new(
                FIELD,
                "invalid_username",
                "Username must start with a letter or a digit.",
            ));
        }
        Ok(Self(trimmed.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)] // a failed expectation is the test failing
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises_valid_usernames() {
        let max = "a".repeat(MAX_LENGTH);
        let cases = [
            ("abc", "abc"),
            ("Alice", "alice"),
            ("  bob_99 ", "bob_99"),
            ("j.doe-2", "j.doe-2"),
            ("007", "007"),
            ("a..", "a.."),
            (max.as_str(), max.as_str()),
        ];
        for (raw, expected) in cases {
            let username =
                Username::parse(raw).unwrap_or_else(|e| panic!("{raw:?} should be valid: {e:?}"));
            assert_eq!(username.as_str(), expected, "input {raw:?}");
        }
    }

    #[test]
    fn rejects_invalid_usernames() {
        let too_long = "a".repeat(MAX_LENGTH + 1);
        let cases = [
            ("", "too_short"),
            ("ab", "too_short"),
            ("  ab  ", "too_short"),
            (too_long.as_str(), "too_long"),
            ("alice@example.com", "invalid_username"),
            ("al@", "invalid_username"),
            ("_alice", "invalid_username"),
            (".alice", "invalid_username"),
            ("-alice", "invalid_username"),
            ("al ice", "invalid_username"),
            ("alice!", "invalid_username"),
            ("alice/bob", "invalid_username"),
            ("élodie", "invalid_username"),
            ("\u{212A}elvin", "invalid_username"),
            ("аlice", "invalid_username"), // Cyrillic 'а'
        ];
        for (raw, code) in cases {
            let err = Username::parse(raw).expect_err(raw);
            assert_eq!(err.field, "username", "input {raw:?}");
            assert_eq!(err.code, code, "input {raw:?}");
        }
    }

    #[test]
    fn length_is_counted_in_characters() {
        // Three two-byte characters: not too short, but not allowed either.
        assert_eq!(
            Username::parse("ééé").map_err(|e| e.code),
            Err("invalid_username")
        );
    }

    #[test]
    fn into_string_returns_normalised_value() {
        assert_eq!(
            Username::parse("MiXeD").expect("valid").into_string(),
            "mixed"
        );
    }
}
