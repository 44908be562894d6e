//! Retention of the four audit logs: the only code that removes audit rows (DESIGN §5).
//! On PostgreSQL whole monthly partitions past the cutoff are detached and dropped
//! (`gatehouse_drop_audit_partitions`, migration 0017), and rows that sit in a log's
//! DEFAULT partition are deleted in batches; on SQLite (no partitions) expired rows are
//! deleted in batches. Each batch is one short statement on the `created_at` index.

use crate::db::{Db, Exec, Executor};
use crate::error::StoreResult;
use chrono::{DateTime, Utc};

/// The four audit logs, by the name `gatehouse audit export --kind` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditLog {
    Sessions,
    Devices,
    Mfa,
    Links,
}

impl AuditLog {
    pub const ALL: [AuditLog; 4] = [
        AuditLog::Sessions,
        AuditLog::Devices,
        AuditLog::Mfa,
        AuditLog::Links,
    ];

    /// `sessions`, `devices`, `mfa` or `links`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditLog::Sessions => "sessions",
            AuditLog::Devices => "devices",
            AuditLog::Mfa => "mfa",
            AuditLog::Links => "links",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Detach and drop the monthly partitions (`<log>_pYYYYMM`) whose whole month ends at or
/// before `cutoff`. Returns how many were dropped; none on SQLite.
pub async fn drop_expired_partitions(db: &Db, cutoff: DateTime<Utc>) -> StoreResult<i32> {
    #[derive(sqlx::FromRow)]
    struct Dropped {
        dropped: i32,
    }
    per_backend!(db,
        pg => {
            let mut conn = db.writer().await?;
            let row = fetch_one!(
                conn.exec(),
                Dropped,
                "SELECT gatehouse_drop_audit_partitions($1) AS dropped",
                cutoff
            )?;
            Ok(row.dropped)
        },
        sqlite => Ok(0),
    )
}

/// Delete at most `batch` rows of `log` created before `cutoff`. On PostgreSQL only the
/// DEFAULT partition is swept (the monthly ones go whole, above), so a partition still
/// partly inside the retention keeps all its rows until its month has passed.
pub async fn delete_expired(
    ex: Exec<'_>,
    log: AuditLog,
    cutoff: DateTime<Utc>,
    batch: i64,
) -> StoreResult<u64> {
    Ok(match log {
        AuditLog::Sessions => execute!(
            ex,
            per_backend! {
                pg: "DELETE FROM session_audit_log_default WHERE id IN (
                         SELECT id FROM session_audit_log_default WHERE created_at < $1 LIMIT $2)",
                sqlite: "DELETE FROM session_audit_log WHERE id IN (
                         SELECT id FROM session_audit_log WHERE created_at < $1 LIMIT $2)",
            },
            cutoff,
            batch
        )?,
        AuditLog::Devices => execute!(
            ex,
            per_backend! {
                pg: "DELETE FROM device_audit_log_default WHERE id IN (
                         SELECT id FROM device_audit_log_default WHERE created_at < $1 LIMIT $2)",
                sqlite: "DELETE FROM device_audit_log WHERE id IN (
                         SELECT id FROM device_audit_log WHERE created_at < $1 LIMIT $2)",
            },
            cutoff,
            batch
        )?,
        AuditLog::Mfa => execute!(
            ex,
            per_backend! {
                pg: "DELETE FROM mfa_audit_log_default WHERE id IN (
                         SELECT id FROM mfa_audit_log_default WHERE created_at < $1 LIMIT $2)",
                sqlite: "DELETE FROM mfa_audit_log WHERE id IN (
                         SELECT id FROM mfa_audit_log WHERE created_at < $1 LIMIT $2)",
            },
            cutoff,
            batch
        )?,
        AuditLog::Links => execute!(
            ex,
            per_backend! {
                pg: "DELETE FROM session_device_link_audit_log_default WHERE id IN (
                         SELECT id FROM session_device_link_audit_log_default
                          WHERE created_at < $1 LIMIT $2)",
                sqlite: "DELETE FROM session_device_link_audit_log WHERE id IN (
                         SELECT id FROM session_device_link_audit_log
                          WHERE created_at < $1 LIMIT $2)",
            },
            cutoff,
            batch
        )?,
    })
}
