//! The HTTP integration suite: one test binary; every test runs on SQLite and on
//! PostgreSQL (`gatehouse_testkit::both_backends!`), each on its own fresh database, through
//! the kit's `TestApp`, whose every answer is checked against `/openapi.json` (`contract`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit_review;
mod audit_seals;
mod audit_summaries;
mod auth_flow;
mod backup;
mod binary;
mod binary_limits;
mod contract;
mod delivery_crash;
mod deploy;
mod docs_page;
mod email_verification;
mod https;
mod input;
mod limits;
mod link_pages;
mod lockout;
mod me;
mod metrics;
mod mfa_changes;
mod mfa_email_sms;
mod mfa_email_sms_rules;
mod mfa_enrolment;
mod mfa_login;
mod notification_hooks;
mod notification_preferences;
mod notification_timing;
mod notifications;
mod outage;
mod password_reset;
mod prune;
mod read_replica;
mod recovery;
mod refresh;
mod risk;
mod schema_check;
mod session_cache;
mod session_lifetime;
mod sessions;
mod several_nodes;
mod startup;
mod strings;
mod system;
mod throttle;
mod trusted_devices;
mod trusted_proxies;
