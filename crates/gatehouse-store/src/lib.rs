//! gatehouse-store: persistence on SQLite and PostgreSQL through one query code path.
//!
//! Every query is written once, in the SQL both databases speak (`$1` placeholders,
//! `RETURNING`, `ON CONFLICT`, values always bound from Rust — never `now()`), and run by
//! the [`fetch_optional!`]-family macros on whichever backend the [`Db`] holds. Rows decode
//! into the same structs on both (`sqlx::FromRow`); the few types the two databases store
//! differently (`inet`, `text[]`) have a wrapper in [`types`].
//!
//! Modules follow the seed's parts: [`accounts`], [`audit`], plus [`throttle`] (shared
//! failed-login counters) and [`migrate`].

#[macro_use]
mod macros;

pub mod accounts;
pub mod audit;
pub mod audit_bulk;
pub mod audit_export;
pub mod audit_hash;
pub mod audit_retention;
pub mod audit_review;
pub mod audit_seals;
pub mod audit_summaries;
pub mod backup;
pub mod changes;
pub mod config;
pub mod db;
pub mod error;
pub mod location;
pub mod maintenance;
pub mod mfa;
pub mod migrate;
pub mod notify;
pub mod pool_stats;
pub mod prune;
pub mod throttle;
pub mod types;

pub use config::DatabaseConfig;
pub use db::{Conn, Db, DbOptions, Exec, Executor, Tx};
pub use error::{StoreError, StoreResult};
pub use location::{Backend, Location};
pub use pool_stats::PoolStats;
