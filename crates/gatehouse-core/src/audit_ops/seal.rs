//! Sealing the audit logs and verifying the seals (issue 10, item 1).
//!
//! Each audit row carries a hash of its content from its insert (`gatehouse_store::audit_hash`).
//! The sealer, run by the workers every `[audit] seal_interval_seconds`, covers each log's
//! rows window by window: a window runs from where the log's last seal ended to
//! [`SEAL_LAG`] ago (an empty one waits for rows or for the day's end), never across a UTC
//! midnight (so a retention cutoff, a UTC midnight,
//! never falls inside one). Its seal stores the window's row count and digest and an
//! HMAC — keyed from the server's pepper, which the database does not hold — over those and
//! the previous seal's HMAC. Editing a row then shows as a row whose content no longer
//! matches its hash; deleting, adding or re-hashing one as a window whose digest no longer
//! matches its seal; forging, removing or reordering a seal as a broken chain.
//!
//! Retention records how far it removed rows as a seal of its own (kind `retention`), so
//! [`verify`] checks only the chain of the windows before that point. What the seals cannot
//! show: rows changed before their window was sealed by someone who also rewrote their
//! hash, and the newest seals removed together with everything after them (compare the
//! chain head `verify` prints with one kept elsewhere for that).

use crate::clock::before;
use crate::keys::HashPurpose;
use crate::state::Core;
use chrono::{DateTime, Days, Utc};
use gatehouse_store::audit_export::{self, After};
use gatehouse_store::audit_retention::AuditLog;
use gatehouse_store::audit_seals::{self, RowsDigest, Seal, SealKind};
use gatehouse_store::{Executor, StoreResult};
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

/// How far behind the present a window ends: longer than any transaction that writes an
/// audit row stays open, so no row commits into a window already sealed.
pub const SEAL_LAG: Duration = Duration::from_secs(120);

/// Rows read per query while sealing or verifying.
const PAGE: i64 = 2000;

/// The previous-hash of the first seal.
const GENESIS: [u8; 32] = [0; 32];

/// Earlier than any audit row: the default start of `verify` (both databases take it,
/// unlike `DateTime::MIN_UTC`).
pub fn beginning() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

/// The UTC midnight at or before `t`.
pub fn day_start(t: DateTime<Utc>) -> DateTime<Utc> {
    t.date_naive().and_time(chrono::NaiveTime::MIN).and_utc()
}

fn next_midnight(t: DateTime<Utc>) -> DateTime<Utc> {
    day_start(t)
        .checked_add_days(Days::new(1))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn seal_hash(core: &Core, s: &Seal) -> [u8; 32] {
    let input = audit_seals::seal_input(
        s.seq,
        &s.log,
        &s.kind,
        s.window_start,
        s.window_end,
        s.row_count,
        &s.rows_digest,
        &s.prev_hash,
    );
    core.keys.keyed_mac(HashPurpose::AuditSeal, &input)
}

/// What one sealing run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SealReport {
    pub seals: u64,
    pub rows: u64,
}

/// Seal every log up to [`SEAL_LAG`] ago. Each window is its own short transaction under
/// the chain's lock, so several workers can run this at once and a crash loses nothing.
#[tracing::instrument(skip_all)]
pub async fn seal_pending(core: &Core) -> StoreResult<SealReport> {
    let mut report = SealReport::default();
    // One end for the whole run: with a moving clock, "up to now" would never be reached.
    let limit = before(core.clock.now(), SEAL_LAG);
    for log in AuditLog::ALL {
        while let Some(rows) = seal_next_window(core, log, limit).await? {
            report.seals += 1;
            report.rows += rows;
        }
    }
    Ok(report)
}

/// Seal `log`'s next window ending at most at `limit`, if there is one; the rows it covered.
async fn seal_next_window(
    core: &Core,
    log: AuditLog,
    limit: DateTime<Utc>,
) -> StoreResult<Option<u64>> {
    let mut tx = core.db.begin().await?;
    audit_seals::lock_chain(tx.exec()).await?;
    let start = match audit_seals::sealed_until(tx.exec(), log).await? {
        Some(end) => end,
        // A log's first window starts at the midnight before its oldest row.
        None => match audit_seals::oldest_row(tx.exec(), log).await? {
            Some(oldest) => day_start(oldest),
            None => return Ok(None),
        },
    };
    let end = limit.min(next_midnight(start));
    if end <= start {
        return Ok(None);
    }
    let mut digest = RowsDigest::default();
    let mut after = (start, Uuid::nil());
    loop {
        let rows = audit_seals::rows_page(tx.exec(), log, after, end, PAGE).await?;
        for r in &rows {
            digest.add(r.id, r.created_at, r.row_hash.as_deref());
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == PAGE => after = (last.created_at, last.id),
            _ => break,
        }
    }
    let rows = digest.count();
    if rows == 0 && end < next_midnight(start) {
        // Nothing written yet: the window stays open and grows into the next run's, so an
        // idle log costs one seal a day, not one a run.
        return Ok(None);
    }
    append(
        core,
        &mut tx,
        log,
        SealKind::Rows,
        (start, end),
        rows,
        digest.finish(),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(u64::try_from(rows).unwrap_or(0)))
}

