//! `EmailAddress`: a parsed, normalised account email. Syntax follows RFC 5321/5322 via the
//! `email_address` crate, narrowed to what a mail relay reliably delivers: ASCII only (no
//! SMTPUTF8, RFC 6531), no display name, no quoted local part, no domain literal, and a
//! domain with at least one dot. Stored lower-cased: gatehouse compares emails
//! case-insensitively, so one canonical form keeps the unique index honest.

use std::fmt;

use email_address::Options;

use crate::FieldError;

const FIELD: &str = "email";

/// Longest accepted address, in octets: RFC 5321 4.5.3.1.3 caps a path at 256 octets
/// including the angle brackets, which leaves 254 for the address (RFC 3696 erratum 1690).
pub const MAX_LENGTH: usize = 254;

/// A syntactically valid, trimmed, lower-cased email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parse user input: trims surrounding whitespace, checks the syntax, lower-cases.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.len() > MAX_LENGTH {
            return Err(FieldError::new(
                FIELD,
                "too_long",
                format!("Email address must be at most {MAX_LENGTH} characters."),
            ));
        }
        // ASCII-only keeps lower-casing exact (Unicode lower-casing is not case folding, and
        // maps e.g. the Kelvin sign to an ASCII 'k') and rules out homograph look-alikes.
        if trimmed.is_empty()
            || !trimmed.is_ascii()
            || trimmed
                .chars()
                .any(|c| c.is_ascii_whitespace() || c.is_ascii_control())
            // Quoted local parts ("a b"@x, "a@b"@x) are legal but almost never real, and
            // confuse every system that splits on '@'.
            || trimmed.contains(['"', '\\'])
        {
            return Err(invalid());
        }
        let lowered = trimmed.to_ascii_lowercase();
        let options = Options::default()
            .without_display_text()
            .without_domain_literal()
            // Two labels at least: "user@localhost" is not an address we can mail.
            .with_required_tld();
        match email_address::EmailAddress::parse_with_options(&lowered, options) {
            Ok(_) => Ok(Self(lowered)),
            Err(email_address::Error::LocalPartTooLong) => Err(FieldError::new(
                FIELD,
                "too_long",
                "The part of the email address before '@' must be at most 64 characters.",
            )),
            Err(_) => Err(invalid()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The part before the '@' (used by the password policy to reject passwords equal to it).
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or(self.0.as_str(), |(l, _)| l)
    }

    /// The part after the '@'.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

fn invalid() -> FieldError {
    FieldError::new(
        FIELD,
        "invalid_email",
        "Enter a valid email address, such as name@example.com.",
    )
}

#[cfg(test)]
#[allow(clippy::expect_used)] // a failed expectation is the test failing
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises_valid_addresses() {
        let cases = [
            ("alice@example.com", "alice@example.com"),
            ("Alice.Smith@Example.COM", "alice.smith@example.com"),
            ("  bob@example.org \n", "bob@example.org"),
            (
                "first.last+tag@sub.example.co.uk",
                "first.last+tag@sub.example.co.uk",
            ),
            ("o'brien@example.ie", "o'brien@example.ie"),
            ("x_y-z@123.example", "x_y-z@123.example"),
        ];
        for (raw, expected) in cases {
            let email = EmailAddress::parse(raw)
                .unwrap_or_else(|e| panic!("{raw:?} should be valid, got {e:?}"));
            assert_eq!(email.as_str(), expected, "input {raw:?}");
        }
    }

    #[test]
    fn rejects_invalid_addresses() {
        let long_local = format!("{}@example.com", "a".repeat(65));
        let cases: [(&str, &str); 18] = [
            ("", "invalid_email"),
            ("   ", "invalid_email"),
            ("alice", "invalid_email"),
            ("alice@", "invalid_email"),
            ("@example.com", "invalid_email"),
            ("alice@localhost", "invalid_email"),
            ("alice@example", "invalid_email"),
            ("alice@example.com.", "invalid_email"),
            ("alice@.example.com", "invalid_email"),
            ("al ice@example.com", "invalid_email"),
            ("alice@exa mple.com", "invalid_email"),
            ("alice\t@example.com", "invalid_email"),
            ("Alice <alice@example.com>", "invalid_email"),
            ("\"al ice\"@example.com", "invalid_email"),
            ("\"a@b\"@example.com", "invalid_email"),
            ("alice@[127.0.0.1]", "invalid_email"),
            ("al\u{212A}ce@example.com", "invalid_email"),
            (long_local.as_str(), "too_long"),
        ];
        for (raw, code) in cases {
            let err = EmailAddress::parse(raw).expect_err(raw);
            assert_eq!(err.field, "email", "input {raw:?}");
            assert_eq!(err.code, code, "input {raw:?}");
        }
    }

    #[test]
    fn length_limit_is_254() {
        // 64 + 1 + (63 + 1 + 63 + 1 + 61) = 254: every part at or under its own limit too.
        let domain = format!("{}.{}.{}", "b".repeat(63), "c".repeat(63), "d".repeat(61));
        let at_limit = format!("{}@{domain}", "a".repeat(64));
        assert_eq!(at_limit.len(), MAX_LENGTH);
        assert!(EmailAddress::parse(&at_limit).is_ok());

        let over = format!("{at_limit}d");
        assert_eq!(
            EmailAddress::parse(&over).map_err(|e| e.code),
            Err("too_long")
        );

        let huge = format!("{}@example.com", "a".repeat(10_000));
        assert_eq!(
            EmailAddress::parse(&huge).map_err(|e| e.code),
            Err("too_long")
        );
    }

    #[test]
    fn exposes_parts() {
        let email = EmailAddress::parse("Carol@Example.com").expect("valid");
        assert_eq!(email.local_part(), "carol");
        assert_eq!(email.domain(), "example.com");
        assert_eq!(email.to_string(), "carol@example.com");
        assert_eq!(email.into_string(), "carol@example.com");
    }

    #[test]
    fn equal_after_normalisation() {
        assert_eq!(
            EmailAddress::parse("DAVE@example.com").expect("valid"),
            EmailAddress::parse("dave@EXAMPLE.com").expect("valid")
        );
    }
}
