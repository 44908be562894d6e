//! The page rendered from the real document (content and order), and from a hostile one
//! (escaping, nothing external).

use super::render;
use serde_json::{json, Value};

fn page() -> String {
    render(&crate::document::document())
}

/// The HTML of one operation's section.
fn operation<'p>(page: &'p str, anchor: &str) -> &'p str {
    let start = page
        .find(&format!("<section class=\"op\" id=\"{anchor}\">"))
        .unwrap_or_else(|| panic!("no operation {anchor}"));
    let end = page[start..].find("</section>").unwrap() + start;
    &page[start..end]
}

/// The table row of `cell` (a field or parameter name, or a status) in `html`.
fn row<'p>(html: &'p str, cell: &str) -> &'p str {
    let at = html
        .find(&format!("<tr><td>{cell}</td>"))
        .unwrap_or_else(|| panic!("no row {cell} in {html}"));
    let end = html[at..].find("</tr>").unwrap() + at;
    &html[at..end]
}

#[test]
fn login_shows_its_fields_rules_examples_and_errors() {
    let page = page();
    let login = operation(&page, "login");
    assert!(login.contains("<code>/v1/auth/login</code>"), "{login}");
    assert!(
        login.contains("<strong>Authentication:</strong> none"),
        "{login}"
    );
    let password = row(login, "<code>password</code>");
    assert!(
        password.contains("<span class=\"req\">yes</span>"),
        "{password}"
    );
    assert!(password.contains("1 to 4096 characters"), "{password}");
    // Nested through the `device` reference, with its own required field.
    let fingerprint = row(login, "<code>device.fingerprint</code>");
    assert!(fingerprint.contains("string"), "{fingerprint}");
    assert!(login.contains("Fields not listed here are refused."));
    assert!(login.contains("Example request"), "{login}");
    assert!(login.contains("&quot;ada@example.com&quot;"), "{login}");
    assert!(login.contains("Example response (200)"), "{login}");
    assert!(login.contains("&quot;device_token&quot;"), "{login}");
    for status in ["200", "400", "401", "403", "422", "429", "503"] {
        row(login, status);
    }
    assert!(row(login, "429").contains("<code>too_many_attempts</code>"));
    assert!(row(login, "429").contains("Header <code>Retry-After</code> (integer)"));
    assert!(row(login, "503").contains("<code>database_unavailable</code>"));
}

#[test]
fn bearer_operations_say_how_to_authenticate() {
    let page = page();
    let me = operation(&page, "me");
    assert!(
        me.contains("bearer token (JWT)</span>: send <code>Authorization: Bearer &lt;access_token&gt;</code>"),
        "{me}"
    );
    assert!(row(me, "401").contains("<code>unauthenticated</code>"));
    assert!(operation(&page, "healthz").contains("<strong>Authentication:</strong> none"));
}

#[test]
fn query_parameters_show_their_bounds() {
    let page = page();
    let limit = row(operation(&page, "list_sessions"), "<code>limit</code>");
    assert!(limit.contains("<td>query</td>"), "{limit}");
    assert!(limit.contains("1 to 100"), "{limit}");
    assert!(limit.contains("default <code>50</code>"), "{limit}");
}

#[test]
fn codes_come_from_the_descriptions_but_field_names_do_not() {
    let page = page();
    let refresh_401 = row(operation(&page, "refresh"), "401");
    for code in [
        "invalid_refresh_token",
        "refresh_token_reused",
        "session_expired",
    ] {
        assert!(
            refresh_401.contains(&format!("<code>{code}</code>")),
            "{refresh_401}"
        );
    }
    let invalid = row(operation(&page, "register"), "422");
    let codes = &invalid[invalid.rfind("<td>").unwrap()..];
    assert!(codes.contains("<code>validation_failed</code>"), "{codes}");
    assert!(!codes.contains("<code>errors</code>"), "{codes}");
}

#[test]
fn shared_responses_are_spelled_out() {
    let page = page();
    assert!(page.contains("No valid access token for an active session"));
    assert!(!page.contains("#/components/responses/"));
}

#[test]
fn sign_in_comes_first_and_operational_endpoints_last() {
    let page = page();
    let at = |anchor: &str| {
        page.find(&format!("id=\"{anchor}\""))
            .unwrap_or_else(|| panic!("no {anchor}"))
    };
    assert!(at("register") < at("login") && at("login") < at("refresh"));
    assert!(at("logout_all") < at("me"));
    assert!(at("me") < at("list_sessions"));
    assert!(at("list_sessions") < at("healthz"));
    assert!(at("healthz") < at("readyz") && at("readyz") < at("metrics"));
    assert!(at("metrics") < at("jwks") && at("jwks") < at("schemas"));
}

