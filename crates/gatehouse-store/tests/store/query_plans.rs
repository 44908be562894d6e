//! The seed's query patterns (its "Indexing Strategy": a user's recent events, pending
//! emails for a user, high-risk devices, the last 30 days, preference by type) each served
//! by its index (issue 10, item 6). Each test fills the tables with tens of thousands of
//! rows over twelve monthly audit partitions, ANALYZEs, and reads the plan of the pattern's
//! query with `EXPLAIN (FORMAT JSON)`: every read of a table (or partition) that holds rows
//! must go through the intended index, none may be a sequential scan, and there must be at
//! least one such read. docs/schema.md lists pattern → index → test.
//!
//! PostgreSQL only, by nature: what is checked is PostgreSQL's planner, its plan nodes and
//! its partitions (SQLite plans differently and has no partitions). Like the other
//! PostgreSQL-only tests, they run when `GATEHOUSE_TEST_BACKENDS` includes PostgreSQL (as
//! `.ci/run` always does).
//!
//! Where gatehouse sends a query for the pattern, the test plans that statement: its text is
//! copied here and checked against the store's source (whitespace aside), so a change to the
//! statement fails here until its plan is looked at again. Where gatehouse has none, the
//! seed's example query runs against gatehouse's tables.

use gatehouse_store::Db;
use gatehouse_testkit::{Backend, TestDb};
use serde_json::Value;
use sqlx::types::Json;
use sqlx::PgPool;
use std::collections::BTreeSet;
use uuid::Uuid;

/// Rows per filled table: enough that an index beats a scan on every monthly partition.
const ROWS: i64 = 40_000;
/// Accounts the rows belong to (20 rows per account per table).
const USERS: i64 = 2_000;

/// A fresh migrated PostgreSQL database with `USERS` accounts and fixed twelve months of
/// audit partitions (2024, all in the past: partition sizes do not depend on today's date).
struct Fixture {
    _db: TestDb,
    pool: PgPool,
}

impl Fixture {
    async fn new() -> Option<Fixture> {
        if gatehouse_testkit::skipped(Backend::Postgres) {
            return None;
        }
        let db = TestDb::new(Backend::Postgres).await;
        let Db::Postgres { pool, .. } = db.connect().await else {
            unreachable!("a PostgreSQL TestDb connects to PostgreSQL")
        };
        run(
            &pool,
            &format!(
                "SELECT gatehouse_ensure_audit_partitions('2024-01-01', 12);
                 INSERT INTO users (id, email, password_hash, created_at, updated_at)
                 SELECT gen_random_uuid(), 'user' || g || '@example.test', 'x', now(), now()
                 FROM generate_series(1, {USERS}) g;"
            ),
        )
        .await;
        Some(Fixture { _db: db, pool })
    }

