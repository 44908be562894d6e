//! `--only audit-history`: how long "a user's last 50 events" takes with 10 million session
//! audit rows (issue 10, target p99 ≤ 5 ms). One fresh database is migrated by gatehouse's
//! own migrations, given its monthly audit partitions for the past twelve months (as
//! `gatehouse audit maintain` would have created them, month by month), and bulk-loaded in
//! SQL: `--audit-users` accounts and `--audit-rows` session audit rows spread evenly over the
//! 365 days before now, oldest first (ids UUIDv7-shaped, as gatehouse writes them), indexes
//! in place. The accounts are skewed: account k of n gets a share proportional to
//! 1/sqrt(k) (a few heavy users with thousands of rows, the median around half the mean).
//! Then VACUUM ANALYZE, as autovacuum would have done on a year-old table.
//!
//! Each round times `--audit-samples` calls of gatehouse's own
//! `audit_review::security_events` (the statement behind `GET /v1/me/security-events`, with
//! LIMIT 50, prepared by sqlx on one connection), each for an account drawn uniformly at
//! random, and, alternating with it on the same connection, the reference: a bare
//! primary-key lookup of the same account in `users`. Timing is client-side, one call at a
//! time, after an unmeasured warm-up of as many calls. The database is dropped at the end.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use gatehouse_domain::ids::UserId;
use gatehouse_store::audit_review::security_events;
use gatehouse_store::{migrate, Db, DbOptions, Exec, Executor};
use rand::Rng;
use uuid::Uuid;

use crate::load::PhaseStats;
use crate::pgdb::BenchDatabase;
use crate::report::{ratio, Figure, Target};

/// The page size of the measured query (`GET /v1/me/security-events` at its default).
const PAGE: i64 = 50;
/// Rows per INSERT statement of the load (progress is printed after each).
const CHUNK: u64 = 1_000_000;

/// What to build and how much to time.
pub struct HistoryOptions {
    pub admin_url: String,
    pub rows: u64,
    pub users: u64,
    pub samples: usize,
    pub rounds: usize,
}

/// The load, once per run.
#[derive(Debug, Clone, Copy)]
pub struct LoadFigures {
    pub rows: u64,
    pub load_secs: f64,
    pub vacuum_analyze_secs: f64,
    pub table_mib: f64,
    pub indexes_mib: f64,
}

/// Latency quantiles of one kind of call in one round.
#[derive(Debug, Default, Clone, Copy)]
pub struct Quantiles {
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
}

/// One round: the history query and the reference, sampled alternately.
#[derive(Debug, Default, Clone, Copy)]
pub struct HistoryRound {
    pub history: Option<Quantiles>,
    pub lookup: Option<Quantiles>,
    /// History pages that came back shorter than 50 rows (accounts with fewer events).
    pub short_pages: usize,
}

#[rustfmt::skip]
pub const FIGURES: &[Figure<HistoryRound>] = &[
    Figure { name: "A user's last 50 events (security_events), p50 / p95 latency", unit: " ms", decimals: 3, target: None, value: |r| r.history.map(|q| q.p50_ms) },
    Figure { name: "", unit: " ms", decimals: 3, target: None, value: |r| r.history.map(|q| q.p95_ms) },
    Figure { name: "A user's last 50 events, p99 latency", unit: " ms", decimals: 3, target: Some(Target::AtMost(5.0)), value: |r| r.history.map(|q| q.p99_ms) },
    Figure { name: "Bare users primary-key lookup (reference), p50 / p95 latency", unit: " ms", decimals: 3, target: None, value: |r| r.lookup.map(|q| q.p50_ms) },
    Figure { name: "", unit: " ms", decimals: 3, target: None, value: |r| r.lookup.map(|q| q.p95_ms) },
    Figure { name: "Bare users primary-key lookup (reference), p99 latency", unit: " ms", decimals: 3, target: None, value: |r| r.lookup.map(|q| q.p99_ms) },
    Figure { name: "History p50 ÷ lookup p50", unit: "", decimals: 1, target: None, value: |r| ratio(r.history.map(|q| q.p50_ms), r.lookup.map(|q| q.p50_ms)) },
    Figure { name: "History p99 ÷ lookup p99", unit: "", decimals: 1, target: None, value: |r| ratio(r.history.map(|q| q.p99_ms), r.lookup.map(|q| q.p99_ms)) },
];

