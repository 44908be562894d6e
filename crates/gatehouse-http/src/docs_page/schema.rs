//! Reading the document's JSON Schemas for the page: following `$ref`s, listing an
//! object's fields (nested objects and array items flattened to `device.name` and
//! `items[].id`), and a field's type and constraints.
//!
//! It works on the document as JSON, so whatever a route or wire type declares (a new
//! constraint, an example, an enum) shows without this module knowing it.

use serde_json::Value;

/// How deep nested schemas are followed: deeper than any body here, and a bound on
/// self-referencing schemas.
pub(super) const MAX_DEPTH: usize = 8;

/// The whole document, which `$ref`s point into.
#[derive(Clone, Copy)]
pub struct Doc<'a> {
    pub root: &'a Value,
}

/// One row of a fields table.
pub struct Field {
    /// `name`, `device.name`, `items[].id`.
    pub path: String,
    pub type_label: String,
    pub required: bool,
    pub constraints: Vec<String>,
    pub description: String,
}

/// The last segment of a `$ref`: `#/components/schemas/LoginRequest` -> `LoginRequest`.
pub fn ref_name(value: &Value) -> Option<&str> {
    value
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
}

pub(super) fn str_field<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// A scalar as it reads in a sentence: strings without their quotes.
pub fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl<'a> Doc<'a> {
    pub fn new(root: &'a Value) -> Self {
        Self { root }
    }

    /// Follow `$ref`s (a chain too) to what they name; one that does not resolve is
    /// returned as it is.
    pub fn resolve(&self, value: &'a Value) -> &'a Value {
        let mut current = value;
        for _ in 0..MAX_DEPTH {
            let target = current
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix('#'))
                .and_then(|pointer| self.root.pointer(pointer));
            match target {
                Some(t) => current = t,
                None => break,
            }
        }
        current
    }

    /// The schema a nullable wrapper carries (`oneOf: [{type: null}, X]`, or a type list
    /// holding `null`), and whether `null` is allowed.
    pub fn non_null(&self, schema: &'a Value) -> (&'a Value, bool) {
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(variants)) = schema.get(key) {
                let others: Vec<&Value> = variants.iter().filter(|v| !is_null_type(v)).collect();
                if others.len() == 1 && others.len() < variants.len() {
                    return (others[0], true);
                }
            }
        }
        let nullable = match schema.get("type") {
            Some(Value::Array(types)) => types.iter().any(|t| t == "null"),
            _ => false,
        };
        (schema, nullable)
    }

    /// An object's properties (with those of its `allOf` parts), required ones first, and
    /// whether it refuses other members (`additionalProperties: false`).
    pub(super) fn object_parts(&self, schema: &'a Value, depth: usize) -> ObjectParts<'a> {
        let mut parts = ObjectParts::default();
        self.collect_object(self.resolve(schema), depth, &mut parts);
        parts
            .properties
            .sort_by_key(|(name, _)| !parts.required.contains(name));
        parts
    }

    fn collect_object(&self, schema: &'a Value, depth: usize, parts: &mut ObjectParts<'a>) {
        if depth > MAX_DEPTH {
            return;
        }
        if let Some(Value::Array(all)) = schema.get("allOf") {
            for part in all {
                self.collect_object(self.resolve(part), depth + 1, parts);
            }
        }
        if let Some(Value::Object(props)) = schema.get("properties") {
            for (name, prop) in props {
                if !parts.properties.iter().any(|(n, _)| n == name) {
                    parts.properties.push((name.clone(), prop));
                }
            }
        }
        if let Some(Value::Array(required)) = schema.get("required") {
            parts
                .required
                .extend(required.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
            parts.closed = true;
        }
    }

    /// Whether the schema (after references) describes an object with named fields.
    pub fn is_object(&self, schema: &'a Value) -> bool {
        let (inner, _) = self.non_null(schema);
        let resolved = self.resolve(inner);
        resolved.get("properties").is_some() || resolved.get("allOf").is_some()
    }

    /// Whether the object refuses members it does not name.
    pub fn is_closed(&self, schema: &'a Value) -> bool {
        self.object_parts(schema, 0).closed
    }

    /// The fields of an object schema, nested ones included, in table order.
    pub fn fields(&self, schema: &'a Value) -> Vec<Field> {
        let mut rows = Vec::new();
        self.push_fields(schema, "", 0, &mut rows);
        rows
    }

    fn push_fields(&self, schema: &'a Value, prefix: &str, depth: usize, rows: &mut Vec<Field>) {
        if depth > MAX_DEPTH {
            return;
        }
        let parts = self.object_parts(schema, depth);
        for (name, prop) in parts.properties {
            let path = format!("{prefix}{name}");
            rows.push(Field {
                type_label: self.type_label(prop),
                required: parts.required.contains(&name),
                constraints: self.constraints(prop),
                description: self.description(prop),
                path: path.clone(),
            });
            let (inner, _) = self.non_null(prop);
            let inner = self.resolve(inner);
            if self.is_object(inner) {
                self.push_fields(inner, &format!("{path}."), depth + 1, rows);
            } else if let Some(items) = inner.get("items") {
                if self.is_object(items) {
                    self.push_fields(items, &format!("{path}[]."), depth + 1, rows);
                }
            }
        }
    }

    /// The first description found on the field, its nullable wrapper's content, or the
    /// schema it references.
    pub fn description(&self, schema: &'a Value) -> String {
        let (inner, _) = self.non_null(schema);
        [schema, inner, self.resolve(inner)]
            .into_iter()
            .find_map(|s| str_field(s, "description"))
            .unwrap_or("")
            .to_owned()
    }

    /// `string (email)`, `integer (int32)`, `array of SessionResponse`, `DeviceRequest or
    /// null`.
    pub fn type_label(&self, schema: &'a Value) -> String {
        self.type_label_at(schema, 0)
    }

    fn type_label_at(&self, schema: &'a Value, depth: usize) -> String {
        let (inner, nullable) = self.non_null(schema);
        let mut label = if let Some(name) = ref_name(inner) {
            name.to_owned()
        } else if depth > MAX_DEPTH {
            "any".to_owned()
        } else {
            let types: Vec<&str> = match inner.get("type") {
                Some(Value::String(t)) => vec![t.as_str()],
                Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            let base = types.iter().copied().find(|t| *t != "null");
            match base {
                Some("array") => match inner.get("items") {
                    Some(items) => format!("array of {}", self.type_label_at(items, depth + 1)),
                    None => "array".to_owned(),
                },
                Some(t) => match str_field(inner, "format") {
                    Some(format) => format!("{t} ({format})"),
                    None => t.to_owned(),
                },
                None if inner.get("allOf").is_some() || inner.get("properties").is_some() => {
                    "object".to_owned()
                }
                None => match inner.get("oneOf").or_else(|| inner.get("anyOf")) {
                    Some(Value::Array(variants)) => variants
                        .iter()
                        .map(|v| self.type_label_at(v, depth + 1))
                        .collect::<Vec<_>>()
                        .join(" or "),
                    _ => "any".to_owned(),
                },
            }
        };
        if nullable && !label.ends_with("null") {
            label.push_str(" or null");
        }
        label
    }

    /// Everything the schema restricts, in words: lengths, bounds, patterns, allowed
    /// values, defaults; and the example it gives.
    pub fn constraints(&self, schema: &'a Value) -> Vec<String> {
        self.constraints_at(schema, 0)
    }

    fn constraints_at(&self, schema: &'a Value, depth: usize) -> Vec<String> {
        let (inner, _) = self.non_null(schema);
        let resolved = self.resolve(inner);
        // A property's own keywords win over those of what it references.
        let get = |key: &str| -> Option<&'a Value> {
            [schema, inner, resolved]
                .into_iter()
                .find_map(|s| s.get(key))
        };
        let mut out = Vec::new();
        if let Some(range) = range(get("minLength"), get("maxLength"), "characters") {
            out.push(range);
        }
        if let Some(range) = range(get("minItems"), get("maxItems"), "items") {
            out.push(range);
        }
        if let Some(range) = range(get("minProperties"), get("maxProperties"), "members") {
            out.push(range);
        }
        match (get("minimum"), get("maximum")) {
            (Some(min), Some(max)) => out.push(format!("{} to {}", plain(min), plain(max))),
            (Some(min), None) => out.push(format!("at least {}", plain(min))),
            (None, Some(max)) => out.push(format!("at most {}", plain(max))),
            (None, None) => {}
        }
        if let Some(min) = get("exclusiveMinimum").filter(|v| v.is_number()) {
            out.push(format!("more than {}", plain(min)));
        }
        if let Some(max) = get("exclusiveMaximum").filter(|v| v.is_number()) {
            out.push(format!("less than {}", plain(max)));
        }
        if let Some(step) = get("multipleOf") {
            out.push(format!("a multiple of {}", plain(step)));
        }
        if get("uniqueItems") == Some(&Value::Bool(true)) {
            out.push("no duplicates".to_owned());
        }
        if let Some(pattern) = get("pattern").and_then(Value::as_str) {
            out.push(format!("matches `{pattern}`"));
        }
        if let Some(Value::Array(values)) = get("enum") {
            let values: Vec<String> = values
                .iter()
                .filter(|v| !v.is_null())
                .map(|v| format!("`{}`", plain(v)))
                .collect();
            out.push(format!("one of {}", values.join(", ")));
        }
        if let Some(value) = get("const") {
            out.push(format!("always `{}`", plain(value)));
        }
        if let Some(default) = get("default") {
            out.push(format!("default `{}`", plain(default)));
        }
        if get("readOnly") == Some(&Value::Bool(true)) {
            out.push("read-only".to_owned());
        }
        if get("writeOnly") == Some(&Value::Bool(true)) {
            out.push("write-only".to_owned());
        }
        if get("deprecated") == Some(&Value::Bool(true)) {
            out.push("deprecated".to_owned());
        }
        // What each item of an array of plain values must be (objects get their own rows).
        let items = get("items").filter(|items| depth < MAX_DEPTH && !self.is_object(items));
        if let Some(items) = items {
            let each = self.constraints_at(items, depth + 1);
            if !each.is_empty() {
                out.push(format!("each item {}", each.join(", ")));
            }
        }
        if let Some(example) = explicit_example(schema).or_else(|| explicit_example(inner)) {
            if !example.is_object() && !example.is_array() {
                out.push(format!("example `{}`", plain(example)));
            }
        }
        out
    }
}

#[derive(Default)]
pub(super) struct ObjectParts<'a> {
    pub properties: Vec<(String, &'a Value)>,
    pub required: Vec<String>,
    pub closed: bool,
}

fn is_null_type(schema: &Value) -> bool {
    schema.get("type") == Some(&Value::String("null".to_owned()))
}

/// `1 to 4096 characters`, `at least 12 characters`, `at most 100 items`.
fn range(min: Option<&Value>, max: Option<&Value>, unit: &str) -> Option<String> {
    match (min, max) {
        (Some(min), Some(max)) if min == max => Some(format!("exactly {} {unit}", plain(min))),
        (Some(min), Some(max)) => Some(format!("{} to {} {unit}", plain(min), plain(max))),
        (Some(min), None) => Some(format!("at least {} {unit}", plain(min))),
        (None, Some(max)) => Some(format!("at most {} {unit}", plain(max))),
        (None, None) => None,
    }
}

/// `example`, or the first of `examples` (JSON Schema 2020-12 puts them in an array).
pub fn explicit_example(schema: &Value) -> Option<&Value> {
    schema
        .get("example")
        .or_else(|| match schema.get("examples") {
            Some(Value::Array(list)) => list.first(),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({
            "components": { "schemas": {
                "Device": {
                    "type": "object",
                    "required": ["fingerprint"],
                    "properties": {
                        "fingerprint": { "type": "string", "minLength": 1, "maxLength": 256 },
                        "name": { "type": ["string", "null"] }
                    },
                    "additionalProperties": false
                },
                "Login": {
                    "type": "object",
                    "required": ["login", "password"],
                    "properties": {
                        "device": { "oneOf": [{ "type": "null" }, { "$ref": "#/components/schemas/Device" }] },
                        "login": { "type": "string", "example": "ada@example.com", "description": "Email or username." },
                        "password": { "type": "string", "minLength": 1, "maxLength": 4096 },
                        "tags": { "type": "array", "items": { "type": "string", "enum": ["a", "b"] }, "maxItems": 3 }
                    },
                    "additionalProperties": false
                },
                "Page": {
                    "allOf": [
                        { "$ref": "#/components/schemas/Device" },
                        { "type": "object", "required": ["items"], "properties": {
                            "items": { "type": "array", "items": { "$ref": "#/components/schemas/Device" } },
                            "limit": { "type": "integer", "format": "int32", "minimum": 1, "maximum": 100, "default": 50 }
                        } }
                    ]
                },
                "Loop": {
                    "type": "object",
                    "properties": { "next": { "$ref": "#/components/schemas/Loop" } }
                }
            } }
        })
    }

    fn schema<'a>(root: &'a Value, name: &str) -> &'a Value {
        &root["components"]["schemas"][name]
    }

    #[test]
    fn nested_and_referenced_fields_are_listed_with_their_rules() {
        let root = doc();
        let d = Doc::new(&root);
        let rows = d.fields(schema(&root, "Login"));
        let paths: Vec<&str> = rows.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "login",
                "password",
                "device",
                "device.fingerprint",
                "device.name",
                "tags"
            ]
        );
        let password = &rows[1];
        assert!(password.required);
        assert_eq!(password.type_label, "string");
        assert_eq!(password.constraints, ["1 to 4096 characters"]);
        assert_eq!(rows[2].type_label, "Device or null");
        assert!(!rows[2].required);
        assert!(rows[3].required, "required within the optional device");
        assert_eq!(rows[4].type_label, "string or null");
        assert_eq!(rows[5].type_label, "array of string");
        assert_eq!(
            rows[5].constraints,
            ["at most 3 items", "each item one of `a`, `b`"]
        );
        assert_eq!(rows[0].description, "Email or username.");
        assert_eq!(rows[0].constraints, ["example `ada@example.com`"]);
        assert!(d.is_closed(schema(&root, "Login")));
    }

    #[test]
    fn all_of_parts_and_array_items_are_merged_and_flattened() {
        let root = doc();
        let d = Doc::new(&root);
        let rows = d.fields(schema(&root, "Page"));
        let paths: Vec<&str> = rows.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "fingerprint",
                "items",
                "items[].fingerprint",
                "items[].name",
                "name",
                "limit"
            ]
        );
        let limit = rows.iter().find(|r| r.path == "limit").unwrap();
        assert_eq!(limit.type_label, "integer (int32)");
        assert_eq!(limit.constraints, ["1 to 100", "default `50`"]);
    }

    #[test]
    fn self_referencing_schemas_end() {
        let root = doc();
        let d = Doc::new(&root);
        let rows = d.fields(schema(&root, "Loop"));
        assert!(
            rows.len() > 1 && rows.len() <= MAX_DEPTH + 2,
            "{}",
            rows.len()
        );
        let _ = d.example(
            schema(&root, "Loop"),
            crate::docs_page::example::ExampleFor::Response,
        );
        let looped = json!({ "$ref": "#/a", "a": { "$ref": "#/a" } });
        let _ = Doc::new(&looped).resolve(&looped);
    }
}
