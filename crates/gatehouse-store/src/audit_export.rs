//! Reading the audit logs page by page for `gatehouse audit export`: every column of every
//! row created in `[from, to)`, in `(created_at, id)` order, by keyset (never OFFSET), so
//! an export of millions of rows holds one page in memory at a time.
//!
//! A row is decoded column by column into JSON values, the same on both backends:
//! uuids and addresses as text, times as RFC 3339 UTC, `text[]`/`jsonb` (JSON text on
//! SQLite) as JSON, yes/no columns (0/1 on SQLite) as booleans.

use crate::audit_retention::AuditLog;
use crate::db::Exec;
use crate::error::StoreResult;
use crate::types::{Inet, TextList};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Column, Row, TypeInfo};
use uuid::Uuid;

/// One audit row: its columns in table order, with their values.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRow {
    pub columns: Vec<(String, Value)>,
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
}

/// Columns that hold JSON (`jsonb`, and `text[]` kept as a JSON array on SQLite).
const JSON_COLUMNS: [&str; 5] = [
    "anomaly_reasons",
    "old_value",
    "new_value",
    "metadata",
    "context",
];

/// Yes/no columns, stored as INTEGER 0/1 in SQLite's STRICT tables (0007).
const BOOL_COLUMNS: [&str; 4] = [
    "mfa_verified",
    "is_anomalous",
    "requires_review",
    "primary_method",
];

fn time_text(t: DateTime<Utc>) -> Value {
    Value::String(crate::audit_hash::time_text(t))
}

impl ExportRow {
    /// The hash of the row's content as it is stored now (see [`crate::audit_hash`]).
    pub fn content_hash(&self, log: AuditLog) -> [u8; 32] {
        crate::audit_hash::content_hash(log, self.columns.iter().map(|(n, v)| (n.as_str(), v)))
    }

    /// The `row_hash` the row was written with (`None` for rows from before 0018 or
    /// written with row hashes off).
    pub fn stored_hash(&self) -> Option<[u8; 32]> {
        let text = self
            .columns
            .iter()
            .find(|(n, _)| n == "row_hash")
            .and_then(|(_, v)| v.as_str())?;
        hex::decode(text).ok()?.try_into().ok()
    }
}

fn finish(columns: Vec<(String, Value)>) -> Result<ExportRow, sqlx::Error> {
    let text = |name: &str| {
        columns
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_str())
            .map(str::to_owned)
    };
    let id = text("id")
        .and_then(|t| t.parse::<Uuid>().ok())
        .ok_or_else(|| sqlx::Error::ColumnNotFound("id".into()))?;
    let created_at = text("created_at")
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| sqlx::Error::ColumnNotFound("created_at".into()))?;
    Ok(ExportRow {
        columns,
        id,
        created_at,
    })
}

impl<'r> sqlx::FromRow<'r, PgRow> for ExportRow {
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        let mut columns = Vec::with_capacity(row.columns().len());
        for column in row.columns() {
            let i = column.ordinal();
            let value = match column.type_info().name() {
                "UUID" => row
                    .try_get::<Option<Uuid>, _>(i)?
                    .map(|u| Value::String(u.to_string())),
                "TIMESTAMPTZ" => row.try_get::<Option<DateTime<Utc>>, _>(i)?.map(time_text),
                "BYTEA" => row
                    .try_get::<Option<Vec<u8>>, _>(i)?
                    .map(|b| Value::String(hex::encode(b))),
                "INET" => row
                    .try_get::<Option<Inet>, _>(i)?
                    .map(|ip| Value::String(ip.0.to_string())),
                "JSONB" | "JSON" => row.try_get::<Option<Value>, _>(i)?,
                "TEXT[]" => row
                    .try_get::<Option<TextList>, _>(i)?
                    .map(|l| Value::from(l.0)),
                "BOOL" => row.try_get::<Option<bool>, _>(i)?.map(Value::Bool),
                "INT2" => row.try_get::<Option<i16>, _>(i)?.map(Value::from),
                "INT4" => row.try_get::<Option<i32>, _>(i)?.map(Value::from),
                "INT8" => row.try_get::<Option<i64>, _>(i)?.map(Value::from),
                "FLOAT4" | "FLOAT8" => row.try_get::<Option<f64>, _>(i)?.map(Value::from),
                _ => row.try_get::<Option<String>, _>(i)?.map(Value::String),
            };
            columns.push((column.name().to_owned(), value.unwrap_or(Value::Null)));
        }
        finish(columns)
    }
}

