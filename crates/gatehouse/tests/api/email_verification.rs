//! Email verification: a link proves the address it was sent to, once, until it expires;
//! a change of address waits for the new address's link and tells the old one; a deployment
//! may refuse logins until the address is verified.

use axum::http::StatusCode;
use chrono::Duration;
use gatehouse_store::Backend;
use gatehouse_testkit::queries::{self, OutboxRow};
use gatehouse_testkit::{both_backends, test_config, TestApp, PASSWORD};
use serde_json::json;

/// The token of the latest queued email's link (`...#token=<43 characters>`).
pub async fn latest_link_token(app: &TestApp) -> String {
    let text = queries::latest_email_text(&app.core.db).await;
    let at = text.find("#token=").expect("a link in the email") + "#token=".len();
    text[at..at + 43].to_owned()
}

async fn emails(app: &TestApp) -> Vec<OutboxRow> {
    queries::outbox(&app.core.db)
        .await
        .into_iter()
        .filter(|r| r.channel == "email")
        .collect()
}

async fn verify(app: &TestApp, token: &str) -> gatehouse_testkit::Resp {
    app.post("/v1/auth/verify-email", json!({ "token": token }), None)
        .await
}

async fn a_link_verifies_the_address_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("ana@example.com").await;
    let tokens = app.login("ana@example.com").await;
    let me = app.get("/v1/me", Some(&tokens.access)).await;
    assert_eq!(me.body["email_verified"], false);

    let r = app
        .post(
            "/v1/auth/verify-email/resend",
            json!({}),
            Some(&tokens.access),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let sent = emails(&app).await;
    let last = sent.last().expect("an email");
    assert_eq!(
        (last.kind.as_str(), last.recipient.as_str()),
        ("email_verification", "ana@example.com")
    );
    let token = latest_link_token(&app).await;
    let r = verify(&app, &token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["email_verified"], true);
    let me = app.get("/v1/me", Some(&tokens.access)).await;
    assert_eq!(me.body["email_verified"], true);

    // Used once: the second use, an unknown token and a not-me token are all refused.
    for bad in [
        token.as_str(),
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "",
    ] {
        let r = verify(&app, bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
        assert_eq!(r.code(), "invalid_link");
    }
    let r = app
        .post(
            "/v1/auth/verify-email/resend",
            json!({}),
            Some(&tokens.access),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "email_already_verified");
}
both_backends!(a_link_verifies_the_address_once);

async fn an_expired_link_verifies_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("bea@example.com").await;
    let tokens = app.login("bea@example.com").await;
    app.post(
        "/v1/auth/verify-email/resend",
        json!({}),
        Some(&tokens.access),
    )
    .await;
    let token = latest_link_token(&app).await;
    app.advance(Duration::hours(24) + Duration::seconds(1));
    let r = verify(&app, &token).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "invalid_link");
    let tokens = app.login("bea@example.com").await;
    let me = app.get("/v1/me", Some(&tokens.access)).await;
    assert_eq!(me.body["email_verified"], false);
}
both_backends!(an_expired_link_verifies_nothing);

async fn a_new_address_counts_only_after_its_own_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("cat@example.com").await;
    let tokens = app.login("cat@example.com").await;
    let change = |to: &str, password: &str| json!({ "new_email": to, "password": password });
    let r = app
        .post(
            "/v1/me/email",
            change("cat@new.example", "not the password"),
            Some(&tokens.access),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "wrong_current_password");

    let r = app
        .post(
            "/v1/me/email",
            change("first@new.example", PASSWORD),
            Some(&tokens.access),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let first = latest_link_token(&app).await;
    let r = app
        .post(
            "/v1/me/email",
            change("cat@new.example", PASSWORD),
            Some(&tokens.access),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let last = emails(&app).await.pop().unwrap();
    assert_eq!(last.recipient, "cat@new.example");
    let second = latest_link_token(&app).await;
    // Nothing changed yet.
    let me = app.get("/v1/me", Some(&tokens.access)).await;
    assert_eq!(me.body["email"], "cat@example.com");

    // The link for the first address was replaced by the later request: it moves nothing.
    let r = verify(&app, &first).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "invalid_link");

    let r = verify(&app, &second).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let me = app.get("/v1/me", Some(&tokens.access)).await;
    assert_eq!(me.body["email"], "cat@new.example");
    assert_eq!(me.body["email_verified"], true);
    // The old address is told.
    let told = emails(&app).await.pop().unwrap();
    assert_eq!(
        (told.kind.as_str(), told.recipient.as_str()),
        ("email_changed", "cat@example.com")
    );
    assert!(app.login_as("cat@example.com", PASSWORD).await.status == StatusCode::UNAUTHORIZED);
    app.login("cat@new.example").await;
}
both_backends!(a_new_address_counts_only_after_its_own_link);

