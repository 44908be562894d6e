//! The password policy of NIST SP 800-63B 5.1.1.2 (memorized secrets): a minimum and a
//! maximum length counted in Unicode code points, no composition rules (no "one digit, one
//! symbol"), and a check against a list of commonly used passwords and the account's own
//! identifiers. The list ships in `data/common-passwords.txt` (see `data/README.md`).
//! Passwords are compared and hashed in Unicode Normalization Form KC
//! ([`normalize_password`], 800-63B 5.1.1.2), so the same passphrase typed on two keyboards
//! that encode "é" differently is the same password.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

use crate::FieldError;

/// Limits on a new password. `Default` is ASVS 4.0.3 Level 2's 12 (V2.1.1; deployments may
/// lower it to NIST's floor of 8) and a generous ceiling of 128 (800-63B asks verifiers to
/// allow at least 64).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub max_length: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: 12,
            max_length: 128,
        }
    }
}

/// The form a password is checked, hashed and verified in: NFKC. Already-normalised text
/// (all ASCII, most of everything else) is returned as it is, without copying.
pub fn normalize_password(password: &str) -> Cow<'_, str> {
    match is_nfkc_quick(password.chars()) {
        IsNormalized::Yes => Cow::Borrowed(password),
        _ => {
            let normalized: String = password.nfkc().collect();
            if normalized == password {
                Cow::Borrowed(password)
            } else {
                Cow::Owned(normalized)
            }
        }
    }
}

/// Why a password was refused. Carries what the client needs to say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordRejection {
    TooShort { min: usize },
    TooLong { max: usize },
    Common,
    SameAsIdentifier,
}

impl PasswordPolicy {
    /// Check a candidate password. `identifiers` are the account's email and username; a
    /// password equal (case-insensitively) to one of them, or to the local part of an
    /// email among them, is `SameAsIdentifier`.
    pub fn check(&self, password: &str, identifiers: &[&str]) -> Result<(), PasswordRejection> {
        // Code points, not bytes: "pässwörd" is 8 characters to the person typing it.
        let length = password.chars().count();
        if length < self.min_length {
            return Err(PasswordRejection::TooShort {
                min: self.min_length,
            });
        }
        if length > self.max_length {
            return Err(PasswordRejection::TooLong {
                max: self.max_length,
            });
        }
        let lowered = password.to_lowercase();
        if identifiers
            .iter()
            .any(|identifier| matches_identifier(&lowered, identifier))
        {
            return Err(PasswordRejection::SameAsIdentifier);
        }
        if is_common_lowered(&lowered) {
            return Err(PasswordRejection::Common);
        }
        Ok(())
    }
}

/// `lowered_password` equals the identifier, or the local part of an email identifier.
fn matches_identifier(lowered_password: &str, identifier: &str) -> bool {
    let identifier = identifier.trim().to_lowercase();
    if identifier.is_empty() {
        return false;
    }
    if lowered_password == identifier {
        return true;
    }
    match identifier.rsplit_once('@') {
        Some((local, _)) => !local.is_empty() && lowered_password == local,
        None => false,
    }
}

impl PasswordRejection {
    /// The validation error to return to the client for `field` (usually "password" or
    /// "new_password").
    pub fn to_field_error(&self, field: &'static str) -> FieldError {
        match self {
            Self::TooShort { min } => FieldError::new(
                field,
                "too_short",
                format!("Password must be at least {min} characters."),
            ),
            Self::TooLong { max } => FieldError::new(
                field,
                "too_long",
                format!("Password must be at most {max} characters."),
            ),
            Self::Common => FieldError::new(
                field,
                "common_password",
                "This password is too common and easy to guess. Choose another one.",
            ),
            Self::SameAsIdentifier => FieldError::new(
                field,
                "same_as_identifier",
                "Password must not be the same as your email address or username.",
            ),
        }
    }
}

/// The shipped list: one lower-cased password per line (Django's list, see data/README.md).
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect()
});

/// Whether `password` is on the common-password list, ignoring case.
pub fn is_common_password(password: &str) -> bool {
    is_common_lowered(&password.to_lowercase())
}

fn is_common_lowered(lowered: &str) -> bool {
    COMMON_PASSWORDS.contains(lowered)
}

#[cfg(test)]
#[allow(clippy::expect_used)] // a failed expectation is the test failing
mod tests {
    use super::*;

    const EMAIL: &str = "alice.smith@example.com";
    const USERNAME: &str = "alice_s";

    /// The table below is written for NIST's floor of 8, the lowest a deployment may set.
    fn check(password: &str) -> Result<(), PasswordRejection> {
        let nist = PasswordPolicy {
            min_length: 8,
            ..PasswordPolicy::default()
        };
        nist.check(password, &[EMAIL, USERNAME])
    }

    #[test]
    fn default_limits_are_asvs_level_2() {
        let policy = PasswordPolicy::default();
        assert_eq!((policy.min_length, policy.max_length), (12, 128));
        assert_eq!(
            policy.check("zqxjvbwkplm", &[]),
            Err(PasswordRejection::TooShort { min: 12 })
        );
        assert_eq!(policy.check("zqxjvbwkplmn", &[]), Ok(()));
    }