/// Append a seal to the chain inside `tx` (which holds the chain's lock).
async fn append(
    core: &Core,
    tx: &mut gatehouse_store::Tx,
    log: AuditLog,
    kind: SealKind,
    (window_start, window_end): (DateTime<Utc>, DateTime<Utc>),
    row_count: i64,
    rows_digest: [u8; 32],
) -> StoreResult<()> {
    let head = audit_seals::head(tx.exec()).await?;
    let mut seal = Seal {
        seq: head.as_ref().map_or(1, |h| h.seq + 1),
        log: log.as_str().to_owned(),
        kind: kind.as_str().to_owned(),
        window_start,
        window_end,
        row_count,
        rows_digest: rows_digest.to_vec(),
        prev_hash: head.map_or(GENESIS.to_vec(), |h| h.seal_hash),
        seal_hash: Vec::new(),
        sealed_at: core.clock.now(),
    };
    seal.seal_hash = seal_hash(core, &seal).to_vec();
    audit_seals::insert(tx.exec(), &seal).await
}

/// Record in the chain that retention removes `log`'s rows created before `cutoff` (a UTC
/// midnight). Called before the rows go, so a verify in between sees no unexplained gap.
pub async fn record_retention(
    core: &Core,
    log: AuditLog,
    cutoff: DateTime<Utc>,
) -> StoreResult<()> {
    let mut tx = core.db.begin().await?;
    audit_seals::lock_chain(tx.exec()).await?;
    let horizon = retention_horizon(&mut tx, log).await?;
    if horizon.is_some_and(|h| h >= cutoff) {
        return Ok(());
    }
    append(
        core,
        &mut tx,
        log,
        SealKind::Retention,
        (cutoff, cutoff),
        0,
        GENESIS,
    )
    .await?;
    tx.commit().await
}

async fn retention_horizon(
    tx: &mut gatehouse_store::Tx,
    log: AuditLog,
) -> StoreResult<Option<DateTime<Utc>>> {
    let mut horizon = None;
    let mut after = 0;
    loop {
        let seals = audit_seals::page(tx.exec(), after, 10_000).await?;
        for s in &seals {
            if s.log == log.as_str() && s.kind == SealKind::Retention.as_str() {
                horizon = horizon.max(Some(s.window_end));
            }
        }
        match seals.last() {
            Some(last) => after = last.seq,
            None => return Ok(horizon),
        }
    }
}

/// One thing `verify` found wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum Break {
    /// The seal's HMAC, its link to the seal before it, or its number is wrong: the seal
    /// was forged, edited, removed or reordered.
    Chain { seq: i64, reason: &'static str },
    /// The log's seals leave part of its time uncovered.
    Gap {
        seq: i64,
        log: AuditLog,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
    /// A sealed window no longer holds what was sealed.
    Window {
        seq: i64,
        log: AuditLog,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        sealed_rows: i64,
        found_rows: i64,
        /// Rows whose content no longer matches their stored hash.
        edited: Vec<Uuid>,
    },
    /// Not yet sealed rows whose content no longer matches their stored hash.
    Unsealed { log: AuditLog, edited: Vec<Uuid> },
    /// Rows dated before the log's first seal began (added afterwards).
    BeforeFirstSeal { log: AuditLog, rows: i64 },
}

/// What `verify` checked and found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerifyReport {
    pub seals: u64,
    pub windows_checked: u64,
    pub rows_checked: u64,
    /// Windows whose rows retention may have removed: only their place in the chain is checked.
    pub windows_past_retention: u64,
    pub unsealed_rows: u64,
    /// The newest seal's number and HMAC (hex), to keep elsewhere and compare later.
    pub head: Option<(i64, String)>,
    /// In chain order; the first is the first broken seal.
    pub breaks: Vec<Break>,
}

impl VerifyReport {
    pub fn intact(&self) -> bool {
        self.breaks.is_empty()
    }
}

#[derive(Debug, Default)]
struct LogState {
    first_start: Option<DateTime<Utc>>,
    sealed_until: Option<DateTime<Utc>>,
    horizon: Option<DateTime<Utc>>,
}

