//! `--only audit-ingest` (issue 10): session audit rows ingested per second into PostgreSQL
//! through the store's bulk path (`audit_bulk::insert_sessions`, the importer's path), with
//! PostgreSQL's own `COPY ... FROM STDIN` of as many equivalent rows as the reference, in
//! the same round on the same database.
//!
//! Each round: a fresh migrated database with 100 accounts; then, in an order that alternates
//! between rounds (the table grows, so the later pass writes into bigger indexes), one bulk
//! pass per batch size and one COPY pass. A pass writes `rows` rows over `connections`
//! connections in parallel, each connection taking every n-th batch, each batch in its own
//! transaction. The entries are built before the clock starts; the bulk path's row hashing
//! is inside the timing (it is part of the path), the COPY text is prepared before it (COPY
//! is the database's ceiling, not a path gatehouse could take without hashing too).

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use gatehouse_domain::accounts::SessionType;
use gatehouse_domain::audit::SessionAction;
use gatehouse_domain::ids::{DeviceId, SessionId, UserId};
use gatehouse_domain::risk::RiskLevel;
use gatehouse_store::accounts::users;
use gatehouse_store::audit::{Place, SessionAuditEntry};
use gatehouse_store::audit_bulk::{self, SessionRow};
use gatehouse_store::types::Inet;
use gatehouse_store::{migrate, Db, DbOptions, Executor};
use sqlx::{Connection, PgConnection};
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::pgdb::BenchDatabase;
use crate::report::{ratio, Figure, Target};

const ACCOUNTS: usize = 100;

/// The batch sizes tried by the bulk path, in this order; the first is the headline.
pub const BATCH_SIZES: [usize; 3] = [1000, 5000, 250];

