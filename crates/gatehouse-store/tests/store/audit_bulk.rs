//! The bulk audit insert: a batch lands with the row hashes the single-row insert gives,
//! holding the same content, and an empty batch writes nothing.

use crate::seed::{self, minutes, t0};
use chrono::{DateTime, Utc};
use gatehouse_domain::accounts::SessionType;
use gatehouse_domain::audit::SessionAction;
use gatehouse_domain::ids::{DeviceId, SessionId};
use gatehouse_domain::risk::RiskLevel;
use gatehouse_store::audit::{self, Place, SessionAuditEntry};
use gatehouse_store::audit_bulk::{self, SessionRow};
use gatehouse_store::audit_export::{self, After, ExportRow};
use gatehouse_store::audit_retention::AuditLog;
use gatehouse_store::types::Inet;
use gatehouse_store::{Backend, Db, Executor};
use gatehouse_testkit::{both_backends, TestDb};
use serde_json::json;
use uuid::Uuid;

const ROWS: usize = 300;

/// Entries that between them fill every column, NULLs included.
fn entries(user: gatehouse_domain::ids::UserId) -> Vec<(SessionAuditEntry, DateTime<Utc>)> {
    (0..ROWS)
        .map(|i| {
            let action = SessionAction::ALL[i % SessionAction::ALL.len()];
            let risk = [RiskLevel::Low, RiskLevel::Medium, RiskLevel::High][i % 3];
            let ip = (i % 4 != 0)
                .then(|| Inet(format!("10.0.{}.{}", i / 256, i % 256).parse().unwrap()));
            let mut e = SessionAuditEntry::new(user, action, risk, ip);
            if i % 2 == 0 {
                e.session_id = Some(SessionId::new());
                e.device_id = Some(DeviceId::new());
                e.session_type = Some(SessionType::Web);
                e.mfa_verified = Some(i % 4 == 0);
                e.metadata = Some(json!({"n": i, "via": "import", "z": [1, 2.5, null]}));
            }
            if i % 5 == 0 {
                e.is_anomalous = true;
                e.requires_review = true;
                e.anomaly_reasons = vec!["new_country".into(), format!("reason {i}")];
                e.old_value = Some(json!({"status": "active"}));
                e.new_value = Some(json!({"status": "revoked"}));
                e.error_message = Some(format!("error {i}, with 'quotes' and \"more\""));
            }
            if i % 3 == 0 {
                e.session_duration_seconds = Some(i as i32 * 7);
                e.place = Place {
                    country: Some("GB".into()),
                    city: Some("London".into()),
                    latitude: Some(51.5 + i as f64 / 1000.0),
                    longitude: Some(-0.12),
                };
            }
            (e, t0() + minutes(i as i64))
        })
        .collect()
}

async fn all_rows(db: &Db) -> Vec<ExportRow> {
    let mut conn = db.reader().await.unwrap();
    let start = After {
        created_at: t0() - minutes(1),
        id: Uuid::nil(),
    };
    audit_export::page(
        conn.exec(),
        AuditLog::Sessions,
        start,
        t0() + minutes(10_000),
        10_000,
    )
    .await
    .unwrap()
}

/// The columns of a row other than the ones that differ between the two copies.
fn content_without_id(row: &ExportRow) -> Vec<(String, serde_json::Value)> {
    row.columns
        .iter()
        .filter(|(n, _)| n != "id" && n != "row_hash")
        .cloned()
        .collect()
}

async fn a_batch_reads_back_with_the_single_row_hashes(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let user = seed::user(&db).await;
    let entries = entries(user);

    // The same entries twice: in one batch, and one at a time through the login path.
    let bulk: Vec<SessionRow> = entries
        .iter()
        .map(|(e, at)| (Uuid::now_v7(), e.clone(), *at))
        .collect();
    let mut tx = db.begin().await.unwrap();
    audit_bulk::insert_sessions(tx.exec(), &bulk).await.unwrap();
    let mut single = Vec::new();
    for (e, at) in &entries {
        let id = Uuid::now_v7();
        audit::insert_session(tx.exec(), id, e, *at).await.unwrap();
        single.push(id);
    }
    tx.commit().await.unwrap();

    let rows = all_rows(&db).await;
    assert_eq!(rows.len(), 2 * ROWS);
    for row in &rows {
        let stored = row.stored_hash().expect("every row has a row hash");
        assert_eq!(
            stored,
            row.content_hash(AuditLog::Sessions),
            "row {}",
            row.id
        );
    }
    let find = |id: Uuid| rows.iter().find(|r| r.id == id).expect("row written");
    for ((bulk_id, _, _), single_id) in bulk.iter().zip(&single) {
        let (b, s) = (find(*bulk_id), find(*single_id));
        assert_eq!(content_without_id(b), content_without_id(s));
    }
}
both_backends!(a_batch_reads_back_with_the_single_row_hashes);

async fn an_empty_batch_writes_nothing(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let mut tx = db.begin().await.unwrap();
    audit_bulk::insert_sessions(tx.exec(), &[]).await.unwrap();
    tx.commit().await.unwrap();
    assert!(all_rows(&db).await.is_empty());
}
both_backends!(an_empty_batch_writes_nothing);
