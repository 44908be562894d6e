//! Example values for the page: the document's own where it gives one, else one assembled
//! from the schema (its fields' examples, defaults, allowed values and types), so every
//! request body and success answer shows its shape.

use super::schema::{explicit_example, str_field, Doc, MAX_DEPTH};
use serde_json::{Map, Value};

/// Whether an assembled example is a request (only what a client would send: required
/// fields and those with an example or default) or a response (every field).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ExampleFor {
    Request,
    Response,
}

impl<'a> Doc<'a> {
    /// The schema's own example, or one assembled from its fields' examples, defaults,
    /// allowed values and types.
    pub fn example(&self, schema: &'a Value, purpose: ExampleFor) -> Value {
        self.example_at(schema, purpose, 0)
    }

    fn example_at(&self, schema: &'a Value, purpose: ExampleFor, depth: usize) -> Value {
        if let Some(example) = explicit_example(schema) {
            return example.clone();
        }
        let (inner, _) = self.non_null(schema);
        let resolved = self.resolve(inner);
        for s in [inner, resolved] {
            if let Some(example) = explicit_example(s) {
                return example.clone();
            }
            if let Some(value) = s.get("default").or_else(|| s.get("const")) {
                return value.clone();
            }
            if let Some(Value::Array(values)) = s.get("enum") {
                if let Some(first) = values.iter().find(|v| !v.is_null()) {
                    return first.clone();
                }
            }
        }
        if depth > MAX_DEPTH {
            return Value::Null;
        }
        // One of several shapes (the login's answer): show the first.
        if let Some(Value::Array(variants)) = resolved.get("oneOf") {
            if let Some(first) = variants.first() {
                return self.example_at(first, purpose, depth + 1);
            }
        }
        if self.is_object(resolved) {
            let parts = self.object_parts(resolved, depth);
            let mut object = Map::new();
            for (name, prop) in parts.properties {
                let wanted = purpose == ExampleFor::Response
                    || parts.required.contains(&name)
                    || self.has_example(prop);
                if wanted {
                    object.insert(name, self.example_at(prop, purpose, depth + 1));
                }
            }
            return Value::Object(object);
        }
        let types: Vec<&str> = match resolved.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        match types.into_iter().find(|t| *t != "null") {
            Some("array") => match resolved.get("items") {
                Some(items) => Value::Array(vec![self.example_at(items, purpose, depth + 1)]),
                None => Value::Array(Vec::new()),
            },
            Some("string") => Value::String(string_example(str_field(resolved, "format"))),
            Some("integer") => resolved
                .get("minimum")
                .cloned()
                .unwrap_or_else(|| Value::from(0)),
            Some("number") => resolved
                .get("minimum")
                .cloned()
                .unwrap_or_else(|| Value::from(0.0)),
            Some("boolean") => Value::Bool(false),
            Some("object") => Value::Object(Map::new()),
            _ => Value::Null,
        }
    }

    /// Whether the document gives this field a value to show (an example or a default).
    fn has_example(&self, schema: &'a Value) -> bool {
        let (inner, _) = self.non_null(schema);
        [schema, inner, self.resolve(inner)]
            .into_iter()
            .any(|s| explicit_example(s).is_some() || s.get("default").is_some())
    }
}

/// A placeholder in the string's format, so an example reads like the real thing.
fn string_example(format: Option<&str>) -> String {
    match format {
        Some("uuid") => "0192f4a2-7c3e-7d41-9b6a-3c5d8e1f2a40",
        Some("date-time") => "2026-01-15T09:30:00Z",
        Some("date") => "1990-12-10",
        Some("email") => "ada@example.com",
        Some("uri") | Some("url") => "https://example.com/",
        Some("ipv4") => "192.0.2.10",
        Some("ipv6") => "2001:db8::10",
        _ => "string",
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({ "components": { "schemas": {
            "Device": {
                "type": "object",
                "required": ["fingerprint"],
                "properties": {
                    "fingerprint": { "type": "string" },
                    "name": { "type": ["string", "null"] }
                }
            },
            "Login": {
                "type": "object",
                "required": ["login", "password"],
                "properties": {
                    "device": { "oneOf": [{ "type": "null" }, { "$ref": "#/components/schemas/Device" }] },
                    "login": { "type": "string", "example": "ada@example.com" },
                    "password": { "type": "string", "minLength": 1 },
                    "remember_me": { "type": "boolean", "default": false }
                }
            },
            "Page": {
                "allOf": [
                    { "$ref": "#/components/schemas/Device" },
                    { "type": "object", "required": ["items"], "properties": {
                        "items": { "type": "array", "items": { "$ref": "#/components/schemas/Device" } },
                        "limit": { "type": "integer", "minimum": 1, "default": 50 },
                        "at": { "type": "string", "format": "date-time" }
                    } }
                ]
            },
            "Given": { "type": "object", "example": { "a": 1 }, "properties": { "a": { "type": "integer" } } }
        } } })
    }

    fn schema<'a>(root: &'a Value, name: &str) -> &'a Value {
        &root["components"]["schemas"][name]
    }

    #[test]
    fn a_request_example_holds_what_a_client_sends() {
        let root = doc();
        let d = Doc::new(&root);
        assert_eq!(
            d.example(schema(&root, "Login"), ExampleFor::Request),
            json!({ "login": "ada@example.com", "password": "string", "remember_me": false })
        );
        assert_eq!(
            d.example(schema(&root, "Page"), ExampleFor::Response),
            json!({
                "at": "2026-01-15T09:30:00Z",
                "fingerprint": "string",
                "items": [{ "fingerprint": "string", "name": "string" }],
                "limit": 50,
                "name": "string"
            })
        );
    }

    #[test]
    fn the_document_s_own_example_wins() {
        let root = doc();
        let d = Doc::new(&root);
        assert_eq!(
            d.example(schema(&root, "Given"), ExampleFor::Response),
            json!({ "a": 1 })
        );
    }
}
