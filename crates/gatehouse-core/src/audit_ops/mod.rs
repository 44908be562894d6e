//! Audit operations beside the hot path (issue 10, items 4 and 5): daily per-user
//! summaries ([`summaries`]), retention and monthly partitions ([`retention`], with the
//! `[audit]` settings) and streaming exports ([`export`]). Run by `gatehouse audit ...`
//! and, once a day, by the workers.

pub mod export;
pub mod retention;
pub mod summaries;

pub use retention::{AuditConfig, MaintainReport};
