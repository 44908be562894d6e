//! The store's functions against real databases: every test runs on SQLite and on
//! PostgreSQL (`gatehouse_testkit::both_backends!`), each on its own fresh, migrated
//! database. Rows are seeded through the store's own functions ([`seed`]). The exception is
//! [`query_plans`]: PostgreSQL's planner is what it checks, so it runs there only, on rows
//! bulk-filled in SQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod seed;

mod audit_bulk;
mod mfa;
mod query_plans;
mod refresh_tokens;
mod session_limit;
mod sessions;
mod throttle;
mod unavailable;
