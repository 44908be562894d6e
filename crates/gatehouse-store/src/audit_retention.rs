//! Retention of the four audit logs: the only code that removes audit rows (DESIGN §5).
//! On PostgreSQL whole monthly partitions past the cutoff are detached and dropped
//! ([`drop_expired_partitions`]), and rows that sit in a log's
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
///
/// One transaction under the advisory lock `gatehouse_ensure_audit_partitions` takes, so
/// creation and removal never interleave: the cutoff travels as a transaction-local
/// setting into a `DO` block (which takes no parameters), whose identifiers come from
/// `pg_class` and go through `format('%I')`. The tables' owner must run it.
pub async fn drop_expired_partitions(db: &Db, cutoff: DateTime<Utc>) -> StoreResult<i32> {
    #[derive(sqlx::FromRow)]
    struct Count {
        n: i64,
    }
    macro_rules! monthly_partitions {
        ($tx:expr) => {
            fetch_one!(
                $tx.exec(),
                Count,
                "SELECT COUNT(*) AS n FROM pg_inherits i
                   JOIN pg_class c ON c.oid = i.inhrelid
                   JOIN pg_class p ON p.oid = i.inhparent
                   JOIN pg_namespace ns ON ns.oid = p.relnamespace
                  WHERE ns.nspname = current_schema()
                    AND p.relname IN ('session_audit_log', 'device_audit_log',
                                      'session_device_link_audit_log', 'mfa_audit_log')
                    AND c.relname ~ '_p[0-9]{6}$'"
            )
        };
    }
    per_backend!(db,
        pg => {
            let mut tx = db.begin().await?;
            execute!(
                tx.exec(),
                "SELECT pg_advisory_xact_lock(hashtext('gatehouse_ensure_audit_partitions'))"
            )?;
            let before = monthly_partitions!(tx)?.n;
            execute!(
                tx.exec(),
                "SELECT set_config('gatehouse.audit_cutoff', $1, true)",
                cutoff.to_rfc3339()
            )?;
            execute!(
                tx.exec(),
                "DO $$
                 DECLARE
                     cutoff timestamptz := current_setting('gatehouse.audit_cutoff')::timestamptz;
                     part record;
                 BEGIN
                     FOR part IN
                         SELECT p.relname AS parent, c.relname AS child FROM pg_inherits i
                           JOIN pg_class c ON c.oid = i.inhrelid
                           JOIN pg_class p ON p.oid = i.inhparent
                           JOIN pg_namespace ns ON ns.oid = p.relnamespace
                          WHERE ns.nspname = current_schema()
                            AND p.relname IN ('session_audit_log', 'device_audit_log',
                                              'session_device_link_audit_log', 'mfa_audit_log')
                            AND c.relname = p.relname || '_p' || right(c.relname, 6)
                            AND right(c.relname, 6) ~ '^[0-9]{6}$'
                            AND (to_date(right(c.relname, 6), 'YYYYMM') + interval '1 month')::timestamp
                                AT TIME ZONE 'UTC' <= cutoff
                          ORDER BY c.relname
                     LOOP
                         EXECUTE format('ALTER TABLE %I DETACH PARTITION %I', part.parent, part.child);
                         EXECUTE format('DROP TABLE %I', part.child);
                     END LOOP;
                 END
                 $$"
            )?;
            let after = monthly_partitions!(tx)?.n;
            tx.commit().await?;
            Ok(i32::try_from(before - after).unwrap_or(i32::MAX))
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
