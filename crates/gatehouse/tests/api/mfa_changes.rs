//! MFA settings and change approvals (issue 9, items 1 and 6): per-method limits within
//! the deployment's bounds, a primary method that must be verified, the login challenge
//! honouring a person's `max_attempts` and lockout, changes that wait for a staff member
//! (approve applies, reject leaves, staff only, never one's own, decided once), and
//! `gatehouse admin create-staff`.

use crate::binary::gatehouse;
use crate::mfa_login::{challenge, code_now, verify, with_totp};
use axum::http::StatusCode;
use chrono::Duration;
use gatehouse_core::config::CoreConfig;
use gatehouse_domain::mfa::ApprovalPolicy;
use gatehouse_store::Backend;
use gatehouse_testkit::queries::{mfa_audit_actions, outbox};
use gatehouse_testkit::{both_backends, test_config, Resp, TestApp, Tokens};
use serde_json::{json, Value};
use std::io::Write;
use std::process::Stdio;

/// Sign in with the password and a TOTP code (the next time step, so no code repeats).
async fn sign_in(app: &TestApp, email: &str, secret: &[u8]) -> Tokens {
    app.advance(Duration::seconds(30));
    let id = challenge(app, email).await;
    let r = verify(app, &id, "totp", &code_now(app, secret)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    Tokens::from(&r)
}

async fn put_settings(app: &TestApp, access: &str, body: Value) -> Resp {
    app.put("/v1/me/mfa/settings", body, access).await
}

async fn totp_limits(app: &TestApp, access: &str) -> Value {
    let r = app.get("/v1/me/mfa", Some(access)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["methods"][0]["limits"].clone()
}

fn wrong_code(right: &str) -> &'static str {
    if right == "000000" {
        "111111"
    } else {
        "000000"
    }
}

async fn limits_within_bounds_apply_and_each_bound_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let secret = with_totp(&app, "lim@example.com").await;
    let t = sign_in(&app, "lim@example.com", &secret).await;
    // The deployment's values until the person sets some.
    assert_eq!(
        totp_limits(&app, &t.access).await,
        json!({ "rate_limit_per_hour": 10, "max_attempts": 3, "lockout_minutes": 30 })
    );
    let r = put_settings(
        &app,
        &t.access,
        json!({ "methods": { "totp": { "rate_limit_per_hour": 5, "max_attempts": 2, "lockout_minutes": 10 } } }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let set = json!({ "rate_limit_per_hour": 5, "max_attempts": 2, "lockout_minutes": 10 });
    assert_eq!(r.body["methods"][0]["limits"], set);
    assert_eq!(totp_limits(&app, &t.access).await, set);

    for (key, value, bound) in [
        ("rate_limit_per_hour", 0, "1 to 20"),
        ("rate_limit_per_hour", 21, "1 to 20"),
        ("max_attempts", 0, "1 to 10"),
        ("max_attempts", 11, "1 to 10"),
        ("lockout_minutes", 4, "5 to 1440"),
        ("lockout_minutes", 1441, "5 to 1440"),
    ] {
        let r = put_settings(
            &app,
            &t.access,
            json!({ "methods": { "totp": { "max_attempts": 1, key: value } } }),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{key}: {}",
            r.text
        );
        assert!(r.is_problem());
        let error = &r.body["errors"][0];
        assert_eq!(error["field"], format!("methods.totp.{key}"), "{}", r.text);
        assert_eq!(error["code"], "out_of_bounds");
        assert!(
            error["message"].as_str().unwrap().contains(bound),
            "{}",
            r.text
        );
        // Nothing changed, not even the valid value beside it.
        assert_eq!(totp_limits(&app, &t.access).await, set);
    }
    // A method not set up has no limits to set.
    let r = put_settings(
        &app,
        &t.access,
        json!({ "methods": { "sms": { "max_attempts": 2 } } }),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["code"], "method_not_set_up");
}
both_backends!(limits_within_bounds_apply_and_each_bound_is_refused);

async fn the_primary_method_must_be_verified_and_settings_need_a_recent_sign_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let secret = with_totp(&app, "pri@example.com").await;
    let t = sign_in(&app, "pri@example.com", &secret).await;
    for (method, code) in [
        ("sms", "method_not_verified"),
        ("email", "method_not_verified"),
        ("backup_code", "unknown_method"),
    ] {
        let r = put_settings(&app, &t.access, json!({ "primary_method": method })).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{method}: {}",
            r.text
        );
        assert_eq!(r.body["errors"][0]["field"], "primary_method");
        assert_eq!(r.body["errors"][0]["code"], code);
    }
    let r = put_settings(&app, &t.access, json!({ "primary_method": "totp" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["primary_method"], "totp");

    // Past the recent-authentication window (a refreshed token keeps the old auth_time).
    app.advance(Duration::seconds(601));
    let stale = Tokens::from(&app.refresh(&t.refresh).await);
    let r = put_settings(
        &app,
        &stale.access,
        json!({ "methods": { "totp": { "max_attempts": 1 } } }),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "reauthentication_required");
    assert_eq!(totp_limits(&app, &stale.access).await["max_attempts"], 3);
}
both_backends!(the_primary_method_must_be_verified_and_settings_need_a_recent_sign_in);

/// A person's `max_attempts` locks the challenge sooner, and after a lock the method is
/// refused for their `lockout_minutes` (429 `method_locked` with Retry-After), then works.
async fn a_persons_max_attempts_and_lockout_hold_at_login(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let secret = with_totp(&app, "att@example.com").await;
    let t = sign_in(&app, "att@example.com", &secret).await;
    let r = put_settings(
        &app,
        &t.access,
        json!({ "methods": { "totp": { "max_attempts": 1, "lockout_minutes": 10 } } }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    app.advance(Duration::seconds(30));
    let id = challenge(&app, "att@example.com").await;
    let right = code_now(&app, &secret);
    let r = verify(&app, &id, "totp", wrong_code(&right)).await;
    assert_eq!(r.code(), "wrong_code", "{}", r.text);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("0 attempts left"),
        "{}",
        r.text
    );
    let r = verify(&app, &id, "totp", &right).await;
    assert_eq!(r.code(), "challenge_locked", "{}", r.text);

    // A new login cannot answer with TOTP during the lockout, even with the right code.
    let fresh = challenge(&app, "att@example.com").await;
    let r = verify(&app, &fresh, "totp", &right).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    assert_eq!(r.code(), "method_locked");
    let retry: i64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=600).contains(&retry), "{retry}");

    app.advance(Duration::minutes(10));
    let again = challenge(&app, "att@example.com").await;
    let r = verify(&app, &again, "totp", &code_now(&app, &secret)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}
both_backends!(a_persons_max_attempts_and_lockout_hold_at_login);

fn approval(policy: ApprovalPolicy) -> CoreConfig {
    let mut config = test_config();
    config.mfa.changes_require_approval = policy;
    config
}

/// A signed-in staff member with TOTP on.
async fn staff(app: &TestApp, email: &str) -> (Tokens, Vec<u8>) {
    let secret = with_totp(app, email).await;
    gatehouse_core::accounts::promote_existing(&app.core, email)
        .await
        .unwrap();
    (sign_in(app, email, &secret).await, secret)
}

async fn list(app: &TestApp, access: &str, query: &str) -> Resp {
    app.get(&format!("/v1/admin/mfa-changes{query}"), Some(access))
        .await
}

fn ids(r: &Resp) -> Vec<String> {
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn decide(app: &TestApp, access: &str, id: &str, how: &str) -> Resp {
    app.post(
        &format!("/v1/admin/mfa-changes/{id}/{how}"),
        json!({}),
        Some(access),
    )
    .await
}

/// Removing the last factor waits for a staff member where the deployment says so; only
/// staff see and decide it; approval applies it (and tells the person), once.
async fn removing_the_last_factor_waits_for_a_staff_members_approval(backend: Backend) {
    let app = TestApp::spawn_with(backend, approval(ApprovalPolicy::LastFactor)).await;
    let secret = with_totp(&app, "own@example.com").await;
    let person = sign_in(&app, "own@example.com", &secret).await;
    let (admin, _) = staff(&app, "boss@example.com").await;

    let r = app.delete("/v1/me/mfa/totp", &person.access).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(r.body["status"], "pending_approval");
    let change_id = r.body["change_id"].as_str().unwrap().to_owned();
    let status = app.get("/v1/me/mfa", Some(&person.access)).await;
    assert_eq!(status.body["enabled"], true, "nothing changed yet");
    // A second request while one waits is refused.
    let r = app.delete("/v1/me/mfa/totp", &person.access).await;
    assert_eq!(r.code(), "change_pending", "{}", r.text);

    // Not staff: 403, for the list and the decisions.
    let r = list(&app, &person.access, "?status=pending").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "staff_only");
    let r = decide(&app, &person.access, &change_id, "approve").await;
    assert_eq!(r.code(), "staff_only", "{}", r.text);

    let pending = list(&app, &admin.access, "?status=pending").await;
    assert_eq!(pending.status, StatusCode::OK, "{}", pending.text);
    assert_eq!(ids(&pending), std::slice::from_ref(&change_id));
    assert_eq!(pending.body["items"][0]["action"], "last_factor_removed");
    let r = list(&app, &admin.access, "?status=maybe").await;
    assert_eq!(r.code(), "invalid_query", "{}", r.text);

    let r = decide(&app, &admin.access, &change_id, "approve").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "approved");
    let boss = app.user_id("boss@example.com").await.to_string();
    assert_eq!(r.body["decided_by"], boss);
    let status = app.get("/v1/me/mfa", Some(&person.access)).await;
    assert_eq!(status.body["enabled"], false, "{}", status.text);
    assert_eq!(status.body["methods"], json!([]));

    // Decided once.
    let r = decide(&app, &admin.access, &change_id, "approve").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.code(), "change_already_decided");
    let r = decide(&app, &admin.access, &change_id, "reject").await;
    assert_eq!(r.code(), "change_already_decided", "{}", r.text);

    assert!(ids(&list(&app, &admin.access, "?status=pending").await).is_empty());
    assert_eq!(
        ids(&list(&app, &admin.access, "?status=approved").await),
        [change_id]
    );
    let user_id = app.user_id("own@example.com").await;
    let actions = mfa_audit_actions(&app.core.db, user_id).await;
    for action in [
        "change_requested",
        "change_approved",
        "totp_removed",
        "mfa_disabled",
    ] {
        assert!(
            actions.contains(&action.to_owned()),
            "{action}: {actions:?}"
        );
    }
    let told = outbox(&app.core.db).await;
    assert!(
        told.iter()
            .any(|m| m.kind == "mfa_change_approved" && m.recipient == "own@example.com"),
        "{told:?}"
    );
}
both_backends!(removing_the_last_factor_waits_for_a_staff_members_approval);