/// Build the database, time the rounds, drop the database (also on failure).
pub async fn run(options: &HistoryOptions) -> anyhow::Result<(LoadFigures, Vec<HistoryRound>)> {
    if options.rows == 0 || options.users == 0 || options.samples == 0 {
        bail!("--audit-rows, --audit-users and --audit-samples must be at least 1");
    }
    let db = BenchDatabase::create(&options.admin_url).await?;
    eprintln!("  database {}", db.name);
    let outcome = build_and_measure(&db.url, options).await;
    let dropped = db.drop_database().await;
    let result = outcome?;
    dropped?;
    Ok(result)
}

async fn build_and_measure(
    url: &str,
    options: &HistoryOptions,
) -> anyhow::Result<(LoadFigures, Vec<HistoryRound>)> {
    let db = Db::connect(
        url,
        &DbOptions {
            max_connections: 1,
            acquire_timeout: Duration::from_secs(60),
        },
    )
    .await?;
    migrate::up(&db).await?;
    let load = {
        let mut conn = db.writer().await?;
        let Exec::Pg(pg) = conn.exec() else {
            bail!("the bench database is PostgreSQL");
        };
        load(pg, options).await?
    };
    eprintln!("  -> {load:?}");

    let mut conn = db.reader().await?;
    let ids: Vec<Uuid> = {
        let Exec::Pg(pg) = conn.exec() else {
            bail!("the bench database is PostgreSQL");
        };
        sqlx::query_scalar("SELECT id FROM users")
            .fetch_all(pg)
            .await?
    };
    eprintln!("  warm-up: {} calls of each", options.samples);
    sample(&mut conn, &ids, options.samples).await?;
    let mut rounds = Vec::with_capacity(options.rounds);
    for round in 1..=options.rounds {
        let measured = sample(&mut conn, &ids, options.samples).await?;
        eprintln!("  round {round}/{}: {measured:?}", options.rounds);
        rounds.push(measured);
    }
    drop(conn);
    db.close().await;
    Ok((load, rounds))
}

/// The accounts, the partitions and the rows; then VACUUM ANALYZE and the sizes.
async fn load(
    pg: &mut sqlx::PgConnection,
    options: &HistoryOptions,
) -> anyhow::Result<LoadFigures> {
    let users = options.users;
    let rows = options.rows;
    // Account n's id is md5('user' || n): the rows below name accounts by number alone.
    // A fixed seed: every run draws the same accounts and actions for the same rows.
    sqlx::raw_sql(&format!(
        "SELECT setseed(0.25);
         INSERT INTO users (id, email, password_hash, created_at, updated_at)
         SELECT md5('user' || n)::uuid, 'user' || n || '@example.test', '$argon2id$bench',
                now() - interval '400 days', now() - interval '400 days'
         FROM generate_series(1, {users}) n;
         SELECT gatehouse_ensure_audit_partitions((now() - interval '365 days')::date, 13);"
    ))
    .execute(&mut *pg)
    .await
    .context("creating accounts and partitions")?;

    eprintln!("  loading {rows} session audit rows for {users} accounts");
    let started = Instant::now();
    let mut first = 1;
    while first <= rows {
        let last = (first + CHUNK - 1).min(rows);
        sqlx::raw_sql(&insert_rows(first, last, rows, users))
            .execute(&mut *pg)
            .await
            .with_context(|| format!("loading rows {first}..={last}"))?;
        eprintln!("    {last} rows, {:.0} s", started.elapsed().as_secs_f64());
        first = last + 1;
    }
    let load_secs = started.elapsed().as_secs_f64();

    let started = Instant::now();
    // One statement per call: VACUUM refuses to run in the implicit transaction of several.
    for statement in ["VACUUM (ANALYZE) session_audit_log", "ANALYZE users"] {
        sqlx::raw_sql(statement)
            .execute(&mut *pg)
            .await
            .with_context(|| statement.to_owned())?;
    }
    let vacuum_analyze_secs = started.elapsed().as_secs_f64();

    let (table, indexes): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(pg_table_size(relid)), 0)::bigint,
                COALESCE(SUM(pg_indexes_size(relid)), 0)::bigint
         FROM pg_partition_tree('session_audit_log') WHERE isleaf",
    )
    .fetch_one(&mut *pg)
    .await?;
    let mib = |bytes: i64| bytes as f64 / (1024.0 * 1024.0);
    Ok(LoadFigures {
        rows,
        load_secs,
        vacuum_analyze_secs,
        table_mib: mib(table),
        indexes_mib: mib(indexes),
    })
}

