//! Lockstep test for `migrations/postgres` and `migrations/sqlite` (DESIGN §2). Both trees
//! carry the same reversible migrations and, once applied, the same tables, columns (with
//! the type mapping of docs/schema.md, nullability and defaults), keys, UNIQUE and CHECK
//! constraints, foreign keys and indexes. Both undo to nothing and re-apply, the PostgreSQL
//! audit partitions work, and the same `$n` SQL behaves the same on both backends.
//! PostgreSQL comes from `GATEHOUSE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); every test gets its own fresh database.
//! `GATEHOUSE_TEST_BACKENDS=sqlite` skips the PostgreSQL halves (see the test kit).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::future::Future;
use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use sqlx::error::ErrorKind;
use sqlx::migrate::{MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{Connection, Row};
use uuid::Uuid;

static PG_MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");
static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");

type Error = Box<dyn std::error::Error + Send + Sync>;
type TestResult = Result<(), Error>;

/// Every table gatehouse owns, parents only (PostgreSQL partitions are not listed). A new
/// migration that adds a table adds it here and to docs/schema.md.
const EXPECTED_TABLES: &[&str] = &[
    // 0001_accounts
    "users",
    "profiles",
    "mfa_settings",
    "mfa_method_preferences",
    "mfa_change_log",
    "password_history",
    "devices",
    "trusted_devices",
    "sessions",
    "refresh_tokens",
    "account_audit_log",
    // 0002_mfa
    "otp_codes",
    "totp_devices",
    "backup_codes",
    "mfa_challenges",
    "email_mfa_methods",
    "sms_mfa_methods",
    "mfa_recoveries",
    // 0003_notify
    "email_notifications",
    "sms_notifications",
    "notification_preferences",
    "notification_type_preferences",
    "quiet_hours",
    "notification_blocklist",
    "notification_consents",
    "mfa_notifications",
    "notification_log",
    // 0004_audit
    "session_audit_log",
    "device_audit_log",
    "session_device_link_audit_log",
    "mfa_audit_log",
    "audit_daily_summaries",
    // 0005_runtime
    "auth_throttle",
    // 0011_notification_outbox
    "in_app_notifications",
    "notification_digest_items",
    "security_action_tokens",
    "notification_consent_events",
    // 0018_audit_seals
    "audit_seals",
];

/// Tables that are monthly-partitioned on PostgreSQL (primary key (id, created_at) there,
/// (id) on SQLite).
const PARTITIONED: &[&str] = &[
    "session_audit_log",
    "device_audit_log",
    "session_device_link_audit_log",
    "mfa_audit_log",
];

// ---------------------------------------------------------------------------------------
// Fresh databases
// ---------------------------------------------------------------------------------------

fn pg_admin_options() -> Result<PgConnectOptions, Error> {
    Ok(PgConnectOptions::from_str(
        &gatehouse_testkit::postgres_admin_url(),
    )?)
}

/// Runs `body` against a pool on a brand-new PostgreSQL database `gh_test_<uuid>`, then
/// drops the database (best effort) whether the body passed, failed or panicked. Skipped
/// (with a line on stderr) when `GATEHOUSE_TEST_BACKENDS` leaves PostgreSQL out; fails at
/// once, with one line naming `GATEHOUSE_TEST_POSTGRES_URL`, when it is unreachable.
async fn with_pg<F, Fut>(body: F) -> TestResult
where
    F: FnOnce(PgPool) -> Fut,
    Fut: Future<Output = TestResult> + Send + 'static,
{
    if gatehouse_testkit::skipped(gatehouse_testkit::Backend::Postgres) {
        return Ok(());
    }
    gatehouse_testkit::require_postgres().await;
    let admin = pg_admin_options()?;
    let name = format!("gh_test_{}", Uuid::now_v7().simple());
    let mut conn = PgConnection::connect_with(&admin).await?;
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(admin.clone().database(&name))
        .await?;

    let outcome = tokio::spawn(body(pool.clone())).await;

    pool.close().await;
    let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await;
    let _ = conn.close().await;

    match outcome {
        Ok(result) => result,
        Err(join_error) => match join_error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(join_error) => Err(join_error.into()),
        },
    }
}

/// A private in-memory SQLite database (sqlx gives every `sqlite::memory:` its own name);
/// one connection that never idles out, so the database lives as long as the pool.
async fn sqlite_fresh() -> Result<SqlitePool, Error> {
    let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
    Ok(SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options)
        .await?)
}

