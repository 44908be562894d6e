//! The store's functions against real databases: every test runs on SQLite and on
//! PostgreSQL (`gatehouse_testkit::both_backends!`), each on its own fresh, migrated
//! database. Rows are seeded through the store's own functions ([`seed`]).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod seed;

mod audit_bulk;
mod mfa;
mod refresh_tokens;
mod session_limit;
mod sessions;
mod throttle;
mod unavailable;
