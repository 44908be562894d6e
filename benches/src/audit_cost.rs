//! `--only audit-hash` (issue 10): what the audit rows' content hashes and the audit writes
//! cost a login and a refresh.
//!
//! Each round starts two release gatehouse processes, each on its own fresh database of the
//! same PostgreSQL, one with row hashes on (the default) and one with
//! `GATEHOUSE_AUDIT__ROW_HASHES=false`, in an order that alternates between rounds, and
//! measures logins/s and refreshes/s the way the default mode does.
//!
//! With `--audit-aa-check` both sides keep row hashes on: an A/A run that shows how far the
//! two sides differ when nothing but the database and the order differ.
//!
//! Then, on the hashes-on database as the phases left it (its audit logs full of the
//! phase's rows) and with gatehouse stopped, it times the audit rows one login writes (a
//! session row, a device row, a link row: `events/audit.rs` for `SessionStarted` and
//! `DeviceSeen`) through the store's own insert functions, at the same concurrency: each
//! operation is a transaction of the three inserts. An empty transaction (BEGIN, COMMIT) is
//! timed beside it, because in a real login the rows ride in the login's own transaction
//! and add no commit of their own: the difference is the three inserts' cost. Both are
//! turned into machine time per login (cores ÷ rate) and set beside the login's own
//! (cores ÷ logins/s of the same side), as a share.

use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use gatehouse_domain::accounts::SessionType;
use gatehouse_domain::audit::{DeviceAction, LinkAction, SessionAction};
use gatehouse_domain::ids::{DeviceId, SessionId, UserId};
use gatehouse_domain::risk::RiskLevel;
use gatehouse_store::audit::{self, DeviceAuditEntry, LinkAuditEntry, Place, SessionAuditEntry};
use gatehouse_store::types::Inet;
use gatehouse_store::{Db, DbOptions, Executor};
use uuid::Uuid;

use crate::gatehouse::{Gatehouse, GatehouseOptions};
use crate::load::{run_phase, PhaseConfig, PhaseStats, Throughput};
use crate::pgdb::BenchDatabase;
use crate::report::{ratio, Figure, Target};
use crate::MAX_ERROR_RATIO;

#[derive(Debug, Default, Clone, Copy)]
pub struct AuditCostRound {
    pub login_on: Option<Throughput>,
    pub login_off: Option<Throughput>,
    pub refresh_on: Option<Throughput>,
    pub refresh_off: Option<Throughput>,
    /// Transactions/s of one login's three audit inserts, and of empty transactions.
    pub audit_tx: Option<Throughput>,
    pub empty_tx: Option<Throughput>,
    pub cores: usize,
}

impl AuditCostRound {
    /// Machine time (µs) one login's three audit inserts take, beyond their transaction.
    fn audit_us(&self) -> Option<f64> {
        let (with, empty) = (self.audit_tx?.per_sec, self.empty_tx?.per_sec);
        Some(self.cores as f64 * 1e6 * (1.0 / with - 1.0 / empty))
    }

    /// Machine time (µs) one login takes, hashes on.
    fn login_us(&self) -> Option<f64> {
        Some(self.cores as f64 * 1e6 / self.login_on?.per_sec)
    }
}

