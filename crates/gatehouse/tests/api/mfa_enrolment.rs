//! MFA enrolment through the API: TOTP set up and confirmed with a code computed here from
//! the domain's RFC 6238 functions (and, independently, by Python's pyotp from the
//! otpauth URI), wrong and replayed codes refused without changing anything, the
//! recent-sign-in rule, backup codes, removal, and the secret encrypted at rest.

use axum::http::StatusCode;
use chrono::Duration;
use gatehouse_domain::ids::UserId;
use gatehouse_domain::mfa::{base32, TotpParams};
use gatehouse_store::mfa::totp;
use gatehouse_store::{Backend, Executor};
use gatehouse_testkit::queries::{mfa_audit_actions, outbox};
use gatehouse_testkit::{both_backends, TestApp, Tokens};
use serde_json::{json, Value};
use std::collections::HashSet;

const EMAIL: &str = "mia@example.com";

/// A registered, signed-in person: the app, their tokens and user id.
async fn signed_in(backend: Backend) -> (TestApp, Tokens, UserId) {
    let app = TestApp::spawn(backend).await;
    let registered = app.register(EMAIL).await;
    let id = registered.id;
    let tokens = app.login(EMAIL).await;
    (app, tokens, UserId(id))
}

/// Start enrolment; the secret's bytes and the whole answer.
async fn start(app: &TestApp, t: &Tokens) -> (Vec<u8>, Value) {
    let r = app
        .post("/v1/me/mfa/totp", json!({}), Some(&t.access))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let secret = base32::decode(r.body["secret"].as_str().unwrap()).unwrap();
    (secret, r.body)
}

fn code_now(app: &TestApp, secret: &[u8]) -> String {
    TotpParams::default().code_at(secret, app.core.clock.now())
}

async fn confirm(app: &TestApp, t: &Tokens, code: &str) -> gatehouse_testkit::Resp {
    app.post(
        "/v1/me/mfa/totp/confirm",
        json!({ "code": code }),
        Some(&t.access),
    )
    .await
}

