//! Email and SMS second factors (issue 9): enrolment by a code sent to the address or
//! number (read from the queued message, and for SMS through the stand-in provider), login
//! with a code sent for the challenge (`amr` says which), and the negative cases — expired,
//! wrong-purpose, another challenge's, reused and superseded codes, the hourly send limit,
//! unverified methods, bad numbers, another client's challenge, concurrent answers.

use axum::http::StatusCode;
use chrono::Duration;
use gatehouse_core::config::CoreConfig;
use gatehouse_core::notify::transport::{
    DevTransport, EmailTransport, SmsTransport, TwilioTransport,
};
use gatehouse_core::notify::worker::Transports;
use gatehouse_store::Backend;
use gatehouse_testkit::queries::{latest_otp_message, mfa_audit_actions};
use gatehouse_testkit::{
    both_backends, test_config, Resp, SmsProvider, SmsScript, TestApp, Tokens, PASSWORD,
};
use secrecy::SecretString;
use serde_json::json;

const PHONE: &str = "+14155552671";

/// The digits of the newest code queued on `channel`, and where it went.
async fn latest_code(app: &TestApp, channel: &str) -> (String, String) {
    let (text, to) = latest_otp_message(&app.core.db, channel)
        .await
        .expect("a code message");
    let code: String = text
        .split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .expect("six digits in the message")
        .to_owned();
    (code, to)
}

async fn otp_messages(app: &TestApp) -> usize {
    gatehouse_testkit::queries::outbox(&app.core.db)
        .await
        .iter()
        .filter(|r| r.kind == "otp_code")
        .count()
}

/// An account with email codes on (sent to its own address); its tokens.
async fn with_email(app: &TestApp, email: &str) -> Tokens {
    app.register(email).await;
    let t = app.login(email).await;
    let r = app
        .post("/v1/me/mfa/email", json!({}), Some(&t.access))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let (code, to) = latest_code(app, "email").await;
    assert_eq!(to, email);
    let r = app
        .post(
            "/v1/me/mfa/email/confirm",
            json!({ "code": code }),
            Some(&t.access),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    t
}

async fn challenge(app: &TestApp, email: &str) -> String {
    let r = app.login_as(email, PASSWORD).await;
    assert_eq!(r.body["status"], "mfa_required", "{}", r.text);
    r.body["challenge_id"].as_str().unwrap().to_owned()
}

async fn send(app: &TestApp, challenge_id: &str, method: &str) -> Resp {
    app.post(
        "/v1/auth/mfa/send",
        json!({ "challenge_id": challenge_id, "method": method }),
        None,
    )
    .await
}

async fn verify(app: &TestApp, challenge_id: &str, method: &str, code: &str) -> Resp {
    app.post(
        "/v1/auth/mfa/verify",
        json!({ "challenge_id": challenge_id, "method": method, "code": code }),
        None,
    )
    .await
}

fn amr(app: &TestApp, r: &Resp) -> Vec<String> {
    let tokens = Tokens::from(r);
    gatehouse_core::tokens::verify(
        &app.core.keys.signing,
        &app.core.config.issuer,
        &tokens.access,
        app.core.clock.now(),
    )
    .unwrap()
    .amr
}

/// Enrol email with the code from the message, then sign in with an emailed code.
async fn email_codes_enrol_and_sign_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = with_email(&app, "em@example.com").await;
    let status = app.get("/v1/me/mfa", Some(&t.access)).await;
    assert_eq!(status.body["enabled"], true, "{}", status.text);
    assert_eq!(status.body["primary_method"], "email");
    assert_eq!(status.body["methods"][0]["method"], "email");
    assert_eq!(status.body["methods"][0]["enabled"], true);
    assert_eq!(status.body["methods"][0]["destination"], "e***@example.com");
    let user_id = app.user_id("em@example.com").await;
    let actions = mfa_audit_actions(&app.core.db, user_id).await;
    for a in ["code_sent", "email_method_added", "mfa_enabled"] {
        assert!(actions.contains(&a.to_owned()), "{actions:?}");
    }

    let login = app.login_as("em@example.com", PASSWORD).await;
    assert_eq!(login.body["methods"], json!(["email"]), "{}", login.text);
    let id = login.body["challenge_id"].as_str().unwrap();
    let r = send(&app, id, "email").await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(r.body["method"], "email");
    assert_eq!(r.body["destination"], "e***@example.com");
    let (code, _) = latest_code(&app, "email").await;
    let r = verify(&app, id, "email", &code).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(amr(&app, &r), ["pwd", "otp", "mfa"]);

    // Used once: the same code on a new challenge is wrong (it belongs to the first).
    let id = challenge(&app, "em@example.com").await;
    let r = verify(&app, &id, "email", &code).await;
    assert_eq!(r.code(), "wrong_code", "{}", r.text);
    // Removing the factor turns MFA off (it was the last one).
    let r = app.delete("/v1/me/mfa/email", &t.access).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let status = app.get("/v1/me/mfa", Some(&t.access)).await;
    assert_eq!(status.body["enabled"], false, "{}", status.text);
    let r = app.delete("/v1/me/mfa/email", &t.access).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
}
both_backends!(email_codes_enrol_and_sign_in);

