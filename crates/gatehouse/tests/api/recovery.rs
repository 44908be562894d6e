//! Account recovery (issue 9, item 5): a backup code with the password signs in and asks
//! for a factor to be enrolled again; every wrong part answers like a wrong login; the
//! email recovery for people with no codes left answers alike for any address, waits its
//! delay (a second request does not restart it), tells every channel with a cancel link,
//! can be cancelled by that link or from a session, and then turns MFA off and signs in.

use axum::http::StatusCode;
use chrono::Duration;
use gatehouse_domain::mfa::{base32, TotpParams};
use gatehouse_store::Backend;
use gatehouse_testkit::queries::{self, mfa_audit_actions};
use gatehouse_testkit::{both_backends, Resp, TestApp, Tokens, PASSWORD};
use serde_json::{json, Value};

/// The person's phone, so SMS is one of the channels.
const PHONE: &str = "+14155552671";

/// A signed-in person with TOTP on, a phone on file and ten backup codes: their session
/// and codes.
pub async fn with_mfa(app: &TestApp, email: &str) -> (Tokens, Vec<String>) {
    app.register(email).await;
    let t = app.login(email).await;
    let r = app.patch(
        "/v1/me/profile",
        json!({ "phone_number": PHONE }),
        &t.access,
    );
    assert_eq!(r.await.status, StatusCode::OK);
    enrol_totp(app, &t).await;
    let r = app
        .post("/v1/me/mfa/backup-codes", json!({}), Some(&t.access))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let codes = r.body["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (t, codes)
}

async fn enrol_totp(app: &TestApp, t: &Tokens) {
    let r = app
        .post("/v1/me/mfa/totp", json!({}), Some(&t.access))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let secret = base32::decode(r.body["secret"].as_str().unwrap()).unwrap();
    let code = TotpParams::default().code_at(&secret, app.core.clock.now());
    let r = app
        .post(
            "/v1/me/mfa/totp/confirm",
            json!({ "code": code }),
            Some(&t.access),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    app.advance(Duration::seconds(30));
}

async fn recover(app: &TestApp, login: &str, password: &str, code: &str) -> Resp {
    let body = json!({ "email_or_username": login, "password": password, "backup_code": code });
    app.post("/v1/auth/recovery", body, None).await
}

async fn request_email(app: &TestApp, email: &str) -> Resp {
    app.post("/v1/auth/recovery/email", json!({ "email": email }), None)
        .await
}

async fn complete(app: &TestApp, token: &str, password: &str) -> Resp {
    let body = json!({ "token": token, "password": password });
    app.post("/v1/auth/recovery/complete", body, None).await
}

async fn cancel(app: &TestApp, token: &str) -> Resp {
    app.post("/v1/auth/recovery/cancel", json!({ "token": token }), None)
        .await
}

/// The token of the newest `page` link (`recover-account`, `cancel-recovery`) in a
/// recovery message on `channel`.
pub async fn recovery_link(app: &TestApp, channel: &str, page: &str) -> String {
    let texts = queries::message_texts(&app.core.db, "mfa_recovery").await;
    let (_, text) = texts
        .iter()
        .rev()
        .find(|(c, _)| *c == channel)
        .expect("a recovery message");
    let marker = format!("/{page}#token=");
    let at = text.find(&marker).expect("the link") + marker.len();
    text[at..at + 43].to_owned()
}

fn amr(app: &TestApp, access: &Value) -> Vec<String> {
    gatehouse_core::tokens::verify(
        &app.core.keys.signing,
        &app.core.config.issuer,
        access.as_str().unwrap(),
        app.core.clock.now(),
    )
    .unwrap()
    .amr
}

/// The parts of a problem that must not differ between refusals.
fn shape(r: &Resp) -> (StatusCode, Value, Value, Value) {
    (
        r.status,
        r.body["code"].clone(),
        r.body["detail"].clone(),
        r.body["title"].clone(),
    )
}

async fn a_backup_code_signs_in_and_asks_for_a_factor_again(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, codes) = with_mfa(&app, "rue@example.com").await;
    let user_id = app.user_id("rue@example.com").await;
    let texts_before = queries::message_texts(&app.core.db, "mfa_recovery").await;
    assert!(texts_before.is_empty());

    let r = recover(&app, "rue@example.com", PASSWORD, &codes[0]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "authenticated");
    assert_eq!(amr(&app, &r.body["access_token"]), ["pwd", "otp", "mfa"]);
    let access = r.body["access_token"].as_str().unwrap().to_owned();
    let me = app.get("/v1/me", Some(&access)).await;
    assert_eq!(me.body["reenrolment_required"], true, "{}", me.text);
    let mfa = app.get("/v1/me/mfa", Some(&access)).await;
    assert_eq!(mfa.body["reenrolment_required"], true, "{}", mfa.text);
    assert_eq!(mfa.body["backup_codes_remaining"], 9);
    assert_eq!(app.count("mfa_recoveries").await, 1);
    let actions = mfa_audit_actions(&app.core.db, user_id).await;
    for action in ["backup_code_used", "recovery_completed"] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
    // Every channel hears of it, with a "this wasn't me" link.
    let texts = queries::message_texts(&app.core.db, "mfa_recovery").await;
    let channels: Vec<_> = texts.iter().map(|(c, _)| *c).collect();
    assert_eq!(channels, ["email", "sms", "in_app"], "{texts:?}");
    assert!(texts[..2].iter().all(|(_, t)| t.contains("/not-me#token=")));

    // The code is spent.
    let again = recover(&app, "rue@example.com", PASSWORD, &codes[0]).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert_eq!(again.code(), "invalid_credentials");

    // Setting the lost authenticator up again ends the request.
    let t = Tokens {
        access: access.clone(),
        refresh: r.body["refresh_token"].as_str().unwrap().to_owned(),
        session_id: r.body["session_id"].as_str().unwrap().to_owned(),
    };
    let removed = app.delete("/v1/me/mfa/totp", &access).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.text);
    enrol_totp(&app, &t).await;
    let me = app.get("/v1/me", Some(&access)).await;
    assert_eq!(me.body["reenrolment_required"], false, "{}", me.text);
    let mfa = app.get("/v1/me/mfa", Some(&access)).await;
    assert_eq!(mfa.body["reenrolment_required"], false);
}
both_backends!(a_backup_code_signs_in_and_asks_for_a_factor_again);

