//! gatehouse-testkit: what the workspace's integration tests share. A fresh database per
//! test on either backend ([`TestDb`]), [`both_backends!`] to run a test on SQLite and on
//! PostgreSQL (or on the ones `GATEHOUSE_TEST_BACKENDS` selects, see [`skipped`]), the queries only tests need ([`queries`]), a [`TcpProxy`] to break the
//! connection to PostgreSQL with, and — with the `app` feature — [`TestApp`]: the real
//! router over a fresh database with a fake clock, whose every answer is checked against
//! the served OpenAPI document ([`contract`]). With the `notify` feature: stand-ins for
//! the notification providers, a real SMTP server ([`SmtpSink`]) and a Twilio-style SMS
//! API ([`SmsProvider`]).
//!
//! Only ever a dev-dependency. The store's integration tests use it too (a dev-dependency
//! cycle is fine for `tests/*.rs`; unit tests inside the store must not use it, or they
//! would see two copies of the store's types).

// Setup that fails should fail the test at once, with the reason: this crate is test code.
#![allow(clippy::expect_used)]

mod backends;
mod db;
mod proxy;
pub mod queries;

#[cfg(feature = "notify")]
mod sms_provider;
#[cfg(feature = "notify")]
mod smtp_sink;

#[cfg(feature = "app")]
mod app;
#[cfg(feature = "app")]
pub mod contract;
#[cfg(feature = "app")]
mod request;

pub use backends::{postgres_admin_url, require_postgres, skipped};
pub use db::TestDb;
pub use gatehouse_store::Backend;
pub use proxy::TcpProxy;

#[cfg(feature = "notify")]
pub use sms_provider::{SmsProvider, SmsReply, SmsRequest, SmsScript};
#[cfg(feature = "notify")]
pub use smtp_sink::{Headers, ReceivedMail, SmtpLogin, SmtpSink};

#[cfg(feature = "app")]
pub use app::{test_config, Registered, TestApp, TestDbHandle, PASSWORD};
#[cfg(feature = "app")]
pub use request::{stalled_body, Resp, Tokens};

/// Run an `async fn name(backend: Backend)` test once on SQLite and once on PostgreSQL,
/// as the tests `name::sqlite` and `name::postgres`; a backend that
/// `GATEHOUSE_TEST_BACKENDS` leaves out is skipped with a line on stderr ([`skipped`]).
/// The calling crate needs `tokio` (with the `macros` and `rt-multi-thread` features)
/// among its dependencies.
#[macro_export]
macro_rules! both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if $crate::skipped($crate::Backend::Sqlite) {
                    return;
                }
                super::$name($crate::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::skipped($crate::Backend::Postgres) {
                    return;
                }
                super::$name($crate::Backend::Postgres).await
            }
        }
    };
}
