//! The published OpenAPI document: this module's info, tags, bearer scheme and shared
//! responses ([`crate::openapi::ApiDoc`]) with every route's operation from the one
//! registration in [`crate::routes::api`]. Built here, above both, so neither has to know
//! the other's half.

use crate::openapi::ApiDoc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// The whole document, paths included.
pub fn document() -> utoipa::openapi::OpenApi {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::routes::api())
        .into_openapi()
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

    /// Every `/v1` operation reads or writes the database and runs under the request time
    /// limit, so each can answer 503 (`database_unavailable`, `request_timeout`).
    #[test]
    fn api_operations_declare_their_503() {
        let doc = document();
        let api: Vec<_> = operations(&doc)
            .into_iter()
            .filter(|(_, path, _)| path.starts_with("/v1/"))
            .collect();
        assert!(api.len() >= 12, "only {} /v1 operations", api.len());
        for (method, path, op) in api {
            assert_eq!(
                op["responses"]["503"]["$ref"], "#/components/responses/ServiceUnavailable",
                "{method} {path} documents no 503"
            );
        }
    }

    /// An operation with a JSON body answers what `ApiJson` refuses, and shows an example.
    #[test]
    fn json_body_operations_declare_the_body_errors_and_an_example() {
        let doc = document();
        let mut with_body = 0;
        for (method, path, op) in operations(&doc) {
            let Some(body) = op.get("requestBody") else {
                continue;
            };
            // Webhooks read their body as bytes (the signature covers the raw body) and
            // answer 401 before anything is parsed: not `ApiJson`'s rules.
            if path.starts_with("/v1/hooks/") {
                assert!(
                    body["content"]["application/json"]["example"].is_object(),
                    "{method} {path} has no example"
                );
                continue;
            }
            with_body += 1;
            let json = &body["content"]["application/json"];
            assert!(
                json["example"].is_object(),
                "{method} {path} has no example"
            );
            for status in ["400", "408", "413", "415", "422"] {
                assert!(
                    !op["responses"][status].is_null(),
                    "{method} {path} reads a JSON body but documents no {status}"
                );
            }
        }
        assert_eq!(with_body, 28);
    }

    /// Every error an operation documents is problem+json with the `Problem` schema, and
    /// no operation hides its errors behind a catch-all `default`.
    #[test]
    fn every_error_is_problem_json() {
        let doc = document();
        for (method, path, op) in operations(&doc) {
            for (status, response) in op["responses"].as_object().unwrap() {
                assert_ne!(status, "default", "{method} {path}");
                if !status.starts_with('4') && !status.starts_with('5') {
                    continue;
                }
                let response = match response["$ref"].as_str() {
                    Some(r) => doc.pointer(r.strip_prefix('#').unwrap()).unwrap(),
                    None => response,
                };
                let content = response["content"].as_object().unwrap();
                assert_eq!(
                    content.keys().collect::<Vec<_>>(),
                    ["application/problem+json"],
                    "{method} {path} {status}"
                );
                assert_eq!(
                    content["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem",
                    "{method} {path} {status}"
                );
            }
        }
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