/// Enrol SMS with the code the SMS provider received; sign in with an SMS code (`amr` sms).
async fn sms_codes_enrol_through_the_provider_and_sign_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let provider = SmsProvider::start(SmsScript::accepting()).await;
    // Email goes to the dev transport's file: this test reads only the SMS.
    let dir = std::env::temp_dir().join(format!("gatehouse-otp-{}", uuid::Uuid::now_v7()));
    let transports = std::sync::Arc::new(Transports {
        email: EmailTransport::Dev(DevTransport::new(dir.join("mail.log"))),
        sms: SmsTransport::Twilio(
            TwilioTransport::new(
                &provider.url(),
                "AC0123456789abcdef",
                SecretString::from("auth-token"),
                "+15005550006",
                None,
            )
            .unwrap(),
        ),
    });
    app.register("sm@example.com").await;
    let t = app.login("sm@example.com").await;
    let r = app
        .post(
            "/v1/me/mfa/sms",
            json!({ "phone_number": PHONE }),
            Some(&t.access),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(r.body["destination"], "+14*******71");
    app.deliver(&transports).await;
    let sent = provider.requests();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].field("To"), Some(PHONE));
    let body = sent[0].field("Body").unwrap_or_default().to_owned();
    let code: String = body.chars().take_while(char::is_ascii_digit).collect();
    assert_eq!(code.len(), 6, "{body}");
    // Not verified yet: a login offers nothing by SMS (MFA is not even on).
    let r = app
        .post(
            "/v1/me/mfa/sms/confirm",
            json!({ "code": code }),
            Some(&t.access),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    let login = app.login_as("sm@example.com", PASSWORD).await;
    assert_eq!(login.body["methods"], json!(["sms"]), "{}", login.text);
    let id = login.body["challenge_id"].as_str().unwrap();
    let r = send(&app, id, "sms").await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let (code, to) = latest_code(&app, "sms").await;
    assert_eq!(to, PHONE);
    let r = verify(&app, id, "sms", &code).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(amr(&app, &r), ["pwd", "sms", "mfa"]);
}
both_backends!(sms_codes_enrol_through_the_provider_and_sign_in);

