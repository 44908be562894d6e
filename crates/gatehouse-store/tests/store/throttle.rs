//! `throttle`: the shared failed-attempt counters — counting within a window, starting
//! again after it, locking once, a success giving attempts back, and no lost updates
//! when attempts race.

use crate::seed::{minutes, t0};
use chrono::{DateTime, Utc};
use gatehouse_store::throttle::{self, ThrottleState};
use gatehouse_store::{Backend, Db, DbOptions, Executor};
use gatehouse_testkit::{both_backends, TestDb};

const ACCOUNT: &str = "acct:test";
const IP: &str = "ip:192.0.2.1";

/// Failures on (account, address) after one more attempt at `now`, with windows of
/// `account_window` and 60 minutes.
async fn attempt_with(db: &Db, now: DateTime<Utc>, account_window: i64) -> (i32, i32) {
    let states = attempt_states(db, now, account_window).await;
    (failures(&states, ACCOUNT), failures(&states, IP))
}

async fn attempt_states(db: &Db, now: DateTime<Utc>, account_window: i64) -> Vec<ThrottleState> {
    let mut conn = db.writer().await.unwrap();
    throttle::record_attempt(
        conn.exec(),
        ACCOUNT,
        IP,
        now,
        now - minutes(account_window),
        now - minutes(60),
    )
    .await
    .unwrap()
}

async fn attempt(db: &Db, now: DateTime<Utc>) -> (i32, i32) {
    attempt_with(db, now, 60).await
}

fn failures(states: &[ThrottleState], key: &str) -> i32 {
    states
        .iter()
        .find(|s| s.key == key)
        .unwrap_or_else(|| panic!("no counter {key} in {states:?}"))
        .failures
}

async fn lock(db: &Db, until: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let mut conn = db.writer().await.unwrap();
    throttle::lock(conn.exec(), ACCOUNT, until, now)
        .await
        .unwrap()
}

async fn success(db: &Db, now: DateTime<Utc>) {
    let mut conn = db.writer().await.unwrap();
    throttle::record_success(conn.exec(), ACCOUNT, IP, now)
        .await
        .unwrap();
}

async fn attempts_count_up_within_the_window(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    for n in 1..=3 {
        let states = attempt_states(&db, t0() + minutes(n.into()), 60).await;
        assert_eq!(states.len(), 2, "one row per key");
        assert_eq!(failures(&states, ACCOUNT), n);
        assert_eq!(failures(&states, IP), n);
        assert!(states.iter().all(|s| s.locked_until.is_none()));
    }
}
both_backends!(attempts_count_up_within_the_window);

async fn a_counter_whose_window_passed_starts_again(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    attempt_with(&db, t0(), 15).await;
    assert_eq!(attempt_with(&db, t0() + minutes(1), 15).await, (2, 2));
    // 20 minutes on, the 15-minute account window has passed; the hour-long address
    // window has not.
    assert_eq!(attempt_with(&db, t0() + minutes(20), 15).await, (1, 3));
    // The account's new window started at minute 20.
    assert_eq!(attempt_with(&db, t0() + minutes(30), 15).await, (2, 4));
}
both_backends!(a_counter_whose_window_passed_starts_again);

async fn a_lock_is_set_once_and_holds_the_counter(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    attempt(&db, t0()).await;
    attempt(&db, t0()).await;
    let until = t0() + minutes(15);

    assert!(lock(&db, until, t0()).await, "the first lock is new");
    assert!(
        !lock(&db, until + minutes(5), t0() + minutes(1)).await,
        "already locked"
    );

    // While locked, attempts leave the account counter as the lock set it.
    let states = attempt_states(&db, t0() + minutes(2), 60).await;
    assert_eq!(failures(&states, ACCOUNT), 0);
    assert_eq!(failures(&states, IP), 3);
    let account = states.iter().find(|s| s.key == ACCOUNT).unwrap();
    assert_eq!(
        account.locked_until,
        Some(until),
        "the second lock changed nothing"
    );

    // Once the lock has run out, counting resumes and a new lock is new again.
    assert_eq!(attempt(&db, until + minutes(1)).await.0, 1);
    assert!(lock(&db, until + minutes(30), until + minutes(1)).await);
}
both_backends!(a_lock_is_set_once_and_holds_the_counter);

async fn a_success_clears_the_account_and_gives_the_address_one_back(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    for _ in 0..3 {
        attempt(&db, t0()).await;
    }
    success(&db, t0()).await;
    assert_eq!(
        attempt(&db, t0()).await,
        (1, 3),
        "account cleared, address 3 - 1 + 1"
    );

    // The address counter never goes below zero.
    for _ in 0..5 {
        success(&db, t0()).await;
    }
    assert_eq!(attempt(&db, t0()).await, (1, 1));
}
both_backends!(a_success_clears_the_account_and_gives_the_address_one_back);

async fn concurrent_attempts_are_each_counted_once(backend: Backend) {
    const ATTEMPTS: i32 = 20;
    let test_db = TestDb::new(backend).await;
    // A connection per attempt, so on PostgreSQL all of them are in flight at once.
    let db = test_db
        .connect_with(&DbOptions {
            max_connections: ATTEMPTS as u32,
            ..Default::default()
        })
        .await;
    let tasks: Vec<_> = (0..ATTEMPTS)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move { attempt(&db, t0()).await })
        })
        .collect();
    let (mut account, mut ip) = (Vec::new(), Vec::new());
    for task in tasks {
        let (a, i) = task.await.unwrap();
        account.push(a);
        ip.push(i);
    }
    account.sort_unstable();
    ip.sort_unstable();
    // Every attempt saw a different count: none was lost, none counted twice.
    let expected: Vec<i32> = (1..=ATTEMPTS).collect();
    assert_eq!(account, expected);
    assert_eq!(ip, expected);
}
both_backends!(concurrent_attempts_are_each_counted_once);

/// A single-key counter (password changes): counts within its window, starts again after,
/// and leaves other keys alone.
async fn a_single_key_counter_counts_within_its_window(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let count = |at: i64| {
        let db = db.clone();
        async move {
            let mut conn = db.writer().await.unwrap();
            let now = t0() + minutes(at);
            throttle::count_event(conn.exec(), "pwchange:u1", now, now - minutes(60))
                .await
                .unwrap()
                .failures
        }
    };
    assert_eq!(count(0).await, 1);
    assert_eq!(count(10).await, 2);
    assert_eq!(count(59).await, 3);
    // 61 minutes after the window began, it starts again.
    assert_eq!(count(61).await, 1);
    assert_eq!(
        attempt(&db, t0() + minutes(62)).await,
        (1, 1),
        "other keys untouched"
    );
}
both_backends!(a_single_key_counter_counts_within_its_window);
