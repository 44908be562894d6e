//! Login with a second factor (issue 9, item 2): a right password on an account with MFA
//! answers `mfa_required` with a challenge, answered with a TOTP or backup code; the
//! negative cases — a replayed TOTP, an expired challenge, a challenge answered from
//! another client, a reused backup code, the lock after `max_attempts`, the hourly limit,
//! two concurrent answers with one code — and a trusted device skipping the second step.

use axum::http::StatusCode;
use chrono::Duration;
use gatehouse_core::config::CoreConfig;
use gatehouse_domain::mfa::{base32, TotpParams};
use gatehouse_store::Backend;
use gatehouse_testkit::queries::mfa_audit_actions;
use gatehouse_testkit::{both_backends, test_config, Resp, TestApp, Tokens, PASSWORD};
use serde_json::{json, Value};

/// An account with TOTP on; its secret.
pub(crate) async fn with_totp(app: &TestApp, email: &str) -> Vec<u8> {
    app.register(email).await;
    let t = app.login(email).await;
    let r = app
        .post("/v1/me/mfa/totp", json!({}), Some(&t.access))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let secret = base32::decode(r.body["secret"].as_str().unwrap()).unwrap();
    let r = app
        .post(
            "/v1/me/mfa/totp/confirm",
            json!({ "code": code_now(app, &secret) }),
            Some(&t.access),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // The confirmation spent this time step: sign-ins use the next one.
    app.advance(Duration::seconds(30));
    secret
}

pub(crate) fn code_now(app: &TestApp, secret: &[u8]) -> String {
    TotpParams::default().code_at(secret, app.core.clock.now())
}

async fn password_login(app: &TestApp, email: &str) -> Resp {
    let r = app.login_as(email, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r
}

/// Log in with the password; the challenge it answers.
pub(crate) async fn challenge(app: &TestApp, email: &str) -> String {
    let r = password_login(app, email).await;
    assert_eq!(r.body["status"], "mfa_required", "{}", r.text);
    r.body["challenge_id"].as_str().unwrap().to_owned()
}

pub(crate) async fn verify(app: &TestApp, challenge_id: &str, method: &str, code: &str) -> Resp {
    verify_with(
        app,
        json!({ "challenge_id": challenge_id, "method": method, "code": code }),
    )
    .await
}

async fn verify_with(app: &TestApp, body: Value) -> Resp {
    app.post("/v1/auth/mfa/verify", body, None).await
}

fn claims_of(app: &TestApp, access: &str) -> gatehouse_core::tokens::AccessClaims {
    gatehouse_core::tokens::verify(
        &app.core.keys.signing,
        &app.core.config.issuer,
        access,
        app.core.clock.now(),
    )
    .unwrap()
}

async fn a_totp_code_completes_the_login(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let secret = with_totp(&app, "tot@example.com").await;
    let r = password_login(&app, "tot@example.com").await;
    assert_eq!(r.body["status"], "mfa_required");
    assert_eq!(r.body["methods"], json!(["totp"]));
    assert!(r.body.get("access_token").is_none(), "{}", r.text);
    let expires: chrono::DateTime<chrono::Utc> =
        r.body["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires - app.core.clock.now(), Duration::minutes(5));
    let challenge_id = r.body["challenge_id"].as_str().unwrap();

    let r = verify(&app, challenge_id, "totp", &code_now(&app, &secret)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "authenticated");
    let tokens = Tokens::from(&r);
    let claims = claims_of(&app, &tokens.access);
    assert_eq!(claims.amr, ["pwd", "otp", "mfa"]);
    assert_eq!(
        app.get("/v1/me", Some(&tokens.access)).await.status,
        StatusCode::OK
    );
    let sessions = app.get("/v1/me/sessions", Some(&tokens.access)).await;
    assert_eq!(sessions.body["items"][0]["mfa_verified"], true);

    // The challenge signs in once.
    app.advance(Duration::seconds(30));
    let again = verify(&app, challenge_id, "totp", &code_now(&app, &secret)).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert_eq!(again.code(), "invalid_challenge");
}
both_backends!(a_totp_code_completes_the_login);

/// A TOTP code signs in once per time step: the same code on a second challenge is a
/// replay, refused, audited (high risk) and alerted.
async fn a_replayed_totp_code_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let secret = with_totp(&app, "rep@example.com").await;
    let code = code_now(&app, &secret);
    let first = challenge(&app, "rep@example.com").await;
    assert_eq!(
        verify(&app, &first, "totp", &code).await.status,
        StatusCode::OK
    );
    let second = challenge(&app, "rep@example.com").await;
    let r = verify(&app, &second, "totp", &code).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(r.code(), "code_already_used");
    let user_id = app.user_id("rep@example.com").await;
    let actions = mfa_audit_actions(&app.core.db, user_id).await;
    assert!(actions.contains(&"code_replayed".to_owned()), "{actions:?}");
    // The next step's code still works on the same challenge.
    app.advance(Duration::seconds(30));
    let r = verify(&app, &second, "totp", &code_now(&app, &secret)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}
both_backends!(a_replayed_totp_code_is_refused);

/// Wrong codes count; after `max_attempts` (3) the challenge is locked even for the right
/// code, the lock is audited, and the method stays locked for the lockout period.
async fn a_challenge_locks_after_max_attempts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let secret = with_totp(&app, "loc@example.com").await;
    let id = challenge(&app, "loc@example.com").await;
    let right = code_now(&app, &secret);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for left in [2, 1, 0] {
        let r = verify(&app, &id, "totp", wrong).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
        assert_eq!(r.code(), "wrong_code");
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("{left} attempts left")),
            "{}",
            r.text
        );
    }
    let r = verify(&app, &id, "totp", &right).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "challenge_locked");
    let user_id = app.user_id("loc@example.com").await;
    let actions = mfa_audit_actions(&app.core.db, user_id).await;
    assert!(actions.contains(&"locked_out".to_owned()), "{actions:?}");
    // TOTP is now locked for the account (`mfa.lockout_minutes_default`, 30): a new login
    // cannot answer with it, even with the right code (429 `method_locked`)...
    let fresh = challenge(&app, "loc@example.com").await;
    let r = verify(&app, &fresh, "totp", &right).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    assert_eq!(r.code(), "method_locked");
    // ...until the lockout is over.
    app.advance(Duration::minutes(30));
    let fresh = challenge(&app, "loc@example.com").await;
    assert_eq!(
        verify(&app, &fresh, "totp", &code_now(&app, &secret))
            .await
            .status,
        StatusCode::OK
    );
}
both_backends!(a_challenge_locks_after_max_attempts);

