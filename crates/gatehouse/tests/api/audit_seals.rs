//! Tamper evidence of the audit logs (issue 10, item 1): sealed rows verify intact; an
//! edited, deleted or added row, or an altered seal, breaks `verify` and names what broke;
//! review and retention do not; the database itself refuses changes to audit rows other
//! than review (DESIGN §5: audit rows are append-only); `gatehouse audit seal|verify`
//! from the binary.

use chrono::Duration;
use gatehouse_core::audit_ops::seal::{self, Break, VerifyReport};
use gatehouse_core::audit_ops::{retention, AuditConfig};
use gatehouse_domain::audit::SessionAction;
use gatehouse_domain::ids::UserId;
use gatehouse_domain::risk::RiskLevel;
use gatehouse_store::audit::{self, SessionAuditEntry};
use gatehouse_store::audit_export::{self, After};
use gatehouse_store::audit_retention::AuditLog;
use gatehouse_store::{Backend, Executor};
use gatehouse_testkit::queries::{run_sql, scalar_i64, tamper_sql, try_sql};
use gatehouse_testkit::{both_backends, TestApp};
use uuid::Uuid;

const LOGS: [&str; 4] = [
    "session_audit_log",
    "device_audit_log",
    "session_device_link_audit_log",
    "mfa_audit_log",
];

async fn all_rows(app: &TestApp) -> i64 {
    let mut n = 0;
    for log in LOGS {
        n += app.count(log).await;
    }
    n
}

/// Someone signs up, signs in and refreshes twice: rows in the session, device and link
/// logs. Then the sealer runs once their window has ended.
async fn sealed_activity(app: &TestApp) -> Uuid {
    app.register("sealed@example.com").await;
    let t = app.login("sealed@example.com").await;
    let r = app.refresh(&t.refresh).await;
    let t2: String = r.body["refresh_token"].as_str().unwrap().to_owned();
    app.refresh(&t2).await;
    app.advance(Duration::minutes(3));
    let report = seal::seal_pending(&app.core).await.unwrap();
    assert!(report.seals >= 3, "{report:?}");
    assert_eq!(report.rows as i64, all_rows(app).await);
    app.user_id("sealed@example.com").await
}

async fn verify_all(app: &TestApp) -> VerifyReport {
    seal::verify(
        &app.core,
        seal::beginning(),
        app.core.clock.now() + Duration::seconds(1),
    )
    .await
    .unwrap()
}

fn uuid_sql(backend: Backend, id: Uuid) -> String {
    match backend {
        Backend::Postgres => format!("'{id}'"),
        Backend::Sqlite => format!("X'{}'", id.simple()),
    }
}

/// The id of `user`'s first `login_succeeded` session audit row.
async fn first_login_row(app: &TestApp, user: Uuid) -> Uuid {
    let mut conn = app.core.db.reader().await.unwrap();
    let start = After {
        created_at: seal::beginning(),
        id: Uuid::nil(),
    };
    let rows = audit_export::page(
        conn.exec(),
        AuditLog::Sessions,
        start,
        app.core.clock.now() + Duration::days(1),
        1000,
    )
    .await
    .unwrap();
    let text = |row: &audit_export::ExportRow, name: &str| {
        row.columns
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_str().map(str::to_owned))
    };
    rows.iter()
        .find(|r| {
            text(r, "action").as_deref() == Some("login_succeeded")
                && text(r, "user_id") == Some(user.to_string())
        })
        .map(|r| r.id)
        .expect("a login row")
}