async fn status(app: &TestApp, t: &Tokens) -> Value {
    let r = app.get("/v1/me/mfa", Some(&t.access)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

async fn new_backup_codes(app: &TestApp, t: &Tokens) -> Vec<String> {
    let r = app
        .post("/v1/me/mfa/backup-codes", json!({}), Some(&t.access))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}

fn kinds(rows: &[gatehouse_testkit::queries::OutboxRow]) -> Vec<&str> {
    rows.iter().map(|r| r.kind.as_str()).collect()
}

async fn enrol_confirm_and_status(backend: Backend) {
    let (app, t, user_id) = signed_in(backend).await;
    let before = status(&app, &t).await;
    assert_eq!(before["enabled"], false);
    assert_eq!(before["primary_method"], Value::Null);

    let (secret, body) = start(&app, &t).await;
    assert_eq!(secret.len(), 20, "160-bit SHA1 secret");
    let uri = body["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/Gatehouse:mia%40example.com?secret="));
    assert!(uri.contains("&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30"));
    assert!(body["qr_svg"].as_str().unwrap().contains("<svg"));
    let pending = status(&app, &t).await;
    assert_eq!(pending["enabled"], false);
    assert_eq!(pending["methods"][0]["enabled"], false);

    let r = confirm(&app, &t, &code_now(&app, &secret)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let on = status(&app, &t).await;
    assert_eq!(on["enabled"], true);
    assert_eq!(on["primary_method"], "totp");
    assert_eq!(on["methods"][0]["method"], "totp");
    assert_eq!(on["methods"][0]["enabled"], true);
    assert!(on["methods"][0]["verified_at"].is_string());
    assert_eq!(on["backup_codes_remaining"], 0);

    let actions = mfa_audit_actions(&app.core.db, user_id.as_uuid()).await;
    assert_eq!(actions, ["totp_enrolled", "mfa_enabled"]);
    assert!(kinds(&outbox(&app.core.db).await).contains(&"mfa_enabled"));

    // Once on, a new enrolment is refused until the app is removed.
    let again = app
        .post("/v1/me/mfa/totp", json!({}), Some(&t.access))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "totp_already_enabled");
}
both_backends!(enrol_confirm_and_status);

async fn a_new_enrolment_replaces_a_pending_secret(backend: Backend) {
    let (app, t, _) = signed_in(backend).await;
    let (first, _) = start(&app, &t).await;
    let (second, _) = start(&app, &t).await;
    assert_ne!(first, second);
    let old = confirm(&app, &t, &code_now(&app, &first)).await;
    assert_eq!(old.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", old.text);
    let r = confirm(&app, &t, &code_now(&app, &second)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}
both_backends!(a_new_enrolment_replaces_a_pending_secret);

async fn a_wrong_code_changes_nothing(backend: Backend) {
    let (app, t, user_id) = signed_in(backend).await;
    let no_setup = confirm(&app, &t, "123456").await;
    assert_eq!(no_setup.status, StatusCode::CONFLICT);
    assert_eq!(no_setup.code(), "totp_not_started");

    let (secret, _) = start(&app, &t).await;
    let right = code_now(&app, &secret);
    // A code two steps old is outside the ±1 step window.
    let stale =
        TotpParams::default().code_at(&secret, app.core.clock.now() - Duration::seconds(60));
    let wrong = if right == "000000" {
        "000001"
    } else {
        "000000"
    };
    for (code, expected) in [
        (wrong, "wrong_code"),
        (stale.as_str(), "wrong_code"),
        ("12345", "invalid_format"),
        ("abcdef", "invalid_format"),
    ] {
        let before = status(&app, &t).await;
        let r = confirm(&app, &t, code).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{code}: {}",
            r.text
        );
        assert!(r.is_problem());
        assert_eq!(r.body["errors"][0]["field"], "code");
        assert_eq!(r.body["errors"][0]["code"], expected, "{code}");
        assert_eq!(status(&app, &t).await, before, "{code} changed nothing");
    }
    let missing = app
        .post("/v1/me/mfa/totp/confirm", json!({}), Some(&t.access))
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(outbox(&app.core.db).await.is_empty(), "no alert");
    let actions = mfa_audit_actions(&app.core.db, user_id.as_uuid()).await;
    assert_eq!(
        actions,
        ["code_failed", "code_failed"],
        "wrong codes are audited"
    );
    assert_eq!(status(&app, &t).await["enabled"], false);
}
both_backends!(a_wrong_code_changes_nothing);

async fn a_code_is_accepted_once(backend: Backend) {
    let (app, t, user_id) = signed_in(backend).await;
    let (secret, _) = start(&app, &t).await;
    let code = code_now(&app, &secret);
    // Two confirmations of one code at once: exactly one turns TOTP on.
    let (a, b) = tokio::join!(confirm(&app, &t, &code), confirm(&app, &t, &code));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses[0],
        StatusCode::NO_CONTENT,
        "{} / {}",
        a.text,
        b.text
    );
    assert_ne!(
        statuses[1],
        StatusCode::NO_CONTENT,
        "{} / {}",
        a.text,
        b.text
    );

    // The step it used is spent for sign-in too (the login challenge's check).
    let params = TotpParams::default();
    let check = |code: String| {
        let core = app.core.clone();
        async move {
            let mut tx = core.db.begin().await.unwrap();
            let result = gatehouse_core::mfa::verify_totp_for_login(
                &mut tx,
                &core.keys,
                &params,
                user_id,
                &code,
                core.clock.now(),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            result
        }
    };
    use gatehouse_core::mfa::MfaRefusal;
    assert_eq!(check(code.clone()).await, Err(MfaRefusal::Replayed));
    app.advance(Duration::seconds(30));
    let next = code_now(&app, &secret);
    assert!(check(next.clone()).await.is_ok(), "the next step's code");
    assert_eq!(check(next).await, Err(MfaRefusal::Replayed), "used once");
    assert_eq!(check("000000x".into()).await, Err(MfaRefusal::WrongCode));
}
both_backends!(a_code_is_accepted_once);

async fn changes_need_a_recent_sign_in(backend: Backend) {
    let (app, t, _) = signed_in(backend).await;
    let (secret, _) = start(&app, &t).await;
    // Past the 600-second window (a refreshed token keeps the old auth_time).
    app.advance(Duration::seconds(601));
    let refreshed = app.refresh(&t.refresh).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text);
    let stale = Tokens::from(&refreshed);
    let r = confirm(&app, &stale, &code_now(&app, &secret)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "reauthentication_required");
    assert!(r.is_problem());
    for (path, post) in [
        ("/v1/me/mfa/totp", true),
        ("/v1/me/mfa/backup-codes", true),
        ("/v1/me/mfa/totp", false),
    ] {
        let r = if post {
            app.post(path, json!({}), Some(&stale.access)).await
        } else {
            app.delete(path, &stale.access).await
        };
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.text);
        assert_eq!(r.code(), "reauthentication_required");
    }
    assert_eq!(status(&app, &stale).await["enabled"], false);
    // Signing in again makes it recent.
    let fresh = app.login(EMAIL).await;
    let ok = confirm(&app, &fresh, &code_now(&app, &secret)).await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.text);
}
both_backends!(changes_need_a_recent_sign_in);

