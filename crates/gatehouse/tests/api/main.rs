//! The HTTP integration suite: one test binary; every test runs on SQLite and on
//! PostgreSQL (`both_backends!`), each on its own fresh database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod auth_flow;
mod binary;
mod input;
mod me;
mod refresh;
mod sessions;
mod system;
mod throttle;