/// A person may ask for approval themselves; a rejection changes nothing and tells them;
/// staff cannot decide their own change; turning approval off waits for approval too.
async fn a_rejected_change_leaves_everything_and_staff_never_decide_their_own(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let secret = with_totp(&app, "ask@example.com").await;
    let person = sign_in(&app, "ask@example.com", &secret).await;
    let (admin, _) = staff(&app, "boss@example.com").await;
    let r = put_settings(
        &app,
        &person.access,
        json!({ "require_approval_for_changes": true }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["require_approval_for_changes"], true);

    let r = app.delete("/v1/me/mfa/totp", &person.access).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let change_id = r.body["change_id"].as_str().unwrap().to_owned();
    let r = decide(&app, &admin.access, &change_id, "reject").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "rejected");
    let status = app.get("/v1/me/mfa", Some(&person.access)).await;
    assert_eq!(status.body["enabled"], true, "{}", status.text);
    assert_eq!(
        ids(&list(&app, &admin.access, "?status=rejected").await),
        [change_id]
    );
    assert!(outbox(&app.core.db)
        .await
        .iter()
        .any(|m| m.kind == "mfa_change_rejected" && m.recipient == "ask@example.com"));

    // Turning the requirement off is itself a change that waits.
    let r = put_settings(
        &app,
        &person.access,
        json!({ "require_approval_for_changes": false }),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let status = app.get("/v1/me/mfa", Some(&person.access)).await;
    assert_eq!(status.body["require_approval_for_changes"], true);

    // A staff member's own change goes to another staff member.
    let r = put_settings(
        &app,
        &admin.access,
        json!({ "require_approval_for_changes": true }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.delete("/v1/me/mfa/totp", &admin.access).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let own = r.body["change_id"].as_str().unwrap().to_owned();
    let r = decide(&app, &admin.access, &own, "approve").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "own_change");
    let r = decide(
        &app,
        &admin.access,
        "0b9e8f7a-3c2d-4e1f-8a6b-5c4d3e2f1a0b",
        "approve",
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    // The list shows every status when asked for none: both pending ones and the rejection.
    assert_eq!(ids(&list(&app, &admin.access, "").await).len(), 3);
    assert_eq!(
        ids(&list(&app, &admin.access, "?status=pending&limit=1").await).len(),
        1
    );
}
both_backends!(a_rejected_change_leaves_everything_and_staff_never_decide_their_own);

/// `gatehouse admin create-staff` with the password on stdin: the account signs in and
/// uses an admin endpoint; a second run says it already is staff; a weak password is
/// refused (exit 1); an existing account is promoted without a password.
async fn create_staff_makes_an_account_that_can_use_admin_endpoints(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut child = gatehouse()
            .env("GATEHOUSE_DATA_DIR", dir.path())
            .env("GATEHOUSE_DATABASE_URL", &app.db.0.url)
            .args(["admin", "create-staff"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut pipe = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            pipe.write_all(text.as_bytes()).unwrap();
        }
        drop(pipe);
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let password = "a staff member's long passphrase";
    let (code, out, err) = run(
        &["--email", "ops@example.com", "--username", "ops"],
        Some(&format!("{password}\n")),
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("created staff account ops@example.com"),
        "{out}"
    );
    let r = app.login_as("ops", password).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let t = Tokens::from(&r);
    let r = list(&app, &t.access, "?status=pending").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let (code, out, _) = run(&["--email", "ops@example.com"], None);
    assert_eq!(code, Some(0));
    assert!(out.contains("already is a staff member"), "{out}");

    let (code, _, err) = run(&["--email", "weak@example.com"], Some("short\n"));
    assert_eq!(code, Some(1));
    assert!(err.contains("refused: password"), "{err}");

    app.register("plain@example.com").await;
    let plain = app.login("plain@example.com").await;
    assert_eq!(list(&app, &plain.access, "").await.code(), "staff_only");
    let (code, out, err) = run(&["--email", "plain@example.com"], None);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("is now a staff member"), "{out}");
    assert_eq!(list(&app, &plain.access, "").await.status, StatusCode::OK);
}
both_backends!(create_staff_makes_an_account_that_can_use_admin_endpoints);