/// Rows `first..=last` of `rows`: row g at now - 365 days + g/rows of the year; the account
/// 1 + floor(users * k²) for a uniform k (density ∝ 1/sqrt(account)); the mix of actions
/// of a service where most rows are token refreshes, sign-ins carrying place and risk.
fn insert_rows(first: u64, last: u64, rows: u64, users: u64) -> String {
    format!(
        "INSERT INTO session_audit_log (id, user_id, session_id, device_id, action,
             session_type, mfa_verified, country, city, ip_address, latitude, longitude,
             risk_level, is_anomalous, requires_review, created_at)
         SELECT
             (lpad(to_hex((extract(epoch FROM at) * 1000)::bigint), 12, '0') || '7'
                 || substr(h, 1, 3) || '8' || substr(h, 4, 15))::uuid,
             md5('user' || account)::uuid,
             md5('session' || account || '-' || (g / 5000))::uuid,
             md5('device' || account || '-' || (g % 3))::uuid,
             action, 'web',
             CASE WHEN action = 'login_succeeded' THEN r2 < 0.2 END,
             CASE WHEN sign_in THEN 'GB' END, CASE WHEN sign_in THEN 'London' END,
             ('198.51.100.' || (g % 250))::inet,
             CASE WHEN sign_in THEN 51.5 END, CASE WHEN sign_in THEN -0.12 END,
             risk, risk IN ('high', 'critical'), risk IN ('high', 'critical'), at
         FROM (
             SELECT g, at, h, r2, 1 + floor({users} * k * k)::bigint AS account, action,
                    action IN ('login_succeeded', 'login_failed') AS sign_in,
                    CASE WHEN action NOT IN ('login_succeeded', 'login_failed') THEN 'low'
                         WHEN r2 < 0.90 THEN 'low' WHEN r2 < 0.97 THEN 'medium'
                         WHEN r2 < 0.995 THEN 'high' ELSE 'critical' END AS risk
             FROM (
                 SELECT g, now() - interval '365 days' + (g::float8 / {rows}) * interval '365 days' AS at,
                        md5(g::text) AS h, random() AS r2, random() AS k,
                        CASE WHEN r < 0.80 THEN 'token_refreshed'
                             WHEN r < 0.87 THEN 'login_succeeded'
                             WHEN r < 0.90 THEN 'login_failed'
                             WHEN r < 0.94 THEN 'session_created'
                             WHEN r < 0.97 THEN 'logout'
                             WHEN r < 0.99 THEN 'mfa_verified'
                             ELSE 'session_expired' END AS action
                 FROM (SELECT g, random() AS r FROM generate_series({first}, {last}) g) s
             ) t
         ) x"
    )
}

/// `samples` random accounts, each timed once through `security_events` and once through
/// the bare lookup, alternating which goes first.
async fn sample(
    conn: &mut gatehouse_store::Conn,
    ids: &[Uuid],
    samples: usize,
) -> anyhow::Result<HistoryRound> {
    let mut history = Vec::with_capacity(samples);
    let mut lookup = Vec::with_capacity(samples);
    let mut short_pages = 0;
    for i in 0..samples {
        let id = ids[rand::thread_rng().gen_range(0..ids.len())];
        for step in 0..2 {
            if (i + step) % 2 == 0 {
                let started = Instant::now();
                let page = security_events(conn.exec(), UserId(id), None, PAGE).await?;
                history.push(started.elapsed());
                if page.len() < PAGE as usize {
                    short_pages += 1;
                }
            } else {
                let Exec::Pg(pg) = conn.exec() else {
                    bail!("the bench database is PostgreSQL");
                };
                let started = Instant::now();
                let found: Option<(Uuid, String)> =
                    sqlx::query_as("SELECT id, email FROM users WHERE id = $1")
                        .bind(id)
                        .fetch_optional(pg)
                        .await?;
                lookup.push(started.elapsed());
                if found.is_none() {
                    bail!("account {id} not found");
                }
            }
        }
    }
    Ok(HistoryRound {
        history: Some(quantiles(history)),
        lookup: Some(quantiles(lookup)),
        short_pages,
    })
}

fn quantiles(latencies: Vec<Duration>) -> Quantiles {
    let mut latencies_us: Vec<u32> = latencies
        .iter()
        .map(|d| u32::try_from(d.as_micros()).unwrap_or(u32::MAX))
        .collect();
    latencies_us.sort_unstable();
    let stats = PhaseStats {
        ok: latencies_us.len() as u64,
        latencies_us,
        ..Default::default()
    };
    Quantiles {
        p50_ms: stats.quantile_ms(0.50),
        p95_ms: stats.quantile_ms(0.95),
        p99_ms: stats.quantile_ms(0.99),
    }
}