    /// Inserts `ROWS` rows with `select` (which reads `g` from 1 to `ROWS`, `u.id` the
    /// account of row `g`, spread evenly, and `at` its time, spread evenly over 2024).
    async fn fill(&self, table_and_columns: &str, select: &str) {
        run(
            &self.pool,
            &format!(
                "INSERT INTO {table_and_columns}
                 SELECT {select}
                 FROM generate_series(1, {ROWS}) g
                 CROSS JOIN LATERAL (SELECT timestamptz '2025-01-01 00:00:00+00'
                     - (g::float8 / {ROWS}) * interval '366 days' AS at) t
                 JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM users) u
                   ON u.n = 1 + (g * 7919) % {USERS}"
            ),
        )
        .await;
    }

    /// The four audit logs, a mix of actions and risk; one device row in a hundred above 75.
    async fn fill_audit_logs(&self) {
        self.fill(
            "session_audit_log (id, user_id, session_id, action, ip_address, risk_level, created_at)",
            "gen_random_uuid(), u.id, gen_random_uuid(),
             (ARRAY['token_refreshed', 'token_refreshed', 'token_refreshed', 'login_succeeded',
                    'login_failed', 'logout'])[1 + g % 6],
             '192.0.2.1'::inet, (ARRAY['low', 'low', 'low', 'medium', 'high', 'critical'])[1 + (g / 7) % 6],
             t.at",
        )
        .await;
        self.fill(
            "device_audit_log (id, user_id, device_id, action, risk_score, created_at)",
            "gen_random_uuid(), u.id, gen_random_uuid(), 'registered',
             CASE WHEN g % 100 = 0 THEN 76 + g % 24 ELSE g % 60 END, t.at",
        )
        .await;
        self.fill(
            "mfa_audit_log (id, user_id, action, created_at)",
            "gen_random_uuid(), u.id, 'challenge_created', t.at",
        )
        .await;
        self.fill(
            "session_device_link_audit_log (id, user_id, session_id, device_id, link_action, created_at)",
            "gen_random_uuid(), u.id, gen_random_uuid(), gen_random_uuid(), 'linked', t.at",
        )
        .await;
    }

    /// Planner statistics for everything filled.
    async fn analyze(&self) {
        run(&self.pool, "ANALYZE").await;
    }

    /// Some account that has rows.
    async fn a_user(&self) -> Uuid {
        sqlx::query_scalar("SELECT id FROM users ORDER BY id LIMIT 1")
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

async fn run(pool: &PgPool, sql: &str) {
    sqlx::raw_sql(sql)
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
}

/// `EXPLAIN (FORMAT JSON)` of `$sql` with the values bound as gatehouse binds them (so
/// the plan is the one for these values, as PostgreSQL plans a statement's first runs).
macro_rules! explain {
    ($pool:expr, $sql:expr $(, $arg:expr)* $(,)?) => {{
        let text = format!("EXPLAIN (FORMAT JSON) {}", $sql);
        let Json(plan): Json<Value> = sqlx::query_scalar(&text)
            $(.bind($arg))*
            .fetch_one($pool)
            .await
            .unwrap();
        plan
    }};
}

/// Every node of a plan, depth first.
fn nodes(plan: &Value) -> Vec<&Value> {
    fn walk<'a>(node: &'a Value, out: &mut Vec<&'a Value>) {
        out.push(node);
        for child in node["Plans"].as_array().into_iter().flatten() {
            walk(child, out);
        }
    }
    let mut out = Vec::new();
    walk(&plan[0]["Plan"], &mut out);
    out
}

/// The indexes a scan node reads: its own (index scans), or its bitmap children's.
fn indexes_read(node: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut pending = vec![node];
    while let Some(n) = pending.pop() {
        if let Some(name) = n["Index Name"].as_str() {
            names.insert(name.to_owned());
        }
        pending.extend(n["Plans"].as_array().into_iter().flatten());
    }
    names
}

/// The leaves of `relation`'s partition tree (the relation itself when not partitioned),
/// only those with rows when `populated`. For an index on a partitioned table, its leaves
/// are the partitions' own indexes.
async fn leaves(pool: &PgPool, relation: &str, populated: bool) -> BTreeSet<String> {
    let names: Vec<String> = sqlx::query_scalar(
        "WITH leaf AS (
             SELECT relid FROM pg_partition_tree(to_regclass($1)) WHERE isleaf
             UNION
             SELECT oid FROM pg_class WHERE oid = to_regclass($1) AND relkind IN ('r', 'i'))
         SELECT c.relname::text FROM leaf JOIN pg_class c ON c.oid = leaf.relid
         WHERE NOT $2 OR c.reltuples > 0",
    )
    .bind(relation)
    .bind(populated)
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(!names.is_empty(), "no relation {relation} (with rows)");
    names.into_iter().collect()
}

/// Every read of `table` (any partition that holds rows) in `plan` goes through `index`
/// and none is a sequential scan; and the plan does read the table.
async fn assert_served(pool: &PgPool, plan: &Value, table: &str, index: &str) {
    let populated = leaves(pool, table, true).await;
    let intended = leaves(pool, index, false).await;
    let mut reads = 0;
    for node in nodes(plan) {
        let Some(relation) = node["Relation Name"].as_str() else {
            continue;
        };
        if !populated.contains(relation) {
            continue;
        }
        let kind = node["Node Type"].as_str().unwrap_or_default();
        let via = indexes_read(node);
        assert!(
            kind != "Seq Scan" && via.iter().any(|i| intended.contains(i)),
            "{relation} is read by a {kind} through {via:?}, not {index}:\n{plan:#}"
        );
        reads += 1;
    }
    assert!(reads > 0, "the plan never reads {table}:\n{plan:#}");
}

