//! `mfa`: the replay guard's single winner under concurrency, a pending TOTP device that a
//! new enrolment replaces but a confirmed one that it does not, backup codes used once and
//! replaced as a set, and an MFA audit row on both backends.

use crate::seed::{minutes, t0, user};
use gatehouse_domain::audit::MfaAction;
use gatehouse_domain::ids::UserId;
use gatehouse_domain::mfa::MfaMethod;
use gatehouse_store::audit::{self, MfaAuditEntry};
use gatehouse_store::mfa::{backup_codes, settings, totp};
use gatehouse_store::{Backend, Db, Executor};
use gatehouse_testkit::{both_backends, TestDb};
use uuid::Uuid;

async fn enrol(db: &Db, user_id: UserId, secret: &str) -> bool {
    let mut tx = db.begin().await.unwrap();
    let stored = totp::upsert_pending(tx.exec(), Uuid::now_v7(), user_id, secret, t0())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    stored
}

async fn advance(db: Db, user_id: UserId, step: i64) -> bool {
    let mut tx = db.begin().await.unwrap();
    let won = totp::advance_step(tx.exec(), user_id, step, t0())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    won
}

async fn one_step_has_one_winner(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let u = user(&db).await;
    enrol(&db, u, "pending").await;
    let mut tx = db.begin().await.unwrap();
    assert!(totp::confirm(tx.exec(), u, 100, t0()).await.unwrap());
    assert!(
        !totp::confirm(tx.exec(), u, 101, t0()).await.unwrap(),
        "already on"
    );
    tx.commit().await.unwrap();

    for step in [101, 102] {
        let runs: Vec<_> = (0..8)
            .map(|_| tokio::spawn(advance(db.clone(), u, step)))
            .collect();
        let mut winners = 0;
        for run in runs {
            winners += usize::from(run.await.unwrap());
        }
        assert_eq!(winners, 1, "step {step}");
    }
    assert!(!advance(db.clone(), u, 102).await, "same step again");
    assert!(!advance(db.clone(), u, 99).await, "an older step");
    let row = totp::find(db.reader().await.unwrap().exec(), u)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.last_used_step, Some(102));
    assert!(row.is_verified);
}
both_backends!(one_step_has_one_winner);

async fn a_pending_device_is_replaced_and_a_confirmed_one_kept(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let u = user(&db).await;
    assert!(enrol(&db, u, "first").await);
    assert!(enrol(&db, u, "second").await, "pending: replaced");
    let mut tx = db.begin().await.unwrap();
    assert!(totp::confirm(tx.exec(), u, 5, t0()).await.unwrap());
    tx.commit().await.unwrap();
    assert!(!enrol(&db, u, "third").await, "confirmed: kept");
    let mut conn = db.writer().await.unwrap();
    let row = totp::find(conn.exec(), u).await.unwrap().unwrap();
    assert_eq!(row.secret_encrypted, "second");
    assert_eq!(totp::delete(conn.exec(), u).await.unwrap(), Some(true));
    assert_eq!(totp::delete(conn.exec(), u).await.unwrap(), None);
}
both_backends!(a_pending_device_is_replaced_and_a_confirmed_one_kept);

async fn backup_codes_work_once_and_a_new_set_replaces_the_old(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let u = user(&db).await;
    let other = user(&db).await;
    let first: Vec<String> = (0..10).map(|i| format!("first-{i}")).collect();
    let mut conn = db.writer().await.unwrap();
    backup_codes::replace_set(conn.exec(), u, &first, t0())
        .await
        .unwrap();
    assert_eq!(
        backup_codes::count_unused(conn.exec(), u).await.unwrap(),
        10
    );
    let later = t0() + minutes(1);
    assert!(
        !backup_codes::consume(conn.exec(), other, "first-0", None, later)
            .await
            .unwrap()
    );
    assert!(
        backup_codes::consume(conn.exec(), u, "first-0", None, later)
            .await
            .unwrap()
    );
    assert!(
        !backup_codes::consume(conn.exec(), u, "first-0", None, later)
            .await
            .unwrap()
    );
    assert_eq!(backup_codes::count_unused(conn.exec(), u).await.unwrap(), 9);

    let second = vec!["second-0".to_owned()];
    backup_codes::replace_set(conn.exec(), u, &second, later)
        .await
        .unwrap();
    assert!(
        !backup_codes::consume(conn.exec(), u, "first-1", None, later)
            .await
            .unwrap()
    );
    assert_eq!(backup_codes::count_unused(conn.exec(), u).await.unwrap(), 1);
}
both_backends!(backup_codes_work_once_and_a_new_set_replaces_the_old);

async fn settings_and_audit_rows(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let u = user(&db).await;
    let mut tx = db.begin().await.unwrap();
    assert!(settings::find(tx.exec(), u).await.unwrap().is_none());
    settings::enable(tx.exec(), u, MfaMethod::Totp, t0())
        .await
        .unwrap();
    settings::set_primary(tx.exec(), u, MfaMethod::Email, t0())
        .await
        .unwrap();
    settings::disable(tx.exec(), u, t0()).await.unwrap();
    settings::enable(tx.exec(), u, MfaMethod::Totp, t0())
        .await
        .unwrap();
    let row = settings::find(tx.exec(), u).await.unwrap().unwrap();
    assert!(row.is_enabled);
    assert_eq!(row.primary_method, MfaMethod::Email, "kept on re-enable");

    settings::set_method(tx.exec(), u, MfaMethod::Totp, true, t0())
        .await
        .unwrap();
    settings::set_method(tx.exec(), u, MfaMethod::Totp, false, t0())
        .await
        .unwrap();
    let methods = settings::methods(tx.exec(), u).await.unwrap();
    assert_eq!(methods.len(), 1);
    assert!(!methods[0].is_enabled);

    let entry = MfaAuditEntry::new(u, MfaAction::TotpEnrolled, Some(MfaMethod::Totp));
    audit::insert_mfa(tx.exec(), Uuid::now_v7(), &entry, t0())
        .await
        .unwrap();
    tx.commit().await.unwrap();
}
both_backends!(settings_and_audit_rows);