impl<'r> sqlx::FromRow<'r, SqliteRow> for ExportRow {
    fn from_row(row: &'r SqliteRow) -> Result<Self, sqlx::Error> {
        let mut columns = Vec::with_capacity(row.columns().len());
        for column in row.columns() {
            let i = column.ordinal();
            let name = column.name();
            let value = match column.type_info().name() {
                _ if name == "row_hash" => row
                    .try_get::<Option<Vec<u8>>, _>(i)?
                    .map(|b| Value::String(hex::encode(b))),
                "BLOB" => row
                    .try_get::<Option<Uuid>, _>(i)?
                    .map(|u| Value::String(u.to_string())),
                "BOOLEAN" => row.try_get::<Option<bool>, _>(i)?.map(Value::Bool),
                "INTEGER" if BOOL_COLUMNS.contains(&name) => row
                    .try_get::<Option<i64>, _>(i)?
                    .map(|n| Value::Bool(n != 0)),
                "INTEGER" => row.try_get::<Option<i64>, _>(i)?.map(Value::from),
                "REAL" => row.try_get::<Option<f64>, _>(i)?.map(Value::from),
                _ if name == "created_at" || name.ends_with("_at") => {
                    row.try_get::<Option<DateTime<Utc>>, _>(i)?.map(time_text)
                }
                _ if JSON_COLUMNS.contains(&name) => row
                    .try_get::<Option<String>, _>(i)?
                    .map(|t| serde_json::from_str(&t).unwrap_or(Value::String(t))),
                _ => row.try_get::<Option<String>, _>(i)?.map(Value::String),
            };
            columns.push((name.to_owned(), value.unwrap_or(Value::Null)));
        }
        finish(columns)
    }
}

/// Where a page starts: after the row `(created_at, id)`. The first page starts after
/// `(from, nil)`, which every row at `from` follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct After {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

/// At most `limit` rows of `log` with `after < (created_at, id)` and `created_at < to`.
pub async fn page(
    ex: Exec<'_>,
    log: AuditLog,
    after: After,
    to: DateTime<Utc>,
    limit: i64,
) -> StoreResult<Vec<ExportRow>> {
    let (at, id) = (after.created_at, after.id);
    Ok(match log {
        AuditLog::Sessions => fetch_all!(
            ex,
            ExportRow,
            "SELECT * FROM session_audit_log
              WHERE (created_at > $1 OR (created_at = $1 AND id > $2)) AND created_at < $3
              ORDER BY created_at, id LIMIT $4",
            at,
            id,
            to,
            limit
        )?,
        AuditLog::Devices => fetch_all!(
            ex,
            ExportRow,
            "SELECT * FROM device_audit_log
              WHERE (created_at > $1 OR (created_at = $1 AND id > $2)) AND created_at < $3
              ORDER BY created_at, id LIMIT $4",
            at,
            id,
            to,
            limit
        )?,
        AuditLog::Mfa => fetch_all!(
            ex,
            ExportRow,
            "SELECT * FROM mfa_audit_log
              WHERE (created_at > $1 OR (created_at = $1 AND id > $2)) AND created_at < $3
              ORDER BY created_at, id LIMIT $4",
            at,
            id,
            to,
            limit
        )?,
        AuditLog::Links => fetch_all!(
            ex,
            ExportRow,
            "SELECT * FROM session_device_link_audit_log
              WHERE (created_at > $1 OR (created_at = $1 AND id > $2)) AND created_at < $3
              ORDER BY created_at, id LIMIT $4",
            at,
            id,
            to,
            limit
        )?,
    })
}

/// How many rows of `log` were created in `[from, to)` (for the progress bar).
pub async fn count(
    ex: Exec<'_>,
    log: AuditLog,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<i64> {
    #[derive(sqlx::FromRow)]
    struct Count {
        n: i64,
    }
    let row = match log {
        AuditLog::Sessions => fetch_one!(
            ex,
            Count,
            "SELECT COUNT(*) AS n FROM session_audit_log WHERE created_at >= $1 AND created_at < $2",
            from,
            to
        )?,
        AuditLog::Devices => fetch_one!(
            ex,
            Count,
            "SELECT COUNT(*) AS n FROM device_audit_log WHERE created_at >= $1 AND created_at < $2",
            from,
            to
        )?,
        AuditLog::Mfa => fetch_one!(
            ex,
            Count,
            "SELECT COUNT(*) AS n FROM mfa_audit_log WHERE created_at >= $1 AND created_at < $2",
            from,
            to
        )?,
        AuditLog::Links => fetch_one!(
            ex,
            Count,
            "SELECT COUNT(*) AS n FROM session_device_link_audit_log
              WHERE created_at >= $1 AND created_at < $2",
            from,
            to
        )?,
    };
    Ok(row.n)
}