/// `sql` (fragments of it, for a statement the store assembles with `concat!`) is in the
/// store source `source`, whitespace aside.
fn assert_in_source(source: &str, fragments: &[&str]) {
    let squash = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let source = squash(source);
    for fragment in fragments {
        assert!(
            source.contains(&squash(fragment)),
            "the store no longer sends this SQL; update the test and look at its plan again:\n{fragment}"
        );
    }
}

const AUDIT_REVIEW_RS: &str = include_str!("../../src/audit_review.rs");
const PREFERENCES_RS: &str = include_str!("../../src/notify/preferences.rs");

/// `GET /v1/me/security-events`: `audit_review::security_events` on PostgreSQL.
const SECURITY_EVENTS: &str = "SELECT * FROM (
                SELECT * FROM (
                    SELECT 'sessions' AS kind, id, action, session_id, device_id, ip_address,
                        risk_level, is_anomalous, created_at
                    FROM session_audit_log
                    WHERE user_id = $1
                      AND ($2::timestamptz IS NULL OR created_at < $2 OR (created_at = $2 AND id < $3))
                    ORDER BY created_at DESC, id DESC LIMIT $4) s
                UNION ALL
                SELECT * FROM (
                    SELECT 'devices' AS kind, id, action, session_id, device_id, ip_address,
                        NULL::varchar AS risk_level, is_anomalous, created_at
                    FROM device_audit_log
                    WHERE user_id = $1
                      AND ($2::timestamptz IS NULL OR created_at < $2 OR (created_at = $2 AND id < $3))
                    ORDER BY created_at DESC, id DESC LIMIT $4) d
                UNION ALL
                SELECT * FROM (
                    SELECT 'mfa' AS kind, id, action, NULL::uuid AS session_id, device_id,
                        NULL::inet AS ip_address, risk_level, is_anomalous, created_at
                    FROM mfa_audit_log
                    WHERE user_id = $1
                      AND ($2::timestamptz IS NULL OR created_at < $2 OR (created_at = $2 AND id < $3))
                    ORDER BY created_at DESC, id DESC LIMIT $4) m
                UNION ALL
                SELECT * FROM (
                    SELECT 'links' AS kind, id, link_action AS action, session_id, device_id,
                        NULL::inet AS ip_address, NULL::varchar AS risk_level,
                        NULL::boolean AS is_anomalous, created_at
                    FROM session_device_link_audit_log
                    WHERE user_id = $1
                      AND ($2::timestamptz IS NULL OR created_at < $2 OR (created_at = $2 AND id < $3))
                    ORDER BY created_at DESC, id DESC LIMIT $4) l
            ) events ORDER BY created_at DESC, id DESC LIMIT $4";

/// "A user's recent events": a person's own history, the first page and a later one, reads
/// each of the four logs through its (user_id, created_at DESC) index.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recent_events_of_a_user_use_the_user_time_indexes() {
    let Some(f) = Fixture::new().await else {
        return;
    };
    assert_in_source(AUDIT_REVIEW_RS, &[SECURITY_EVENTS]);
    f.fill_audit_logs().await;
    f.analyze().await;
    let user = f.a_user().await;
    let later_page = Some(chrono::DateTime::parse_from_rfc3339("2024-07-01T00:00:00Z").unwrap());
    for before in [None, later_page] {
        let plan = explain!(
            &f.pool,
            SECURITY_EVENTS,
            user,
            before,
            before.map(|_| Uuid::max()),
            50_i64
        );
        for log in [
            "session_audit_log",
            "device_audit_log",
            "mfa_audit_log",
            "session_device_link_audit_log",
        ] {
            let index = format!("idx_{log}_user_id_created_at");
            assert_served(&f.pool, &plan, log, &index).await;
        }
    }
}

