//! The contract check: every answer [`TestApp::request`] receives is compared with the
//! OpenAPI document the router serves at `/openapi.json`, so each integration test is also a
//! contract test. For the operation found by method and path template, the status must be
//! listed, the content type must be one the status declares (no body where it declares
//! none), and a JSON body must be valid against its schema (JSON Schema 2020-12, as
//! OpenAPI 3.1 has it; `format`s such as `uuid` and `date-time` are checked). Paths with no
//! operation (the 404/405 fallbacks) are not checked, except that no answer anywhere may be
//! a 5xx other than a documented 503.
//!
//! The check is stricter than JSON Schema's defaults in one way: an object may hold only
//! the properties its schema names ([`seal`]), so a field the server sends is a field the
//! document describes.
//!
//! [`TestApp::request`]: crate::TestApp::request

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use jsonschema::Validator;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use tokio::sync::OnceCell;
use tower::ServiceExt;

/// The document, fetched from the first router that answers and compiled once per process.
static SERVED: OnceCell<Contract> = OnceCell::const_new();

/// The served document, compiled: what each operation may answer.
pub struct Contract {
    operations: Vec<Operation>,
}

/// One operation: `GET /v1/me/sessions/{id}` and its answers.
struct Operation {
    method: Method,
    template: String,
    segments: Vec<Segment>,
    id: String,
    answers: BTreeMap<u16, Answer>,
}

enum Segment {
    Literal(String),
    Parameter,
}

/// What one status of one operation may carry: its media types, each with the compiled
/// schema of a JSON body (`None` when the body is not JSON or has no schema). No media type
/// at all means no body.
struct Answer {
    content: Vec<(String, Option<Validator>)>,
}

/// A response the document does not allow, with what is wrong.
#[derive(Debug)]
pub struct Violation(String);

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Violation {}

impl Contract {
    /// The document `router` serves at `/openapi.json`, compiled on the first call of the
    /// process (every router of the workspace serves the same one).
    pub async fn served(router: &Router) -> &'static Contract {
        SERVED
            .get_or_init(|| async {
                let request = Request::get("/openapi.json")
                    .body(Body::empty())
                    .expect("request");
                let response = router.clone().oneshot(request).await.expect("infallible");
                assert_eq!(response.status(), StatusCode::OK, "GET /openapi.json");
                let bytes = response
                    .into_body()
                    .collect()
                    .await
                    .expect("body")
                    .to_bytes();
                let document: Value =
                    serde_json::from_slice(&bytes).expect("/openapi.json is JSON");
                Contract::compile(&document).unwrap_or_else(|e| panic!("/openapi.json: {e}"))
            })
            .await
    }

    /// Compile every operation of an OpenAPI 3.1 document.
    pub fn compile(document: &Value) -> Result<Contract, String> {
        let schemas = document
            .pointer("/components/schemas")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let mut operations = Vec::new();
        let paths = document["paths"].as_object().ok_or("no `paths`")?;
        for (template, item) in paths {
            let item = item
                .as_object()
                .ok_or_else(|| format!("{template}: not an object"))?;
            for (method, operation) in item {
                let Ok(method) = Method::from_bytes(method.to_uppercase().as_bytes()) else {
                    continue; // `parameters`, `summary`: not an operation
                };
                let name = format!("{method} {template}");
                let mut answers = BTreeMap::new();
                let responses = operation["responses"]
                    .as_object()
                    .ok_or_else(|| format!("{name}: no responses"))?;
                for (status, response) in responses {
                    let code: u16 = status
                        .parse()
                        .map_err(|_| format!("{name}: response `{status}` is not a status"))?;
                    let response = resolve(document, response)
                        .ok_or_else(|| format!("{name} {status}: unresolved $ref"))?;
                    let answer = Answer::compile(response, &schemas)
                        .map_err(|e| format!("{name} {status}: {e}"))?;
                    answers.insert(code, answer);
                }
                operations.push(Operation {
                    segments: segments(template),
                    template: template.clone(),
                    id: operation["operationId"].as_str().unwrap_or("?").to_owned(),
                    method,
                    answers,
                });
            }
        }
        Ok(Contract { operations })
    }

    /// Whether the document allows this answer to `method uri`.
    pub fn check(
        &self,
        method: &Method,
        uri: &str,
        status: StatusCode,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<(), Violation> {
        let path = uri.split(['?', '#']).next().unwrap_or(uri);
        let operation = self.operation(method, path);
        // A 503 (database out of reach, request out of time) is an answer a client must
        // expect where it is documented; any other 5xx is a server fault, documented or not.
        if status.is_server_error()
            && (status != StatusCode::SERVICE_UNAVAILABLE || operation.is_none())
        {
            return Err(Violation(format!(
                "{method} {uri} answered {status}: no 5xx but a documented 503 is an \
                 expected answer\nbody: {}",
                excerpt(body)
            )));
        }
        let Some(operation) = operation else {
            return Ok(()); // no operation: the 404/405 fallbacks
        };
        let name = format!(
            "{} {} (operation `{}`)",
            operation.method, operation.template, operation.id
        );
        let Some(answer) = operation.answers.get(&status.as_u16()) else {
            let listed: Vec<_> = operation.answers.keys().map(u16::to_string).collect();
            return Err(Violation(format!(
                "{name} answered {status}, which the document does not list (it lists {})\n\
                 request: {method} {uri}\nbody: {}",
                listed.join(", "),
                excerpt(body)
            )));
        };
        answer.check(content_type, body).map_err(|e| {
            Violation(format!(
                "{name} answered {status}: {e}\nrequest: {method} {uri}\nbody: {}",
                excerpt(body)
            ))
        })
    }

    /// The operation for `method` on the template `path` matches, literal segments winning
    /// over parameters (as the router matches them).
    fn operation(&self, method: &Method, path: &str) -> Option<&Operation> {
        let parts: Vec<&str> = path.split('/').collect();
        self.operations
            .iter()
            .filter(|op| op.method == method && op.matches(&parts))
            .max_by_key(|op| {
                op.segments
                    .iter()
                    .filter(|s| matches!(s, Segment::Literal(_)))
                    .count()
            })
    }
}

