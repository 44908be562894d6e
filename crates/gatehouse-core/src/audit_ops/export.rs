//! `gatehouse audit export`: the rows of one or all four audit logs created in
//! `[from, to)`, as NDJSON (one object per line, with its `kind`) or CSV (one log: a header
//! line of its columns, then one line per row). Rows are read a page at a time by keyset
//! and written as they come, so memory stays flat however large the range.
//!
//! CSV cells that begin with `=`, `+`, `-`, `@`, a tab or a carriage return get a leading
//! `'`, so a spreadsheet opening the file does not run them as formulas (OWASP "CSV
//! Injection"); numbers are written as they are.

use chrono::{DateTime, Utc};
use gatehouse_store::audit_export::{self, After, ExportRow};
pub use gatehouse_store::audit_retention::AuditLog;
use gatehouse_store::{Db, Executor, StoreError};
use serde_json::Value;
use std::io::Write;
use uuid::Uuid;

/// Rows read per query.
pub const PAGE_SIZE: i64 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Ndjson,
    Csv,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("--from must be before --to")]
    EmptyRange,
    #[error("CSV holds one log's columns: pick --kind sessions, devices, mfa or links (or use --format ndjson)")]
    CsvNeedsOneKind,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
}

/// What to export: checked by [`ExportRequest::new`].
#[derive(Debug, Clone)]
pub struct ExportRequest {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    logs: Vec<AuditLog>,
    format: ExportFormat,
    page_size: i64,
}

impl ExportRequest {
    /// `logs` empty means all four.
    pub fn new(
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        logs: Vec<AuditLog>,
        format: ExportFormat,
    ) -> Result<Self, ExportError> {
        if from >= to {
            return Err(ExportError::EmptyRange);
        }
        let logs = if logs.is_empty() {
            AuditLog::ALL.to_vec()
        } else {
            logs
        };
        if format == ExportFormat::Csv && logs.len() != 1 {
            return Err(ExportError::CsvNeedsOneKind);
        }
        Ok(Self {
            from,
            to,
            logs,
            format,
            page_size: PAGE_SIZE,
        })
    }

    /// Read `rows` rows per query instead of [`PAGE_SIZE`] (at least 1).
    pub fn with_page_size(mut self, rows: i64) -> Self {
        self.page_size = rows.max(1);
        self
    }
}

/// How many rows the export will write (for a progress bar).
pub async fn count(db: &Db, request: &ExportRequest) -> Result<u64, ExportError> {
    let mut total = 0;
    for &log in &request.logs {
        let mut conn = db.report_reader().await?;
        let n = audit_export::count(conn.exec(), log, request.from, request.to).await?;
        total += u64::try_from(n).unwrap_or(0);
    }
    Ok(total)
}

/// Write the export to `out`, calling `progress` with the rows written so far after each
/// page. Returns the number of rows written.
pub async fn export(
    db: &Db,
    request: &ExportRequest,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, ExportError> {
    let mut written = 0;
    for &log in &request.logs {
        let mut after = After {
            created_at: request.from,
            id: Uuid::nil(),
        };
        let mut header_written = false;
        loop {
            let rows = {
                let mut conn = db.report_reader().await?;
                audit_export::page(conn.exec(), log, after, request.to, request.page_size).await?
            };
            for row in &rows {
                match request.format {
                    ExportFormat::Ndjson => write_ndjson(out, log, row)?,
                    ExportFormat::Csv => {
                        if !header_written {
                            let names = row.columns.iter().map(|(n, _)| csv_cell_text(n));
                            writeln!(out, "{}", names.collect::<Vec<_>>().join(","))?;
                            header_written = true;
                        }
                        write_csv(out, row)?;
                    }
                }
            }
            written += rows.len() as u64;
            progress(written);
            match rows.last() {
                Some(last) if rows.len() as i64 == request.page_size => {
                    after = After {
                        created_at: last.created_at,
                        id: last.id,
                    }
                }
                _ => break,
            }
        }
    }
    out.flush()?;
    Ok(written)
}

fn write_ndjson(out: &mut dyn Write, log: AuditLog, row: &ExportRow) -> std::io::Result<()> {
    let mut object = serde_json::Map::with_capacity(row.columns.len() + 1);
    object.insert("kind".into(), Value::String(log.as_str().into()));
    for (name, value) in &row.columns {
        object.insert(name.clone(), value.clone());
    }
    serde_json::to_writer(&mut *out, &Value::Object(object))?;
    out.write_all(b"\n")
}

fn write_csv(out: &mut dyn Write, row: &ExportRow) -> std::io::Result<()> {
    let cells: Vec<String> = row.columns.iter().map(|(_, v)| csv_cell(v)).collect();
    writeln!(out, "{}", cells.join(","))
}

/// One CSV cell (RFC 4180): empty for NULL, text as is, anything else as JSON.
fn csv_cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => {
            let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                format!("'{text}")
            } else {
                text.clone()
            };
            csv_cell_text(&text)
        }
        Value::Number(n) => n.to_string(),
        other => csv_cell_text(&other.to_string()),
    }
}

fn csv_cell_text(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell(&Value::Null), "");
        assert_eq!(csv_cell(&json!("plain")), "plain");
        assert_eq!(csv_cell(&json!("a,b")), "\"a,b\"");
        assert_eq!(csv_cell(&json!("say \"hi\"")), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell(&json!("=cmd()")), "'=cmd()");
        assert_eq!(csv_cell(&json!(-77.5)), "-77.5");
        assert_eq!(csv_cell(&json!(["x", "y"])), "\"[\"\"x\"\",\"\"y\"\"]\"");
        assert_eq!(csv_cell(&json!(true)), "true");
    }

    #[test]
    fn a_request_needs_a_range_and_csv_one_log() {
        let t0 = "2026-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let t1 = "2026-02-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert!(matches!(
            ExportRequest::new(t1, t0, vec![], ExportFormat::Ndjson),
            Err(ExportError::EmptyRange)
        ));
        assert!(matches!(
            ExportRequest::new(t0, t1, vec![], ExportFormat::Csv),
            Err(ExportError::CsvNeedsOneKind)
        ));
        let ok = ExportRequest::new(t0, t1, vec![], ExportFormat::Ndjson).unwrap();
        assert_eq!(ok.logs.len(), 4);
        assert!(ExportRequest::new(t0, t1, vec![AuditLog::Mfa], ExportFormat::Csv).is_ok());
    }
}
