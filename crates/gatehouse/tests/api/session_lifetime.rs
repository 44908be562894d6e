//! ASVS Level 2 defaults (issue 6, item 6): sessions end after 30 idle minutes and at 10
//! hours however active, unless the login asked to be remembered; an expired session's
//! refresh answers `session_expired` and is audited once; passwords are compared in NFKC,
//! and a hash made before that is replaced at the next login.

use axum::http::StatusCode;
use chrono::Duration;
use gatehouse_domain::ids::UserId;
use gatehouse_store::accounts::users;
use gatehouse_store::{Backend, Executor};
use gatehouse_testkit::{both_backends, queries, Tokens};
use gatehouse_testkit::{TestApp, PASSWORD};
use secrecy::SecretString;
use serde_json::json;
use uuid::Uuid;

fn expired_rows(actions: &[queries::SessionAuditSummary]) -> usize {
    actions
        .iter()
        .filter(|a| a.action == "session_expired")
        .count()
}

async fn an_idle_session_expires_and_its_refresh_says_so(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reg = app.register("ada@example.com").await;
    let user_id: Uuid = reg.id;
    let t = app.login("ada@example.com").await;

    // Refreshed within 30 minutes: still going.
    app.advance(Duration::minutes(29));
    let r = app.refresh(&t.refresh).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let t = Tokens::from(&r);

    // 31 idle minutes: the session is over, and the answer says why.
    app.advance(Duration::minutes(31));
    let r = app.refresh(&t.refresh).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "session_expired");
    assert!(r.is_problem());
    assert_eq!(expired_rows(&app.audit_actions(user_id).await), 1);

    // Presented again: the same answer, no second row.
    let again = app.refresh(&t.refresh).await;
    assert_eq!(again.code(), "session_expired");
    assert_eq!(expired_rows(&app.audit_actions(user_id).await), 1);

    // The session is no longer listed as active.
    let other = app.login("ada@example.com").await;
    let ids = app.session_ids(&other.access).await;
    assert_eq!(ids, vec![other.session_id.clone()]);
}
both_backends!(an_idle_session_expires_and_its_refresh_says_so);

async fn a_session_ends_at_its_absolute_lifetime_however_active(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reg = app.register("bo@example.com").await;
    let user_id: Uuid = reg.id;
    let mut t = app.login("bo@example.com").await;
    // A refresh every 20 minutes keeps it from idling, up to 9 h 40 min...
    for _ in 0..29 {
        app.advance(Duration::minutes(20));
        let r = app.refresh(&t.refresh).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        t = Tokens::from(&r);
    }
    // ...but at 10 hours the session ends.
    app.advance(Duration::minutes(20));
    let r = app.refresh(&t.refresh).await;
    assert_eq!(r.code(), "session_expired");
    assert_eq!(expired_rows(&app.audit_actions(user_id).await), 1);
}
both_backends!(a_session_ends_at_its_absolute_lifetime_however_active);

async fn remember_me_keeps_a_session_longer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("cy@example.com").await;
    let login = |remember: bool| json!({ "login": "cy@example.com", "password": PASSWORD, "remember_me": remember });
    let remembered = Tokens::from(&app.post("/v1/auth/login", login(true), None).await);
    let ordinary = Tokens::from(&app.post("/v1/auth/login", login(false), None).await);

    // Two idle days: the ordinary session is gone, the remembered one goes on.
    app.advance(Duration::days(2));
    assert_eq!(
        app.refresh(&ordinary.refresh).await.code(),
        "session_expired"
    );
    let r = app.refresh(&remembered.refresh).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut t = Tokens::from(&r);
    // Refreshed every 6 days it lasts to its 30-day lifetime, and no longer.
    for _ in 0..4 {
        app.advance(Duration::days(6));
        let r = app.refresh(&t.refresh).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        t = Tokens::from(&r);
    }
    app.advance(Duration::days(6));
    assert_eq!(app.refresh(&t.refresh).await.code(), "session_expired");
    // Eight idle days would also have ended it (7-day remember-me idle timeout).
    let again = Tokens::from(&app.post("/v1/auth/login", login(true), None).await);
    app.advance(Duration::days(8));
    assert_eq!(app.refresh(&again.refresh).await.code(), "session_expired");
}
both_backends!(remember_me_keeps_a_session_longer);

/// "é" typed precomposed or decomposed is one password (NFKC, NIST 800-63B 5.1.1.2); a
/// hash made from the text as typed, before normalisation, still verifies, and the login
/// replaces it with the normalised password's hash.
async fn passwords_are_normalised_and_old_hashes_upgraded(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let composed = "caf\u{e9} cr\u{e8}me br\u{fb}l\u{e9}e";
    let decomposed = "cafe\u{301} cre\u{300}me bru\u{302}le\u{301}e";
    let reg = app
        .post(
            "/v1/auth/register",
            json!({ "email": "di@example.com", "password": decomposed }),
            None,
        )
        .await;
    assert_eq!(reg.status, StatusCode::ACCEPTED, "{}", reg.text);
    let user_id: Uuid =
        gatehouse_testkit::queries::user_id_by_email(&app.core.db, "di@example.com").await;
    for typed in [composed, decomposed] {
        assert_eq!(
            app.login_as("di@example.com", typed).await.status,
            StatusCode::OK
        );
    }

    // A hash of the decomposed text as typed, as gatehouse stored before normalising.
    let legacy = app
        .core
        .hasher
        .hash(SecretString::from(decomposed))
        .await
        .unwrap();
    queries::set_password_hash(&app.core.db, user_id, &legacy).await;
    assert_eq!(
        app.login_as("di@example.com", decomposed).await.status,
        StatusCode::OK
    );
    let stored = {
        let mut conn = app.core.db.reader().await.unwrap();
        users::find_by_id(conn.exec(), UserId(user_id))
            .await
            .unwrap()
            .unwrap()
            .password_hash
    };
    assert_ne!(stored, legacy, "the login stored a normalised hash");
    assert!(app
        .core
        .hasher
        .verify(SecretString::from(composed), Some(&stored))
        .await
        .unwrap());
}
both_backends!(passwords_are_normalised_and_old_hashes_upgraded);
