//! The chain of seals over the audit logs (`audit_seals`, migration 0018): reading and
//! appending seals, and reading a window's rows as the sealer digests them. The HMAC that
//! links the seals is computed by the caller (gatehouse-core holds the key); this module
//! fixes what it covers ([`seal_input`]) and what a window's digest covers
//! ([`RowsDigest`]).

use crate::audit_retention::AuditLog;
use crate::db::Exec;
use crate::error::StoreResult;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// What a seal covers: a window of rows, or how far retention removed rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealKind {
    Rows,
    Retention,
}

impl SealKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SealKind::Rows => "rows",
            SealKind::Retention => "retention",
        }
    }
}

/// One `audit_seals` row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Seal {
    pub seq: i64,
    pub log: String,
    pub kind: String,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub row_count: i64,
    pub rows_digest: Vec<u8>,
    pub prev_hash: Vec<u8>,
    pub seal_hash: Vec<u8>,
    pub sealed_at: DateTime<Utc>,
}

/// The bytes a seal's HMAC covers: every field but the HMAC itself and `sealed_at`
/// (when the sealer ran says nothing about the rows).
#[allow(clippy::too_many_arguments)]
pub fn seal_input(
    seq: i64,
    log: &str,
    kind: &str,
    window_start: DateTime<Utc>,
    window_end: DateTime<Utc>,
    row_count: i64,
    rows_digest: &[u8],
    prev_hash: &[u8],
) -> Vec<u8> {
    let mut input = Vec::with_capacity(160);
    input.extend_from_slice(b"gatehouse-audit-seal-v1\0");
    input.extend_from_slice(&seq.to_be_bytes());
    input.extend_from_slice(log.as_bytes());
    input.push(0);
    input.extend_from_slice(kind.as_bytes());
    input.push(0);
    input.extend_from_slice(&window_start.timestamp_micros().to_be_bytes());
    input.extend_from_slice(&window_end.timestamp_micros().to_be_bytes());
    input.extend_from_slice(&row_count.to_be_bytes());
    input.extend_from_slice(rows_digest);
    input.extend_from_slice(prev_hash);
    input
}

/// SHA-256 over a window's rows in `(created_at, id)` order: each row's id, time and
/// stored `row_hash` (32 zero bytes for a row without one), so a removed, added, moved or
/// re-hashed row changes it.
#[derive(Debug, Clone, Default)]
pub struct RowsDigest {
    hasher: Sha256,
    count: i64,
}

impl RowsDigest {
    pub fn add(&mut self, id: Uuid, created_at: DateTime<Utc>, row_hash: Option<&[u8]>) {
        self.hasher.update(id.as_bytes());
        self.hasher
            .update(created_at.timestamp_micros().to_be_bytes());
        self.hasher.update(row_hash.unwrap_or(&[0u8; 32]));
        self.count += 1;
    }

    pub fn count(&self) -> i64 {
        self.count
    }

    pub fn finish(self) -> [u8; 32] {
        self.hasher.finalize().into()
    }
}

/// Serialise sealers: one at a time across every node (PostgreSQL advisory lock, held to
/// the end of the transaction); SQLite's single writer already serialises them.
pub async fn lock_chain(ex: Exec<'_>) -> StoreResult<()> {
    if let Exec::Pg(_) = ex {
        execute!(
            ex,
            "SELECT pg_advisory_xact_lock(hashtext('gatehouse_audit_seals'))"
        )?;
    }
    Ok(())
}

/// The newest seal of the chain.
pub async fn head(ex: Exec<'_>) -> StoreResult<Option<Seal>> {
    Ok(fetch_optional!(
        ex,
        Seal,
        "SELECT * FROM audit_seals ORDER BY seq DESC LIMIT 1"
    )?)
}

