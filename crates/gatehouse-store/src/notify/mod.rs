//! Notifications (seed "NOTIFICATIONS APP"): the email and SMS outbox ([`outbox`]), the
//! history of each message's states ([`log`]), in-app messages ([`in_app`]) and the
//! single-use links alerts carry ([`action_tokens`]), and what people chose
//! ([`preferences`]).

pub mod action_tokens;
pub mod digest;
pub mod in_app;
pub mod log;
pub mod outbox;
pub mod preferences;
pub mod receipts;
