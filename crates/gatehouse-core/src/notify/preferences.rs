//! What a person chose about their notifications, as use cases (issue 8, item 5): the
//! global switches and per-type settings ([`settings`]), weekly quiet hours, the blocklist,
//! the consent ledger, and the in-app feed. Input arrives raw from the wire; every refusal
//! is a `FieldError` naming its field, all of them gathered before anything is written, and
//! every string is held to its column's length here (PostgreSQL refuses an over-long
//! `varchar`, SQLite keeps it: the answer must not depend on the backend).
//!
//! Rows become domain values through [`super::person`], as routing reads them, so the API
//! shows what routing will act on.

mod blocklist;
mod consents;
mod feed;
mod input;
mod quiet_hours;
mod settings;

pub use blocklist::{block, blocklist, unblock, Block, NewBlock};
pub use consents::{
    consent_type, consents, record_consent, ConsentChange, ConsentEvent, ConsentState, Consents,
    DEFAULT_CONSENT_SOURCE,
};
pub use feed::{list_notifications, mark_read, InAppNotification};
pub use quiet_hours::{
    add_quiet_hours, list_quiet_hours, remove_quiet_hours, NewQuietHours, QuietHours,
};
pub use settings::{
    notification_type, settings, type_settings, update_global, update_type, GlobalChange,
    NotificationSettings, TypeChange, TypeSettings,
};
