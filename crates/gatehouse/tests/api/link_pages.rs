//! The pages the emailed links open (`/verify-email`, `/reset-password`,
//! `/recover-account`, `/cancel-recovery`): static HTML under a policy that runs only this
//! origin's scripts, each page's own script naming the endpoint it calls; and the links in
//! real messages point at those pages.

use axum::http::StatusCode;
use gatehouse_store::Backend;
use gatehouse_testkit::queries;
use gatehouse_testkit::{both_backends, TestApp};
use serde_json::json;

/// Each page and the endpoint its script posts to.
const PAGES: [(&str, &str); 4] = [
    ("/verify-email", "/v1/auth/verify-email"),
    ("/reset-password", "/v1/auth/password-reset/confirm"),
    ("/recover-account", "/v1/auth/recovery/complete"),
    ("/cancel-recovery", "/v1/auth/recovery/cancel"),
];

fn content_type(r: &gatehouse_testkit::Resp) -> &str {
    r.headers["content-type"].to_str().unwrap()
}

async fn each_link_page_and_its_scripts_answer_under_a_strict_policy(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (path, endpoint) in PAGES {
        let page = app.get(path, None).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(content_type(&page).starts_with("text/html"), "{path}");
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "connect-src 'self'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(page.headers["referrer-policy"], "no-referrer", "{path}");
        assert!(page
            .text
            .contains("<meta name=\"referrer\" content=\"no-referrer\">"));
        // Scripts only from this origin, none inline: the shared helper, then the page's own.
        let own = format!("<script src=\"{path}.js\"></script>");
        assert_eq!(page.text.matches("<script").count(), 2, "{path}");
        assert!(page
            .text
            .contains("<script src=\"/link-pages.js\"></script>"));
        assert!(page.text.contains(&own), "{path}");
        assert!(page.text.contains("href=\"/link-pages.css\""), "{path}");

        let script = app.get(&format!("{path}.js"), None).await;
        assert_eq!(script.status, StatusCode::OK, "{path}.js");
        assert!(content_type(&script).starts_with("text/javascript"));
        assert_eq!(script.headers["x-content-type-options"], "nosniff");
        assert!(
            script.text.contains(&format!("\"{endpoint}\"")),
            "{path}.js does not call {endpoint}"
        );
        // The token goes only into the POST body, never into storage.
        assert!(script.text.contains("takeToken()"), "{path}.js");
        assert!(!script.text.contains("localStorage") && !script.text.contains("sessionStorage"));
    }
    let helper = app.get("/link-pages.js", None).await;
    assert_eq!(helper.status, StatusCode::OK);
    assert!(content_type(&helper).starts_with("text/javascript"));
    // The token is read from the fragment and taken out of the address bar.
    assert!(helper.text.contains("window.location.hash"));
    assert!(helper.text.contains("history.replaceState"));
    assert!(!helper.text.contains("localStorage") && !helper.text.contains("sessionStorage"));
    let style = app.get("/link-pages.css", None).await;
    assert_eq!(style.status, StatusCode::OK);
    assert!(content_type(&style).starts_with("text/css"));

    // The two password pages ask for the password in a form that the script sends; the
    // reset page asks for it twice.
    let reset = app.get("/reset-password", None).await;
    assert_eq!(
        reset.text.matches("autocomplete=\"new-password\"").count(),
        2
    );
    let script = app.get("/reset-password.js", None).await;
    assert!(script.text.contains("new_password: password.value"));
    assert!(script.text.contains("password.value !== again.value"));
    let recover = app.get("/recover-account", None).await;
    assert!(recover.text.contains("autocomplete=\"current-password\""));
    let script = app.get("/recover-account.js", None).await;
    assert!(script
        .text
        .contains("{ token: token, password: password.value }"));

    // Still a problem+json 404 for what is not a page.
    let none = app.get("/verify-email-now", None).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    assert_eq!(none.body["code"], "not_found");
}
both_backends!(each_link_page_and_its_scripts_answer_under_a_strict_policy);

/// The path of the link whose fragment is `#token=` in `text` (its host, if any, dropped).
fn link_path(text: &str, page: &str) -> String {
    let marker = format!("/{page}#token=");
    let at = text.find(&marker).expect("a link") + marker.len() - "#token=".len();
    let start = text[..at].rfind(char::is_whitespace).map_or(0, |i| i + 1);
    let url = &text[start..at];
    match url.find("://") {
        Some(scheme) => {
            let rest = &url[scheme + 3..];
            rest[rest.find('/').expect("a path")..].to_owned()
        }
        None => url.to_owned(),
    }
}

async fn the_links_in_real_messages_open_a_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Sign up keeping the verification email (`register` discards it).
    app.sign_up("lin@example.com").await;
    let verification = queries::latest_email_text(&app.core.db).await;
    let mut paths = vec![link_path(&verification, "verify-email")];

    let r = app
        .post(
            "/v1/auth/password-reset/request",
            json!({ "email": "lin@example.com" }),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let reset = queries::latest_email_text(&app.core.db).await;
    paths.push(link_path(&reset, "reset-password"));

    crate::recovery::with_mfa(&app, "mia@example.com").await;
    let r = app
        .post(
            "/v1/auth/recovery/email",
            json!({ "email": "mia@example.com" }),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let texts = queries::message_texts(&app.core.db, "mfa_recovery").await;
    let (_, recovery) = texts.iter().find(|(c, _)| *c == "email").expect("an email");
    paths.push(link_path(recovery, "recover-account"));
    paths.push(link_path(recovery, "cancel-recovery"));

    assert_eq!(
        paths,
        [
            "/verify-email",
            "/reset-password",
            "/recover-account",
            "/cancel-recovery"
        ]
    );
    for path in paths {
        let page = app.get(&path, None).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(content_type(&page).starts_with("text/html"), "{path}");
    }
}
both_backends!(the_links_in_real_messages_open_a_page);
