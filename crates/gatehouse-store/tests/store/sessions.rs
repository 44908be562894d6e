//! `sessions`: what the per-request check reads, ending one or all of a user's sessions,
//! and the paged list of active sessions.

use crate::seed::{self, minutes, t0};
use gatehouse_domain::accounts::{RevocationReason, SessionStatus};
use gatehouse_domain::ids::{SessionId, UserId};
use gatehouse_store::accounts::sessions::{self, Ending, SessionAuth};
use gatehouse_store::{Backend, Db, Executor};
use gatehouse_testkit::{both_backends, queries, TestDb};
use std::collections::BTreeSet;

async fn find_auth(db: &Db, id: SessionId) -> Option<SessionAuth> {
    let mut conn = db.reader().await.unwrap();
    sessions::find_auth(conn.exec(), id).await.unwrap()
}

/// A logout: the status and reason the logout use case records.
const LOGGED_OUT: Ending = Ending {
    status: SessionStatus::LoggedOut,
    reason: RevocationReason::Logout,
};

/// A revocation by the user from their session list.
const REVOKED: Ending = Ending {
    status: SessionStatus::Revoked,
    reason: RevocationReason::SessionRevoked,
};

async fn end(
    db: &Db,
    user_id: UserId,
    id: SessionId,
    ending: Ending,
) -> Option<sessions::EndedSession> {
    let mut conn = db.writer().await.unwrap();
    sessions::end(conn.exec(), user_id, id, ending, t0() + minutes(1))
        .await
        .unwrap()
}

async fn end_all(db: &Db, user_id: UserId, keep: Option<SessionId>) -> BTreeSet<SessionId> {
    let mut conn = db.writer().await.unwrap();
    sessions::end_all_for_user(conn.exec(), user_id, keep, REVOKED, t0() + minutes(1))
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect()
}

async fn list_page(
    db: &Db,
    user_id: UserId,
    before: Option<SessionId>,
    limit: i64,
) -> Vec<SessionId> {
    let mut conn = db.reader().await.unwrap();
    sessions::list_active_for_user(conn.exec(), user_id, t0() + minutes(30), before, limit)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect()
}

async fn find_auth_reports_status_expiry_and_account_state(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let user_id = seed::user(&db).await;
    let ten_hours = t0() + minutes(600);

    let active = seed::session(&db, user_id, ten_hours).await;
    let auth = find_auth(&db, active).await.unwrap();
    assert_eq!(auth.user_id, user_id);
    assert_eq!(auth.status, SessionStatus::Active);
    assert_eq!(auth.expires_at, ten_hours);
    assert!(auth.user_active);

    let revoked = seed::session(&db, user_id, ten_hours).await;
    end(&db, user_id, revoked, REVOKED).await.unwrap();
    assert_eq!(
        find_auth(&db, revoked).await.unwrap().status,
        SessionStatus::Revoked
    );

    // Expiry is the caller's comparison (`expires_at <= now`): the row still says active.
    let expired = seed::session(&db, user_id, t0() + minutes(5)).await;
    let auth = find_auth(&db, expired).await.unwrap();
    assert_eq!(auth.status, SessionStatus::Active);
    assert_eq!(auth.expires_at, t0() + minutes(5));

    let disabled_user = seed::user(&db).await;
    let of_disabled = seed::session(&db, disabled_user, ten_hours).await;
    queries::set_user_active(&db, disabled_user.as_uuid(), false).await;
    let auth = find_auth(&db, of_disabled).await.unwrap();
    assert_eq!(auth.status, SessionStatus::Active);
    assert!(
        !auth.user_active,
        "a disabled account's session is reported so"
    );

    assert!(find_auth(&db, SessionId::new()).await.is_none());
}
both_backends!(find_auth_reports_status_expiry_and_account_state);

async fn end_stops_only_an_active_session_of_its_owner(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let owner = seed::user(&db).await;
    let stranger = seed::user(&db).await;
    let id = seed::session(&db, owner, t0() + minutes(600)).await;

    assert!(
        end(&db, stranger, id, REVOKED).await.is_none(),
        "another user cannot end it"
    );
    assert_eq!(
        find_auth(&db, id).await.unwrap().status,
        SessionStatus::Active
    );

    let ended = end(&db, owner, id, LOGGED_OUT).await.unwrap();
    assert_eq!(
        (ended.id, ended.device_id, ended.created_at),
        (id, None, t0())
    );
    assert_eq!(
        find_auth(&db, id).await.unwrap().status,
        SessionStatus::LoggedOut
    );
    assert!(
        end(&db, owner, id, REVOKED).await.is_none(),
        "an ended session ends once"
    );
    assert_eq!(
        find_auth(&db, id).await.unwrap().status,
        SessionStatus::LoggedOut
    );
}
both_backends!(end_stops_only_an_active_session_of_its_owner);

async fn end_all_for_user_spares_the_kept_session_and_other_users(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let user_id = seed::user(&db).await;
    let other = seed::user(&db).await;
    let until = t0() + minutes(600);
    let (s1, s2, s3) = (
        seed::session(&db, user_id, until).await,
        seed::session(&db, user_id, until).await,
        seed::session(&db, user_id, until).await,
    );
    let theirs = seed::session(&db, other, until).await;

    assert_eq!(
        end_all(&db, user_id, Some(s2)).await,
        BTreeSet::from([s1, s3])
    );
    assert_eq!(
        find_auth(&db, s2).await.unwrap().status,
        SessionStatus::Active
    );
    assert_eq!(
        find_auth(&db, theirs).await.unwrap().status,
        SessionStatus::Active
    );

    assert_eq!(end_all(&db, user_id, None).await, BTreeSet::from([s2]));
    assert!(
        end_all(&db, user_id, None).await.is_empty(),
        "nothing left to end"
    );
    assert_eq!(
        find_auth(&db, theirs).await.unwrap().status,
        SessionStatus::Active
    );
}
both_backends!(end_all_for_user_spares_the_kept_session_and_other_users);

async fn list_active_for_user_pages_newest_first(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let user_id = seed::user(&db).await;
    let other = seed::user(&db).await;
    let until = t0() + minutes(600);
    // Ids are UUIDv7, so creation order is id order: the cursor is the last id seen.
    let mut active = Vec::new();
    for _ in 0..5 {
        active.push(seed::session(&db, user_id, until).await);
    }
    let revoked = seed::session(&db, user_id, until).await;
    end(&db, user_id, revoked, REVOKED).await.unwrap();
    seed::session(&db, user_id, t0() + minutes(10)).await; // expired by the listing time
    seed::session(&db, other, until).await;

    let newest_first: Vec<SessionId> = active.iter().rev().copied().collect();
    let first = list_page(&db, user_id, None, 2).await;
    assert_eq!(first, newest_first[0..2]);
    let second = list_page(&db, user_id, first.last().copied(), 2).await;
    assert_eq!(second, newest_first[2..4]);
    let third = list_page(&db, user_id, second.last().copied(), 2).await;
    assert_eq!(third, newest_first[4..]);
    assert!(list_page(&db, user_id, third.last().copied(), 2)
        .await
        .is_empty());
}
both_backends!(list_active_for_user_pages_newest_first);
