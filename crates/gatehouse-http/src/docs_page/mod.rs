//! `/docs`: a self-contained HTML page rendered from the OpenAPI document at start-up —
//! no scripts, no CDN, so it works offline and under a strict CSP.

use std::fmt::Write;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{OpenApi, RefOr, Response};

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn operations(item: &utoipa::openapi::PathItem) -> Vec<(&'static str, &Operation)> {
    [
        ("GET", &item.get),
        ("POST", &item.post),
        ("PUT", &item.put),
        ("PATCH", &item.patch),
        ("DELETE", &item.delete),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.as_ref().map(|op| (m, op)))
    .collect()
}

fn schema_name(r: &RefOr<utoipa::openapi::schema::Schema>) -> String {
    match r {
        RefOr::Ref(r) => r.ref_location.rsplit('/').next().unwrap_or("").to_owned(),
        RefOr::T(_) => "inline".to_owned(),
    }
}

fn location(at: &ParameterIn) -> &'static str {
    match at {
        ParameterIn::Query => "query",
        ParameterIn::Path => "path",
        ParameterIn::Header => "header",
        ParameterIn::Cookie => "cookie",
    }
}

/// A response's description, following a reference to a shared response component.
fn response_description(doc: &OpenApi, response: &RefOr<Response>) -> String {
    match response {
        RefOr::T(r) => r.description.clone(),
        RefOr::Ref(r) => {
            let name = r.ref_location.rsplit('/').next().unwrap_or("");
            match doc.components.as_ref().and_then(|c| c.responses.get(name)) {
                Some(RefOr::T(shared)) => shared.description.clone(),
                _ => r.ref_location.clone(),
            }
        }
    }
}

/// Render the page.
pub fn render(doc: &OpenApi) -> String {
    let mut html = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>gatehouse API</title>\
         <style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}\
         .op{border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.6rem 1rem}\
         .m{font-weight:700;display:inline-block;width:4.5rem}code{background:#f4f4f4;padding:0 .2rem}\
         table{border-collapse:collapse}td,th{border:1px solid #eee;padding:.2rem .5rem;text-align:left}\
         .lock{color:#a60}</style></head><body>",
    );
    let _ = write!(
        html,
        "<h1>{}</h1><p>{}</p><p>Machine-readable: <a href=\"/openapi.json\"><code>/openapi.json</code></a></p>",
        escape(&doc.info.title),
        escape(doc.info.description.as_deref().unwrap_or(""))
    );
    for (path, item) in doc.paths.paths.iter() {
        for (method, op) in operations(item) {
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let _ = write!(
                html,
                "<div class=\"op\"><span class=\"m\">{method}</span><code>{}</code>{}<p>{}</p>",
                escape(path),
                if secured {
                    " <span class=\"lock\">(Bearer token)</span>"
                } else {
                    ""
                },
                escape(
                    op.description
                        .as_deref()
                        .or(op.summary.as_deref())
                        .unwrap_or("")
                )
            );
            if let Some(body) = &op.request_body {
                for (ct, content) in body.content.iter() {
                    let _ = write!(
                        html,
                        "<p>Request body ({}): <code>{}</code></p>",
                        escape(ct),
                        escape(&schema_name(&content.schema.clone().unwrap_or_default()))
                    );
                }
            }
            for param in op.parameters.iter().flatten() {
                let _ = write!(
                    html,
                    "<p>Parameter <code>{}</code> ({}): {}</p>",
                    escape(&param.name),
                    location(&param.parameter_in),
                    escape(param.description.as_deref().unwrap_or(""))
                );
            }
            html.push_str("<table><tr><th>Status</th><th>Meaning</th></tr>");
            for (status, response) in op.responses.responses.iter() {
                let description = response_description(doc, response);
                let _ = write!(
                    html,
                    "<tr><td>{}</td><td>{}</td></tr>",
                    escape(status),
                    escape(&description)
                );
            }
            html.push_str("</table></div>");
        }
    }
    if let Some(components) = &doc.components {
        html.push_str("<h2>Schemas</h2><ul>");
        for name in components.schemas.keys() {
            let _ = write!(html, "<li><code>{}</code></li>", escape(name));
        }
        html.push_str("</ul>");
    }
    html.push_str("</body></html>");
    html
}

#[cfg(test)]
mod tests {
    #[test]
    fn shared_responses_and_query_parameters_are_spelled_out() {
        let html = super::render(&crate::document::document());
        assert!(html.contains("Parameter <code>limit</code> (query)"));
        assert!(html.contains("No valid access token for an active session"));
        assert!(!html.contains("#/components/responses/"));
    }
}
