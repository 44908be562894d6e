//! The active-session limit's two statements: ending all but a user's newest active
//! sessions, and the lock that makes one user's new sessions count one at a time.

use crate::seed::{self, minutes, t0};
use gatehouse_domain::accounts::{RevocationReason, SessionStatus};
use gatehouse_domain::ids::SessionId;
use gatehouse_store::accounts::sessions::{self, Ending, SessionAuth};
use gatehouse_store::{Backend, Db, Executor};
use gatehouse_testkit::{both_backends, TestDb};
use std::collections::BTreeSet;
use std::time::Duration;

const LIMIT: Ending = Ending {
    status: SessionStatus::Revoked,
    reason: RevocationReason::SessionLimit,
};

async fn status(db: &Db, id: SessionId) -> SessionStatus {
    let mut conn = db.reader().await.unwrap();
    let auth: SessionAuth = sessions::find_auth(conn.exec(), id).await.unwrap().unwrap();
    auth.status
}

async fn end_all_but_newest_keeps_the_newest_active_sessions(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let user_id = seed::user(&db).await;
    let other = seed::user(&db).await;
    let until = t0() + minutes(600);
    let now = t0() + minutes(30);
    // Same start time for all: ids are UUIDv7, so the id breaks the tie in creation order.
    let mut active = Vec::new();
    for _ in 0..4 {
        active.push(seed::session(&db, user_id, until).await);
    }
    let expired = seed::session(&db, user_id, t0() + minutes(10)).await;
    let theirs = seed::session(&db, other, until).await;

    let mut conn = db.writer().await.unwrap();
    let ended: BTreeSet<SessionId> =
        sessions::end_all_but_newest(conn.exec(), user_id, 2, LIMIT, now)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect();
    assert_eq!(ended, BTreeSet::from([active[0], active[1]]));
    let again = sessions::end_all_but_newest(conn.exec(), user_id, 2, LIMIT, now)
        .await
        .unwrap();
    assert!(again.is_empty(), "already within the limit");
    drop(conn);

    for (id, expected) in [
        (active[0], SessionStatus::Revoked),
        (active[1], SessionStatus::Revoked),
        (active[2], SessionStatus::Active),
        (active[3], SessionStatus::Active),
        // Expired sessions neither count nor change; other users are not touched.
        (expired, SessionStatus::Active),
        (theirs, SessionStatus::Active),
    ] {
        assert_eq!(status(&db, id).await, expected);
    }

    // Keeping none ends every active one.
    let mut conn = db.writer().await.unwrap();
    let ended = sessions::end_all_but_newest(conn.exec(), user_id, 0, LIMIT, now)
        .await
        .unwrap();
    assert_eq!(ended.len(), 2);
}
both_backends!(end_all_but_newest_keeps_the_newest_active_sessions);

/// While one transaction is starting a session for a user, another one for the same user
/// waits (PostgreSQL: the user's row is locked; SQLite: there is one writer). On
/// PostgreSQL the lock does not stop rows that merely reference the user, such as a
/// refresh's new token, so a refresh never waits for a login.
async fn new_sessions_of_one_user_are_counted_one_at_a_time(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let user_id = seed::user(&db).await;
    let session = seed::session(&db, user_id, t0() + minutes(600)).await;

    let mut first = db.begin().await.unwrap();
    sessions::lock_for_new_session(first.exec(), user_id)
        .await
        .unwrap();

    if backend == Backend::Postgres {
        let referencing = tokio::time::timeout(
            Duration::from_secs(5),
            seed::refresh_token(&db, user_id, session, "while-locked", t0() + minutes(60)),
        )
        .await;
        assert!(referencing.is_ok(), "a refresh token insert waited");
    }

    let second_db = db.clone();
    let mut second = tokio::spawn(async move {
        let mut tx = second_db.begin().await.unwrap();
        sessions::lock_for_new_session(tx.exec(), user_id)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    });
    // The second cannot get through while the first is open...
    let waited = tokio::time::timeout(Duration::from_millis(300), &mut second).await;
    assert!(
        waited.is_err(),
        "the second took the lock while the first held it"
    );
    // ...and goes on once it commits.
    first.commit().await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), second)
        .await
        .expect("the second still waits")
        .unwrap();
}
both_backends!(new_sessions_of_one_user_are_counted_one_at_a_time);