async fn every_wrong_part_answers_like_a_wrong_login(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, codes) = with_mfa(&app, "sid@example.com").await;
    let wrong_login = app
        .login_as("sid@example.com", "not the password at all")
        .await;
    assert_eq!(wrong_login.status, StatusCode::UNAUTHORIZED);
    let cases = [
        ("sid@example.com", PASSWORD, "aaaaa-bbbbb"),
        (
            "sid@example.com",
            "not the password at all",
            codes[0].as_str(),
        ),
        ("nobody@example.com", PASSWORD, codes[0].as_str()),
    ];
    for (login, password, code) in cases {
        let r = recover(&app, login, password, code).await;
        assert_eq!(shape(&r), shape(&wrong_login), "{login}/{code}: {}", r.text);
    }
    // Nothing was spent: the right code still works.
    let r = recover(&app, "sid@example.com", PASSWORD, &codes[0]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}
both_backends!(every_wrong_part_answers_like_a_wrong_login);

async fn wrong_codes_count_towards_the_login_lockout(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, codes) = with_mfa(&app, "ted@example.com").await;
    let mut locked = None;
    for i in 0..20 {
        let r = recover(&app, "ted@example.com", PASSWORD, "aaaaa-bbbbb").await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            locked = Some(i);
            break;
        }
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    }
    assert!(locked.is_some(), "wrong backup codes never locked");
    // The lock is the login's: the password alone is refused too, and so is a right code.
    let r = app.login_as("ted@example.com", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    let r = recover(&app, "ted@example.com", PASSWORD, &codes[0]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
}
both_backends!(wrong_codes_count_towards_the_login_lockout);

async fn an_email_request_answers_alike_for_any_address(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    with_mfa(&app, "uma@example.com").await;
    app.register("vic@example.com").await;
    let with_mfa_on = request_email(&app, "uma@example.com").await;
    let without_mfa = request_email(&app, "vic@example.com").await;
    let unknown = request_email(&app, "nobody@example.com").await;
    for r in [&with_mfa_on, &without_mfa, &unknown] {
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        assert_eq!(r.body, json!({ "status": "recovery_requested" }));
        for h in ["content-type", "content-length", "cache-control"] {
            assert_eq!(r.headers.get(h), unknown.headers.get(h), "{h}");
        }
    }
    // Only the account with MFA on has a recovery.
    assert_eq!(app.count("mfa_recoveries").await, 1);
}
both_backends!(an_email_request_answers_alike_for_any_address);

async fn an_email_recovery_waits_and_a_second_request_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    with_mfa(&app, "wes@example.com").await;
    let r = request_email(&app, "wes@example.com").await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    // Email (with the completion link), SMS and the in-app feed, each with a cancel link.
    let texts = queries::message_texts(&app.core.db, "mfa_recovery").await;
    let channels: Vec<_> = texts.iter().map(|(c, _)| *c).collect();
    assert_eq!(channels, ["email", "sms", "in_app"], "{texts:?}");
    assert!(texts
        .iter()
        .all(|(_, t)| t.contains("/cancel-recovery#token=")));
    assert!(texts[0].1.contains("/recover-account#token="));
    assert!(texts[0].1.contains("24 hours"), "{}", texts[0].1);
    assert!(texts[1..]
        .iter()
        .all(|(_, t)| !t.contains("recover-account")));
    let token = recovery_link(&app, "email", "recover-account").await;

    let early = complete(&app, &token, PASSWORD).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text);
    assert_eq!(early.code(), "recovery_not_ready");
    assert!(early.headers.get("retry-after").is_some());

    // Half-way, a second request: no new messages, and the clock runs on.
    app.advance(Duration::hours(12));
    request_email(&app, "wes@example.com").await;
    let again = queries::message_texts(&app.core.db, "mfa_recovery").await;
    assert_eq!(again.len(), texts.len());
    app.advance(Duration::hours(12) + Duration::seconds(1));
    let r = complete(&app, &token, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}
