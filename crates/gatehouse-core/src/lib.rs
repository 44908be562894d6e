//! gatehouse-core: the use cases. Each one opens one transaction, makes its change, writes
//! its audit rows in that same transaction and commits once. Core owns the clock, the
//! token signer, the password hasher and the keyed hashes; the HTTP layer only maps
//! requests to these calls and results to responses.

pub mod accounts;
pub mod audit_ops;
pub mod audit_review;
pub mod client;
pub mod clock;
pub mod config;
pub mod events;
pub mod keys;
pub mod maintenance;
pub mod metrics;
pub mod mfa;
pub mod notify;
pub mod password;
pub mod risk;
pub mod scrape;
pub mod state;
pub mod system;
pub mod throttle;
pub mod tokens;

pub use accounts::AccountsError;
pub use clock::{Clock, FakeClock, SystemClock};
pub use config::CoreConfig;
pub use state::{ClientInfo, Core};
