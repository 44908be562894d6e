//! One operation of the page: what it does, the authentication it needs, its parameters
//! and request fields with their rules, an example request and answer, and every status
//! it can answer with the problem `code`s the document names for it.

use super::example::ExampleFor;
use super::html::{anchor, escape, json_block, paragraphs, text};
use super::schema::{plain, Doc, Field};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fmt::Write;

/// An operation and the path item it belongs to (which may hold shared parameters).
pub struct Op<'a> {
    pub method: &'static str,
    pub path: &'a str,
    pub op: &'a Value,
    pub item: &'a Value,
}

impl Op<'_> {
    /// The operation's anchor: its `operationId`, or its method and path.
    pub fn anchor(&self) -> String {
        match self.op.get("operationId").and_then(Value::as_str) {
            Some(id) => anchor(id),
            None => anchor(&format!("{} {}", self.method, self.path)),
        }
    }

    pub fn summary(&self) -> &str {
        self.op.get("summary").and_then(Value::as_str).unwrap_or("")
    }

    pub fn tag(&self) -> Option<&str> {
        self.op.get("tags")?.get(0)?.as_str()
    }
}

/// Write the operation's section.
pub fn render(d: Doc<'_>, o: &Op<'_>, out: &mut String) {
    let _ = write!(
        out,
        "<section class=\"op\" id=\"{}\"><h3><span class=\"m m-{}\">{}</span> <code>{}</code></h3>",
        o.anchor(),
        o.method.to_ascii_lowercase(),
        o.method,
        escape(o.path)
    );
    if o.op.get("deprecated") == Some(&Value::Bool(true)) {
        out.push_str("<p><strong>Deprecated.</strong></p>");
    }
    out.push_str(&paragraphs(o.summary()));
    if let Some(description) = o.op.get("description").and_then(Value::as_str) {
        out.push_str(&paragraphs(description));
    }
    let _ = write!(
        out,
        "<p><strong>Authentication:</strong> {}</p>",
        authentication(d, o.op)
    );
    parameters(d, o, out);
    request_body(d, o.op, out);
    responses(d, o.op, out);
    out.push_str("</section>");
}

/// The security the operation requires (its own, else the document's), in words.
fn authentication(d: Doc<'_>, op: &Value) -> String {
    let requirements = op
        .get("security")
        .or_else(|| d.root.get("security"))
        .and_then(Value::as_array)
        .filter(|list| !list.is_empty());
    let Some(requirements) = requirements else {
        return "none".to_owned();
    };
    let alternatives: Vec<String> = requirements
        .iter()
        .filter_map(Value::as_object)
        .map(|requirement| {
            if requirement.is_empty() {
                return "none".to_owned();
            }
            requirement
                .iter()
                .map(|(name, scopes)| scheme(d, name, scopes))
                .collect::<Vec<_>>()
                .join(" and ")
        })
        .collect();
    alternatives.join(", or ")
}

/// One security scheme, from `components.securitySchemes`.
fn scheme(d: Doc<'_>, name: &str, scopes: &Value) -> String {
    let definition = d.root.pointer(&format!(
        "/components/securitySchemes/{}",
        name.replace('~', "~0").replace('/', "~1")
    ));
    let field = |key: &str| definition.and_then(|s| s.get(key)).and_then(Value::as_str);
    let mut words = match (field("type"), field("scheme")) {
        (Some("http"), Some(s)) if s.eq_ignore_ascii_case("bearer") => {
            let format = field("bearerFormat")
                .map(|f| format!(" ({f})"))
                .unwrap_or_default();
            format!(
                "<span class=\"lock\">bearer token{}</span>: send {}",
                escape(&format),
                text("`Authorization: Bearer <access_token>`")
            )
        }
        (Some("apiKey"), _) => format!(
            "<span class=\"lock\">API key</span> in the {} {}",
            escape(field("in").unwrap_or("header")),
            text(&format!("`{}`", field("name").unwrap_or(name)))
        ),
        _ => format!("<span class=\"lock\">{}</span>", escape(name)),
    };
    let scopes: Vec<&str> = scopes
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if !scopes.is_empty() {
        let _ = write!(words, " (scopes: {})", escape(&scopes.join(", ")));
    }
    words
}

