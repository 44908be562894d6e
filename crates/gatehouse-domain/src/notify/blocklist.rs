//! The blocklist (`notification_blocklist`): addresses, numbers and notification types a
//! person never wants messages to or of. It applies to every message, codes included (a
//! person who blocked their own number gets no SMS), but a code or link type itself cannot
//! be blocked, or the person could lock themselves out of sign-in and recovery.

use super::NotificationType;
use crate::accounts::{EmailAddress, PhoneNumber};
use crate::FieldError;

string_enum!(
    /// What a blocklist entry's value is.
    BlockType {
        Email => "email",
        Phone => "phone",
        NotificationType => "notification_type",
    }
);

/// One entry; inactive entries (unblocked) are kept for the record and match nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockEntry {
    pub block_type: BlockType,
    /// Canonical form from [`parse_blocked_value`]: a lower-cased email, an E.164 number,
    /// or a notification type's wire name.
    pub value: String,
    pub is_active: bool,
}

/// Wire name of the value field in 422 answers.
const VALUE_FIELD: &str = "blocked_value";

/// Check a value for `block_type` and return the form to store: emails lower-cased, phone
/// numbers in E.164, types by wire name. Transactional types are refused.
pub fn parse_blocked_value(block_type: BlockType, raw: &str) -> Result<String, FieldError> {
    let with_field = |err: FieldError| FieldError {
        field: VALUE_FIELD,
        ..err
    };
    match block_type {
        BlockType::Email => Ok(EmailAddress::parse(raw).map_err(with_field)?.into_string()),
        BlockType::Phone => Ok(PhoneNumber::parse(raw).map_err(with_field)?.into_string()),
        BlockType::NotificationType => {
            let notification_type: NotificationType = raw.trim().parse().map_err(|_| {
                FieldError::new(
                    VALUE_FIELD,
                    "unknown_notification_type",
                    "Name a notification type, such as login_new_device.",
                )
            })?;
            if notification_type.is_transactional() {
                return Err(FieldError::new(
                    VALUE_FIELD,
                    "not_blockable",
                    "Sign-in codes, email verification and password reset cannot be blocked.",
                ));
            }
            Ok(notification_type.as_str().to_owned())
        }
    }
}

/// Whether an active entry blocks this email address (compared case-insensitively; stored
/// addresses are ASCII, see [`EmailAddress`]).
pub fn blocks_email(entries: &[BlockEntry], email: &str) -> bool {
    active(entries, BlockType::Email).any(|value| value.eq_ignore_ascii_case(email.trim()))
}

/// Whether an active entry blocks this phone number (both in E.164, compared exactly).
pub fn blocks_phone(entries: &[BlockEntry], phone: &str) -> bool {
    active(entries, BlockType::Phone).any(|value| value == phone)
}

/// Whether an active entry blocks this type. Transactional types are never blocked, even
/// by an entry that slipped past [`parse_blocked_value`].
pub fn blocks_type(entries: &[BlockEntry], notification_type: NotificationType) -> bool {
    !notification_type.is_transactional()
        && active(entries, BlockType::NotificationType)
            .any(|value| value == notification_type.as_str())
}

fn active(entries: &[BlockEntry], block_type: BlockType) -> impl Iterator<Item = &str> {
    entries
        .iter()
        .filter(move |entry| entry.is_active && entry.block_type == block_type)
        .map(|entry| entry.value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(block_type: BlockType, value: &str, is_active: bool) -> BlockEntry {
        BlockEntry {
            block_type,
            value: value.to_owned(),
            is_active,
        }
    }

    #[test]
    fn parsing_gives_the_stored_form_or_names_the_field() {
        use BlockType::*;
        let ok = [
            (Email, " Ann@Example.COM ", "ann@example.com"),
            (Phone, "+1 415 555 2671", "+14155552671"),
            (NotificationType, "login_new_device", "login_new_device"),
            (NotificationType, "product_update", "product_update"),
        ];
        for (block_type, raw, stored) in ok {
            assert_eq!(parse_blocked_value(block_type, raw).as_deref(), Ok(stored));
        }
        let refused = [
            (Email, "not-an-email", "invalid_email"),
            (Phone, "4155552671", "invalid_phone_number"),
            (
                NotificationType,
                "no_such_type",
                "unknown_notification_type",
            ),
            (NotificationType, "otp_code", "not_blockable"),
            (NotificationType, "email_verification", "not_blockable"),
            (NotificationType, "password_reset", "not_blockable"),
        ];
        for (block_type, raw, code) in refused {
            let err = parse_blocked_value(block_type, raw).err();
            assert_eq!(
                err.map(|e| (e.field, e.code)),
                Some(("blocked_value", code)),
                "{block_type} {raw:?}"
            );
        }
    }

    #[test]
    fn matching() {
        use super::NotificationType as Kind;
        let list = [
            entry(BlockType::Email, "ann@example.com", true),
            entry(BlockType::Email, "old@example.com", false),
            entry(BlockType::Phone, "+14155552671", true),
            entry(BlockType::NotificationType, "login_new_device", true),
            entry(BlockType::NotificationType, "mfa_enabled", false),
            // Refused by parsing; routing must ignore it if one is stored anyway.
            entry(BlockType::NotificationType, "otp_code", true),
        ];
        assert!(blocks_email(&list, "ANN@Example.com"));
        assert!(!blocks_email(&list, "old@example.com"), "inactive entry");
        assert!(
            !blocks_email(&list, "+14155552671"),
            "a number is not an email"
        );
        assert!(blocks_phone(&list, "+14155552671"));
        assert!(!blocks_phone(&list, "+14155552672"));
        assert!(blocks_type(&list, Kind::LoginNewDevice));
        assert!(!blocks_type(&list, Kind::MfaEnabled), "inactive entry");
        assert!(
            !blocks_type(&list, Kind::OtpCode),
            "transactional types cannot be blocked"
        );
    }
}
