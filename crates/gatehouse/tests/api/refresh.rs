//! Refresh-token rotation and reuse detection (DESIGN §4).

use axum::http::StatusCode;
use chrono::Duration;
use gatehouse_store::Backend;
use gatehouse_testkit::both_backends;
use gatehouse_testkit::{TestApp, Tokens};
use std::sync::Arc;

async fn reusing_a_rotated_token_revokes_family_and_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reg = app.register("nia@example.com").await;
    let user_id = reg.id;
    let first = app.login("nia@example.com").await;
    let second = Tokens::from(&app.refresh(&first.refresh).await);
    let third = Tokens::from(&app.refresh(&second.refresh).await);
    assert_eq!(
        app.get("/v1/me", Some(&third.access)).await.status,
        StatusCode::OK
    );

    // An attacker replays the first (already rotated) token.
    let replay = app.refresh(&first.refresh).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(replay.code(), "refresh_token_reused");
    // The whole family is dead, and so is the session's access token.
    assert_eq!(
        app.refresh(&third.refresh).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/v1/me", Some(&third.access)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let audit = app.audit_actions(user_id).await;
    let reuse: Vec<_> = audit
        .iter()
        .filter(|a| a.action == "refresh_token_reused")
        .collect();
    assert_eq!(reuse.len(), 1);
    assert_eq!(reuse[0].risk_level, "high");
    assert!(reuse[0].requires_review);
}
both_backends!(reusing_a_rotated_token_revokes_family_and_session);

async fn concurrent_refreshes_with_one_token_let_exactly_one_through(backend: Backend) {
    let app = Arc::new(TestApp::spawn(backend).await);
    app.register("oto@example.com").await;
    let t = app.login("oto@example.com").await;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..2 {
        let app = app.clone();
        let token = t.refresh.clone();
        set.spawn(async move { app.refresh(&token).await.status });
    }
    let mut ok = 0;
    while let Some(status) = set.join_next().await {
        if status.unwrap() == StatusCode::OK {
            ok += 1;
        }
    }
    assert_eq!(ok, 1, "exactly one concurrent refresh succeeds");
}
both_backends!(concurrent_refreshes_with_one_token_let_exactly_one_through);

async fn invalid_and_expired_refresh_tokens_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("pia@example.com").await;
    let t = app.login("pia@example.com").await;
    for bogus in ["", "nonsense", &"z".repeat(300)] {
        let r = app.refresh(bogus).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.code(), "invalid_refresh_token");
    }
    // A token past its session's end is a session that expired: its own answer.
    app.advance(Duration::days(31));
    let r = app.refresh(&t.refresh).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "session_expired");
}
both_backends!(invalid_and_expired_refresh_tokens_are_refused);

async fn access_tokens_expire_but_refresh_continues(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("quinn@example.com").await;
    let t = app.login("quinn@example.com").await;
    app.advance(Duration::minutes(16));
    let r = app.get("/v1/me", Some(&t.access)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers["www-authenticate"], "Bearer");
    let fresh = Tokens::from(&app.refresh(&t.refresh).await);
    assert_eq!(
        app.get("/v1/me", Some(&fresh.access)).await.status,
        StatusCode::OK
    );
}
both_backends!(access_tokens_expire_but_refresh_continues);

async fn forged_and_foreign_access_tokens_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let other = TestApp::spawn(backend).await;
    app.register("rae@example.com").await;
    other.register("rae@example.com").await;
    let foreign = other.login("rae@example.com").await;
    assert_eq!(
        app.get("/v1/me", Some(&foreign.access)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/v1/me", Some("a.b.c")).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/v1/me", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Tokens are never taken from the URL.
    let own = app.login("rae@example.com").await;
    let r = app
        .get(&format!("/v1/me?access_token={}", own.access), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
both_backends!(forged_and_foreign_access_tokens_are_refused);

async fn a_token_spent_on_an_ended_session_is_not_taken_for_reuse(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reg = app.register("sid@example.com").await;
    let user_id = reg.id;
    let a = app.login("sid@example.com").await;
    let b = app.login("sid@example.com").await;
    // End session a from session b, then present a's refresh token twice.
    let r = app
        .delete(&format!("/v1/me/sessions/{}", a.session_id), &b.access)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    for _ in 0..2 {
        let r = app.refresh(&a.refresh).await;
        assert_eq!(r.code(), "invalid_refresh_token");
    }
    let audit = app.audit_actions(user_id).await;
    assert!(
        !audit.iter().any(|a| a.action == "refresh_token_reused"),
        "no false alarm"
    );
    assert_eq!(
        app.get("/v1/me", Some(&b.access)).await.status,
        StatusCode::OK
    );
}
both_backends!(a_token_spent_on_an_ended_session_is_not_taken_for_reuse);

/// The claims of an access token, verified with the app's own key.
fn claims_of(app: &TestApp, access: &str) -> gatehouse_core::tokens::AccessClaims {
    gatehouse_core::tokens::verify(
        &app.core.keys.signing,
        &app.core.config.issuer,
        access,
        app.core.clock.now(),
    )
    .unwrap()
}

/// A session keeps the methods it proved: refreshing copies the session's `amr` and
/// authentication time into the new access token instead of stamping `["pwd"]`.
async fn refresh_keeps_the_sessions_amr_and_auth_time(backend: Backend) {
    use gatehouse_domain::ids::SessionId;
    use gatehouse_store::accounts::sessions;
    use gatehouse_store::Executor;

    let app = TestApp::spawn(backend).await;
    app.register("amr@example.com").await;
    let login = app.login("amr@example.com").await;
    let at_login = claims_of(&app, &login.access);
    assert_eq!(at_login.amr, vec!["pwd".to_owned()]);
    assert_eq!(at_login.auth_time, app.core.clock.now().timestamp());

    // What a completed MFA challenge will do: record the step-up on the session.
    app.advance(Duration::minutes(2));
    let stepped_up_at = app.core.clock.now();
    let session_id = SessionId(login.session_id.parse().unwrap());
    let amr = vec!["pwd".to_owned(), "otp".to_owned()];
    let mut conn = app.core.db.writer().await.unwrap();
    assert!(
        sessions::record_authentication(conn.exec(), session_id, &amr, true, stepped_up_at)
            .await
            .unwrap()
    );
    drop(conn);

    app.advance(Duration::minutes(5));
    let first = Tokens::from(&app.refresh(&login.refresh).await);
    let second = Tokens::from(&app.refresh(&first.refresh).await);
    for tokens in [&first, &second] {
        let claims = claims_of(&app, &tokens.access);
        assert_eq!(claims.amr, amr);
        assert_eq!(claims.auth_time, stepped_up_at.timestamp());
        assert!(claims.iat > claims.auth_time);
    }
    // The session listing shows the session as MFA-verified.
    let listed = app.get("/v1/me/sessions", Some(&second.access)).await;
    assert_eq!(listed.body["items"][0]["mfa_verified"], true);
}
both_backends!(refresh_keeps_the_sessions_amr_and_auth_time);