/// The path item's parameters and the operation's (which override them by name and
/// location), as a table.
fn parameters(d: Doc<'_>, o: &Op<'_>, out: &mut String) {
    let mut list: Vec<&Value> = Vec::new();
    for source in [o.item, o.op] {
        for param in source
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let param = d.resolve(param);
            list.retain(|p| p.get("name") != param.get("name") || p.get("in") != param.get("in"));
            list.push(param);
        }
    }
    if list.is_empty() {
        return;
    }
    out.push_str(
        "<h4>Parameters</h4><table><thead><tr><th>Name</th><th>In</th><th>Type</th>\
         <th>Required</th><th>Rules</th><th>Description</th></tr></thead><tbody>",
    );
    let none = Value::Null;
    for param in list {
        let schema = param.get("schema").unwrap_or(&none);
        let mut rules = d.constraints(schema);
        if let Some(example) = param.get("example") {
            rules.push(format!("example `{}`", plain(example)));
        }
        let description = param
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| d.description(schema));
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(param.get("name").and_then(Value::as_str).unwrap_or("")),
            escape(param.get("in").and_then(Value::as_str).unwrap_or("")),
            type_cell(d, schema),
            yes_no(param.get("required") == Some(&Value::Bool(true))),
            text(&rules.join("; ")),
            text(&description)
        );
    }
    out.push_str("</tbody></table>");
}

fn request_body(d: Doc<'_>, op: &Value, out: &mut String) {
    let Some(body) = op.get("requestBody").map(|b| d.resolve(b)) else {
        return;
    };
    out.push_str("<h4>Request body</h4>");
    if let Some(description) = body.get("description").and_then(Value::as_str) {
        out.push_str(&paragraphs(description));
    }
    let required = body.get("required") == Some(&Value::Bool(true));
    for (media_type, media) in body
        .get("content")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let none = Value::Null;
        let schema = media.get("schema").unwrap_or(&none);
        let _ = write!(
            out,
            "<p><code>{}</code>, {}: {}.{}</p>",
            escape(media_type),
            if required { "required" } else { "optional" },
            type_cell(d, schema),
            if d.is_object(schema) && d.is_closed(schema) {
                " Fields not listed here are refused."
            } else {
                ""
            }
        );
        if d.is_object(schema) {
            fields_table(d, &d.fields(schema), out);
        } else {
            let rules = d.constraints(schema);
            if !rules.is_empty() {
                let _ = write!(out, "<p>Rules: {}</p>", text(&rules.join("; ")));
            }
        }
        examples(
            d,
            media_type,
            media,
            schema,
            ExampleFor::Request,
            "Example request",
            out,
        );
    }
}

/// A table of an object's fields.
pub fn fields_table(d: Doc<'_>, rows: &[Field], out: &mut String) {
    out.push_str(
        "<table><thead><tr><th>Field</th><th>Type</th><th>Required</th><th>Rules</th>\
         <th>Description</th></tr></thead><tbody>",
    );
    for row in rows {
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&row.path),
            linked_type(d, &row.type_label),
            yes_no(row.required),
            text(&row.constraints.join("; ")),
            text(&row.description.replace('\n', " "))
        );
    }
    out.push_str("</tbody></table>");
}

fn responses(d: Doc<'_>, op: &Value, out: &mut String) {
    let Some(responses) = op.get("responses").and_then(Value::as_object) else {
        return;
    };
    out.push_str(
        "<h4>Responses</h4><table><thead><tr><th>Status</th><th>Meaning</th><th>Body</th>\
         <th>Codes</th></tr></thead><tbody>",
    );
    for (status, response) in responses {
        let response = d.resolve(response);
        let description = response
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("");
        let mut meaning = text(&description.replace('\n', " "));
        for (name, header) in response
            .get("headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let header = d.resolve(header);
            let none = Value::Null;
            let _ = write!(
                meaning,
                "<br>Header <code>{}</code> ({}): {}",
                escape(name),
                escape(&d.type_label(header.get("schema").unwrap_or(&none))),
                text(
                    header
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                )
            );
        }
        let bodies: Vec<String> = content(response)
            .map(|(media_type, media)| match media.get("schema") {
                Some(schema) => {
                    format!(
                        "<code>{}</code> {}",
                        escape(media_type),
                        type_cell(d, schema)
                    )
                }
                None => format!("<code>{}</code>", escape(media_type)),
            })
            .collect();
        let codes: Vec<String> = codes(d, response, description)
            .iter()
            .map(|c| format!("<code>{}</code>", escape(c)))
            .collect();
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(status),
            meaning,
            if bodies.is_empty() {
                "none".to_owned()
            } else {
                bodies.join("<br>")
            },
            codes.join(" ")
        );
    }
    out.push_str("</tbody></table>");
    for (status, response) in responses {
        let response = d.resolve(response);
        let success = status.starts_with('2');
        for (media_type, media) in content(response) {
            let none = Value::Null;
            let schema = media.get("schema").unwrap_or(&none);
            let has_own = media.get("example").is_some() || media.get("examples").is_some();
            // Every success answer gets an example (assembled if need be); an error one
            // only when the document gives it.
            if success || has_own {
                let label = format!("Example response ({status})");
                examples(
                    d,
                    media_type,
                    media,
                    schema,
                    ExampleFor::Response,
                    &label,
                    out,
                );
            }
        }
    }
}

