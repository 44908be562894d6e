//! The enumerations of notification settings as the document lists them: string schemas
//! whose `enum` is read from the domain's own list of values (`ALL`), so the document
//! cannot drift from what the use cases accept.

use gatehouse_domain::notify::{
    BlockType, ConsentType, DigestFrequency, NotificationType, Priority,
};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;

/// Declares a schema-only type naming `$domain`'s values.
macro_rules! names {
    ($(#[$doc:meta])* $name:ident => $domain:ty, $description:literal) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some($description))
                    .enum_values(Some(<$domain>::ALL.iter().map(|value| value.as_str())))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

names!(
    /// `NotificationType` values.
    NotificationTypeName => NotificationType,
    "What a message is about: the security and account notifications, and `product_update` \
     (product news, which needs the `marketing` consent)."
);
names!(
    /// `Priority` values.
    PriorityName => Priority,
    "How urgent a message is; `critical` passes quiet hours that allow critical messages."
);
names!(
    /// `DigestFrequency` values.
    DigestFrequencyName => DigestFrequency,
    "`real-time` sends each alert at once; `hourly` and `daily` gather non-critical alerts \
     into one message."
);
names!(
    /// `BlockType` values.
    BlockTypeName => BlockType,
    "What a blocklist value is: an email address, a phone number or a notification type."
);
names!(
    /// `ConsentType` values.
    ConsentTypeName => ConsentType,
    "What a person may consent to."
);

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::PartialSchema;

    #[test]
    fn the_listed_values_are_the_domains() {
        let schema = serde_json::to_value(PriorityName::schema()).unwrap();
        assert_eq!(schema["type"], "string");
        assert_eq!(
            schema["enum"],
            serde_json::json!(["low", "medium", "high", "critical"])
        );
        let kinds = serde_json::to_value(NotificationTypeName::schema()).unwrap();
        assert_eq!(
            kinds["enum"].as_array().unwrap().len(),
            NotificationType::ALL.len()
        );
        assert_eq!(kinds["enum"][0], "otp_code");
    }
}
