//! `/docs` as a browser receives it: HTML under a policy that runs no script and loads
//! nothing from elsewhere, listing every operation the served `/openapi.json` holds with
//! the request fields, rules and examples a client needs. (`scripts/check-docs-page.sh`
//! renders the same page in headless Chromium.)

use axum::http::StatusCode;
use gatehouse_store::Backend;
use gatehouse_testkit::{both_backends, TestApp};

async fn docs_page_describes_every_served_operation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let docs = app.get("/docs", None).await;
    assert_eq!(docs.status, StatusCode::OK);
    let content_type = docs.headers["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let csp = docs.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.starts_with("default-src 'none'; style-src 'unsafe-inline';"),
        "{csp}"
    );
    assert!(!csp.contains("script-src"), "{csp}");

    let openapi = app.get("/openapi.json", None).await;
    let mut operations = 0;
    for (path, item) in openapi.body["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap();
            let heading = format!(
                "<section class=\"op\" id=\"{id}\"><h3><span class=\"m m-{method}\">{}</span> <code>{path}</code></h3>",
                method.to_uppercase()
            );
            assert!(
                docs.text.contains(&heading),
                "{method} {path} is not on /docs"
            );
            operations += 1;
        }
    }
    assert!(operations >= 18, "{operations}");

    // Login: its password rule, the example login, the answer's shape, its errors.
    let login = &docs.text[docs.text.find("id=\"login\"").unwrap()..];
    let login = &login[..login.find("</section>").unwrap()];
    assert!(login.contains("<tr><td><code>password</code></td><td>string</td><td><span class=\"req\">yes</span></td><td>1 to 4096 characters</td>"), "{login}");
    assert!(
        login.contains("&quot;login&quot;: &quot;ada@example.com&quot;"),
        "{login}"
    );
    assert!(login.contains("&quot;access_token&quot;"), "{login}");
    assert!(login.contains("<code>too_many_attempts</code>"), "{login}");
    assert!(!docs.text.contains("<script"));
}
both_backends!(docs_page_describes_every_served_operation);