// ---------------------------------------------------------------------------------------
// Schema introspection into one backend-neutral shape
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    /// The SQLite declared type; for PostgreSQL, the SQLite type its type maps to.
    sqlite_type: String,
    not_null: bool,
    /// Normalised default: `'UTC'`, `0`, `1` (booleans as 0/1), or None.
    default: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ForeignKey {
    table: String,
    column: String,
    references: String,
    on_delete: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Index {
    name: String,
    table: String,
    unique: bool,
    partial: bool,
    /// Key columns in order, `"col DESC"` for descending ones.
    columns: Vec<String>,
}

#[derive(Debug, Default)]
struct Schema {
    /// table -> column -> column facts
    tables: BTreeMap<String, BTreeMap<String, Column>>,
    primary_keys: BTreeMap<String, Vec<String>>,
    /// (table, columns) of every UNIQUE constraint
    uniques: BTreeSet<(String, Vec<String>)>,
    /// (table, sorted columns it mentions) of every CHECK constraint
    checks: BTreeSet<(String, Vec<String>)>,
    foreign_keys: BTreeSet<ForeignKey>,
    /// indexes created with CREATE INDEX (not those backing PRIMARY KEY / UNIQUE)
    indexes: BTreeSet<Index>,
}

/// The type contract of docs/schema.md: the SQLite type each PostgreSQL type maps to. A
/// PostgreSQL type outside the contract maps to a marker that no SQLite column carries.
fn sqlite_type_for(pg_data_type: &str, pg_udt: &str) -> String {
    match pg_data_type {
        "uuid" | "bytea" => "BLOB",
        // SQLite tables are STRICT (0007), which has no BOOLEAN: booleans are INTEGER 0/1.
        "boolean" | "integer" | "bigint" => "INTEGER",
        "double precision" => "REAL",
        "timestamp with time zone"
        | "date"
        | "time without time zone"
        | "character varying"
        | "text"
        | "inet"
        | "jsonb" => "TEXT",
        "ARRAY" if pg_udt == "_text" => "TEXT",
        other => return format!("unmapped PostgreSQL type {other} ({pg_udt})"),
    }
    .to_owned()
}

/// `'UTC'::character varying` -> `'UTC'`, `true` -> `1`, `false` -> `0`.
fn normalise_pg_default(default: &str) -> String {
    let bare = default.split("::").next().unwrap_or(default).trim();
    match bare {
        "true" => "1".to_owned(),
        "false" => "0".to_owned(),
        other => other.to_owned(),
    }
}

const PG_PARENT_TABLES: &str = "
    SELECT c.relname::text
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND c.relname <> '_sqlx_migrations'";

async fn pg_tables(pool: &PgPool) -> Result<BTreeSet<String>, Error> {
    Ok(sqlx::query_scalar::<_, String>(PG_PARENT_TABLES)
        .fetch_all(pool)
        .await?
        .into_iter()
        .collect())
}

async fn pg_schema(pool: &PgPool) -> Result<Schema, Error> {
    let mut schema = Schema::default();
    for table in pg_tables(pool).await? {
        schema.tables.insert(table, BTreeMap::new());
    }

    let rows = sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text, udt_name::text,
                is_nullable::text, column_default::text
         FROM information_schema.columns
         WHERE table_schema = current_schema()",
    )
    .fetch_all(pool)
    .await?;
    for row in rows {
        let table: String = row.try_get(0)?;
        let Some(columns) = schema.tables.get_mut(&table) else {
            continue; // partitions and _sqlx_migrations
        };
        let data_type: String = row.try_get(2)?;
        let udt: String = row.try_get(3)?;
        let is_nullable: String = row.try_get(4)?;
        let default: Option<String> = row.try_get(5)?;
        columns.insert(
            row.try_get(1)?,
            Column {
                sqlite_type: sqlite_type_for(&data_type, &udt),
                not_null: is_nullable == "NO",
                default: default.as_deref().map(normalise_pg_default),
            },
        );
    }

    let rows = sqlx::query(
        "SELECT cl.relname::text, con.contype::text,
                (SELECT array_agg(a.attname::text ORDER BY k.i)
                 FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, i)
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum)
         FROM pg_constraint con
         JOIN pg_class cl ON cl.oid = con.conrelid
         JOIN pg_namespace n ON n.oid = cl.relnamespace
         WHERE n.nspname = current_schema() AND con.contype IN ('p', 'u', 'c')
           AND NOT cl.relispartition AND cl.relname <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await?;
    for row in rows {
        let table: String = row.try_get(0)?;
        let kind: String = row.try_get(1)?;
        let mut columns: Vec<String> = row.try_get(2)?;
        match kind.as_str() {
            "p" => {
                schema.primary_keys.insert(table, columns);
            }
            "u" => {
                schema.uniques.insert((table, columns));
            }
            _ => {
                columns.sort();
                columns.dedup();
                schema.checks.insert((table, columns));
            }
        }
    }

    let rows = sqlx::query(
        "SELECT cl.relname::text, a.attname::text, rcl.relname::text, con.confdeltype::text,
                cardinality(con.conkey)
         FROM pg_constraint con
         JOIN pg_class cl ON cl.oid = con.conrelid
         JOIN pg_namespace n ON n.oid = cl.relnamespace
         JOIN pg_class rcl ON rcl.oid = con.confrelid
         JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
         WHERE n.nspname = current_schema() AND con.contype = 'f'
           AND NOT cl.relispartition AND con.conparentid = 0",
    )
    .fetch_all(pool)
    .await?;
    for row in rows {
        let arity: i32 = row.try_get(4)?;
        let table: String = row.try_get(0)?;
        assert_eq!(
            arity, 1,
            "{table}: only single-column foreign keys are expected"
        );
        let on_delete: String = row.try_get(3)?;
        schema.foreign_keys.insert(ForeignKey {
            table,
            column: row.try_get(1)?,
            references: row.try_get(2)?,
            on_delete: match on_delete.as_str() {
                "a" => "NO ACTION",
                "r" => "RESTRICT",
                "c" => "CASCADE",
                "n" => "SET NULL",
                "d" => "SET DEFAULT",
                other => return Err(format!("unknown confdeltype {other}").into()),
            }
            .to_owned(),
        });
    }

    let rows = sqlx::query(
        "SELECT ic.relname::text, t.relname::text, ix.indisunique, ix.indpred IS NOT NULL,
                (SELECT array_agg(a.attname::text
                                  || CASE WHEN (k.opt::int & 1) = 1 THEN ' DESC' ELSE '' END
                                  ORDER BY k.i)
                 FROM unnest(ix.indkey::int2[], ix.indoption::int2[])
                      WITH ORDINALITY AS k(attnum, opt, i)
                 JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum)
         FROM pg_index ix
         JOIN pg_class ic ON ic.oid = ix.indexrelid
         JOIN pg_class t ON t.oid = ix.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE n.nspname = current_schema() AND NOT t.relispartition
           AND t.relname <> '_sqlx_migrations'
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                           WHERE c.conindid = ix.indexrelid AND c.contype IN ('p', 'u', 'x'))",
    )
    .fetch_all(pool)
    .await?;
    for row in rows {
        schema.indexes.insert(Index {
            name: row.try_get(0)?,
            table: row.try_get(1)?,
            unique: row.try_get(2)?,
            partial: row.try_get(3)?,
            columns: row.try_get(4)?,
        });
    }
    Ok(schema)
}