/// Sealed rows verify intact (a staff review changes nothing the seal covers); an edited
/// row breaks verify, which names the seal and the row.
async fn an_edited_row_breaks_verify_and_a_review_does_not(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = sealed_activity(&app).await;
    let login = first_login_row(&app, user).await;
    let id = uuid_sql(backend, login);
    run_sql(
        &app.core.db,
        &format!(
            "UPDATE session_audit_log SET review_status = 'resolved', review_notes = 'seen'
              WHERE id = {id}"
        ),
    )
    .await;

    let report = verify_all(&app).await;
    assert!(report.intact(), "{report:?}");
    assert_eq!(report.rows_checked as i64, all_rows(&app).await);
    assert_eq!(report.unsealed_rows, 0);
    assert!(report.windows_checked >= 3, "{report:?}");
    assert!(report.head.is_some());

    let changed = tamper_sql(
        &app.core.db,
        &format!("UPDATE session_audit_log SET ip_address = '203.0.113.9' WHERE id = {id}"),
    )
    .await;
    assert_eq!(changed, 1);
    let report = verify_all(&app).await;
    assert!(!report.intact());
    match &report.breaks[0] {
        Break::Window {
            log,
            sealed_rows,
            found_rows,
            edited,
            ..
        } => {
            assert_eq!(*log, AuditLog::Sessions);
            assert_eq!(sealed_rows, found_rows);
            assert_eq!(edited, &vec![login]);
        }
        other => panic!("expected a broken window, got {other:?}"),
    }
    assert_eq!(report.breaks.len(), 1, "{report:?}");
}
both_backends!(an_edited_row_breaks_verify_and_a_review_does_not);

/// A deleted row, a row added afterwards with a hash of its own, and an altered seal each
/// break verify.
async fn deleted_and_added_rows_and_altered_seals_break_verify(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = sealed_activity(&app).await;
    let db = &app.core.db;

    let devices = app.count("device_audit_log").await;
    tamper_sql(db, "DELETE FROM device_audit_log").await;
    let report = verify_all(&app).await;
    let broken: Vec<_> = report
        .breaks
        .iter()
        .filter_map(|b| match b {
            Break::Window {
                log: AuditLog::Devices,
                sealed_rows,
                found_rows,
                ..
            } => Some((*sealed_rows, *found_rows)),
            _ => None,
        })
        .collect();
    assert_eq!(
        broken.iter().map(|b| b.0).sum::<i64>(),
        devices,
        "{report:?}"
    );
    assert!(broken.iter().all(|b| b.1 == 0), "{report:?}");

    // A forged row, well formed and with a correct hash, dated inside a sealed window.
    let sealed_time = app.core.clock.now() - Duration::minutes(3);
    let entry = SessionAuditEntry::new(
        UserId::from(user),
        SessionAction::LoginSucceeded,
        RiskLevel::Low,
        None,
    );
    let mut conn = db.writer().await.unwrap();
    audit::insert_session(conn.exec(), Uuid::now_v7(), &entry, sealed_time)
        .await
        .unwrap();
    drop(conn);
    let report = verify_all(&app).await;
    assert!(
        report.breaks.iter().any(|b| matches!(b,
            Break::Window { log: AuditLog::Sessions, sealed_rows, found_rows, edited, .. }
                if *found_rows == sealed_rows + 1 && edited.is_empty())),
        "{report:?}"
    );

    tamper_sql(
        db,
        "UPDATE audit_seals SET row_count = row_count + 1 WHERE seq = 2",
    )
    .await;
    let report = verify_all(&app).await;
    assert!(
        report
            .breaks
            .iter()
            .any(|b| matches!(b, Break::Chain { seq: 2, .. })),
        "{report:?}"
    );
    tamper_sql(db, "DELETE FROM audit_seals WHERE seq = 1").await;
    let report = verify_all(&app).await;
    assert!(
        matches!(report.breaks[0], Break::Chain { seq: 2, reason } if reason.contains("missing")),
        "{report:?}"
    );
}
both_backends!(deleted_and_added_rows_and_altered_seals_break_verify);

