//! Routes, one file per area: `auth` (register, login and its second step, refresh,
//! logout), `verification` (email verification, change of address), `password_reset`,
//! `recovery` (account recovery without the second factor),
//! `me` (account, profile, password), `mfa` (second factors), `sessions` (sessions,
//! devices and their trust), `notifications` (preferences,
//! quiet hours, blocklist, consents, in-app feed), `admin` (staff only: MFA change
//! approvals), `audit_admin` (staff only: audit review; and everyone's own
//! `/v1/me/security-events`), `audit_summaries` (staff only: daily audit summaries),
//! `link_pages` (the pages the emailed links open), `system` (health, keys, docs).
//!
//! Every route is registered through utoipa-axum's `routes!`, which adds the handler to
//! the router and its `#[utoipa::path]` operation to the OpenAPI document in one step;
//! nothing here calls `.route(..)` directly, so the document lists exactly what is served.

pub mod admin;
pub mod audit_admin;
pub mod audit_summaries;
pub mod auth;
pub mod hooks;
pub mod link_pages;
pub mod me;
pub mod mfa;
pub mod notifications;
pub mod password_reset;
pub mod recovery;
pub mod sessions;
pub mod system;
pub mod verification;

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;

/// Every route of the API with its OpenAPI operation. [`crate::router`] serves it and
/// [`crate::document::document`] publishes it.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(verification::router())
        .merge(password_reset::router())
        .merge(recovery::router())
        .merge(me::router())
        .merge(mfa::router())
        .merge(sessions::router())
        .merge(notifications::router())
        .merge(admin::router())
        .merge(audit_admin::router())
        .merge(audit_summaries::router())
        .merge(hooks::router())
        .merge(link_pages::router())
        .merge(system::router())
}
