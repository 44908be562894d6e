//! Typed ids: a `UserId` cannot be passed where a `SessionId` is expected. All ids are
//! UUIDv7 (time-ordered, so new rows land at the right edge of B-tree indexes).

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh UUIDv7 id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

typed_id!(
    /// A person's account (`users.id`).
    UserId
);
typed_id!(
    /// A login session (`sessions.id`).
    SessionId
);
typed_id!(
    /// A device seen at login (`devices.id`).
    DeviceId
);
typed_id!(
    /// A refresh-token family: every token rotated from one login shares it.
    TokenFamilyId
);
typed_id!(
    /// Any audit row.
    AuditId
);