/// Check the whole chain, and the rows of every window overlapping `[from, to)` and of the
/// not yet sealed rows there.
#[tracing::instrument(skip_all)]
pub async fn verify(
    core: &Core,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<VerifyReport> {
    let mut report = VerifyReport::default();
    let mut conn = core.db.reader().await?;
    let mut chain = Vec::new();
    let mut after = 0;
    loop {
        let seals = audit_seals::page(conn.exec(), after, 10_000).await?;
        match seals.last() {
            Some(last) => after = last.seq,
            None => break,
        }
        chain.extend(seals);
    }
    // Pass 1: the chain itself, and how far retention went per log.
    let mut logs: HashMap<AuditLog, LogState> = HashMap::new();
    let mut prev: Option<&Seal> = None;
    for seal in &chain {
        report.seals += 1;
        let expected_seq = prev.map_or(1, |p| p.seq + 1);
        let expected_prev = prev.map_or(GENESIS.to_vec(), |p| p.seal_hash.clone());
        if seal.seq != expected_seq {
            report.breaks.push(Break::Chain {
                seq: seal.seq,
                reason: "a seal before it is missing",
            });
        } else if seal.prev_hash != expected_prev {
            report.breaks.push(Break::Chain {
                seq: seal.seq,
                reason: "it does not link to the seal before it",
            });
        } else if seal.seal_hash != seal_hash(core, seal) {
            report.breaks.push(Break::Chain {
                seq: seal.seq,
                reason: "its HMAC does not match its fields",
            });
        }
        if let Some(log) = AuditLog::parse(&seal.log) {
            let state = logs.entry(log).or_default();
            if seal.kind == SealKind::Retention.as_str() {
                state.horizon = state.horizon.max(Some(seal.window_end));
            }
        }
        prev = Some(seal);
    }
    report.head = chain.last().map(|s| (s.seq, hex::encode(&s.seal_hash)));
    // Pass 2: each log's windows, in order.
    for seal in &chain {
        let Some(log) = AuditLog::parse(&seal.log) else {
            continue;
        };
        let state = logs.entry(log).or_default();
        if seal.kind == SealKind::Retention.as_str() {
            state.sealed_until = state.sealed_until.max(Some(seal.window_end));
            continue;
        }
        if let Some(until) = state.sealed_until {
            if seal.window_start != until {
                report.breaks.push(Break::Gap {
                    seq: seal.seq,
                    log,
                    from: until.min(seal.window_start),
                    to: until.max(seal.window_start),
                });
            }
        }
        state.first_start.get_or_insert(seal.window_start);
        state.sealed_until = state.sealed_until.max(Some(seal.window_end));
        if seal.window_end <= from || seal.window_start >= to {
            continue;
        }
        if state.horizon.is_some_and(|h| seal.window_start < h) {
            report.windows_past_retention += 1;
            continue;
        }
        let (found, digest, edited) =
            read_window(&mut conn, log, seal.window_start, seal.window_end).await?;
        report.windows_checked += 1;
        report.rows_checked += u64::try_from(found).unwrap_or(0);
        if found != seal.row_count
            || digest.as_slice() != seal.rows_digest.as_slice()
            || !edited.is_empty()
        {
            report.breaks.push(Break::Window {
                seq: seal.seq,
                log,
                from: seal.window_start,
                to: seal.window_end,
                sealed_rows: seal.row_count,
                found_rows: found,
                edited,
            });
        }
    }
    // Rows outside every window: after the last (not sealed yet) and before the first.
    for log in AuditLog::ALL {
        let state = logs.remove(&log).unwrap_or_default();
        let tail_from = state.sealed_until.map_or(from, |u| u.max(from));
        if tail_from < to {
            let (found, _, edited) = read_window(&mut conn, log, tail_from, to).await?;
            report.unsealed_rows += u64::try_from(found).unwrap_or(0);
            report.rows_checked += u64::try_from(found).unwrap_or(0);
            if !edited.is_empty() {
                report.breaks.push(Break::Unsealed { log, edited });
            }
        }
        if let Some(first) = state.first_start {
            let early_from = state.horizon.map_or(from, |h| h.max(from));
            if early_from < first.min(to) {
                let (found, _, _) = read_window(&mut conn, log, early_from, first.min(to)).await?;
                if found > 0 {
                    report
                        .breaks
                        .push(Break::BeforeFirstSeal { log, rows: found });
                }
            }
        }
    }
    Ok(report)
}

/// The rows of `log` in `[from, to)`: how many, their digest as the sealer makes it, and
/// those whose content no longer matches their stored hash.
async fn read_window(
    conn: &mut gatehouse_store::Conn,
    log: AuditLog,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<(i64, [u8; 32], Vec<Uuid>)> {
    let mut digest = RowsDigest::default();
    let mut edited = Vec::new();
    let mut after = After {
        created_at: from,
        id: Uuid::nil(),
    };
    loop {
        let rows = audit_export::page(conn.exec(), log, after, to, PAGE).await?;
        for row in &rows {
            let stored = row.stored_hash();
            if stored.is_some_and(|s| s != row.content_hash(log)) {
                edited.push(row.id);
            }
            digest.add(
                row.id,
                row.created_at,
                stored.as_ref().map(|h| h.as_slice()),
            );
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == PAGE => {
                after = After {
                    created_at: last.created_at,
                    id: last.id,
                };
            }
            _ => break,
        }
    }
    Ok((digest.count(), digest.finish(), edited))
}