async fn a_link_for_the_old_address_proves_nothing_after_a_change(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("dan@example.com").await;
    let tokens = app.login("dan@example.com").await;
    app.post(
        "/v1/auth/verify-email/resend",
        json!({}),
        Some(&tokens.access),
    )
    .await;
    let old_link = latest_link_token(&app).await;
    let body = json!({ "new_email": "dan@new.example", "password": PASSWORD });
    app.post("/v1/me/email", body, Some(&tokens.access)).await;
    let r = verify(&app, &latest_link_token(&app).await).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // A token sent to dan@example.com cannot verify dan@new.example.
    let r = verify(&app, &old_link).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "invalid_link");
    let me = app.get("/v1/me", Some(&tokens.access)).await;
    assert_eq!(me.body["email"], "dan@new.example");
}
both_backends!(a_link_for_the_old_address_proves_nothing_after_a_change);

async fn a_deployment_may_require_a_verified_address(backend: Backend) {
    let mut config = test_config();
    config.accounts.require_verified_email = true;
    let app = TestApp::spawn_with(backend, config).await;
    app.register("eli@example.com").await;
    let r = app.login_as("eli@example.com", PASSWORD).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "email_not_verified");
    // A wrong password learns nothing new: the usual answer.
    let r = app.login_as("eli@example.com", "not the password").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "invalid_credentials");
    assert_eq!(app.count("sessions").await, 0);
}
both_backends!(a_deployment_may_require_a_verified_address);

async fn sign_up_sends_a_link_that_verifies_the_new_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let registered = app.sign_up("gus@example.com").await;
    assert_eq!(
        registered.resp.body,
        json!({ "status": "verification_sent" })
    );
    let sent = emails(&app).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].kind.as_str(), sent[0].recipient.as_str()),
        ("email_verification", "gus@example.com")
    );
    let r = verify(&app, &latest_link_token(&app).await).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let tokens = app.login("gus@example.com").await;
    let me = app.get("/v1/me", Some(&tokens.access)).await;
    assert_eq!(me.body["id"], registered.id.to_string());
    assert_eq!(me.body["email_verified"], true);
}
both_backends!(sign_up_sends_a_link_that_verifies_the_new_account);

/// A sign-up for a taken address answers like one for a new address: status, the headers
/// that matter, body, and time (medians of a few tries, with a generous bound: both paths
/// hash the password, so only noise separates them).
async fn a_taken_address_signs_up_like_a_new_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("hub@example.com").await;
    let owner = queries::user_id_by_email(&app.core.db, "hub@example.com").await;
    let sign_up = |email: String| {
        let app = &app;
        async move {
            let started = std::time::Instant::now();
            let body = json!({ "email": email, "password": PASSWORD });
            let r = app.post("/v1/auth/register", body, None).await;
            (r, started.elapsed())
        }
    };
    let (mut taken_times, mut new_times) = (Vec::new(), Vec::new());
    for n in 0..5 {
        let (taken, t) = sign_up("HUB@example.com".to_owned()).await;
        let (new, d) = sign_up(format!("new{n}@example.com")).await;
        assert_eq!(taken.status, StatusCode::ACCEPTED, "{}", taken.text);
        assert_eq!(taken.status, new.status);
        assert_eq!(taken.body, new.body);
        for h in [
            "content-type",
            "content-length",
            "cache-control",
            "location",
        ] {
            assert_eq!(taken.headers.get(h), new.headers.get(h), "{h}");
        }
        taken_times.push(t);
        new_times.push(d);
    }
    taken_times.sort();
    new_times.sort();
    let (taken, new) = (taken_times[2], new_times[2]);
    let (fast, slow) = (taken.min(new), taken.max(new));
    assert!(
        slow <= fast * 3 + std::time::Duration::from_millis(50),
        "median taken {taken:?}, new {new:?}"
    );
    // The taken path changed nothing but told the owner, five times.
    assert_eq!(app.count("users").await, 6);
    let told = emails(&app)
        .await
        .into_iter()
        .filter(|e| e.kind == "signup_attempt" && e.recipient == "hub@example.com")
        .count();
    assert_eq!(told, 5);
    let audit = app.account_audit().await;
    let noted = audit
        .iter()
        .filter(|(u, a)| *u == Some(owner) && a == "signup_on_taken_address")
        .count();
    assert_eq!(noted, 5);
}
both_backends!(a_taken_address_signs_up_like_a_new_one);
