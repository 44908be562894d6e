//! `refresh_tokens::rotate`: single use, one winner under concurrency, nothing issued for
//! an ended session, expired tokens refused, and the new token never outliving its session.

use crate::seed::{self, minutes, rotate, t0};
use gatehouse_domain::accounts::{RevocationReason, SessionStatus};
use gatehouse_domain::ids::UserId;
use gatehouse_store::accounts::refresh_tokens::{self, RefreshTokenRow};
use gatehouse_store::accounts::sessions::{self, Ending};
use gatehouse_store::types::TextList;
use gatehouse_store::{Backend, Db, Executor};
use gatehouse_testkit::{both_backends, queries, TestDb};

/// The actions of the user's `session_audit_log` rows, oldest first.
async fn audited(db: &Db, user_id: UserId) -> Vec<String> {
    queries::session_audit_actions(db, user_id.as_uuid())
        .await
        .into_iter()
        .map(|row| row.action)
        .collect()
}

async fn find(db: &Db, jti: &str) -> Option<RefreshTokenRow> {
    let mut conn = db.reader().await.unwrap();
    refresh_tokens::find(conn.exec(), jti).await.unwrap()
}

async fn a_valid_token_rotates_once(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let user_id = seed::user(&db).await;
    let session_id =
        seed::session_with_amr(&db, user_id, t0() + minutes(600), &["pwd", "otp"]).await;
    let family_id = seed::refresh_token(&db, user_id, session_id, "t1", t0() + minutes(600)).await;
    let now = t0() + minutes(5);

    let rotated = rotate(&db, "t1", "t2", now + minutes(60), now)
        .await
        .expect("a valid token rotates");
    assert!(rotated.session_active);
    assert_eq!(
        (rotated.user_id, rotated.session_id, rotated.family_id),
        (user_id, session_id, family_id)
    );
    // How the session was authenticated comes back for the new access token.
    assert_eq!(rotated.amr, TextList(vec!["pwd".into(), "otp".into()]));
    assert_eq!(rotated.authenticated_at, Some(t0()));
    // The audit row given with the rotation is written, for the rotated session's user.
    assert_eq!(audited(&db, user_id).await, ["token_refreshed"]);

    let spent = find(&db, "t1").await.unwrap();
    assert!(!spent.is_valid);
    assert_eq!(spent.revocation_reason, Some(RevocationReason::Rotated));
    assert_eq!(spent.rotated_at, Some(now));
    let issued = find(&db, "t2").await.expect("the new token is stored");
    assert!(issued.is_valid);
    assert_eq!(
        (issued.family_id, issued.session_id, issued.expires_at),
        (family_id, session_id, now + minutes(60))
    );

    // Presenting the spent token again gives nothing and leaves it marked as rotated
    // (which is how the caller tells reuse from an unknown token).
    let later = now + minutes(1);
    assert!(rotate(&db, "t1", "t3", later + minutes(60), later)
        .await
        .is_none());
    assert!(find(&db, "t3").await.is_none());
    let spent = find(&db, "t1").await.unwrap();
    assert_eq!(spent.revocation_reason, Some(RevocationReason::Rotated));
    assert_eq!(spent.rotated_at, Some(now));
    assert_eq!(
        audited(&db, user_id).await.len(),
        1,
        "a refused rotation is not audited"
    );

    // The new token rotates in its turn, in the same family.
    let next = rotate(&db, "t2", "t4", later + minutes(60), later)
        .await
        .unwrap();
    assert_eq!(next.family_id, family_id);
    assert_eq!(audited(&db, user_id).await.len(), 2);
}
both_backends!(a_valid_token_rotates_once);

async fn concurrent_rotations_of_one_token_have_one_winner(backend: Backend) {
    const RACERS: usize = 8;
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let user_id = seed::user(&db).await;
    let session_id = seed::session(&db, user_id, t0() + minutes(600)).await;
    seed::refresh_token(&db, user_id, session_id, "shared", t0() + minutes(600)).await;
    let now = t0() + minutes(1);

    let racers: Vec<_> = (0..RACERS)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                rotate(&db, "shared", &format!("next-{i}"), now + minutes(60), now).await
            })
        })
        .collect();
    let mut winners = 0;
    for racer in racers {
        if racer.await.unwrap().is_some() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1, "exactly one rotation of one token succeeds");
    let mut issued = 0;
    for i in 0..RACERS {
        if find(&db, &format!("next-{i}")).await.is_some() {
            issued += 1;
        }
    }
    assert_eq!(issued, 1, "exactly one new token is stored");
}
both_backends!(concurrent_rotations_of_one_token_have_one_winner);

