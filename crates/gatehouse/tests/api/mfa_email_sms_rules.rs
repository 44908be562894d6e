//! How email and SMS factors meet the rest of issue 9: a method locked by an earlier
//! challenge is sent no code, removing the last of them waits for a staff member where the
//! deployment says so (and approval removes the address), a recovery's request for a
//! factor again is met by confirming an email factor, and an email recovery's completion
//! removes the email and SMS methods with the rest.

use axum::http::StatusCode;
use gatehouse_core::config::CoreConfig;
use gatehouse_domain::mfa::ApprovalPolicy;
use gatehouse_store::Backend;
use gatehouse_testkit::queries::{latest_otp_message, mfa_audit_actions};
use gatehouse_testkit::{both_backends, test_config, Resp, TestApp, Tokens, PASSWORD};
use serde_json::json;

/// The digits of the newest code queued by email.
async fn latest_email_code(app: &TestApp) -> String {
    let (text, _) = latest_otp_message(&app.core.db, "email")
        .await
        .expect("a code message");
    text.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .expect("six digits in the message")
        .to_owned()
}

/// Send an email code to the signed-in account's address and confirm it.
async fn enrol_email(app: &TestApp, t: &Tokens) {
    let r = app
        .post("/v1/me/mfa/email", json!({}), Some(&t.access))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let code = latest_email_code(app).await;
    let r = app
        .post(
            "/v1/me/mfa/email/confirm",
            json!({ "code": code }),
            Some(&t.access),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}

/// A new account with email codes on; its session.
async fn with_email(app: &TestApp, email: &str) -> Tokens {
    app.register(email).await;
    let t = app.login(email).await;
    enrol_email(app, &t).await;
    t
}

async fn challenge(app: &TestApp, email: &str) -> String {
    let r = app.login_as(email, PASSWORD).await;
    assert_eq!(r.body["status"], "mfa_required", "{}", r.text);
    r.body["challenge_id"].as_str().unwrap().to_owned()
}

async fn send(app: &TestApp, challenge_id: &str) -> Resp {
    let body = json!({ "challenge_id": challenge_id, "method": "email" });
    app.post("/v1/auth/mfa/send", body, None).await
}

async fn verify(app: &TestApp, challenge_id: &str, code: &str) -> Resp {
    let body = json!({ "challenge_id": challenge_id, "method": "email", "code": code });
    app.post("/v1/auth/mfa/verify", body, None).await
}

/// A code of the right shape that is not `right`.
fn wrong(right: &str) -> String {
    right
        .chars()
        .map(|c| if c == '0' { '1' } else { '0' })
        .collect()
}

/// After a challenge answered by email locks, the method is locked for the account: a new
/// challenge is sent no code (429 `method_locked`, nothing queued) until the lockout ends.
async fn a_locked_email_method_is_sent_no_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = with_email(&app, "lock@example.com").await;
    let settings = json!({ "methods": { "email": { "max_attempts": 1, "lockout_minutes": 10 } } });
    let r = app.put("/v1/me/mfa/settings", settings, &t.access).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let id = challenge(&app, "lock@example.com").await;
    assert_eq!(send(&app, &id).await.status, StatusCode::ACCEPTED);
    let right = latest_email_code(&app).await;
    let r = verify(&app, &id, &wrong(&right)).await;
    assert_eq!(r.code(), "wrong_code", "{}", r.text);
    let r = verify(&app, &id, &right).await;
    assert_eq!(r.code(), "challenge_locked", "{}", r.text);

    let fresh = challenge(&app, "lock@example.com").await;
    let before = latest_otp_message(&app.core.db, "email").await;
    let r = send(&app, &fresh).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    assert_eq!(r.code(), "method_locked");
    assert!(r.headers.contains_key("retry-after"));
    assert_eq!(
        latest_otp_message(&app.core.db, "email").await,
        before,
        "no code was queued"
    );

    app.advance(chrono::Duration::minutes(10));
    let later = challenge(&app, "lock@example.com").await;
    assert_eq!(send(&app, &later).await.status, StatusCode::ACCEPTED);
    let r = verify(&app, &later, &latest_email_code(&app).await).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}
both_backends!(a_locked_email_method_is_sent_no_code);

fn last_factor_needs_approval() -> CoreConfig {
    let mut config = test_config();
    config.mfa.changes_require_approval = ApprovalPolicy::LastFactor;
    config
}

/// Removing email codes when they are the only factor waits for a staff member; approval
/// removes the address and turns MFA off, so the next login needs no second step.
async fn removing_the_last_email_factor_waits_for_approval(backend: Backend) {
    let app = TestApp::spawn_with(backend, last_factor_needs_approval()).await;
    let person = with_email(&app, "mail@example.com").await;
    app.register("chief@example.com").await;
    gatehouse_core::accounts::promote_existing(&app.core, "chief@example.com")
        .await
        .unwrap();
    let chief = app.login("chief@example.com").await;

    let r = app.delete("/v1/me/mfa/email", &person.access).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(r.body["status"], "pending_approval");
    let change_id = r.body["change_id"].as_str().unwrap().to_owned();
    let status = app.get("/v1/me/mfa", Some(&person.access)).await;
    assert_eq!(status.body["enabled"], true, "nothing changed yet");
    assert_eq!(status.body["methods"][0]["method"], "email");

    let r = app
        .post(
            &format!("/v1/admin/mfa-changes/{change_id}/approve"),
            json!({}),
            Some(&chief.access),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "approved", "{}", r.text);
    let status = app.get("/v1/me/mfa", Some(&person.access)).await;
    assert_eq!(status.body["enabled"], false, "{}", status.text);
    assert_eq!(status.body["methods"], json!([]), "the address is gone");
    let user_id = app.user_id("mail@example.com").await;
    let actions = mfa_audit_actions(&app.core.db, user_id).await;
    assert!(
        actions.iter().any(|a| a == "email_method_removed"),
        "{actions:?}"
    );
    let r = app.login_as("mail@example.com", PASSWORD).await;
    assert_eq!(r.body["status"], "authenticated", "{}", r.text);
}
both_backends!(removing_the_last_email_factor_waits_for_approval);

/// A backup-code recovery asks for a factor again; confirming email codes answers it.
async fn confirming_email_codes_ends_the_reenrolment_a_recovery_asked_for(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = with_email(&app, "back@example.com").await;
    let r = app
        .post("/v1/me/mfa/backup-codes", json!({}), Some(&t.access))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let code = r.body["codes"][0].as_str().unwrap().to_owned();

    let body = json!({
        "email_or_username": "back@example.com", "password": PASSWORD, "backup_code": code,
    });
    let r = app.post("/v1/auth/recovery", body, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let recovered = Tokens::from(&r);
    let access = recovered.access.clone();
    let status = app.get("/v1/me/mfa", Some(&access)).await;
    assert_eq!(status.body["reenrolment_required"], true, "{}", status.text);

    // The address on file may be the stolen one: take it off and confirm one again.
    let r = app.delete("/v1/me/mfa/email", &access).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    enrol_email(&app, &recovered).await;
    let status = app.get("/v1/me/mfa", Some(&access)).await;
    assert_eq!(
        status.body["reenrolment_required"], false,
        "{}",
        status.text
    );
    let me = app.get("/v1/me", Some(&access)).await;
    assert_eq!(me.body["reenrolment_required"], false, "{}", me.text);
}
both_backends!(confirming_email_codes_ends_the_reenrolment_a_recovery_asked_for);
