//! `--only totp`: TOTP verifications per second with the replay guard, on each backend. For
//! PostgreSQL and SQLite a fresh database gets `--users` accounts, each with a confirmed
//! authenticator (a random 20-byte secret, AES-256-GCM at rest, as enrolment stores it).
//! `--concurrency` tasks then call gatehouse's own `verify_totp_for_login` in a transaction of
//! its own, as the login challenge does: read the device, decrypt the secret, check the code
//! (±1 step), record the step with `UPDATE … WHERE last_used_step < step`, commit.
//!
//! Every call must be accepted. A person can use one code per 30 s step, so each task owns
//! its accounts and hands each one a clock one step later than its last verification (the
//! `now` the use case takes): the replay guard runs for real and never refuses.
//!
//! The reference, back to back with it (A-B-B-A): the same transactions reading the same
//! device row by primary key and nothing else, so the ratio says what the check and the
//! replay guard's write cost over a bare lookup on the same machine in the same minute.
//! A third figure is the check alone on one core, without a database.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chrono::{DateTime, TimeZone, Utc};
use gatehouse_core::keys::{Keys, SecretPurpose};
use gatehouse_core::mfa::verify_totp_for_login;
use gatehouse_domain::ids::UserId;
use gatehouse_domain::mfa::{TotpCode, TotpParams, TotpStep};
use gatehouse_store::accounts::users;
use gatehouse_store::mfa::totp;
use gatehouse_store::{migrate, Db, DbOptions, Executor};
use rand::RngCore;
use secrecy::ExposeSecret;
use uuid::Uuid;

use crate::load::{run_phase, PhaseConfig, PhaseStats, Throughput};
use crate::notify_worker::OutboxBackend as Backend;
use crate::pgdb::BenchDatabase;
use crate::report::{ratio, Figure, Target};
use crate::MAX_ERROR_RATIO;

/// One backend's phases.
#[derive(Debug, Default, Clone, Copy)]
pub struct BackendFigures {
    pub verify: Option<Throughput>,
    pub lookup: Option<Throughput>,
}

/// Everything one round measures.
#[derive(Debug, Default, Clone, Copy)]
pub struct TotpRound {
    pub postgres: BackendFigures,
    pub sqlite: BackendFigures,
    /// Checks per second of `TotpParams::verify` plus the secret's decryption, one core.
    pub check_only_per_sec: Option<f64>,
}

#[rustfmt::skip]
pub const FIGURES: &[Figure<TotpRound>] = &[
    Figure { name: "TOTP verifications/s, PostgreSQL (replay guard included)", unit: "", decimals: 0, target: Some(Target::AtLeast(2000.0)), value: |r| r.postgres.verify.map(|t| t.per_sec) },
    Figure { name: "Verification p50 / p99 latency, PostgreSQL", unit: " ms", decimals: 2, target: None, value: |r| r.postgres.verify.map(|t| t.p50_ms) },
    Figure { name: "", unit: " ms", decimals: 2, target: None, value: |r| r.postgres.verify.map(|t| t.p99_ms) },
    Figure { name: "Bare device lookups/s in a transaction, PostgreSQL (reference)", unit: "", decimals: 0, target: None, value: |r| r.postgres.lookup.map(|t| t.per_sec) },
    Figure { name: "Verifications ÷ bare lookups, PostgreSQL", unit: "", decimals: 2, target: None, value: |r| ratio(r.postgres.verify.map(|t| t.per_sec), r.postgres.lookup.map(|t| t.per_sec)) },
    Figure { name: "TOTP verifications/s, SQLite (replay guard included)", unit: "", decimals: 0, target: Some(Target::AtLeast(2000.0)), value: |r| r.sqlite.verify.map(|t| t.per_sec) },
    Figure { name: "Verification p50 / p99 latency, SQLite", unit: " ms", decimals: 2, target: None, value: |r| r.sqlite.verify.map(|t| t.p50_ms) },
    Figure { name: "", unit: " ms", decimals: 2, target: None, value: |r| r.sqlite.verify.map(|t| t.p99_ms) },
    Figure { name: "Bare device lookups/s in a transaction, SQLite (reference)", unit: "", decimals: 0, target: None, value: |r| r.sqlite.lookup.map(|t| t.per_sec) },
    Figure { name: "Verifications ÷ bare lookups, SQLite", unit: "", decimals: 2, target: None, value: |r| ratio(r.sqlite.verify.map(|t| t.per_sec), r.sqlite.lookup.map(|t| t.per_sec)) },
    Figure { name: "Code check alone (decrypt + 3 HMACs), one core, per s", unit: "", decimals: 0, target: None, value: |r| r.check_only_per_sec },
];

/// An enrolled account as the harness knows it: its id and plaintext secret.
struct Enrolled {
    user_id: UserId,
    secret: Vec<u8>,
}