impl Operation {
    fn matches(&self, parts: &[&str]) -> bool {
        self.segments.len() == parts.len()
            && self.segments.iter().zip(parts).all(|(s, p)| match s {
                Segment::Literal(l) => l == p,
                // The router gives a parameter a non-empty segment only.
                Segment::Parameter => !p.is_empty(),
            })
    }
}

impl Answer {
    fn compile(response: &Value, schemas: &Value) -> Result<Answer, String> {
        let mut content = Vec::new();
        for (media_type, media) in response["content"].as_object().into_iter().flatten() {
            let validator = match media.get("schema") {
                Some(schema) if is_json(media_type) => Some(compile_schema(schema, schemas)?),
                _ => None,
            };
            content.push((media_type.to_ascii_lowercase(), validator));
        }
        Ok(Answer { content })
    }

    fn check(&self, content_type: Option<&str>, body: &[u8]) -> Result<(), String> {
        if self.content.is_empty() {
            return match body.is_empty() {
                true => Ok(()),
                false => Err("the document declares no body, but one came".to_owned()),
            };
        }
        let essence = content_type
            .and_then(|ct| ct.split(';').next())
            .map(|ct| ct.trim().to_ascii_lowercase());
        let declared: Vec<&str> = self.content.iter().map(|(m, _)| m.as_str()).collect();
        let Some((_, validator)) = self
            .content
            .iter()
            .find(|(m, _)| essence.as_deref() == Some(m.as_str()))
        else {
            return Err(format!(
                "content type {content_type:?}, but the document declares {}",
                declared.join(", ")
            ));
        };
        let Some(validator) = validator else {
            return Ok(());
        };
        let instance: Value =
            serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("at `{}`: {e}", e.instance_path()))
            .collect();
        match errors.is_empty() {
            true => Ok(()),
            false => Err(format!(
                "the body does not match its schema:\n  {}",
                errors.join("\n  ")
            )),
        }
    }
}