both_backends!(an_email_recovery_waits_and_a_second_request_changes_nothing);

async fn a_ready_email_recovery_turns_mfa_off_and_signs_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    with_mfa(&app, "xan@example.com").await;
    let user_id = app.user_id("xan@example.com").await;
    request_email(&app, "xan@example.com").await;
    let token = recovery_link(&app, "email", "recover-account").await;
    app.advance(Duration::seconds(86_401));

    // A wrong password is the login's answer and does not spend the link.
    let wrong = complete(&app, &token, "not the password at all").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.code(), "invalid_credentials");

    let r = complete(&app, &token, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(amr(&app, &r.body["access_token"]), ["pwd"]);
    let access = r.body["access_token"].as_str().unwrap();
    let mfa = app.get("/v1/me/mfa", Some(access)).await;
    assert_eq!(mfa.body["enabled"], false, "{}", mfa.text);
    assert_eq!(mfa.body["methods"], json!([]));
    assert_eq!(mfa.body["backup_codes_remaining"], 0);
    assert_eq!(mfa.body["reenrolment_required"], true);
    let actions = mfa_audit_actions(&app.core.db, user_id).await;
    for action in [
        "recovery_started",
        "totp_removed",
        "mfa_disabled",
        "recovery_completed",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
    // The password alone signs in now.
    let login = app.login_as("xan@example.com", PASSWORD).await;
    assert_eq!(login.body["status"], "authenticated", "{}", login.text);
    // The link worked once.
    let again = complete(&app, &token, PASSWORD).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.code(), "invalid_link");
}
both_backends!(a_ready_email_recovery_turns_mfa_off_and_signs_in);

async fn a_cancelled_recovery_cannot_complete(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    with_mfa(&app, "yul@example.com").await;
    request_email(&app, "yul@example.com").await;
    let token = recovery_link(&app, "email", "recover-account").await;
    // The SMS's cancel link is the one used: every channel's works.
    let cancel_token = recovery_link(&app, "sms", "cancel-recovery").await;
    let r = cancel(&app, &cancel_token).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = cancel(&app, &cancel_token).await;
    assert_eq!(r.code(), "invalid_link");
    app.advance(Duration::seconds(86_401));
    let r = complete(&app, &token, PASSWORD).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.code(), "invalid_link");
    // MFA is still on.
    let login = app.login_as("yul@example.com", PASSWORD).await;
    assert_eq!(login.body["status"], "mfa_required", "{}", login.text);
}
both_backends!(a_cancelled_recovery_cannot_complete);

async fn a_signed_in_session_cancels_a_recovery(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (t, _) = with_mfa(&app, "zed@example.com").await;
    let none = app.delete("/v1/me/mfa/recovery", &t.access).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND, "{}", none.text);
    request_email(&app, "zed@example.com").await;
    let token = recovery_link(&app, "email", "recover-account").await;
    let r = app.delete("/v1/me/mfa/recovery", &t.access).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let user_id = app.user_id("zed@example.com").await;
    let actions = mfa_audit_actions(&app.core.db, user_id).await;
    assert!(
        actions.iter().any(|a| a == "recovery_cancelled"),
        "{actions:?}"
    );
    app.advance(Duration::seconds(86_401));
    let r = complete(&app, &token, PASSWORD).await;
    assert_eq!(r.code(), "invalid_link", "{}", r.text);
    // A new request starts a new recovery (and sends its messages again).
    let before = queries::message_texts(&app.core.db, "mfa_recovery")
        .await
        .len();
    request_email(&app, "zed@example.com").await;
    let after = queries::message_texts(&app.core.db, "mfa_recovery")
        .await
        .len();
    assert_eq!(after, before + 3);
}
both_backends!(a_signed_in_session_cancels_a_recovery);