/// What each task owns: its accounts, each with the next step it may use.
struct TaskState {
    accounts: Vec<(Arc<Enrolled>, TotpStep)>,
    position: usize,
}

/// What every task shares.
struct Shared {
    db: Db,
    keys: Keys,
    params: TotpParams,
}

/// One round: each backend on a fresh database, then the database-free check.
pub async fn run_round(
    admin_url: &str,
    users: usize,
    config: PhaseConfig,
    work_dir: &Path,
) -> anyhow::Result<TotpRound> {
    let mut round = TotpRound::default();
    for backend in [Backend::Postgres, Backend::Sqlite] {
        let figures = match backend {
            Backend::Postgres => {
                let db = BenchDatabase::create(admin_url).await?;
                let outcome = measure_backend(&db.url, users, config).await;
                let dropped = db.drop_database().await;
                let figures = outcome?;
                dropped?;
                figures
            }
            Backend::Sqlite => {
                let file = work_dir.join(format!("totp-{}.db", Uuid::now_v7().simple()));
                let url = format!("sqlite://{}", file.display());
                let outcome = measure_backend(&url, users, config).await;
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
                }
                outcome?
            }
        };
        eprintln!("  -> {backend:?}: {figures:?}");
        match backend {
            Backend::Postgres => round.postgres = figures,
            Backend::Sqlite => round.sqlite = figures,
        }
    }
    round.check_only_per_sec = Some(check_only_per_sec(Duration::from_secs(2))?);
    Ok(round)
}

/// Enrol `users` accounts, then run verification and lookup phases A-B-B-A.
async fn measure_backend(
    url: &str,
    users: usize,
    config: PhaseConfig,
) -> anyhow::Result<BackendFigures> {
    let db = Db::connect(url, &DbOptions::default()).await?;
    migrate::up(&db).await?;
    let keys = Keys::ephemeral().context("making keys")?;
    let params = TotpParams::default();
    let start_step = params.step_at(Utc::now());
    eprintln!(
        "  enrolling {users} accounts ({url})",
        url = redact_sqlite(url)
    );
    let enrolled = enrol(&db, &keys, users, step_time(&params, start_step)).await?;
    let shared = Arc::new(Shared { db, keys, params });

    // Each task owns every `concurrency`-th account, so no two tasks share a step counter.
    let tasks = config.concurrency.min(enrolled.len()).max(1);
    let mut states: Vec<TaskState> = (0..tasks)
        .map(|task| TaskState {
            accounts: enrolled
                .iter()
                .skip(task)
                .step_by(tasks)
                .map(|account| (account.clone(), start_step + 1))
                .collect(),
            position: 0,
        })
        .collect();

    let mut verify = PhaseStats::default();
    let mut lookup = PhaseStats::default();
    for phase in ["verify", "lookup", "lookup", "verify"] {
        let (stats, next) = match phase {
            "verify" => verify_phase(&shared, states, config).await?,
            _ => lookup_phase(&shared, states, config).await?,
        };
        states = next;
        stats.check(&format!("TOTP {phase}"), MAX_ERROR_RATIO)?;
        eprintln!("  {phase}: {:.0}/s", stats.per_sec());
        match phase {
            "verify" => verify.absorb(stats),
            _ => lookup.absorb(stats),
        }
    }
    // Each accepted call committed its step: the first account of every task shows it.
    for state in &states {
        let (account, next_step) = &state.accounts[0];
        let mut conn = shared.db.begin().await?;
        let device = totp::find(conn.exec(), account.user_id).await?;
        conn.commit().await?;
        let stored = device.and_then(|d| d.last_used_step);
        let expected = i64::try_from(next_step - 1).unwrap_or(i64::MAX);
        if stored != Some(expected) {
            bail!("the replay guard holds step {stored:?}, expected {expected}");
        }
    }
    shared.db.close().await;
    Ok(BackendFigures {
        verify: Some(verify.throughput()),
        lookup: Some(lookup.throughput()),
    })
}

/// The SQLite URL names a temporary file; keep progress lines short.
fn redact_sqlite(url: &str) -> &str {
    if url.starts_with("sqlite:") {
        "sqlite"
    } else {
        "postgres"
    }
}

/// The instant half-way through `step`, as the use case's clock.
fn step_time(params: &TotpParams, step: TotpStep) -> DateTime<Utc> {
    let secs = step * params.period + params.period / 2;
    Utc.timestamp_opt(i64::try_from(secs).unwrap_or(i64::MAX), 0)
        .single()
        .unwrap_or_else(Utc::now)
}