/// A response object, following one `$ref` into `#/components/responses`.
fn resolve<'d>(document: &'d Value, response: &'d Value) -> Option<&'d Value> {
    match response.get("$ref").and_then(Value::as_str) {
        Some(reference) => document.pointer(reference.strip_prefix('#')?),
        None => Some(response),
    }
}

/// `application/json` and any `application/*+json` (`application/problem+json`).
fn is_json(media_type: &str) -> bool {
    let media_type = media_type.to_ascii_lowercase();
    media_type == "application/json"
        || (media_type.starts_with("application/") && media_type.ends_with("+json"))
}

fn segments(template: &str) -> Vec<Segment> {
    template
        .split('/')
        .map(|s| match s.starts_with('{') && s.ends_with('}') {
            true => Segment::Parameter,
            false => Segment::Literal(s.to_owned()),
        })
        .collect()
}

/// A validator for one response schema. The document's component schemas travel with it,
/// at the same place (`#/components/schemas`), so their `$ref`s resolve unchanged; an
/// unsealed copy of each sits beside them for [`seal`].
fn compile_schema(schema: &Value, schemas: &Value) -> Result<Validator, String> {
    let mut sealed = Map::new();
    let mut open = Map::new();
    for (name, component) in schemas.as_object().into_iter().flatten() {
        sealed.insert(name.clone(), seal(component, true));
        open.insert(name.clone(), seal(component, false));
    }
    let mut root = match seal(schema, true) {
        Value::Object(map) => map,
        // `true`/`false` schemas: nothing to add them to.
        other => return jsonschema::draft202012::new(&other).map_err(|e| e.to_string()),
    };
    root.insert(
        "components".to_owned(),
        json!({ "schemas": sealed, OPEN: open }),
    );
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&Value::Object(root))
        .map_err(|e| format!("schema does not compile: {e}"))
}

/// Where the unsealed copies of the component schemas go.
const OPEN: &str = "open";

/// `schema` with `unevaluatedProperties: false` on every object schema that names its
/// properties (or composes them with `allOf`) and says nothing of others — so a property
/// the document does not describe fails. A member of an `allOf` is left open at its top
/// (and a `$ref` member points at the open copy of its target), since the properties of
/// its siblings are evaluated beside it; the `allOf` holder is sealed instead, and
/// `unevaluatedProperties` sees through `allOf` and `$ref` (JSON Schema 2020-12, 11.3).
fn seal(schema: &Value, sealed_at_top: bool) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in map {
        let value = match key.as_str() {
            "allOf" => match value {
                Value::Array(members) => Value::Array(members.iter().map(open_member).collect()),
                other => other.clone(),
            },
            "properties" | "patternProperties" | "$defs" => match value {
                Value::Object(children) => Value::Object(
                    children
                        .iter()
                        .map(|(k, v)| (k.clone(), seal(v, true)))
                        .collect(),
                ),
                other => other.clone(),
            },
            "items" | "additionalProperties" | "not" | "if" | "then" | "else" => seal(value, true),
            "oneOf" | "anyOf" | "prefixItems" => match value {
                Value::Array(members) => {
                    Value::Array(members.iter().map(|m| seal(m, true)).collect())
                }
                other => other.clone(),
            },
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    let names_properties = map.contains_key("properties") || map.contains_key("allOf");
    let says_nothing_of_others =
        !map.contains_key("additionalProperties") && !map.contains_key("unevaluatedProperties");
    if sealed_at_top && names_properties && says_nothing_of_others {
        out.insert("unevaluatedProperties".to_owned(), Value::Bool(false));
    }
    Value::Object(out)
}

/// An `allOf` member: open at its top, its `$ref` to the open copy of the component.
fn open_member(member: &Value) -> Value {
    if let Some(name) = member
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        let mut out = member.as_object().cloned().unwrap_or_default();
        out.insert(
            "$ref".to_owned(),
            Value::String(format!("#/components/{OPEN}/{name}")),
        );
        return Value::Object(out);
    }
    seal(member, false)
}

/// The start of a body, for a failure message.
fn excerpt(body: &[u8]) -> String {
    const MAX: usize = 600;
    let text = String::from_utf8_lossy(body);
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.into_owned(),
    }
}