#[rustfmt::skip]
pub const FIGURES: &[Figure<AuditCostRound>] = &[
    Figure { name: "Logins/s, row hashes on", unit: "", decimals: 1, target: None, value: |r| r.login_on.map(|t| t.per_sec) },
    Figure { name: "Logins/s, row hashes off", unit: "", decimals: 1, target: None, value: |r| r.login_off.map(|t| t.per_sec) },
    Figure { name: "Logins on ÷ off", unit: "", decimals: 3, target: Some(Target::AtLeast(0.95)), value: |r| ratio(r.login_on.map(|t| t.per_sec), r.login_off.map(|t| t.per_sec)) },
    Figure { name: "Refreshes/s, row hashes on", unit: "", decimals: 1, target: None, value: |r| r.refresh_on.map(|t| t.per_sec) },
    Figure { name: "Refreshes/s, row hashes off", unit: "", decimals: 1, target: None, value: |r| r.refresh_off.map(|t| t.per_sec) },
    Figure { name: "Refreshes on ÷ off", unit: "", decimals: 3, target: Some(Target::AtLeast(0.95)), value: |r| ratio(r.refresh_on.map(|t| t.per_sec), r.refresh_off.map(|t| t.per_sec)) },
    Figure { name: "Login p50 / p99, hashes on", unit: " ms", decimals: 1, target: None, value: |r| r.login_on.map(|t| t.p50_ms) },
    Figure { name: "", unit: " ms", decimals: 1, target: None, value: |r| r.login_on.map(|t| t.p99_ms) },
    Figure { name: "Login p50 / p99, hashes off", unit: " ms", decimals: 1, target: None, value: |r| r.login_off.map(|t| t.p50_ms) },
    Figure { name: "", unit: " ms", decimals: 1, target: None, value: |r| r.login_off.map(|t| t.p99_ms) },
    Figure { name: "Transactions/s of one login's 3 audit inserts", unit: "", decimals: 0, target: None, value: |r| r.audit_tx.map(|t| t.per_sec) },
    Figure { name: "Empty transactions/s (BEGIN, COMMIT)", unit: "", decimals: 0, target: None, value: |r| r.empty_tx.map(|t| t.per_sec) },
    Figure { name: "Audit inserts, machine µs per login (beyond their transaction)", unit: " µs", decimals: 0, target: None, value: |r| r.audit_us() },
    Figure { name: "Login, machine µs per login (cores ÷ logins/s, hashes on)", unit: " µs", decimals: 0, target: None, value: |r| r.login_us() },
    Figure { name: "Audit inserts' share of a login", unit: "", decimals: 3, target: None, value: |r| ratio(r.audit_us(), r.login_us()) },
];

/// One side of a round: gatehouse on a fresh database, logins then refreshes. With
/// `then_audit`, the audit-write phases follow on the same database once gatehouse stops.
async fn side(
    admin_url: &str,
    options: &GatehouseOptions,
    hashes: bool,
    aa_check: bool,
    config: PhaseConfig,
    round: &mut AuditCostRound,
) -> anyhow::Result<()> {
    let db = BenchDatabase::create(admin_url).await?;
    let work_dir = std::env::temp_dir().join(&db.name);
    std::fs::create_dir_all(&work_dir)?;
    let outcome = measure_side(options, hashes, aa_check, config, &db.url, &work_dir, round).await;
    let dropped = db.drop_database().await;
    match &outcome {
        Ok(()) => {
            let _ = std::fs::remove_dir_all(&work_dir);
        }
        Err(_) => eprintln!("  logs kept in {}", work_dir.display()),
    }
    outcome?;
    dropped
}

async fn measure_side(
    options: &GatehouseOptions,
    hashes: bool,
    aa_check: bool,
    config: PhaseConfig,
    url: &str,
    work_dir: &Path,
    round: &mut AuditCostRound,
) -> anyhow::Result<()> {
    let mut options = options.clone();
    options.extra_env.push((
        "GATEHOUSE_AUDIT__ROW_HASHES".to_owned(),
        (hashes || aa_check).to_string(),
    ));
    eprintln!("  row hashes {}", if hashes { "on" } else { "off" });
    let mut gatehouse = Gatehouse::start(&options, url, work_dir, config.concurrency).await?;
    gatehouse.run_logins(config).await?;
    gatehouse.run_refreshes(config).await?;
    let (login, refresh) = gatehouse.login_and_refresh();
    gatehouse.stop().await?;
    eprintln!("  -> logins {login:?}, refreshes {refresh:?}");
    if hashes {
        round.login_on = login;
        round.refresh_on = refresh;
        let (audit_tx, empty_tx) = audit_writes(url, config).await?;
        round.audit_tx = Some(audit_tx);
        round.empty_tx = Some(empty_tx);
    } else {
        round.login_off = login;
        round.refresh_off = refresh;
    }
    Ok(())
}

pub async fn run_round(
    admin_url: &str,
    options: &GatehouseOptions,
    config: PhaseConfig,
    round_number: usize,
    aa_check: bool,
) -> anyhow::Result<AuditCostRound> {
    let mut round = AuditCostRound {
        cores: crate::cores(),
        ..AuditCostRound::default()
    };
    // Odd rounds hashes on first, even rounds off first.
    let order = if round_number % 2 == 1 {
        [true, false]
    } else {
        [false, true]
    };
    for hashes in order {
        side(admin_url, options, hashes, aa_check, config, &mut round).await?;
    }
    Ok(round)
}