/// Rows removed by retention leave the chain intact; rows written since the last seal are
/// counted as not sealed yet, and sealing again covers them.
async fn retention_and_new_rows_keep_verify_intact(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    sealed_activity(&app).await;
    let config = AuditConfig {
        retention_days: 30,
        ..AuditConfig::default()
    };
    app.advance(Duration::days(31));
    // The day before the retention's midnight cutoff is kept; two days on it goes.
    app.advance(Duration::days(2));
    app.register("later@example.com").await;
    app.login("later@example.com").await;
    let later = app.user_id("later@example.com").await;
    let report = retention::maintain(&app.core, &config).await.unwrap();
    if backend == Backend::Sqlite {
        assert!(report.rows_deleted > 0, "{report:?}");
    }
    let report = verify_all(&app).await;
    assert!(report.intact(), "{report:?}");
    assert!(report.windows_past_retention >= 3, "{report:?}");
    let written = app.audit_counts(later).await;
    assert_eq!(
        report.unsealed_rows as i64,
        written.session + written.device + written.link
    );

    app.advance(Duration::minutes(3));
    seal::seal_pending(&app.core).await.unwrap();
    let report = verify_all(&app).await;
    assert!(report.intact(), "{report:?}");
    assert_eq!(report.unsealed_rows, 0);
}
both_backends!(retention_and_new_rows_keep_verify_intact);

/// The database refuses what gatehouse never does: changing an audit row beyond its review
/// columns, changing a seal, and on PostgreSQL deleting or truncating outside retention.
async fn the_database_refuses_changes_to_audit_rows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = sealed_activity(&app).await;
    let db = &app.core.db;
    let id = uuid_sql(backend, first_login_row(&app, user).await);
    let refused = |r: Result<u64, String>| {
        let e = r.expect_err("refused");
        assert!(e.contains("append-only"), "{e}");
    };
    refused(
        try_sql(
            db,
            &format!("UPDATE session_audit_log SET action = 'logout' WHERE id = {id}"),
        )
        .await,
    );
    refused(try_sql(db, "UPDATE device_audit_log SET row_hash = NULL").await);
    refused(try_sql(db, "UPDATE audit_seals SET row_count = 0").await);
    refused(try_sql(db, "DELETE FROM audit_seals").await);
    if backend == Backend::Postgres {
        refused(
            try_sql(
                db,
                &format!("DELETE FROM session_audit_log WHERE id = {id}"),
            )
            .await,
        );
        refused(try_sql(db, "TRUNCATE session_device_link_audit_log").await);
    }
    assert_eq!(
        scalar_i64(
            db,
            &format!("SELECT COUNT(*) FROM session_audit_log WHERE id = {id} AND action = 'login_succeeded'")
        )
        .await,
        1
    );
    assert!(verify_all(&app).await.intact());
}
both_backends!(the_database_refuses_changes_to_audit_rows);

/// `gatehouse audit seal` then `verify` exit 0; after an edit, `verify` exits 1 and names
/// the row.
async fn seal_and_verify_run_from_the_binary(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("cli-seal@example.com").await;
    app.login("cli-seal@example.com").await;
    let user = app.user_id("cli-seal@example.com").await;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        crate::binary::run_against(&app.db.0.url, dir.path(), &[&["audit"][..], args].concat())
    };
    // The app's clock stands two days before the real one: its rows are long sealable.
    let (code, out, err) = run(&["seal"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains(&format!("over {} rows", all_rows(&app).await)),
        "{out}"
    );
    let (code, out, err) = run(&["verify"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("intact"), "{out}");

    let login = first_login_row(&app, user).await;
    tamper_sql(
        &app.core.db,
        &format!(
            "UPDATE session_audit_log SET country = 'NZ' WHERE id = {}",
            uuid_sql(backend, login)
        ),
    )
    .await;
    let (code, out, _) = run(&["verify", "--from", "2026-11-26"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("BROKEN"), "{out}");
    assert!(out.contains(&login.to_string()), "{out}");
}
both_backends!(seal_and_verify_run_from_the_binary);