    #[test]
    fn passwords_are_normalised_to_nfkc() {
        // "é" precomposed (U+00E9) and decomposed (e + U+0301) are one password.
        let composed = "caf\u{e9} au lait, s'il vous pla\u{ee}t";
        let decomposed = "cafe\u{301} au lait, s'il vous plai\u{302}t";
        assert_ne!(composed, decomposed);
        assert_eq!(normalize_password(decomposed), composed);
        // Compatibility forms fold too: full-width letters, the "ﬁ" ligature.
        assert_eq!(normalize_password("\u{ff21}\u{ff22}\u{fb01}"), "ABfi");
        // Already-normal text is not copied.
        assert!(matches!(
            normalize_password("correct horse battery staple"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(normalize_password(composed), Cow::Borrowed(_)));
    }

    #[test]
    fn table() {
        let seven = "vK9#qLm";
        let eight = "vK9#qLmz";
        let max = "x7".repeat(64);
        let over = format!("{max}y");
        let cases: Vec<(&str, Result<(), PasswordRejection>)> = vec![
            ("", Err(PasswordRejection::TooShort { min: 8 })),
            (seven, Err(PasswordRejection::TooShort { min: 8 })),
            (eight, Ok(())),
            (&max, Ok(())),
            (&over, Err(PasswordRejection::TooLong { max: 128 })),
            ("password123", Err(PasswordRejection::Common)),
            ("PassWord123", Err(PasswordRejection::Common)),
            ("password", Err(PasswordRejection::Common)),
            ("qwertyuiop", Err(PasswordRejection::Common)),
            ("correct horse battery staple", Ok(())),
            // No composition rules: all lower-case letters is fine when uncommon.
            ("zqxjvbwkplmn", Ok(())),
            (EMAIL, Err(PasswordRejection::SameAsIdentifier)),
            (
                "Alice.Smith@Example.com",
                Err(PasswordRejection::SameAsIdentifier),
            ),
            ("alice.smith", Err(PasswordRejection::SameAsIdentifier)),
            ("ALICE.SMITH", Err(PasswordRejection::SameAsIdentifier)),
            // Too short wins over the identifier rule.
            (USERNAME, Err(PasswordRejection::TooShort { min: 8 })),
            ("alice.smith1", Ok(())),
        ];
        for (password, expected) in cases {
            assert_eq!(check(password), expected, "password {password:?}");
        }
    }

    #[test]
    fn length_is_counted_in_code_points() {
        // 7 code points but 14 bytes: still too short.
        let seven = "ñçüéàöß";
        assert_eq!(seven.chars().count(), 7);
        assert!(seven.len() > 8);
        assert_eq!(check(seven), Err(PasswordRejection::TooShort { min: 8 }));
        // 8 code points, 32 bytes of emoji: long enough.
        let eight = "🔑🐢🌵🎲🚲🍋🦉🧲";
        assert_eq!(eight.chars().count(), 8);
        assert_eq!(check(eight), Ok(()));
        // 128 code points of 3 bytes each is at the limit, 129 is over.
        let at_max = "語".repeat(128);
        assert_eq!(check(&at_max), Ok(()));
        let over = "語".repeat(129);
        assert_eq!(check(&over), Err(PasswordRejection::TooLong { max: 128 }));
    }

    #[test]
    fn identifier_rule() {
        let policy = PasswordPolicy {
            min_length: 8,
            ..PasswordPolicy::default()
        };
        let ids = ["Bob.Builder@example.org", "bobthebuilder"];
        assert_eq!(
            policy.check("BOBTHEBUILDER", &ids),
            Err(PasswordRejection::SameAsIdentifier)
        );
        assert_eq!(
            policy.check("bob.builder", &ids),
            Err(PasswordRejection::SameAsIdentifier)
        );
        assert_eq!(policy.check("bob.builder!", &ids), Ok(()));
        // Empty identifiers and empty local parts never match.
        assert_eq!(policy.check("zqxjvbwkplmn", &["", "@example.org"]), Ok(()));
        assert_eq!(policy.check("zqxjvbwkplmn", &[]), Ok(()));
    }

    #[test]
    fn custom_limits() {
        let policy = PasswordPolicy {
            min_length: 12,
            max_length: 16,
        };
        assert_eq!(
            policy.check("zqxjvbwkpl", &[]),
            Err(PasswordRejection::TooShort { min: 12 })
        );
        assert_eq!(policy.check("zqxjvbwkplmn", &[]), Ok(()));
        assert_eq!(
            policy.check("zqxjvbwkplmnzqxjv", &[]),
            Err(PasswordRejection::TooLong { max: 16 })
        );
    }

    #[test]
    fn common_password_lookup() {
        assert!(is_common_password("password123"));
        assert!(is_common_password("PASSWORD123"));
        assert!(is_common_password("123456"));
        assert!(is_common_password("iloveyou"));
        assert!(!is_common_password("zqxjvbwkplmn"));
        assert!(!is_common_password(""));
        assert!(!is_common_password("password123 "));
    }

    #[test]
    fn shipped_list_is_normalised_and_large() {
        let raw = include_str!("../../data/common-passwords.txt");
        let lines: Vec<&str> = raw.lines().collect();
        assert!(lines.len() >= 10_000, "only {} entries", lines.len());
        assert_eq!(
            COMMON_PASSWORDS.len(),
            lines.len(),
            "duplicates in the list"
        );
        for line in lines {
            assert!(!line.is_empty(), "empty line in the list");
            assert_eq!(line, line.trim(), "untrimmed entry {line:?}");
            assert_eq!(line, line.to_lowercase(), "entry not lower-cased: {line:?}");
        }
    }

    #[test]
    fn field_errors() {
        let cases = [
            (PasswordRejection::TooShort { min: 8 }, "too_short", "8"),
            (PasswordRejection::TooLong { max: 128 }, "too_long", "128"),
            (PasswordRejection::Common, "common_password", "common"),
            (
                PasswordRejection::SameAsIdentifier,
                "same_as_identifier",
                "email",
            ),
        ];
        for (rejection, code, mentions) in cases {
            let err = rejection.to_field_error("new_password");
            assert_eq!(err.field, "new_password");
            assert_eq!(err.code, code);
            assert!(
                err.message.contains(mentions),
                "{:?} should mention {mentions:?}",
                err.message
            );
        }
    }
}