async fn sqlite_tables(pool: &SqlitePool) -> Result<BTreeSet<String>, Error> {
    Ok(sqlx::query_scalar::<_, String>(
        "SELECT name FROM sqlite_master
         WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
           AND name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect())
}

async fn sqlite_schema(pool: &SqlitePool) -> Result<Schema, Error> {
    let mut schema = Schema::default();
    for table in sqlite_tables(pool).await? {
        let mut columns = BTreeMap::new();
        let mut primary_key: Vec<(i64, String)> = Vec::new();
        let rows = sqlx::query(
            "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info($1)",
        )
        .bind(&table)
        .fetch_all(pool)
        .await?;
        for row in rows {
            let name: String = row.try_get(0)?;
            let declared: String = row.try_get(1)?;
            let not_null: i64 = row.try_get(2)?;
            let pk: i64 = row.try_get(4)?;
            if pk > 0 {
                primary_key.push((pk, name.clone()));
            }
            columns.insert(
                name,
                Column {
                    sqlite_type: declared.to_uppercase(),
                    not_null: not_null != 0,
                    default: row.try_get(3)?,
                },
            );
        }
        primary_key.sort();
        schema.primary_keys.insert(
            table.clone(),
            primary_key.into_iter().map(|(_, c)| c).collect(),
        );

        let rows = sqlx::query(
            "SELECT \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list($1)",
        )
        .bind(&table)
        .fetch_all(pool)
        .await?;
        for row in rows {
            let to: Option<String> = row.try_get(2)?;
            let column: String = row.try_get(1)?;
            assert_eq!(
                to.as_deref(),
                Some("id"),
                "{table}.{column}: foreign keys must name the referenced column (id)"
            );
            schema.foreign_keys.insert(ForeignKey {
                table: table.clone(),
                column,
                references: row.try_get(0)?,
                on_delete: row.try_get(3)?,
            });
        }

        let rows =
            sqlx::query("SELECT name, \"unique\", origin, partial FROM pragma_index_list($1)")
                .bind(&table)
                .fetch_all(pool)
                .await?;
        for row in rows {
            let index: String = row.try_get(0)?;
            let unique: i64 = row.try_get(1)?;
            let origin: String = row.try_get(2)?;
            let partial: i64 = row.try_get(3)?;
            let key_columns = sqlx::query(
                "SELECT name, \"desc\" FROM pragma_index_xinfo($1) WHERE key = 1 ORDER BY seqno",
            )
            .bind(&index)
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|r| -> Result<String, Error> {
                let name: String = r.try_get(0)?;
                let desc: i64 = r.try_get(1)?;
                Ok(if desc != 0 {
                    format!("{name} DESC")
                } else {
                    name
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
            match origin.as_str() {
                "u" => {
                    schema.uniques.insert((table.clone(), key_columns));
                }
                "c" => {
                    schema.indexes.insert(Index {
                        name: index,
                        table: table.clone(),
                        unique: unique != 0,
                        partial: partial != 0,
                        columns: key_columns,
                    });
                }
                _ => {} // "pk": covered by pragma_table_info
            }
        }
        let create_sql: String =
            sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $1")
                .bind(&table)
                .fetch_one(pool)
                .await?;
        for expression in check_expressions(&create_sql) {
            let mentioned: BTreeSet<String> = identifiers(&expression)
                .into_iter()
                .filter(|word| columns.contains_key(word))
                .collect();
            schema
                .checks
                .insert((table.clone(), mentioned.into_iter().collect()));
        }
        schema.tables.insert(table, columns);
    }
    Ok(schema)
}

/// The bodies of the `CHECK (...)` clauses of a CREATE TABLE statement.
fn check_expressions(create_sql: &str) -> Vec<String> {
    let mut found = Vec::new();
    let upper = create_sql.to_uppercase();
    let mut from = 0;
    while let Some(at) = upper[from..].find("CHECK") {
        let start = from + at + "CHECK".len();
        let rest = &create_sql[start..];
        let Some(open) = rest.find('(') else { break };
        let mut depth = 0usize;
        let mut in_string = false;
        let mut end = None;
        for (i, ch) in rest[open..].char_indices() {
            match ch {
                '\'' => in_string = !in_string,
                '(' if !in_string => depth += 1,
                ')' if !in_string => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(open + i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else { break };
        found.push(rest[open + 1..end].to_owned());
        from = start + end;
    }
    found
}

/// Lower-cased identifiers of an SQL expression, string literals skipped.
fn identifiers(expression: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_string = false;
    for ch in expression.chars() {
        if ch == '\'' {
            in_string = !in_string;
            current.clear();
        } else if !in_string && (ch.is_ascii_alphanumeric() || ch == '_') {
            current.push(ch.to_ascii_lowercase());
        } else if !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Records a difference between two sets (only the differing elements) in `problems`.
fn diff_sets<T: Ord + Debug>(
    problems: &mut Vec<String>,
    what: &str,
    (left_name, left): (&str, &BTreeSet<T>),
    (right_name, right): (&str, &BTreeSet<T>),
) {
    let only_left: Vec<_> = left.difference(right).collect();
    let only_right: Vec<_> = right.difference(left).collect();
    if !only_left.is_empty() || !only_right.is_empty() {
        problems.push(format!(
            "{what}\n    only in {left_name}: {only_left:?}\n    only in {right_name}: {only_right:?}"
        ));
    }
}

/// Records a difference between the PostgreSQL and the SQLite view of something.
fn diff_backends<T: Ord + Debug>(
    problems: &mut Vec<String>,
    what: &str,
    pg: &BTreeSet<T>,
    sqlite: &BTreeSet<T>,
) {
    diff_sets(problems, what, ("PostgreSQL", pg), ("SQLite", sqlite));
}

/// Asserts that `actual` equals `expected`, printing only the differences.
fn assert_set_eq<T: Ord + Debug>(what: &str, actual: &BTreeSet<T>, expected: &BTreeSet<T>) {
    let mut problems = Vec::new();
    diff_sets(
        &mut problems,
        what,
        ("actual", actual),
        ("expected", expected),
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn expected_tables() -> BTreeSet<String> {
    EXPECTED_TABLES.iter().map(|t| (*t).to_owned()).collect()
}

// ---------------------------------------------------------------------------------------
// 1. Same migrations in both trees
// ---------------------------------------------------------------------------------------

#[test]
fn both_trees_have_the_same_reversible_migrations() {
    let listing = |m: &Migrator| -> BTreeSet<(i64, String, String)> {
        m.iter()
            .map(|mig| {
                (
                    mig.version,
                    mig.description.to_string(),
                    format!("{:?}", mig.migration_type),
                )
            })
            .collect()
    };
    let mut problems = Vec::new();
    let (pg, sqlite) = (listing(&PG_MIGRATOR), listing(&SQLITE_MIGRATOR));
    diff_backends(
        &mut problems,
        "migrations (version, description, kind)",
        &pg,
        &sqlite,
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // Versions run 1, 2, 3, ... without gaps; the first five are the foundation's.
    let versions: BTreeSet<i64> = PG_MIGRATOR.iter().map(|m| m.version).collect();
    let expected_versions: BTreeSet<i64> = (1..=versions.len() as i64).collect();
    assert_eq!(
        versions, expected_versions,
        "migration versions must be 1..=N"
    );
    let foundation: Vec<(i64, String)> = PG_MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration() && m.version <= 5)
        .map(|m| (m.version, m.description.to_string()))
        .collect();
    assert_eq!(
        foundation,
        ["accounts", "mfa", "notify", "audit", "runtime"]
            .iter()
            .zip(1..)
            .map(|(d, v)| (v, (*d).to_owned()))
            .collect::<Vec<_>>()
    );
    for migrator in [&PG_MIGRATOR, &SQLITE_MIGRATOR] {
        for &version in &versions {
            let kinds: Vec<MigrationType> = migrator
                .iter()
                .filter(|m| m.version == version)
                .map(|m| m.migration_type)
                .collect();
            assert_eq!(
                kinds.len(),
                2,
                "version {version}: expected an up and a down file"
            );
            assert!(
                kinds.contains(&MigrationType::ReversibleUp),
                "version {version}: no .up.sql"
            );
            assert!(
                kinds.contains(&MigrationType::ReversibleDown),
                "version {version}: no .down.sql"
            );
        }
        for migration in migrator.iter() {
            assert!(
                !migration.sql.trim().is_empty(),
                "{} {:?} is empty",
                migration.version,
                migration.migration_type
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// 2. Same tables, columns, keys and indexes after `up`
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn both_backends_have_the_same_tables_and_columns() -> TestResult {
    let sqlite_pool = sqlite_fresh().await?;
    SQLITE_MIGRATOR.run(&sqlite_pool).await?;
    let sqlite = sqlite_schema(&sqlite_pool).await?;

    with_pg(move |pool| async move {
        PG_MIGRATOR.run(&pool).await?;
        let pg = pg_schema(&pool).await?;

        // Every difference is collected first, so one run shows them all.
        let mut problems = Vec::new();

        // Tables: exactly the documented set, on both.
        let pg_tables: BTreeSet<String> = pg.tables.keys().cloned().collect();
        let sqlite_tables: BTreeSet<String> = sqlite.tables.keys().cloned().collect();
        diff_backends(&mut problems, "tables", &pg_tables, &sqlite_tables);
        diff_sets(
            &mut problems,
            "tables",
            ("PostgreSQL", &pg_tables),
            ("EXPECTED_TABLES", &expected_tables()),
        );

        // Columns: names, mapped types, nullability, defaults.
        for (table, pg_columns) in &pg.tables {
            let Some(sqlite_columns) = sqlite.tables.get(table) else {
                continue;
            };
            let pg_names: BTreeSet<&String> = pg_columns.keys().collect();
            let sqlite_names: BTreeSet<&String> = sqlite_columns.keys().collect();
            diff_backends(&mut problems, &format!("{table}: column names"), &pg_names, &sqlite_names);
            for (column, pg_column) in pg_columns {
                if let Some(sqlite_column) = sqlite_columns.get(column) {
                    if pg_column != sqlite_column {
                        problems.push(format!(
                            "{table}.{column}\n    PostgreSQL (mapped): {pg_column:?}\n    SQLite:              {sqlite_column:?}"
                        ));
                    }
                }
            }
        }

        // No database-side defaults for ids and timestamps: the app supplies them.
        for (table, columns) in &pg.tables {
            for (column, facts) in columns {
                if (column == "id" || column.ends_with("_at")) && facts.default.is_some() {
                    problems.push(format!("{table}.{column} must have no default"));
                }
                if (column == "id" || column == "created_at") && !facts.not_null {
                    problems.push(format!("{table}.{column} must be NOT NULL"));
                }
            }
        }

        // Keys and indexes. The partitioned audit logs are keyed (id, created_at) on
        // PostgreSQL (the partition key must be in the key) and (id) on SQLite.
        let mut sqlite_pks = sqlite.primary_keys.clone();
        for table in PARTITIONED {
            assert_eq!(
                pg.primary_keys.get(*table),
                Some(&vec!["id".to_owned(), "created_at".to_owned()]),
                "{table}: partitioned PK on PostgreSQL"
            );
            assert_eq!(sqlite_pks.get(*table), Some(&vec!["id".to_owned()]), "{table}: SQLite PK");
            sqlite_pks.insert((*table).to_owned(), vec!["id".to_owned(), "created_at".to_owned()]);
        }
        let pks = |m: &BTreeMap<String, Vec<String>>| -> BTreeSet<(String, Vec<String>)> {
            m.iter().map(|(t, c)| (t.clone(), c.clone())).collect()
        };
        diff_backends(&mut problems, "primary keys", &pks(&pg.primary_keys), &pks(&sqlite_pks));
        diff_backends(&mut problems, "UNIQUE constraints", &pg.uniques, &sqlite.uniques);
        diff_backends(&mut problems, "CHECK constraints", &pg.checks, &sqlite.checks);
        diff_backends(&mut problems, "foreign keys", &pg.foreign_keys, &sqlite.foreign_keys);
        diff_backends(&mut problems, "indexes", &pg.indexes, &sqlite.indexes);
        assert!(problems.is_empty(), "backends differ:\n  {}", problems.join("\n  "));

        // The introspection really found things (guards against a query matching nothing).
        assert_eq!(pg.primary_keys.len(), EXPECTED_TABLES.len(), "every table has a primary key");
        assert!(pg.foreign_keys.len() >= 30, "found only {} foreign keys", pg.foreign_keys.len());
        assert!(pg.indexes.len() >= 60, "found only {} indexes", pg.indexes.len());
        assert!(pg.uniques.len() >= 15, "found only {} UNIQUE constraints", pg.uniques.len());
        assert!(pg.checks.len() >= 10, "found only {} CHECK constraints", pg.checks.len());

        // A few decisions the Rust code relies on.
        assert!(pg.uniques.contains(&("users".to_owned(), vec!["email".to_owned()])));
        assert!(pg.uniques.contains(&(
            "devices".to_owned(),
            vec!["user_id".to_owned(), "fingerprint_hash".to_owned()]
        )));
        assert!(!pg.uniques.contains(&("devices".to_owned(), vec!["fingerprint_hash".to_owned()])));
        assert!(!pg.tables["users"]["username"].not_null, "username is optional");
        assert!(pg.foreign_keys.contains(&ForeignKey {
            table: "refresh_tokens".into(),
            column: "session_id".into(),
            references: "sessions".into(),
            on_delete: "CASCADE".into(),
        }));
        Ok(())
    })
    .await?;

    // SQLite: no dangling references after the migrations.
    let violations = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&sqlite_pool)
        .await?;
    assert!(violations.is_empty(), "foreign_key_check found problems");
    Ok(())
}

// ---------------------------------------------------------------------------------------
// 3. down to 0 leaves nothing, up again works
// ---------------------------------------------------------------------------------------

/// The versions of every up migration in a tree, in order.
fn all_versions(migrator: &Migrator) -> Vec<i64> {
    migrator
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| m.version)
        .collect()
}

async fn applied_versions_pg(pool: &PgPool) -> Result<Vec<i64>, Error> {
    Ok(
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(pool)
            .await?,
    )
}

/// Migration 0007 rebuilds every SQLite table as STRICT: rows (and their references) survive
/// it in both directions, and afterwards a value of the wrong type is refused as PostgreSQL
/// would refuse it.
#[tokio::test]
async fn sqlite_strict_rebuild_keeps_rows_and_refuses_wrong_types() -> TestResult {
    let pool = sqlite_fresh().await?;
    SQLITE_MIGRATOR.run(&pool).await?;
    SQLITE_MIGRATOR.undo(&pool, 6).await?;
    let (user, session) = (Uuid::now_v7(), Uuid::now_v7());
    sqlx::query(
        "INSERT INTO users (id, email, password_hash, created_at, updated_at)
         VALUES ($1, 'strict@example.com', 'h', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
    )
    .bind(user)
    .execute(&pool)
    .await?;
    sqlx::query(
        "INSERT INTO sessions (id, user_id, access_jti, refresh_jti, status, expires_at, created_at, updated_at)
         VALUES ($1, $2, 'a', 'r', 'active', '2030-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
    )
    .bind(session)
    .bind(user)
    .execute(&pool)
    .await?;

    let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool);
    for round in ["up", "down", "up again"] {
        match round {
            "down" => SQLITE_MIGRATOR.undo(&pool, 6).await?,
            _ => SQLITE_MIGRATOR.run(&pool).await?,
        }
        assert_eq!(count("SELECT count(*) FROM users").await?, 1, "{round}");
        assert_eq!(count("SELECT count(*) FROM sessions").await?, 1, "{round}");
        let violations = sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(&pool)
            .await?;
        assert!(violations.is_empty(), "{round}: foreign keys broken");
    }
    // 0006 gave the existing session the methods and time of a password login.
    let amr: String = sqlx::query_scalar("SELECT amr FROM sessions")
        .fetch_one(&pool)
        .await?;
    assert_eq!(amr, r#"["pwd"]"#);

    let strict_tables =
        count("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND sql LIKE '%) STRICT'")
            .await?;
    assert_eq!(strict_tables as usize, expected_tables().len());
    let text_as_id = sqlx::query(
        "INSERT INTO users (id, email, password_hash, created_at, updated_at)
         VALUES ('not-a-uuid', 'x@example.com', 'h', 'now', 'now')",
    )
    .execute(&pool)
    .await;
    assert!(text_as_id.is_err(), "text accepted in a BLOB id column");
    let text_as_flag = sqlx::query("UPDATE users SET is_active = 'yes' WHERE id = $1")
        .bind(user)
        .execute(&pool)
        .await;
    assert!(
        text_as_flag.is_err(),
        "text accepted in an INTEGER flag column"
    );
    Ok(())
}

#[tokio::test]
async fn sqlite_undo_to_zero_then_up_again() -> TestResult {
    let pool = sqlite_fresh().await?;
    SQLITE_MIGRATOR.run(&pool).await?;
    assert_set_eq(
        "SQLite tables after up",
        &sqlite_tables(&pool).await?,
        &expected_tables(),
    );

    SQLITE_MIGRATOR.undo(&pool, 0).await?;
    assert_set_eq(
        "SQLite tables after undo",
        &sqlite_tables(&pool).await?,
        &BTreeSet::new(),
    );
    let leftovers: Vec<String> = sqlx::query_scalar(
        "SELECT type || ' ' || name FROM sqlite_master
         WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND tbl_name <> '_sqlx_migrations'",
    )
    .fetch_all(&pool)
    .await?;
    assert!(
        leftovers.is_empty(),
        "objects left after undo: {leftovers:?}"
    );
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&pool)
        .await?;
    assert_eq!(applied, 0);

    SQLITE_MIGRATOR.run(&pool).await?;
    assert_set_eq(
        "SQLite tables after re-up",
        &sqlite_tables(&pool).await?,
        &expected_tables(),
    );
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&pool)
            .await?;
    assert_eq!(applied, all_versions(&SQLITE_MIGRATOR));
    // Running again is a no-op.
    SQLITE_MIGRATOR.run(&pool).await?;
    Ok(())
}

#[tokio::test]
async fn postgres_undo_to_zero_then_up_again() -> TestResult {
    with_pg(|pool| async move {
        PG_MIGRATOR.run(&pool).await?;
        assert_set_eq(
            "PostgreSQL tables after up",
            &pg_tables(&pool).await?,
            &expected_tables(),
        );
        assert_eq!(
            applied_versions_pg(&pool).await?,
            all_versions(&PG_MIGRATOR)
        );

        // Stepwise: undo to 3 removes exactly 0004 and 0005.
        PG_MIGRATOR.undo(&pool, 3).await?;
        let tables = pg_tables(&pool).await?;
        assert!(tables.contains("notification_log") && !tables.contains("session_audit_log"));
        assert!(!tables.contains("auth_throttle"));

        PG_MIGRATOR.undo(&pool, 0).await?;
        let leftovers: Vec<String> = sqlx::query_scalar(
            "SELECT c.relkind::text || ' ' || c.relname::text
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema()
               AND c.relname NOT IN ('_sqlx_migrations', '_sqlx_migrations_pkey')",
        )
        .fetch_all(&pool)
        .await?;
        assert!(
            leftovers.is_empty(),
            "relations left after undo: {leftovers:?}"
        );
        let functions: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_proc WHERE proname = 'gatehouse_ensure_audit_partitions'",
        )
        .fetch_one(&pool)
        .await?;
        assert_eq!(functions, 0, "maintenance function left after undo");
        assert!(applied_versions_pg(&pool).await?.is_empty());

        PG_MIGRATOR.run(&pool).await?;
        assert_set_eq(
            "PostgreSQL tables after re-up",
            &pg_tables(&pool).await?,
            &expected_tables(),
        );
        assert_eq!(
            applied_versions_pg(&pool).await?,
            all_versions(&PG_MIGRATOR)
        );
        PG_MIGRATOR.run(&pool).await?;
        Ok(())
    })
    .await
}

// ---------------------------------------------------------------------------------------
// 4. PostgreSQL audit partitions
// ---------------------------------------------------------------------------------------

async fn insert_user_pg(pool: &PgPool, now: DateTime<Utc>) -> Result<Uuid, Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO users (id, email, password_hash, created_at, updated_at)
         VALUES ($1, $2, 'x', $3, $3)",
    )
    .bind(id)
    .bind(format!("{}@example.test", id.simple()))
    .bind(now)
    .execute(pool)
    .await?;
    Ok(id)
}

async fn insert_session_audit_pg(
    pool: &PgPool,
    user_id: Uuid,
    at: DateTime<Utc>,
) -> Result<String, Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO session_audit_log (id, user_id, action, created_at)
         VALUES ($1, $2, 'login_succeeded', $3)",
    )
    .bind(id)
    .bind(user_id)
    .bind(at)
    .execute(pool)
    .await?;
    Ok(
        sqlx::query_scalar("SELECT tableoid::regclass::text FROM session_audit_log WHERE id = $1")
            .bind(id)
            .fetch_one(pool)
            .await?,
    )
}

async fn relation_exists(pool: &PgPool, name: &str) -> Result<bool, Error> {
    Ok(sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(name)
        .fetch_one(pool)
        .await?)
}

fn utc(y: i32, m: u32, d: u32) -> Result<DateTime<Utc>, Error> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
        .single()
        .ok_or_else(|| format!("bad date {y}-{m}-{d}").into())
}

#[tokio::test]
async fn postgres_audit_tables_are_partitioned_by_month() -> TestResult {
    with_pg(|pool| async move {
        PG_MIGRATOR.run(&pool).await?;

        let partitioned: BTreeSet<String> = sqlx::query_scalar(
            "SELECT c.relname::text FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid",
        )
        .fetch_all(&pool)
        .await?
        .into_iter()
        .collect();
        let expected: BTreeSet<String> = PARTITIONED.iter().map(|t| (*t).to_owned()).collect();
        assert_eq!(partitioned, expected);
        for table in PARTITIONED {
            assert!(relation_exists(&pool, &format!("{table}_default")).await?);
        }

        // The migration created this month and the next three.
        let this_month: String =
            sqlx::query_scalar("SELECT to_char(CURRENT_DATE, 'YYYYMM')").fetch_one(&pool).await?;
        let ahead: String = sqlx::query_scalar(
            "SELECT to_char(CURRENT_DATE + interval '3 months', 'YYYYMM')",
        )
        .fetch_one(&pool)
        .await?;
        for table in PARTITIONED {
            assert!(relation_exists(&pool, &format!("{table}_p{this_month}")).await?);
            assert!(relation_exists(&pool, &format!("{table}_p{ahead}")).await?);
        }

        let created: i32 =
            sqlx::query_scalar("SELECT gatehouse_ensure_audit_partitions('2031-01-01', 2)")
                .fetch_one(&pool)
                .await?;
        assert_eq!(created, 8, "two months x four tables");
        assert!(relation_exists(&pool, "session_audit_log_p203101").await?);
        assert!(relation_exists(&pool, "mfa_audit_log_p203102").await?);
        let bounds: String = sqlx::query_scalar(
            "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_class c
             WHERE c.relname = 'session_audit_log_p203101'",
        )
        .fetch_one(&pool)
        .await?;
        assert!(
            bounds.contains("2031-01-01") && bounds.contains("2031-02-01"),
            "unexpected bounds {bounds}"
        );
        let again: i32 =
            sqlx::query_scalar("SELECT gatehouse_ensure_audit_partitions('2031-01-15', 2)")
                .fetch_one(&pool)
                .await?;
        assert_eq!(again, 0, "existing partitions are left alone");

        let user_id = insert_user_pg(&pool, utc(2030, 1, 1)?).await?;
        // Rows route to their month; a month without a partition goes to the default one.
        assert_eq!(
            insert_session_audit_pg(&pool, user_id, utc(2031, 1, 20)?).await?,
            "session_audit_log_p203101"
        );
        assert_eq!(
            insert_session_audit_pg(&pool, user_id, utc(2040, 6, 1)?).await?,
            "session_audit_log_default"
        );

        // A month whose rows already sit in a default partition is skipped, not an error;
        // the other three tables still get theirs.
        let skipped: i32 =
            sqlx::query_scalar("SELECT gatehouse_ensure_audit_partitions('2040-06-01', 1)")
                .fetch_one(&pool)
                .await?;
        assert_eq!(skipped, 3);
        assert!(!relation_exists(&pool, "session_audit_log_p204006").await?);
        assert!(relation_exists(&pool, "device_audit_log_p204006").await?);
        assert_eq!(
            insert_session_audit_pg(&pool, user_id, utc(2040, 6, 2)?).await?,
            "session_audit_log_default"
        );

        // Deleting the user leaves its audit rows in every partition (0009: audit rows
        // outlive their user; only retention removes them).
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(user_id)
            .execute(&pool)
            .await?;
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM session_audit_log WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(&pool)
            .await?;
        assert_eq!(left, 3);
        Ok(())
    })
    .await
}

// ---------------------------------------------------------------------------------------
// 5. The same SQL, written once with $n placeholders, behaves the same on both backends
// ---------------------------------------------------------------------------------------

fn kind_of(result: Result<impl Sized, sqlx::Error>) -> Option<ErrorKind> {
    match result {
        Err(sqlx::Error::Database(e)) => Some(e.kind()),
        _ => None,
    }
}

macro_rules! define_shared_sql_checks {
    ($name:ident, $pool:ty) => {
        async fn $name(pool: &$pool) -> TestResult {
            let now = utc(2030, 5, 17)?;
            let later = utc(2030, 5, 18)?;
            let insert_user = "INSERT INTO users (id, email, username, password_hash, created_at, updated_at)
                               VALUES ($1, $2, $3, $4, $5, $5)";
            let alice = Uuid::now_v7();
            sqlx::query(insert_user)
                .bind(alice)
                .bind("alice@example.test")
                .bind(None::<String>)
                .bind("argon2id$hash")
                .bind(now)
                .execute(pool)
                .await?;

            // Same row decodes into the same Rust types on both; defaults applied.
            let (id, email, username, is_active, is_staff, created_at): (
                Uuid,
                String,
                Option<String>,
                bool,
                bool,
                DateTime<Utc>,
            ) = sqlx::query_as(
                "SELECT id, email, username, is_active, is_staff, created_at FROM users WHERE id = $1",
            )
            .bind(alice)
            .fetch_one(pool)
            .await?;
            assert_eq!((id, email.as_str(), username, is_active, is_staff, created_at),
                       (alice, "alice@example.test", None, true, false, now));

            // Duplicate email -> unique violation; NULL usernames do not collide.
            let dup = sqlx::query(insert_user)
                .bind(Uuid::now_v7())
                .bind("alice@example.test")
                .bind(None::<String>)
                .bind("h")
                .bind(now)
                .execute(pool)
                .await;
            assert_eq!(kind_of(dup), Some(ErrorKind::UniqueViolation), "duplicate email");
            let bob = Uuid::now_v7();
            sqlx::query(insert_user)
                .bind(bob)
                .bind("bob@example.test")
                .bind(None::<String>)
                .bind("h")
                .bind(now)
                .execute(pool)
                .await?;

            // A missing timestamp is refused (no database default).
            let no_ts = sqlx::query("INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'h')")
                .bind(Uuid::now_v7())
                .bind("carol@example.test")
                .execute(pool)
                .await;
            assert_eq!(kind_of(no_ts), Some(ErrorKind::NotNullViolation), "missing created_at");

            // Devices: one fingerprint per account, shared across accounts; risk 0..100.
            let insert_device = "INSERT INTO devices (id, user_id, fingerprint_hash, risk_score, created_at, updated_at)
                                 VALUES ($1, $2, $3, $4, $5, $5)";
            let device = Uuid::now_v7();
            sqlx::query(insert_device)
                .bind(device).bind(alice).bind("fp-1").bind(10_i32).bind(now)
                .execute(pool).await?;
            sqlx::query(insert_device)
                .bind(Uuid::now_v7()).bind(bob).bind("fp-1").bind(0_i32).bind(now)
                .execute(pool).await?;
            let same = sqlx::query(insert_device)
                .bind(Uuid::now_v7()).bind(alice).bind("fp-1").bind(0_i32).bind(now)
                .execute(pool).await;
            assert_eq!(kind_of(same), Some(ErrorKind::UniqueViolation), "same fingerprint twice for one user");
            let risky = sqlx::query(insert_device)
                .bind(Uuid::now_v7()).bind(alice).bind("fp-2").bind(101_i32).bind(now)
                .execute(pool).await;
            assert_eq!(kind_of(risky), Some(ErrorKind::CheckViolation), "risk_score 101");

            // Sessions: status is one of the four lifecycle values.
            // `amr` is only checked for presence here; '{pwd}' is PostgreSQL's array literal and
            // plain text to SQLite (the application writes a JSON array there).
            let insert_session = "INSERT INTO sessions (id, user_id, device_id, access_jti, refresh_jti, status, expires_at, amr, authenticated_at, created_at, updated_at)
                                  VALUES ($1, $2, $3, $4, $5, $6, $7, '{pwd}', $8, $8, $8)";
            let session = Uuid::now_v7();
            sqlx::query(insert_session)
                .bind(session).bind(alice).bind(device).bind("a-1").bind("r-1").bind("active")
                .bind(later).bind(now)
                .execute(pool).await?;
            let bogus = sqlx::query(insert_session)
                .bind(Uuid::now_v7()).bind(alice).bind(device).bind("a-2").bind("r-2").bind("bogus")
                .bind(later).bind(now)
                .execute(pool).await;
            assert_eq!(kind_of(bogus), Some(ErrorKind::CheckViolation), "session status bogus");
            let orphan = sqlx::query(insert_session)
                .bind(Uuid::now_v7()).bind(Uuid::now_v7()).bind(None::<Uuid>).bind("a-3").bind("r-3")
                .bind("active").bind(later).bind(now)
                .execute(pool).await;
            assert_eq!(kind_of(orphan), Some(ErrorKind::ForeignKeyViolation), "session of unknown user");

            sqlx::query(
                "INSERT INTO refresh_tokens (id, user_id, session_id, jti, family_id, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(Uuid::now_v7()).bind(alice).bind(session).bind("0".repeat(64)).bind(Uuid::now_v7())
            .bind(now).bind(later)
            .execute(pool).await?;
            sqlx::query(
                "INSERT INTO account_audit_log (id, user_id, action, details, created_at)
                 VALUES ($1, $2, 'registered', $3, $4)",
            )
            .bind(Uuid::now_v7()).bind(alice)
            .bind(sqlx::types::Json(serde_json::json!({"via": "test"})))
            .bind(now)
            .execute(pool).await?;
            sqlx::query(
                "INSERT INTO auth_throttle (key, failures, window_started_at, updated_at)
                 VALUES ($1, $2, $3, $3)",
            )
            .bind("ip:192.0.2.1").bind(3_i32).bind(now)
            .execute(pool).await?;

            // Deleting the account cascades to its rows; the audit trail stays, still naming
            // the account (0009: audit rows outlive their user).
            sqlx::query("DELETE FROM users WHERE id = $1").bind(alice).execute(pool).await?;
            for table in ["devices", "sessions", "refresh_tokens"] {
                let left: i64 = sqlx::query_scalar(&format!(
                    "SELECT count(*) FROM {table} WHERE user_id = $1"
                ))
                .bind(alice)
                .fetch_one(pool)
                .await?;
                assert_eq!(left, 0, "{table} rows of a deleted user");
            }
            let kept: Option<Uuid> = sqlx::query_scalar(
                "SELECT user_id FROM account_audit_log WHERE action = 'registered'",
            )
            .fetch_one(pool)
            .await?;
            assert_eq!(kept, Some(alice), "account_audit_log keeps the deleted user's id");
            Ok(())
        }
    };
}

define_shared_sql_checks!(shared_sql_checks_pg, PgPool);
define_shared_sql_checks!(shared_sql_checks_sqlite, SqlitePool);

#[tokio::test]
async fn sqlite_constraints_and_types_behave_like_postgres() -> TestResult {
    let pool = sqlite_fresh().await?;
    SQLITE_MIGRATOR.run(&pool).await?;
    shared_sql_checks_sqlite(&pool).await
}

#[tokio::test]
async fn postgres_constraints_and_types_behave_like_sqlite() -> TestResult {
    with_pg(|pool| async move {
        PG_MIGRATOR.run(&pool).await?;
        shared_sql_checks_pg(&pool).await
    })
    .await
}
