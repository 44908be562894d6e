//! `/docs`: a reference rendered from the OpenAPI document at start-up. Every operation
//! with the authentication it needs, its parameters and request fields (type, required,
//! rules), an example request and answer, and each status with its problem codes; the
//! schemas after them. Plain server-side HTML with one inline style sheet: no scripts, no
//! CDN, so it works offline and under the strict CSP `/docs` is served with.
//!
//! The page reads the document generically ([`schema`] walks its JSON), so what routes and
//! wire types add to the document appears here without a change to this module.

mod example;
mod html;
mod operation;
mod schema;

use example::ExampleFor;
use html::{anchor, escape, json_block, paragraphs, text};
use operation::Op;
use schema::Doc;
use serde_json::Value;
use std::fmt::Write;
use utoipa::openapi::OpenApi;

/// The methods an OpenAPI path item can hold, in the order the page lists them.
const METHODS: [&str; 8] = [
    "get", "post", "put", "patch", "delete", "head", "options", "trace",
];

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:66rem;margin:2rem auto;\
padding:0 1rem;color:#1f2328}h2{border-bottom:2px solid #d0d7de;margin-top:2.5rem}\
h3{font-size:1.05rem;margin:.4rem 0}h4{margin:1rem 0 .3rem}\
.op{border:1px solid #d0d7de;border-radius:6px;margin:1.2rem 0;padding:.5rem 1rem 1rem}\
.m{display:inline-block;min-width:4.2rem;text-align:center;border-radius:4px;color:#fff;\
background:#57606a;padding:0 .3rem;margin-right:.3rem}.m-get{background:#0969da}\
.m-post{background:#1a7f37}.m-patch,.m-put{background:#9a6700}.m-delete{background:#cf222e}\
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.88em}\
code{background:#f3f4f6;border-radius:3px;padding:0 .2rem}\
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.6rem;overflow:auto}\
pre code{background:none;padding:0}table{border-collapse:collapse;width:100%;margin:.4rem 0}\
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}\
th{background:#f6f8fa}.lock{color:#9a6700;font-weight:600}.req{color:#cf222e;font-weight:600}\
nav ul{padding-left:1.2rem}a{color:#0969da}";

/// Render the page.
pub fn render(doc: &OpenApi) -> String {
    let root = serde_json::to_value(doc).unwrap_or_default();
    let d = Doc::new(&root);
    // Paths in the document's own order (registration order), which JSON objects lose.
    let ops: Vec<Op<'_>> = doc
        .paths
        .paths
        .keys()
        .filter_map(|path| Some((path.as_str(), root.get("paths")?.get(path)?)))
        .flat_map(|(path, item)| {
            METHODS.into_iter().filter_map(move |method| {
                Some(Op {
                    method: method_label(method),
                    path,
                    op: item.get(method)?,
                    item,
                })
            })
        })
        .collect();
    let sections = sections(&root, ops);

    let info = |key: &str| {
        root.get("info")
            .and_then(|i| i.get(key))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} API reference</title><style>{STYLE}</style></head><body>\
         <h1>{title} API reference <small>{version}</small></h1>{description}\
         <p>Machine-readable: <a href=\"/openapi.json\"><code>/openapi.json</code></a>, \
         from which this page is generated.</p>",
        title = escape(info("title")),
        version = escape(info("version")),
        description = paragraphs(info("description")),
    );
    out.push_str(
        "<p>Each operation lists the authentication it needs, its parameters and request \
         fields (a nested field as <code>device.name</code>, an array's items as \
         <code>items[].id</code>) with their rules, an example request and answer, and every \
         status it answers with. <em>Codes</em> are the <code>code</code> values (or \
         <code>errors[].code</code> values) of the problem documents the document names for \
         that status.</p>",
    );
    contents(&sections, &root, &mut out);
    for section in &sections {
        let _ = write!(
            out,
            "<section id=\"tag-{}\"><h2>{}</h2>{}",
            anchor(&section.name),
            escape(&section.name),
            paragraphs(&section.description)
        );
        for op in &section.ops {
            operation::render(d, op, &mut out);
        }
        out.push_str("</section>");
    }
    schemas(d, &mut out);
    out.push_str("</body></html>");
    out
}

fn method_label(method: &str) -> &'static str {
    match method {
        "get" => "GET",
        "post" => "POST",
        "put" => "PUT",
        "patch" => "PATCH",
        "delete" => "DELETE",
        "head" => "HEAD",
        "options" => "OPTIONS",
        _ => "TRACE",
    }
}

/// The operations of one tag.
struct Section<'a> {
    name: String,
    description: String,
    ops: Vec<Op<'a>>,
}

/// Operations grouped by their first tag, the tags in the order the document declares
/// them (here: sign-in first, operational endpoints last); tags it does not declare
/// follow, then untagged operations.
fn sections<'a>(root: &Value, ops: Vec<Op<'a>>) -> Vec<Section<'a>> {
    let mut sections: Vec<Section<'a>> = root
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|tag| {
            Some(Section {
                name: tag.get("name")?.as_str()?.to_owned(),
                description: tag
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                ops: Vec::new(),
            })
        })
        .collect();
    for op in ops {
        let name = op.tag().unwrap_or("other").to_owned();
        match sections.iter_mut().find(|s| s.name == name) {
            Some(section) => section.ops.push(op),
            None => sections.push(Section {
                name,
                description: String::new(),
                ops: vec![op],
            }),
        }
    }
    sections.retain(|s| !s.ops.is_empty());
    sections
}

/// The table of contents: every operation by tag, then the schemas.
fn contents(sections: &[Section<'_>], root: &Value, out: &mut String) {
    out.push_str("<nav><h2>Contents</h2><ul>");
    for section in sections {
        let _ = write!(
            out,
            "<li><a href=\"#tag-{}\">{}</a><ul>",
            anchor(&section.name),
            escape(&section.name)
        );
        for op in &section.ops {
            let _ = write!(
                out,
                "<li><a href=\"#{}\"><code>{} {}</code></a> {}</li>",
                op.anchor(),
                op.method,
                escape(op.path),
                text(op.summary())
            );
        }
        out.push_str("</ul></li>");
    }
    if root.pointer("/components/schemas").is_some() {
        out.push_str("<li><a href=\"#schemas\">Schemas</a></li>");
    }
    out.push_str("</ul></nav>");
}

/// Every schema of the document with its fields and an example.
fn schemas(d: Doc<'_>, out: &mut String) {
    let Some(Value::Object(schemas)) = d.root.pointer("/components/schemas") else {
        return;
    };
    out.push_str("<section id=\"schemas\"><h2>Schemas</h2>");
    for (name, schema) in schemas {
        let _ = write!(
            out,
            "<section id=\"schema-{}\"><h3><code>{}</code></h3>{}",
            anchor(name),
            escape(name),
            paragraphs(&d.description(schema))
        );
        if d.is_object(schema) {
            operation::fields_table(d, &d.fields(schema), out);
        } else {
            let rules = d.constraints(schema);
            let _ = write!(
                out,
                "<p>{}{}</p>",
                escape(&d.type_label(schema)),
                if rules.is_empty() {
                    String::new()
                } else {
                    format!(": {}", text(&rules.join("; ")))
                }
            );
        }
        let _ = write!(
            out,
            "<details><summary>Example</summary>{}</details></section>",
            json_block(&d.example(schema, ExampleFor::Response))
        );
    }
    out.push_str("</section>");
}

#[cfg(test)]
mod tests;