async fn a_token_whose_session_ended_issues_nothing(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let now = t0() + minutes(30);

    // Three ways a session ends while its refresh token is still valid: revoked, past
    // its own expiry, or its account disabled.
    let revoked_user = seed::user(&db).await;
    let revoked = seed::session(&db, revoked_user, t0() + minutes(600)).await;
    seed::refresh_token(
        &db,
        revoked_user,
        revoked,
        "of-revoked",
        t0() + minutes(600),
    )
    .await;
    {
        let mut conn = db.writer().await.unwrap();
        let ending = Ending {
            status: SessionStatus::Revoked,
            reason: RevocationReason::SessionRevoked,
        };
        sessions::end(conn.exec(), revoked_user, revoked, ending, now)
            .await
            .unwrap()
            .expect("the session was active");
    }
    let expired_user = seed::user(&db).await;
    let expired = seed::session(&db, expired_user, t0() + minutes(10)).await;
    seed::refresh_token(
        &db,
        expired_user,
        expired,
        "of-expired",
        t0() + minutes(600),
    )
    .await;
    let disabled_user = seed::user(&db).await;
    let disabled = seed::session(&db, disabled_user, t0() + minutes(600)).await;
    seed::refresh_token(
        &db,
        disabled_user,
        disabled,
        "of-disabled",
        t0() + minutes(600),
    )
    .await;
    queries::set_user_active(&db, disabled_user.as_uuid(), false).await;

    for (presented, user_id, session_id) in [
        ("of-revoked", revoked_user, revoked),
        ("of-expired", expired_user, expired),
        ("of-disabled", disabled_user, disabled),
    ] {
        let new_jti = format!("after-{presented}");
        let rotated = rotate(&db, presented, &new_jti, now + minutes(60), now)
            .await
            .unwrap_or_else(|| panic!("{presented}: a valid token is consumed"));
        assert!(!rotated.session_active, "{presented}");
        assert_eq!(rotated.session_id, session_id, "{presented}");
        assert!(
            find(&db, &new_jti).await.is_none(),
            "{presented}: nothing issued"
        );
        assert!(!find(&db, presented).await.unwrap().is_valid, "{presented}");
        assert!(
            audited(&db, user_id).await.is_empty(),
            "{presented}: no audit row"
        );
    }
}
both_backends!(a_token_whose_session_ended_issues_nothing);

async fn an_expired_or_unknown_token_rotates_to_nothing(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let user_id = seed::user(&db).await;
    let session_id = seed::session(&db, user_id, t0() + minutes(600)).await;
    let expiry = t0() + minutes(60);
    seed::refresh_token(&db, user_id, session_id, "short", expiry).await;

    // A token is refused from the instant it expires.
    assert!(rotate(&db, "short", "n1", expiry + minutes(60), expiry)
        .await
        .is_none());
    assert!(find(&db, "n1").await.is_none());
    let row = find(&db, "short").await.unwrap();
    assert!(row.is_valid, "an expired token is left as it was");
    assert_eq!((row.rotated_at, row.revocation_reason), (None, None));

    let now = t0() + minutes(1);
    assert!(rotate(&db, "never-issued", "n2", now + minutes(60), now)
        .await
        .is_none());
    assert!(find(&db, "n2").await.is_none());
}
both_backends!(an_expired_or_unknown_token_rotates_to_nothing);

async fn the_new_token_expires_no_later_than_its_session(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let user_id = seed::user(&db).await;
    let session_end = t0() + minutes(120);
    let session_id = seed::session(&db, user_id, session_end).await;
    seed::refresh_token(&db, user_id, session_id, "r1", session_end).await;

    // Asked for 30 days, given what is left of the session.
    let now = t0() + minutes(10);
    rotate(&db, "r1", "r2", now + minutes(30 * 24 * 60), now)
        .await
        .unwrap();
    assert_eq!(find(&db, "r2").await.unwrap().expires_at, session_end);

    // Asked for less than the session has left, given what was asked.
    let later = t0() + minutes(20);
    rotate(&db, "r2", "r3", later + minutes(15), later)
        .await
        .unwrap();
    assert_eq!(
        find(&db, "r3").await.unwrap().expires_at,
        later + minutes(15)
    );
}
both_backends!(the_new_token_expires_no_later_than_its_session);

/// A remembered session's new token gets the remember-me expiry, still capped at the
/// session's end; an ordinary session's beside it gets the ordinary one.
async fn a_remembered_session_gets_the_longer_idle_timeout(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let user_id = seed::user(&db).await;
    let month = t0() + minutes(30 * 24 * 60);
    let remembered = seed::remembered_session(&db, user_id, month).await;
    let ordinary = seed::session(&db, user_id, month).await;
    seed::refresh_token(&db, user_id, remembered, "m1", month).await;
    seed::refresh_token(&db, user_id, ordinary, "o1", month).await;

    let now = t0() + minutes(10);
    let asked = now + minutes(30);
    rotate(&db, "m1", "m2", asked, now).await.unwrap();
    rotate(&db, "o1", "o2", asked, now).await.unwrap();
    let week = chrono::Duration::days(seed::REMEMBERED_EXTRA_DAYS);
    assert_eq!(find(&db, "m2").await.unwrap().expires_at, asked + week);
    assert_eq!(find(&db, "o2").await.unwrap().expires_at, asked);

    // Near the end of the session, the cap still holds.
    seed::refresh_token(&db, user_id, remembered, "m8", month).await;
    let late = month - minutes(60);
    rotate(&db, "m8", "m9", late + minutes(30), late)
        .await
        .unwrap();
    assert_eq!(find(&db, "m9").await.unwrap().expires_at, month);
}
both_backends!(a_remembered_session_gets_the_longer_idle_timeout);