fn content(response: &Value) -> impl Iterator<Item = (&String, &Value)> {
    response
        .get("content")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
}

/// The media type's own examples, each with its summary; else the schema's example or
/// one assembled from it, for JSON bodies.
fn examples(
    d: Doc<'_>,
    media_type: &str,
    media: &Value,
    schema: &Value,
    purpose: ExampleFor,
    label: &str,
    out: &mut String,
) {
    let mut shown = false;
    if let Some(example) = media.get("example") {
        let _ = write!(out, "<p>{}:</p>{}", escape(label), json_block(example));
        shown = true;
    }
    for (name, example) in media
        .get("examples")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let example = d.resolve(example);
        let title = example
            .get("summary")
            .and_then(Value::as_str)
            .unwrap_or(name);
        if let Some(value) = example.get("value") {
            let _ = write!(
                out,
                "<p>{}, {}:</p>{}",
                escape(label),
                text(title),
                json_block(value)
            );
            shown = true;
        }
    }
    let json = media_type == "application/json" || media_type.ends_with("+json");
    if !shown && json && !schema.is_null() {
        let value = d.example(schema, purpose);
        let _ = write!(
            out,
            "<p>{} <small>(assembled from the schema)</small>:</p>{}",
            escape(label),
            json_block(&value)
        );
    }
}

/// The problem `code`s a response names: in its examples, and written as `code` in its
/// description (words that are a field name somewhere in the document are left out).
fn codes(d: Doc<'_>, response: &Value, description: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (_, media) in content(response) {
        let mut values: Vec<&Value> = media.get("example").into_iter().collect();
        for (_, example) in media
            .get("examples")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            values.extend(d.resolve(example).get("value"));
        }
        found.extend(
            values
                .into_iter()
                .filter_map(|v| v.get("code").and_then(Value::as_str))
                .map(str::to_owned),
        );
    }
    let fields = field_names(d);
    for word in description.split('`').skip(1).step_by(2) {
        let is_code = word.starts_with(|c: char| c.is_ascii_lowercase())
            && word
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if is_code && !fields.contains(word) {
            found.insert(word.to_owned());
        }
    }
    found
}

/// Every property name the document's schemas declare.
fn field_names(d: Doc<'_>) -> BTreeSet<&str> {
    fn walk<'v>(value: &'v Value, names: &mut BTreeSet<&'v str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::Object(props)) = map.get("properties") {
                    names.extend(props.keys().map(String::as_str));
                }
                map.values().for_each(|v| walk(v, names));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, names)),
            _ => {}
        }
    }
    let mut names = BTreeSet::new();
    if let Some(schemas) = d.root.pointer("/components/schemas") {
        walk(schemas, &mut names);
    }
    names
}

/// A schema's type, its referenced schema linked to its entry.
fn type_cell(d: Doc<'_>, schema: &Value) -> String {
    linked_type(d, &d.type_label(schema))
}

/// Link every schema name in a type label (`array of SessionResponse or null`).
fn linked_type(d: Doc<'_>, label: &str) -> String {
    label
        .split(' ')
        .map(|word| {
            let known = d
                .root
                .pointer("/components/schemas")
                .and_then(|s| s.get(word))
                .is_some();
            if known {
                format!(
                    "<a href=\"#schema-{}\"><code>{}</code></a>",
                    anchor(word),
                    escape(word)
                )
            } else {
                escape(word)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn yes_no(required: bool) -> &'static str {
    if required {
        "<span class=\"req\">yes</span>"
    } else {
        "no"
    }
}