/// Where `log`'s next window starts: the furthest end of its seals (rows or retention).
pub async fn sealed_until(ex: Exec<'_>, log: AuditLog) -> StoreResult<Option<DateTime<Utc>>> {
    #[derive(sqlx::FromRow)]
    struct End {
        window_end: DateTime<Utc>,
    }
    Ok(fetch_optional!(
        ex,
        End,
        "SELECT window_end FROM audit_seals WHERE log = $1 ORDER BY window_end DESC LIMIT 1",
        log.as_str()
    )?
    .map(|e| e.window_end))
}

pub async fn insert(ex: Exec<'_>, s: &Seal) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO audit_seals (seq, log, kind, window_start, window_end, row_count,
            rows_digest, prev_hash, seal_hash, sealed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        s.seq,
        s.log.as_str(),
        s.kind.as_str(),
        s.window_start,
        s.window_end,
        s.row_count,
        s.rows_digest.as_slice(),
        s.prev_hash.as_slice(),
        s.seal_hash.as_slice(),
        s.sealed_at,
    )?;
    Ok(())
}

/// At most `limit` seals after `after_seq`, in chain order.
pub async fn page(ex: Exec<'_>, after_seq: i64, limit: i64) -> StoreResult<Vec<Seal>> {
    Ok(fetch_all!(
        ex,
        Seal,
        "SELECT * FROM audit_seals WHERE seq > $1 ORDER BY seq LIMIT $2",
        after_seq,
        limit
    )?)
}

/// A row as the sealer digests it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SealedRow {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub row_hash: Option<Vec<u8>>,
}

/// At most `limit` rows of `log` after `(at, id)` and before `to`, in `(created_at, id)`
/// order (keyset pages, as the export reads).
pub async fn rows_page(
    ex: Exec<'_>,
    log: AuditLog,
    (at, id): (DateTime<Utc>, Uuid),
    to: DateTime<Utc>,
    limit: i64,
) -> StoreResult<Vec<SealedRow>> {
    macro_rules! rows {
        ($table:literal) => {
            fetch_all!(
                ex,
                SealedRow,
                concat!(
                    "SELECT id, created_at, row_hash FROM ",
                    $table,
                    " WHERE (created_at > $1 OR (created_at = $1 AND id > $2)) AND created_at < $3
                      ORDER BY created_at, id LIMIT $4"
                ),
                at,
                id,
                to,
                limit
            )?
        };
    }
    Ok(match log {
        AuditLog::Sessions => rows!("session_audit_log"),
        AuditLog::Devices => rows!("device_audit_log"),
        AuditLog::Mfa => rows!("mfa_audit_log"),
        AuditLog::Links => rows!("session_device_link_audit_log"),
    })
}

/// The time of `log`'s oldest row, if it has any.
pub async fn oldest_row(ex: Exec<'_>, log: AuditLog) -> StoreResult<Option<DateTime<Utc>>> {
    #[derive(sqlx::FromRow)]
    struct Oldest {
        created_at: DateTime<Utc>,
    }
    macro_rules! oldest {
        ($table:literal) => {
            fetch_optional!(
                ex,
                Oldest,
                concat!(
                    "SELECT created_at FROM ",
                    $table,
                    " ORDER BY created_at LIMIT 1"
                )
            )?
        };
    }
    Ok(match log {
        AuditLog::Sessions => oldest!("session_audit_log"),
        AuditLog::Devices => oldest!("device_audit_log"),
        AuditLog::Mfa => oldest!("mfa_audit_log"),
        AuditLog::Links => oldest!("session_device_link_audit_log"),
    }
    .map(|o| o.created_at))
}

/// Let this transaction delete expired audit rows on PostgreSQL, whose append-only trigger
/// (0018) refuses every other DELETE. Retention alone calls it.
pub async fn allow_retention_deletes(ex: Exec<'_>) -> StoreResult<()> {
    if let Exec::Pg(_) = ex {
        execute!(
            ex,
            "SELECT set_config('gatehouse.audit_retention', 'on', true)"
        )?;
    }
    Ok(())
}
