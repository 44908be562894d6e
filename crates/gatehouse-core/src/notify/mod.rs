//! Notifications (DESIGN §6): messages are decided (domain routing), rendered (templates)
//! and queued in the transaction of the change that raised them, then delivered by
//! workers through the configured transports; providers report back through signed
//! webhooks.

pub mod backoff;
pub mod config;
pub mod error;
pub mod receipts;
pub mod templates;
// pub mod worker; (after the transports land)

pub use config::NotificationsConfig;
pub use error::NotifyError;