#[derive(Debug, Clone, Copy)]
pub struct IngestOptions {
    pub rows: usize,
    pub connections: usize,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct IngestRound {
    /// Rows/s of the bulk path, per entry of [`BATCH_SIZES`].
    pub bulk: [Option<f64>; 3],
    pub copy: Option<f64>,
    pub rows_in_table: u64,
}

#[rustfmt::skip]
pub const FIGURES: &[Figure<IngestRound>] = &[
    Figure { name: "Bulk path rows/s, batches of 1,000", unit: "", decimals: 0, target: Some(Target::AtLeast(20_000.0)), value: |r| r.bulk[0] },
    Figure { name: "Bulk path rows/s, batches of 5,000", unit: "", decimals: 0, target: None, value: |r| r.bulk[1] },
    Figure { name: "Bulk path rows/s, batches of 250", unit: "", decimals: 0, target: None, value: |r| r.bulk[2] },
    Figure { name: "COPY rows/s (reference)", unit: "", decimals: 0, target: None, value: |r| r.copy },
    Figure { name: "Bulk (1,000) ÷ COPY", unit: "", decimals: 3, target: None, value: |r| ratio(r.bulk[0], r.copy) },
    Figure { name: "Rows in session_audit_log at the end", unit: "", decimals: 0, target: None, value: |r| Some(r.rows_in_table as f64) },
];

pub async fn run_round(
    admin_url: &str,
    options: IngestOptions,
    round: usize,
) -> anyhow::Result<IngestRound> {
    let db = BenchDatabase::create(admin_url).await?;
    let outcome = measure(&db.url, options, round).await;
    let dropped = db.drop_database().await;
    let result = outcome?;
    dropped?;
    Ok(result)
}

async fn measure(url: &str, options: IngestOptions, round: usize) -> anyhow::Result<IngestRound> {
    let db = Db::connect(url, &DbOptions::default()).await?;
    migrate::up(&db).await?;
    let accounts = accounts(&db).await?;
    let mut result = IngestRound::default();
    // Odd rounds bulk first, even rounds COPY first.
    if round % 2 == 0 {
        result.copy = Some(copy_pass(url, &accounts, options).await?);
    }
    for (slot, batch) in BATCH_SIZES.iter().enumerate() {
        result.bulk[slot] = Some(bulk_pass(&db, &accounts, options, *batch).await?);
    }
    if round % 2 == 1 {
        result.copy = Some(copy_pass(url, &accounts, options).await?);
    }
    let mut conn = PgConnection::connect(url).await?;
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM session_audit_log")
        .fetch_one(&mut conn)
        .await?;
    conn.close().await?;
    result.rows_in_table = count as u64;
    db.close().await;
    Ok(result)
}

async fn accounts(db: &Db) -> anyhow::Result<Vec<UserId>> {
    let now = Utc::now();
    let mut ids = Vec::with_capacity(ACCOUNTS);
    let mut tx = db.begin().await?;
    for i in 0..ACCOUNTS {
        let id = UserId::new();
        let row = crate::pgdb::bench_user(id, format!("ingest{i}@bench.test"), now);
        users::insert_with_profile(tx.exec(), &row, Uuid::now_v7()).await?;
        ids.push(id);
    }
    tx.commit().await?;
    Ok(ids)
}

/// The `i`-th row of a pass: a successful login as the login path records it (session,
/// device, address, place, a little metadata), spread over the last 30 days.
fn row(accounts: &[UserId], i: usize, now: DateTime<Utc>) -> SessionRow {
    let user = accounts[i % accounts.len()];
    let ip = Inet(
        format!("10.{}.{}.{}", i / 65536 % 256, i / 256 % 256, i % 256)
            .parse()
            .unwrap_or(std::net::Ipv4Addr::LOCALHOST.into()),
    );
    let mut e = SessionAuditEntry::new(
        user,
        SessionAction::LoginSucceeded,
        RiskLevel::Low,
        Some(ip),
    );
    e.session_id = Some(SessionId::new());
    e.device_id = Some(DeviceId::new());
    e.session_type = Some(SessionType::Web);
    e.mfa_verified = Some(false);
    e.metadata = Some(serde_json::json!({"imported": true, "n": i}));
    e.place = Place {
        country: Some("GB".to_owned()),
        city: Some("London".to_owned()),
        latitude: Some(51.5),
        longitude: Some(-0.12),
    };
    let at = now - Duration::seconds((i % (30 * 86_400)) as i64);
    (Uuid::now_v7(), e, at)
}

fn rows(accounts: &[UserId], count: usize) -> Vec<SessionRow> {
    let now = Utc::now();
    (0..count).map(|i| row(accounts, i, now)).collect()
}

/// Rows/s of one pass through `audit_bulk::insert_sessions`.
async fn bulk_pass(
    db: &Db,
    accounts: &[UserId],
    options: IngestOptions,
    batch: usize,
) -> anyhow::Result<f64> {
    let rows = Arc::new(rows(accounts, options.rows));
    let lanes = options.connections;
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for lane in 0..lanes {
        let (db, rows) = (db.clone(), Arc::clone(&rows));
        tasks.spawn(async move {
            for chunk in rows.chunks(batch).skip(lane).step_by(lanes) {
                let mut tx = db.begin().await?;
                audit_bulk::insert_sessions(tx.exec(), chunk).await?;
                tx.commit().await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(outcome) = tasks.join_next().await {
        outcome?.context("bulk insert")?;
    }
    let per_sec = options.rows as f64 / started.elapsed().as_secs_f64();
    eprintln!("  bulk, batches of {batch}: {per_sec:.0} rows/s");
    Ok(per_sec)
}

const COPY_SQL: &str = "COPY session_audit_log (id, user_id, session_id, device_id, action, \
    session_type, mfa_verified, ip_address, risk_level, is_anomalous, anomaly_reasons, \
    requires_review, metadata, created_at, country, city, latitude, longitude, row_hash) \
    FROM STDIN";

/// The COPY text of `rows`, the same columns the bulk path fills (the hash column holds 32
/// bytes like every hashed row; its value is not checked here).
fn copy_text(rows: &[SessionRow]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows.len() * 400);
    for (id, e, at) in rows {
        let opt = |v: Option<String>| v.unwrap_or_else(|| "\\N".to_owned());
        let line = format!(
            "{id}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{{}}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t\\\\x{}\n",
            e.user_id.as_uuid(),
            opt(e.session_id.map(|s| s.as_uuid().to_string())),
            opt(e.device_id.map(|d| d.as_uuid().to_string())),
            e.action.as_str(),
            opt(e.session_type.map(|t| t.as_str().to_owned())),
            opt(e.mfa_verified.map(|b| b.to_string())),
            opt(e.ip_address.map(|ip| ip.0.to_string())),
            e.risk_level.as_str(),
            e.is_anomalous,
            e.requires_review,
            opt(e.metadata.as_ref().map(|m| m.to_string())),
            at.to_rfc3339(),
            opt(e.place.country.clone()),
            opt(e.place.city.clone()),
            opt(e.place.latitude.map(|v| v.to_string())),
            opt(e.place.longitude.map(|v| v.to_string())),
            id.simple().to_string().repeat(2),
        );
        out.extend_from_slice(line.as_bytes());
    }
    out
}

/// Rows/s of one COPY pass: each connection streams its share in one COPY.
async fn copy_pass(url: &str, accounts: &[UserId], options: IngestOptions) -> anyhow::Result<f64> {
    let rows = rows(accounts, options.rows);
    let share = options.rows.div_ceil(options.connections);
    let texts: Vec<Vec<u8>> = rows.chunks(share).map(copy_text).collect();
    let mut conns = Vec::with_capacity(texts.len());
    for _ in 0..texts.len() {
        conns.push(PgConnection::connect(url).await?);
    }
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for (mut conn, text) in conns.into_iter().zip(texts) {
        tasks.spawn(async move {
            let mut copy = conn.copy_in_raw(COPY_SQL).await?;
            // The driver sends what it is given as CopyData messages; 1 MiB apiece.
            for piece in text.chunks(1 << 20) {
                copy.send(piece).await?;
            }
            copy.finish().await?;
            anyhow::Ok(conn)
        });
    }
    let mut done = Vec::new();
    while let Some(outcome) = tasks.join_next().await {
        done.push(outcome?.context("COPY")?);
    }
    let per_sec = options.rows as f64 / started.elapsed().as_secs_f64();
    for conn in done {
        conn.close().await?;
    }
    eprintln!("  COPY: {per_sec:.0} rows/s");
    Ok(per_sec)
}
