//! Audit operations beside the hot path (issue 10, items 1, 4 and 5): the seals that make
//! tampering evident and their verification ([`seal`]), daily per-user summaries
//! ([`summaries`]), retention and monthly partitions ([`retention`], with the `[audit]`
//! settings) and streaming exports ([`export`]). Run by `gatehouse audit ...` and by the
//! workers (sealing every few minutes, the rest once a day).

pub mod export;
pub mod retention;
pub mod seal;
pub mod summaries;

pub use retention::{AuditConfig, MaintainReport};
