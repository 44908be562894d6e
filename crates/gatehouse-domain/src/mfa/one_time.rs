//! One-time codes sent by email or SMS: their purposes, the input of their keyed hash,
//! the shape a typed code must have, and how a destination is shown masked. Pure: the
//! random number and the key are the caller's.

use crate::accounts::PhoneNumber;
use crate::FieldError;

string_enum!(
    /// `otp_codes.purpose`: what a code may be used for (at most 20 characters).
    OtpPurpose {
        EnrolEmail => "mfa_enrol_email",
        EnrolSms => "mfa_enrol_sms",
        Login => "mfa_login",
    }
);

/// The bytes a code's keyed hash covers: purpose, the challenge (login) or account
/// (enrolment) it belongs to, the channel it went by, and the digits. A code therefore
/// matches only the row it was made for, even if rows were mixed up.
pub fn otp_hash_input(purpose: OtpPurpose, bound_to: &[u8], channel: &str, code: &str) -> Vec<u8> {
    let mut input = Vec::with_capacity(64);
    for part in [purpose.as_str().as_bytes(), bound_to, channel.as_bytes()] {
        input.extend_from_slice(part);
        input.push(0);
    }
    input.extend_from_slice(code.as_bytes());
    input
}

/// A typed code: `digits` ASCII digits once spaces and dashes are dropped.
pub fn normalize_otp(typed: &str, digits: u32) -> Option<String> {
    let code: String = typed.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let right_length = usize::try_from(digits).is_ok_and(|d| code.len() == d);
    (right_length && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

/// A number codes may be sent to: E.164 (`+` and 8 to 15 digits) and valid per
/// libphonenumber.
pub fn parse_sms_number(raw: &str) -> Result<PhoneNumber, FieldError> {
    let number = PhoneNumber::parse(raw)?;
    let digits = number.as_str().len() - 1;
    if !(8..=15).contains(&digits) {
        return Err(FieldError::new(
            "phone_number",
            "invalid_phone_number",
            "Enter a phone number in international format, such as +14155552671.",
        ));
    }
    Ok(number)
}

/// `ada@example.com` → `a***@example.com`: enough for the person to recognise it.
pub fn mask_email(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// `+4915112345689` → `+49*********89`: country code and the last two digits.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 6 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_show_little() {
        assert_eq!(mask_email("ada@example.com"), "a***@example.com");
        assert_eq!(mask_phone("+4915112345689"), "+49*********89");
        assert_eq!(mask_phone("+4989"), "*****");
    }

    #[test]
    fn codes_and_numbers() {
        assert_eq!(normalize_otp("123 456", 6).as_deref(), Some("123456"));
        assert_eq!(normalize_otp("12345", 6), None);
        assert_eq!(normalize_otp("12345a", 6), None);
        assert!(parse_sms_number("+14155552671").is_ok());
        assert!(parse_sms_number("4155552671").is_err());
        assert!(parse_sms_number("+1").is_err());
    }

    #[test]
    fn the_hash_input_binds_every_part() {
        let a = otp_hash_input(OtpPurpose::Login, b"c1", "email", "123456");
        assert_ne!(
            a,
            otp_hash_input(OtpPurpose::EnrolEmail, b"c1", "email", "123456")
        );
        assert_ne!(
            a,
            otp_hash_input(OtpPurpose::Login, b"c2", "email", "123456")
        );
        assert_ne!(a, otp_hash_input(OtpPurpose::Login, b"c1", "sms", "123456"));
    }
}
