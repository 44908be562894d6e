//! The OpenAPI document. Paths come from the same registration as the router
//! ([`crate::routes::api`], assembled with this module's parts in [`crate::document`]), so
//! a route cannot be served without being documented; this
//! module adds what is not per route: the title, tags, the bearer scheme and the shared
//! problem responses of [`responses`].

pub mod responses;

use crate::error::{FieldProblem, Problem};
use responses::{
    BadRequest, BodyTimeout, NotFound, PayloadTooLarge, ReauthenticationRequired,
    ServiceUnavailable, TooManyAttempts, TooManyCodes, Unauthenticated, UnsupportedMediaType,
    ValidationFailed,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Everything of the document except its paths.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "gatehouse",
        description = "Account security API: accounts, sessions, tokens, devices. Errors are RFC 9457 problem+json with a stable `code`."
    ),
    components(
        schemas(Problem, FieldProblem),
        responses(
            BadRequest,
            Unauthenticated,
            ReauthenticationRequired,
            NotFound,
            BodyTimeout,
            PayloadTooLarge,
            UnsupportedMediaType,
            ValidationFailed,
            TooManyAttempts,
            TooManyCodes,
            ServiceUnavailable,
        ),
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign-up, login, token refresh, logout"),
        (name = "me", description = "The signed-in account"),
        (name = "mfa", description = "Two-step verification of the signed-in account: authenticator app (TOTP), email and SMS codes, backup codes and settings"),
        (name = "admin", description = "Staff only: approval of changes to people's second factors"),
        (name = "audit", description = "Staff only: review of the session, device, MFA and session-device link audit logs"),
        (name = "sessions", description = "Sessions and devices of the signed-in account"),
        (name = "notifications", description = "Notification preferences, quiet hours, blocklist, consents and the in-app feed of the signed-in account"),
        (name = "hooks", description = "Delivery receipts from email and SMS providers (signed webhooks)"),
        (name = "system", description = "Health, keys, metrics, documentation"),
    )
)]
pub struct ApiDoc;

/// The `bearer` scheme that operations name in `security(("bearer" = []))`.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}