/// The rows a login writes, as `events/audit.rs` maps `DeviceSeen` and `SessionStarted`.
fn login_rows(user_id: UserId, n: u32) -> (SessionAuditEntry, DeviceAuditEntry, LinkAuditEntry) {
    let ip = Some(Inet(std::net::Ipv4Addr::from(0x0a00_0000 | n).into()));
    let (session_id, device_id) = (SessionId::new(), DeviceId::new());
    let mut session =
        SessionAuditEntry::new(user_id, SessionAction::LoginSucceeded, RiskLevel::Low, ip);
    session.session_id = Some(session_id);
    session.device_id = Some(device_id);
    session.session_type = Some(SessionType::Web);
    session.mfa_verified = Some(false);
    let device = DeviceAuditEntry {
        user_id,
        device_id,
        session_id: Some(session_id),
        action: DeviceAction::Registered,
        device_type: Some("desktop".to_owned()),
        browser: Some("Firefox".to_owned()),
        os: Some("Linux".to_owned()),
        risk_score: 10,
        ip_address: ip,
        previous_ip: None,
        trust_state_change: None,
        metadata: None,
        anomaly_reasons: vec!["new_device".to_owned()],
        place: Place::default(),
    };
    let link = LinkAuditEntry {
        user_id,
        session_id,
        device_id,
        link_action: LinkAction::Linked,
        previous_device_id: None,
        revoked_at: None,
        link_duration_seconds: None,
        context: None,
    };
    (session, device, link)
}

/// Transactions/s of one login's audit inserts, then of empty transactions, each phase at
/// the load's concurrency on a pool of gatehouse's default size (16), as the logins had.
async fn audit_writes(url: &str, config: PhaseConfig) -> anyhow::Result<(Throughput, Throughput)> {
    let db = Db::connect(url, &DbOptions::default()).await?;
    let users: Vec<(Uuid,)> = {
        let mut conn = db.reader().await?;
        let gatehouse_store::Exec::Pg(pg) = conn.exec() else {
            anyhow::bail!("the bench database is PostgreSQL");
        };
        sqlx::query_as("SELECT id FROM users").fetch_all(pg).await?
    };
    let users: Arc<Vec<UserId>> =
        Arc::new(users.into_iter().map(|(id,)| UserId::from(id)).collect());
    if users.is_empty() {
        anyhow::bail!("no accounts in the bench database");
    }

    eprintln!("  one login's audit inserts for {:?}", config.duration);
    let states: Vec<(Db, Arc<Vec<UserId>>, u32)> = (0..config.concurrency)
        .map(|i| (db.clone(), Arc::clone(&users), i as u32 * 1_000_000))
        .collect();
    let (stats, _) = run_phase(config, states, |(db, users, n)| async move {
        let user = users[n as usize % users.len()];
        let (session, device, link) = login_rows(user, n);
        let outcome = async {
            let now = Utc::now();
            let mut tx = db.begin().await?;
            audit::insert_device(tx.exec(), Uuid::now_v7(), &device, now).await?;
            audit::insert_session(tx.exec(), Uuid::now_v7(), &session, now).await?;
            audit::insert_link(tx.exec(), Uuid::now_v7(), &link, now).await?;
            tx.commit().await
        }
        .await
        .map_err(|e| e.to_string());
        ((db, users, n + 1), outcome)
    })
    .await?;
    let audit_tx = checked("audit inserts", stats)?;

    eprintln!("  empty transactions for {:?}", config.duration);
    let states: Vec<Db> = (0..config.concurrency).map(|_| db.clone()).collect();
    let (stats, _) = run_phase(config, states, |db| async move {
        let outcome = async {
            let tx = db.begin().await?;
            tx.commit().await
        }
        .await
        .map_err(|e| e.to_string());
        (db, outcome)
    })
    .await?;
    let empty_tx = checked("empty transactions", stats)?;
    db.close().await;
    eprintln!("  -> audit {audit_tx:?}, empty {empty_tx:?}");
    Ok((audit_tx, empty_tx))
}

fn checked(phase: &str, stats: PhaseStats) -> anyhow::Result<Throughput> {
    stats.check(phase, MAX_ERROR_RATIO)?;
    Ok(stats.throughput())
}
