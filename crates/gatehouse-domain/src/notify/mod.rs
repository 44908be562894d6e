//! Notifications, in the domain's words: what kinds of message gatehouse sends, over which
//! channels, how urgent each is, and (in [`routing`]) the pure decision of whether, where
//! and when one may be delivered given a person's preferences, quiet hours, blocklist,
//! consent and daily caps. Nothing here does I/O; the core crate asks and then enqueues.

mod kinds;

pub use kinds::{
    Channel, ConsentType, DeliveryStatus, DigestFrequency, NotificationType, Priority,
};
