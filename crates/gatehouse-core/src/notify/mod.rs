//! Notifications.

pub mod transport;