#[test]
fn every_operation_and_schema_of_the_document_is_on_the_page() {
    let page = page();
    let doc = serde_json::to_value(crate::document::document()).unwrap();
    let mut count = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (_, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap();
            let section = operation(&page, id);
            assert!(section.contains(&format!("<code>{path}</code>")), "{id}");
            assert!(
                page.contains(&format!("<a href=\"#{id}\">")),
                "{id} not in contents"
            );
            count += 1;
        }
    }
    assert!(count >= 18, "{count} operations");
    for name in doc["components"]["schemas"].as_object().unwrap().keys() {
        assert!(page.contains(&format!("id=\"schema-{name}\"")), "{name}");
    }
}

/// A document whose every string tries to break out of the page.
fn hostile() -> Value {
    let evil = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>";
    json!({
        "openapi": "3.1.0",
        "info": { "title": evil, "version": evil, "description": evil },
        "tags": [{ "name": evil, "description": evil }],
        "paths": {
            "/x/{id}<script>": {
                "post": {
                    "tags": [evil],
                    "operationId": evil,
                    "summary": evil,
                    "description": format!("`{evil}`"),
                    "parameters": [{
                        "name": evil, "in": "query", "required": false, "description": evil,
                        "schema": { "type": "string", "pattern": evil, "example": evil }
                    }],
                    "requestBody": { "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/Evil" },
                        "example": { "a": evil }
                    } } },
                    "responses": {
                        "200": {
                            "description": evil,
                            "headers": { evil: { "description": evil, "schema": { "type": "string" } } },
                            "content": { "application/json": {
                                "schema": { "$ref": "#/components/schemas/Evil" },
                                "examples": { "one": { "summary": evil, "value": { "code": evil } } }
                            } }
                        }
                    },
                    "security": [{ evil: [evil] }]
                }
            }
        },
        "components": { "schemas": {
            "Evil": {
                "type": "object",
                "description": evil,
                "required": [evil],
                "properties": {
                    evil: { "type": "string", "enum": [evil], "default": evil, "format": evil }
                }
            }
        } }
    })
}

#[test]
fn everything_from_the_document_is_escaped() {
    let doc: utoipa::openapi::OpenApi = serde_json::from_value(hostile()).unwrap();
    let page = render(&doc);
    assert!(!page.contains("<script"), "{page}");
    assert!(!page.contains("<img"), "{page}");
    assert!(!page.contains("\"'>"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&gt;&lt;img"));
}

/// Every element and attribute of the page: `(name, [attribute names])`, with the
/// attribute values (always double-quoted here) left out.
fn tags(page: &str) -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    for piece in page.split('<').skip(1) {
        let tag = &piece[..piece.find('>').expect("an unclosed tag")];
        let unquoted: String = tag.split('"').step_by(2).collect::<Vec<_>>().join("");
        let mut words = unquoted.split_whitespace();
        let name = words
            .next()
            .unwrap_or("")
            .trim_start_matches('/')
            .to_ascii_lowercase();
        let attributes = words
            .map(|w| w.split('=').next().unwrap_or("").to_ascii_lowercase())
            .collect();
        found.push((name, attributes));
    }
    found
}

#[test]
fn the_page_loads_nothing_and_runs_nothing() {
    const ELEMENTS: &[&str] = &[
        "!doctype", "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4",
        "small", "p", "a", "code", "em", "strong", "nav", "ul", "li", "section", "span", "table",
        "thead", "tbody", "tr", "th", "td", "br", "pre", "details", "summary",
    ];
    const ATTRIBUTES: &[&str] = &[
        "html", "lang", "charset", "name", "content", "id", "class", "href",
    ];
    let hostile: utoipa::openapi::OpenApi = serde_json::from_value(hostile()).unwrap();
    for page in [page(), render(&hostile)] {
        for (name, attributes) in tags(&page) {
            assert!(ELEMENTS.contains(&name.as_str()), "<{name}> on the page");
            for attribute in attributes {
                assert!(
                    ATTRIBUTES.contains(&attribute.as_str()),
                    "{attribute}= on <{name}>"
                );
            }
        }
        assert!(!page.contains("url(") && !page.contains("@import"));
        // Links stay on the page or go to the document next to it.
        for href in page.split("href=\"").skip(1) {
            let target = &href[..href.find('"').unwrap_or(href.len())];
            assert!(
                target.starts_with('#') || target == "/openapi.json",
                "link to {target}"
            );
        }
    }
}
