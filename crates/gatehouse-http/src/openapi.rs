//! The OpenAPI document, generated from the handlers' `#[utoipa::path]` annotations and
//! the wire types' `ToSchema` derives.

use crate::routes::{auth, me, sessions, system};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "gatehouse",
        description = "Account security API: accounts, sessions, tokens, devices. Errors are RFC 9457 problem+json with a stable `code`."
    ),
    paths(
        auth::register, auth::login, auth::refresh, auth::logout, auth::logout_all,
        me::me, me::update_profile, me::change_password,
        sessions::list_sessions, sessions::revoke_session, sessions::list_devices, sessions::remove_device,
        system::healthz, system::readyz, system::metrics, system::jwks, system::openapi_json, system::docs,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign-up, login, token refresh, logout"),
        (name = "me", description = "The signed-in account"),
        (name = "sessions", description = "Sessions and devices of the signed-in account"),
        (name = "system", description = "Health, keys, metrics, documentation"),
    )
)]
pub struct ApiDoc;

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

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