/// "Pending emails for a user": gatehouse's outbox is claimed by status and due time, not
/// per person, so this is the seed's example.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_emails_of_a_user_use_the_user_status_index() {
    let Some(f) = Fixture::new().await else {
        return;
    };
    f.fill(
        "email_notifications (id, user_id, to_email, status, next_attempt_at, created_at)",
        "gen_random_uuid(), u.id, 'user@example.test',
         CASE WHEN g % 20 = 0 THEN 'pending' ELSE 'sent' END, t.at, t.at",
    )
    .await;
    f.analyze().await;
    let plan = explain!(
        &f.pool,
        "SELECT * FROM email_notifications WHERE user_id = $1 AND status = 'pending'",
        f.a_user().await
    );
    let index = "idx_email_notifications_user_id_status_created_at";
    assert_served(&f.pool, &plan, "email_notifications", index).await;
}

/// "High-risk devices": gatehouse lists device audit rows by person, anomaly and review
/// state, not by score, so this is the seed's example.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn high_risk_device_events_use_the_risk_score_index() {
    let Some(f) = Fixture::new().await else {
        return;
    };
    f.fill_audit_logs().await;
    f.analyze().await;
    let plan = explain!(
        &f.pool,
        "SELECT * FROM device_audit_log WHERE risk_score > 75 ORDER BY risk_score DESC"
    );
    let index = "idx_device_audit_log_risk_score_created_at";
    assert_served(&f.pool, &plan, "device_audit_log", index).await;
}

/// `audit_review::list` for session rows, as `GET /v1/admin/audit/sessions?from=` sends it
/// (assembled there from `select_sessions!` and `filtered!`).
const REVIEW_LIST_SELECT: &str =
    "SELECT id, user_id, action, session_id, device_id, ip_address, risk_level,
            NULL AS risk_score, is_anomalous, anomaly_reasons, requires_review, review_status,
            reviewed_by_id, reviewed_at, review_notes, old_value, new_value, metadata,
            NULL AS context, created_at
         FROM session_audit_log";
const REVIEW_LIST_WHERE: &str = " WHERE ($1 IS NULL OR user_id = $1) AND ";
const REVIEW_LIST_RISK: &str = "($2 IS NULL OR risk_level = $2)";
const REVIEW_LIST_ANOMALOUS: &str = "($3 IS NULL OR is_anomalous = $3)";
const REVIEW_LIST_TAIL: &str = " AND ($4 IS NULL OR requires_review = $4)
              AND ($5 IS NULL OR review_status = $5)
              AND ($6 IS NULL OR created_at >= $6)
              AND ($7 IS NULL OR created_at < $7)
              AND ($8 IS NULL OR created_at < $8 OR (created_at = $8 AND id < $9))
              ORDER BY created_at DESC, id DESC LIMIT $10";

/// "Events from the last 30 days": the staff review list from 30 days before "now" (the
/// end of the filled year), newest first, reads only the partitions of those days and
/// those through the created_at index. (Without a LIMIT, a whole month inside the range
/// is rightly read by a sequential scan of its partition: pruning is what serves it.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_of_the_last_30_days_use_the_time_index() {
    let Some(f) = Fixture::new().await else {
        return;
    };
    let sql = [
        REVIEW_LIST_SELECT,
        REVIEW_LIST_WHERE,
        REVIEW_LIST_RISK,
        " AND ",
        REVIEW_LIST_ANOMALOUS,
        REVIEW_LIST_TAIL,
    ]
    .concat();
    assert_in_source(
        AUDIT_REVIEW_RS,
        &[
            REVIEW_LIST_SELECT,
            REVIEW_LIST_WHERE,
            REVIEW_LIST_RISK,
            REVIEW_LIST_ANOMALOUS,
            REVIEW_LIST_TAIL,
        ],
    );
    f.fill_audit_logs().await;
    f.analyze().await;
    let now = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z").unwrap();
    let none_uuid: Option<Uuid> = None;
    let none_text: Option<&str> = None;
    let none_bool: Option<bool> = None;
    let none_time: Option<chrono::DateTime<chrono::FixedOffset>> = None;
    let plan = explain!(
        &f.pool,
        sql,
        none_uuid,
        none_text,
        none_bool,
        none_bool,
        none_text,
        Some(now - chrono::Duration::days(30)),
        none_time,
        none_time,
        none_uuid,
        50_i64
    );
    let index = "idx_session_audit_log_created_at";
    assert_served(&f.pool, &plan, "session_audit_log", index).await;
    // Pruning: of the twelve filled months only December, where the 30 days fall, is read.
    let read: BTreeSet<&str> = nodes(&plan)
        .iter()
        .filter_map(|n| n["Relation Name"].as_str())
        .filter(|r| r.starts_with("session_audit_log_p2024"))
        .collect();
    assert_eq!(
        read,
        BTreeSet::from(["session_audit_log_p202412"]),
        "{plan:#}"
    );
}

