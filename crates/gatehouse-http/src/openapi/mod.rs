//! The OpenAPI document. Paths come from the same registration as the router
//! ([`crate::routes::api`]), so a route cannot be served without being documented; this
//! module adds what is not per route: the title, tags, the bearer scheme and the shared
//! problem responses of [`responses`].

pub mod responses;

use crate::error::{FieldProblem, Problem};
use responses::{BadRequest, NotFound, TooManyAttempts, Unauthenticated, ValidationFailed};
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
        responses(BadRequest, Unauthenticated, NotFound, ValidationFailed, TooManyAttempts),
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

/// The whole document, paths included.
pub fn document() -> utoipa::openapi::OpenApi {
    crate::routes::api().into_openapi()
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    fn document() -> Value {
        serde_json::to_value(super::document()).unwrap()
    }

    /// Every operation of the document, as (method, path, operation).
    fn operations(doc: &Value) -> Vec<(String, String, Value)> {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                out.push((method.clone(), path.clone(), op.clone()));
            }
        }
        out
    }

    fn collect_refs(value: &Value, refs: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    refs.push(r.clone());
                }
                map.values().for_each(|v| collect_refs(v, refs));
            }
            Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_resolves() {
        let doc = document();
        let mut refs = Vec::new();
        collect_refs(&doc, &mut refs);
        assert!(refs.contains(&"#/components/responses/Unauthenticated".to_owned()));
        for r in refs {
            let pointer = r.strip_prefix('#').unwrap();
            assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
        }
    }

    #[test]
    fn bearer_operations_declare_their_401() {
        let doc = document();
        let mut secured = 0;
        for (method, path, op) in operations(&doc) {
            if op.get("security").is_some() {
                secured += 1;
                assert!(
                    !op["responses"]["401"].is_null(),
                    "{method} {path} needs a bearer token but documents no 401"
                );
            }
        }
        assert!(secured >= 9, "only {secured} bearer operations");
    }

    #[test]
    fn path_templates_and_path_parameters_agree() {
        let doc = document();
        for (method, path, op) in operations(&doc) {
            let mut in_template: Vec<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            let mut declared: Vec<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str())
                .collect();
            in_template.sort_unstable();
            declared.sort_unstable();
            assert_eq!(in_template, declared, "{method} {path}");
        }
    }
}