/// Accounts with a confirmed authenticator, written through the store as enrolment does
/// (a pending device, then its confirmation at `now`'s step).
async fn enrol(
    db: &Db,
    keys: &Keys,
    count: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Arc<Enrolled>>> {
    let params = TotpParams::default();
    let mut enrolled = Vec::with_capacity(count);
    let mut tx = db.begin().await?;
    for i in 0..count {
        let user_id = UserId::new();
        let user = crate::pgdb::bench_user(user_id, format!("totp-{i}@example.com"), now);
        users::insert_with_profile(tx.exec(), &user, Uuid::now_v7()).await?;
        let mut secret = vec![0u8; params.algorithm.secret_len()];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let sealed = keys.encrypt_secret(SecretPurpose::TotpSecret, user_id, &secret);
        totp::upsert_pending(tx.exec(), Uuid::now_v7(), user_id, &sealed, now).await?;
        let step = i64::try_from(params.step_at(now)).unwrap_or(i64::MAX);
        if !totp::confirm(tx.exec(), user_id, step, now).await? {
            bail!("confirming the device of account {i} changed nothing");
        }
        enrolled.push(Arc::new(Enrolled { user_id, secret }));
    }
    tx.commit().await?;
    Ok(enrolled)
}

/// Each call: the next account of the task, a code for its next step, gatehouse's check in a
/// transaction of its own, commit.
async fn verify_phase(
    shared: &Arc<Shared>,
    states: Vec<TaskState>,
    config: PhaseConfig,
) -> anyhow::Result<(PhaseStats, Vec<TaskState>)> {
    let shared = shared.clone();
    run_phase(config, states, move |mut state: TaskState| {
        let shared = shared.clone();
        async move {
            let position = state.position;
            state.position = (position + 1) % state.accounts.len();
            let (account, step) = state.accounts[position].clone();
            state.accounts[position].1 = step + 1;
            let result = verify_once(&shared, &account, step).await;
            (state, result)
        }
    })
    .await
}

async fn verify_once(shared: &Shared, account: &Enrolled, step: TotpStep) -> Result<(), String> {
    let code = shared.params.code_for_step(&account.secret, step);
    let now = step_time(&shared.params, step);
    let mut tx = shared.db.begin().await.map_err(|e| e.to_string())?;
    let outcome = verify_totp_for_login(
        &mut tx,
        &shared.keys,
        &shared.params,
        account.user_id,
        &code,
        now,
    )
    .await
    .map_err(|e| e.to_string())?;
    match outcome {
        Ok(accepted) if accepted == step => {
            tx.commit().await.map_err(|e| e.to_string())?;
            Ok(())
        }
        Ok(other) => Err(format!("accepted step {other}, expected {step}")),
        Err(refusal) => Err(format!("refused: {refusal:?}")),
    }
}

/// The reference: the same transaction shape with only the device's primary-key read.
async fn lookup_phase(
    shared: &Arc<Shared>,
    states: Vec<TaskState>,
    config: PhaseConfig,
) -> anyhow::Result<(PhaseStats, Vec<TaskState>)> {
    let shared = shared.clone();
    run_phase(config, states, move |mut state: TaskState| {
        let shared = shared.clone();
        async move {
            let position = state.position;
            state.position = (position + 1) % state.accounts.len();
            let user_id = state.accounts[position].0.user_id;
            let result = async {
                let mut tx = shared.db.begin().await.map_err(|e| e.to_string())?;
                let device = totp::find(tx.exec(), user_id)
                    .await
                    .map_err(|e| e.to_string())?;
                tx.commit().await.map_err(|e| e.to_string())?;
                device.map(drop).ok_or_else(|| "device missing".to_owned())
            }
            .await;
            (state, result)
        }
    })
    .await
}

/// The check alone: decrypt the stored secret and verify a code (up to three HMACs for ±1
/// step), on this thread, for `window`.
fn check_only_per_sec(window: Duration) -> anyhow::Result<f64> {
    let keys = Keys::ephemeral().context("making keys")?;
    let params = TotpParams::default();
    let user_id = UserId::new();
    let mut secret = vec![0u8; params.algorithm.secret_len()];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let sealed = keys.encrypt_secret(SecretPurpose::TotpSecret, user_id, &secret);
    let start = Instant::now();
    let mut checks = 0u64;
    let mut step = params.step_at(Utc::now());
    while start.elapsed() < window {
        // The code of the step after the clock's: the check tries the earlier step first.
        let code = params.code_for_step(&secret, step + 1);
        let now = step_time(&params, step);
        let opened = keys
            .decrypt_secret(SecretPurpose::TotpSecret, user_id, &sealed)
            .map_err(|_| anyhow::anyhow!("the secret does not decrypt"))?;
        let parsed =
            TotpCode::parse(&code).map_err(|_| anyhow::anyhow!("code {code} does not parse"))?;
        if params
            .verify(opened.expose_secret(), &parsed, now, Some(step - 1))
            .is_err()
        {
            bail!("the check refused a right code");
        }
        checks += 1;
        step += 1;
    }
    Ok(checks as f64 / start.elapsed().as_secs_f64())
}