/// `notify::preferences::type_preference` (the settings page).
const TYPE_PREFERENCE: &str =
    "SELECT notification_type, email_enabled, sms_enabled, in_app_enabled, push_enabled,
                priority, respect_quiet_hours, delay_minutes, max_per_day
         FROM notification_type_preferences WHERE user_id = $1 AND notification_type = $2";

/// `notify::preferences::choices` (every notification gatehouse queues).
const CHOICES: &str =
    "SELECT u.email, u.username, p.first_name, p.phone_number, p.language, p.timezone,
                u.is_active,
                g.user_id IS NOT NULL AS has_global,
                g.email_otp AS g_email_otp, g.email_alerts AS g_email_alerts,
                g.email_marketing AS g_email_marketing, g.sms_otp AS g_sms_otp,
                g.sms_alerts AS g_sms_alerts, g.push_enabled AS g_push_enabled,
                g.quiet_hours_enabled AS g_quiet_hours_enabled,
                g.quiet_start AS g_quiet_start, g.quiet_end AS g_quiet_end,
                g.digest_frequency AS g_digest_frequency,
                t.user_id IS NOT NULL AS has_type,
                t.email_enabled AS t_email_enabled, t.sms_enabled AS t_sms_enabled,
                t.in_app_enabled AS t_in_app_enabled, t.push_enabled AS t_push_enabled,
                t.priority AS t_priority, t.respect_quiet_hours AS t_respect_quiet_hours,
                t.delay_minutes AS t_delay_minutes, t.max_per_day AS t_max_per_day,
                EXISTS (SELECT 1 FROM quiet_hours q WHERE q.user_id = u.id) AS has_quiet_hours,
                EXISTS (SELECT 1 FROM notification_blocklist b
                        WHERE b.user_id = u.id AND b.is_active) AS has_blocklist
         FROM users u
         LEFT JOIN profiles p ON p.user_id = u.id
         LEFT JOIN notification_preferences g ON g.user_id = u.id
         LEFT JOIN notification_type_preferences t
                ON t.user_id = u.id AND t.notification_type = $2
         WHERE u.id = $1";

/// "A user's preference for a notification type": both of gatehouse's reads use the
/// UNIQUE (user_id, notification_type) index.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preference_by_type_uses_the_user_type_unique_index() {
    let Some(f) = Fixture::new().await else {
        return;
    };
    assert_in_source(PREFERENCES_RS, &[TYPE_PREFERENCE, CHOICES]);
    // Twenty types for each of the 2,000 accounts: 40,000 rows.
    run(
        &f.pool,
        "INSERT INTO notification_type_preferences (id, user_id, notification_type,
             created_at, updated_at)
         SELECT gen_random_uuid(), u.id, 'type_' || k, now(), now()
         FROM users u CROSS JOIN generate_series(1, 20) k",
    )
    .await;
    f.analyze().await;
    let user = f.a_user().await;
    let index = "notification_type_preferences_user_id_notification_type_key";
    for sql in [TYPE_PREFERENCE, CHOICES] {
        let plan = explain!(&f.pool, sql, user, "type_7");
        assert_served(&f.pool, &plan, "notification_type_preferences", index).await;
    }
}