/// Bad numbers are 422; confirming with nothing sent is 409; a method not verified (or
/// not set up) is never offered, and asking a challenge for it is refused.
async fn bad_numbers_and_unverified_methods_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = with_email(&app, "bad@example.com").await;
    for bad in ["4155552671", "+1", "+1415555267a", "+14155552671999999"] {
        let r = app
            .post(
                "/v1/me/mfa/sms",
                json!({ "phone_number": bad }),
                Some(&t.access),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
    }
    let r = app
        .post(
            "/v1/me/mfa/sms/confirm",
            json!({ "code": "123456" }),
            Some(&t.access),
        )
        .await;
    assert_eq!(r.code(), "method_not_started", "{}", r.text);
    let r = app
        .post("/v1/me/mfa/email", json!({}), Some(&t.access))
        .await;
    assert_eq!(r.code(), "method_already_enabled", "{}", r.text);
    // An SMS setup waiting for its code: not offered, and nothing is sent for it.
    let r = app
        .post(
            "/v1/me/mfa/sms",
            json!({ "phone_number": PHONE }),
            Some(&t.access),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let before = otp_messages(&app).await;
    let id = challenge(&app, "bad@example.com").await;
    let r = send(&app, &id, "sms").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = send(&app, &id, "totp").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(otp_messages(&app).await, before);
}
both_backends!(bad_numbers_and_unverified_methods_are_refused);

/// Codes expire; an enrolment code does not answer a login; a code of one challenge does
/// not answer another; a resend voids the older code.
async fn codes_are_bound_to_purpose_challenge_and_time(backend: Backend) {
    let mut config: CoreConfig = test_config();
    config.mfa.otp_ttl_secs = 60;
    config.mfa.challenge_ttl_secs = 600;
    config.mfa.challenge_max_attempts = 10;
    let app = TestApp::spawn_with(backend, config).await;
    let t = with_email(&app, "bnd@example.com").await;

    // Expired.
    let id = challenge(&app, "bnd@example.com").await;
    send(&app, &id, "email").await;
    let (code, _) = latest_code(&app, "email").await;
    app.advance(Duration::seconds(61));
    let r = verify(&app, &id, "email", &code).await;
    assert_eq!(r.code(), "wrong_code", "{}", r.text);

    // Wrong purpose: a fresh enrolment code (SMS setup) answers no login.
    app.post(
        "/v1/me/mfa/sms",
        json!({ "phone_number": PHONE }),
        Some(&t.access),
    )
    .await;
    let (enrol_code, _) = latest_code(&app, "sms").await;
    let r = verify(&app, &id, "email", &enrol_code).await;
    assert_eq!(r.code(), "wrong_code", "{}", r.text);

    // Another challenge's code.
    let first = challenge(&app, "bnd@example.com").await;
    let second = challenge(&app, "bnd@example.com").await;
    send(&app, &first, "email").await;
    let (first_code, _) = latest_code(&app, "email").await;
    send(&app, &second, "email").await;
    let (second_code, _) = latest_code(&app, "email").await;
    if first_code != second_code {
        let r = verify(&app, &second, "email", &first_code).await;
        assert_eq!(r.code(), "wrong_code", "{}", r.text);
    }

    // A resend voids the older code of the same challenge.
    send(&app, &first, "email").await;
    let (newer, _) = latest_code(&app, "email").await;
    if newer != first_code {
        let r = verify(&app, &first, "email", &first_code).await;
        assert_eq!(r.code(), "wrong_code", "{}", r.text);
    }
    let r = verify(&app, &first, "email", &newer).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = verify(&app, &second, "email", &second_code).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}
both_backends!(codes_are_bound_to_purpose_challenge_and_time);

/// At most `codes_sent_per_hour` sends per purpose: the next is 429 with Retry-After and
/// nothing is queued; an hour later sending works again. Only the challenge holder can
/// send: another address or device is refused and sends nothing.
async fn sends_are_limited_and_belong_to_the_challenge_holder(backend: Backend) {
    let mut config: CoreConfig = test_config();
    config.mfa.codes_sent_per_hour = 2;
    let mut app = TestApp::spawn_with(backend, config).await;
    with_email(&app, "lim@example.com").await;
    let id = challenge(&app, "lim@example.com").await;

    let owner_ip = app.ip;
    app.ip = "198.51.100.77".parse().unwrap();
    let r = send(&app, &id, "email").await;
    assert_eq!(r.code(), "invalid_challenge", "{}", r.text);
    app.ip = owner_ip;
    let r = app
        .post(
            "/v1/auth/mfa/send",
            json!({ "challenge_id": id, "method": "email",
                    "device": { "fingerprint": "another device" } }),
            None,
        )
        .await;
    assert_eq!(r.code(), "invalid_challenge", "{}", r.text);

    let before = otp_messages(&app).await;
    for _ in 0..2 {
        assert_eq!(send(&app, &id, "email").await.status, StatusCode::ACCEPTED);
    }
    let r = send(&app, &id, "email").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    assert_eq!(r.code(), "too_many_codes");
    assert!(r.headers.get("retry-after").is_some());
    assert_eq!(otp_messages(&app).await, before + 2);
    let user_id = app.user_id("lim@example.com").await;
    let actions = mfa_audit_actions(&app.core.db, user_id).await;
    assert!(actions.contains(&"rate_limited".to_owned()), "{actions:?}");

    app.advance(Duration::minutes(61));
    let id = challenge(&app, "lim@example.com").await;
    assert_eq!(send(&app, &id, "email").await.status, StatusCode::ACCEPTED);
}
both_backends!(sends_are_limited_and_belong_to_the_challenge_holder);

/// Two answers with one email code at once: exactly one signs in.
async fn two_concurrent_answers_with_one_code_sign_in_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    with_email(&app, "two@example.com").await;
    let id = challenge(&app, "two@example.com").await;
    send(&app, &id, "email").await;
    let (code, _) = latest_code(&app, "email").await;
    let (a, b) = tokio::join!(
        verify(&app, &id, "email", &code),
        verify(&app, &id, "email", &code)
    );
    let ok = [a.status, b.status]
        .iter()
        .filter(|s| **s == StatusCode::OK)
        .count();
    assert_eq!(ok, 1, "{} / {}", a.text, b.text);
}
both_backends!(two_concurrent_answers_with_one_code_sign_in_once);