/// A challenge expires, and is bound to the login's client address and device.
async fn a_challenge_expires_and_belongs_to_its_client(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let secret = with_totp(&app, "exp@example.com").await;
    let id = challenge(&app, "exp@example.com").await;
    app.advance(Duration::minutes(5));
    let r = verify(&app, &id, "totp", &code_now(&app, &secret)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(r.code(), "challenge_expired");

    // Another address holding the id is refused, and its try costs the owner nothing.
    let id = challenge(&app, "exp@example.com").await;
    let owner_ip = app.ip;
    app.ip = "198.51.100.77".parse().unwrap();
    let r = verify(&app, &id, "totp", &code_now(&app, &secret)).await;
    assert_eq!(r.code(), "invalid_challenge", "{}", r.text);
    app.ip = owner_ip;
    // So is another device (the login named none: its user agent identified it).
    let r = verify_with(
        &app,
        json!({ "challenge_id": id, "method": "totp", "code": code_now(&app, &secret),
                "device": { "fingerprint": "another device" } }),
    )
    .await;
    assert_eq!(r.code(), "invalid_challenge", "{}", r.text);
    // A method the challenge does not offer, and an unknown one, are refused as input.
    let r = verify(&app, &id, "sms", "123456").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = verify(&app, &id, "carrier-pigeon", "123456").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = verify(&app, "not-a-challenge", "totp", "123456").await;
    assert_eq!(r.code(), "invalid_challenge", "{}", r.text);
    // The owner still signs in with it.
    let r = verify(&app, &id, "totp", &code_now(&app, &secret)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}
both_backends!(a_challenge_expires_and_belongs_to_its_client);

/// A backup code signs in once; used again it is a wrong code.
async fn a_backup_code_works_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let secret = with_totp(&app, "bak@example.com").await;
    let tokens = signed_in_with_totp(&app, "bak@example.com", &secret).await;
    let r = app
        .post("/v1/me/mfa/backup-codes", json!({}), Some(&tokens.access))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let codes: Vec<String> = r.body["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();

    let r = password_login(&app, "bak@example.com").await;
    assert_eq!(r.body["methods"], json!(["totp", "backup_code"]));
    let id = r.body["challenge_id"].as_str().unwrap();
    let r = verify(&app, id, "backup_code", &codes[0]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let tokens = Tokens::from(&r);
    assert_eq!(claims_of(&app, &tokens.access).amr, ["pwd", "otp", "mfa"]);
    let mfa = app.get("/v1/me/mfa", Some(&tokens.access)).await;
    assert_eq!(mfa.body["backup_codes_remaining"], 9, "{}", mfa.text);

    let id = challenge(&app, "bak@example.com").await;
    let r = verify(&app, &id, "backup_code", &codes[0]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(r.code(), "wrong_code");
    // Typed loosely (upper case, spaces for the dash) another code still works.
    let loose = codes[1].to_uppercase().replace('-', " ");
    let r = verify(&app, &id, "backup_code", &loose).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let user_id = app.user_id("bak@example.com").await;
    let actions = mfa_audit_actions(&app.core.db, user_id).await;
    assert_eq!(
        actions.iter().filter(|a| *a == "backup_code_used").count(),
        2,
        "{actions:?}"
    );
}
both_backends!(a_backup_code_works_once);

/// Complete a login with TOTP; the next sign-in uses the following time step.
async fn signed_in_with_totp(app: &TestApp, email: &str, secret: &[u8]) -> Tokens {
    let id = challenge(app, email).await;
    let r = verify(app, &id, "totp", &code_now(app, secret)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.advance(Duration::seconds(30));
    Tokens::from(&r)
}

/// Two answers with the same right code at once: exactly one signs in.
async fn two_concurrent_answers_have_one_winner(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let secret = with_totp(&app, "two@example.com").await;
    let id = challenge(&app, "two@example.com").await;
    let code = code_now(&app, &secret);
    let (a, b) = tokio::join!(
        verify(&app, &id, "totp", &code),
        verify(&app, &id, "totp", &code)
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::UNAUTHORIZED],
        "{} / {}",
        a.text,
        b.text
    );
    // Two challenges, one code: the step is spent by the first, the second is a replay.
    app.advance(Duration::seconds(30));
    let (x, y) = (
        challenge(&app, "two@example.com").await,
        challenge(&app, "two@example.com").await,
    );
    let code = code_now(&app, &secret);
    let (a, b) = tokio::join!(
        verify(&app, &x, "totp", &code),
        verify(&app, &y, "totp", &code)
    );
    let mut codes = [a.code().to_owned(), b.code().to_owned()];
    codes.sort();
    assert_eq!(a.status.is_success() as u8 + b.status.is_success() as u8, 1);
    assert!(codes.contains(&"code_already_used".to_owned()), "{codes:?}");
}
both_backends!(two_concurrent_answers_have_one_winner);

/// Answers per method and hour are limited over all the account's challenges.
async fn answers_are_limited_per_hour(backend: Backend) {
    let mut config: CoreConfig = test_config();
    config.mfa.answers_per_hour = 4;
    let app = TestApp::spawn_with(backend, config).await;
    let secret = with_totp(&app, "lim@example.com").await;
    let right = code_now(&app, &secret);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    // Two challenges, two wrong answers each: the allowance of four is used up.
    for _ in 0..2 {
        let id = challenge(&app, "lim@example.com").await;
        for _ in 0..2 {
            assert_eq!(verify(&app, &id, "totp", wrong).await.code(), "wrong_code");
        }
    }
    let id = challenge(&app, "lim@example.com").await;
    let r = verify(&app, &id, "totp", &right).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    assert!(r.headers.get("retry-after").is_some());
    let user_id = app.user_id("lim@example.com").await;
    assert!(mfa_audit_actions(&app.core.db, user_id)
        .await
        .contains(&"rate_limited".to_owned()));
    // An hour later the right code (never spent) signs in.
    app.advance(Duration::minutes(61));
    let id = challenge(&app, "lim@example.com").await;
    let r = verify(&app, &id, "totp", &code_now(&app, &secret)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}
both_backends!(answers_are_limited_per_hour);

/// "Trust this device" at the second step: the device's next logins skip it, until a
/// password change withdraws the trust.
async fn a_trusted_device_skips_the_second_step(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let secret = with_totp(&app, "tru@example.com").await;
    let id = challenge(&app, "tru@example.com").await;
    let r = verify_with(
        &app,
        json!({ "challenge_id": id, "method": "totp", "code": code_now(&app, &secret),
                "trust_device": true }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let tokens = Tokens::from(&r);

    let r = password_login(&app, "tru@example.com").await;
    assert_eq!(r.body["status"], "authenticated", "{}", r.text);
    assert_eq!(
        claims_of(&app, r.body["access_token"].as_str().unwrap()).amr,
        ["pwd"]
    );
    let device = app.get("/v1/me/devices", Some(&tokens.access)).await;
    let device_id = device.body["items"][0]["id"].as_str().unwrap().to_owned();
    let trust = app
        .get(
            &format!("/v1/me/devices/{device_id}/trust"),
            Some(&tokens.access),
        )
        .await;
    assert_eq!(trust.body["trusted"], true);
    assert!(!trust.body["last_used_at"].is_null(), "{}", trust.text);

    let change = json!({ "current_password": PASSWORD, "new_password": "a brand new passphrase",
                         "sign_out_other_sessions": false });
    let r = app
        .post("/v1/me/password", change, Some(&tokens.access))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = app
        .login_as("tru@example.com", "a brand new passphrase")
        .await;
    assert_eq!(r.body["status"], "mfa_required", "{}", r.text);
}
both_backends!(a_trusted_device_skips_the_second_step);