async fn backup_codes_are_ten_and_a_new_set_replaces_the_old(backend: Backend) {
    let (app, t, user_id) = signed_in(backend).await;
    let off = app
        .post("/v1/me/mfa/backup-codes", json!({}), Some(&t.access))
        .await;
    assert_eq!(off.status, StatusCode::CONFLICT);
    assert_eq!(off.code(), "mfa_not_enabled");

    let (secret, _) = start(&app, &t).await;
    let r = confirm(&app, &t, &code_now(&app, &secret)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let first = new_backup_codes(&app, &t).await;
    assert_eq!(first.len(), 10);
    assert_eq!(first.iter().collect::<HashSet<_>>().len(), 10, "unique");
    assert!(first.iter().all(|c| c.len() == 11 && &c[5..6] == "-"));
    assert_eq!(status(&app, &t).await["backup_codes_remaining"], 10);

    let second = new_backup_codes(&app, &t).await;
    assert!(first.iter().all(|c| !second.contains(c)));
    let consume = |code: String| {
        let core = app.core.clone();
        async move {
            let mut tx = core.db.begin().await.unwrap();
            let r = gatehouse_core::mfa::consume_backup_code(
                &mut tx,
                &core.keys,
                user_id,
                &code,
                None,
                core.clock.now(),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            r
        }
    };
    assert!(
        consume(first[0].clone()).await.is_err(),
        "the old set is gone"
    );
    // Typed in capitals without the dash, a current code works, once.
    let typed = second[0].replace('-', " ").to_uppercase();
    assert_eq!(consume(typed.clone()).await, Ok(9));
    assert!(consume(typed).await.is_err(), "used once");
    assert_eq!(status(&app, &t).await["backup_codes_remaining"], 9);

    let actions = mfa_audit_actions(&app.core.db, user_id.as_uuid()).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "backup_codes_generated")
            .count(),
        2
    );
    let sent = outbox(&app.core.db).await;
    assert_eq!(
        kinds(&sent)
            .iter()
            .filter(|k| **k == "backup_codes_generated")
            .count(),
        2
    );
}
both_backends!(backup_codes_are_ten_and_a_new_set_replaces_the_old);

async fn removing_the_last_factor_turns_mfa_off(backend: Backend) {
    let (app, t, user_id) = signed_in(backend).await;
    let none = app.delete("/v1/me/mfa/totp", &t.access).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);

    let (secret, _) = start(&app, &t).await;
    let r = confirm(&app, &t, &code_now(&app, &secret)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let codes = app
        .post("/v1/me/mfa/backup-codes", json!({}), Some(&t.access))
        .await;
    assert_eq!(codes.status, StatusCode::CREATED);

    let r = app.delete("/v1/me/mfa/totp", &t.access).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let off = status(&app, &t).await;
    assert_eq!(off["enabled"], false);
    assert_eq!(off["primary_method"], Value::Null);
    assert_eq!(off["methods"], json!([]));
    assert_eq!(
        off["backup_codes_remaining"], 0,
        "codes go with the last factor"
    );
    let actions = mfa_audit_actions(&app.core.db, user_id.as_uuid()).await;
    assert!(actions.ends_with(&["totp_removed".to_owned(), "mfa_disabled".to_owned()]));
    assert!(kinds(&outbox(&app.core.db).await).contains(&"mfa_disabled"));

    // It can be set up again afterwards.
    let (again, _) = start(&app, &t).await;
    assert_ne!(again, secret);
}
both_backends!(removing_the_last_factor_turns_mfa_off);

async fn the_stored_secret_is_encrypted(backend: Backend) {
    let (app, t, user_id) = signed_in(backend).await;
    let (secret, body) = start(&app, &t).await;
    let mut conn = app.core.db.reader().await.unwrap();
    let row = totp::find(conn.exec(), user_id).await.unwrap().unwrap();
    let shown = body["secret"].as_str().unwrap();
    assert!(!row.secret_encrypted.contains(shown));
    assert!(!row.secret_encrypted.contains(&shown.to_lowercase()));
    // nonce (12) + ciphertext (20) + tag (16), base64.
    assert_eq!(row.secret_encrypted.len(), 64);
    assert_ne!(row.secret_encrypted.as_bytes(), secret.as_slice());
}
both_backends!(the_stored_secret_is_encrypted);

/// An independent implementation: Python's pyotp reads the otpauth URI and computes the
/// code for the fake clock's time (`parse_uri(uri).at(t)`, which `.now()` is with the real
/// time), and gatehouse accepts it.
async fn pyotp_reads_the_uri_and_its_code_is_accepted(backend: Backend) {
    let (app, t, _) = signed_in(backend).await;
    let (_, body) = start(&app, &t).await;
    let uri = body["otpauth_uri"].as_str().unwrap();
    let at = app.core.clock.now().timestamp().to_string();
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, pyotp; print(pyotp.parse_uri(sys.argv[1]).at(int(sys.argv[2])))",
            uri,
            &at,
        ])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "pyotp (python3 -m pip install pyotp): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let code = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(code.len(), 6);
    let r = confirm(&app, &t, &code).await;
    assert_eq!(
        r.status,
        StatusCode::NO_CONTENT,
        "pyotp's {code}: {}",
        r.text
    );
}
both_backends!(pyotp_reads_the_uri_and_its_code_is_accepted);
