//! The content hash each audit row stores at insert (`row_hash`, migration 0018): SHA-256
//! over the row's columns in a canonical form both backends read back identically, so
//! `gatehouse audit verify` can recompute it from the stored row and see an edit.
//!
//! The canonical form is the one [`crate::audit_export::ExportRow`] reads: uuids and
//! addresses as text, times as RFC 3339 UTC with microseconds, lists and JSON as JSON with
//! object keys sorted, yes/no as booleans. Columns are taken in name order; a NULL column
//! is left out (so a column added later, NULL in old rows, does not change their hash);
//! the review columns and `row_hash` itself are left out, as review is the one change an
//! audit row may see.
//!
//! Computing the hash costs a few microseconds of CPU on the insert path and no round
//! trip: it travels in the INSERT. `[audit] row_hashes = false` turns it off (process-wide,
//! set once at start-up) only so a benchmark can measure what it costs.

use crate::audit_retention::AuditLog;
use crate::types::Inet;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicBool, Ordering};
use uuid::Uuid;

/// Columns outside the hash: what review changes, and the hash itself.
pub const UNHASHED_COLUMNS: [&str; 5] = [
    "review_status",
    "reviewed_by_id",
    "reviewed_at",
    "review_notes",
    "row_hash",
];

static ROW_HASHES: AtomicBool = AtomicBool::new(true);

/// Whether inserts store a row hash (on unless a benchmark turned it off).
pub fn row_hashes_enabled() -> bool {
    ROW_HASHES.load(Ordering::Relaxed)
}

/// Set once at start-up from `[audit] row_hashes`.
pub fn set_row_hashes(enabled: bool) {
    ROW_HASHES.store(enabled, Ordering::Relaxed);
}

/// A time as the export (and so the hash) writes it.
pub fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A row's hashed columns, built at insert from the values bound to the INSERT.
#[derive(Debug, Default)]
pub struct RowContent {
    columns: Vec<(&'static str, Value)>,
}

impl RowContent {
    pub fn new() -> Self {
        Self {
            columns: Vec::with_capacity(24),
        }
    }

    fn put(mut self, name: &'static str, value: Option<Value>) -> Self {
        if let Some(value) = value {
            self.columns.push((name, value));
        }
        self
    }

    pub fn uuid(self, name: &'static str, v: Option<Uuid>) -> Self {
        self.put(name, v.map(|u| Value::String(u.to_string())))
    }
    pub fn text(self, name: &'static str, v: Option<&str>) -> Self {
        self.put(name, v.map(|s| Value::String(s.to_owned())))
    }
    pub fn int(self, name: &'static str, v: Option<i64>) -> Self {
        self.put(name, v.map(Value::from))
    }
    pub fn float(self, name: &'static str, v: Option<f64>) -> Self {
        self.put(name, v.map(Value::from))
    }
    pub fn bool(self, name: &'static str, v: Option<bool>) -> Self {
        self.put(name, v.map(Value::Bool))
    }
    pub fn time(self, name: &'static str, v: Option<DateTime<Utc>>) -> Self {
        self.put(name, v.map(|t| Value::String(time_text(t))))
    }
    pub fn inet(self, name: &'static str, v: Option<Inet>) -> Self {
        self.put(name, v.map(|ip| Value::String(ip.0.to_string())))
    }
    pub fn json(self, name: &'static str, v: Option<&Value>) -> Self {
        self.put(name, v.cloned())
    }
    pub fn list(self, name: &'static str, v: &[String]) -> Self {
        self.put(name, Some(Value::from(v.to_vec())))
    }

    /// The hash to store, or `None` when row hashes are off.
    pub fn row_hash(&self, log: AuditLog) -> Option<Vec<u8>> {
        row_hashes_enabled()
            .then(|| content_hash(log, self.columns.iter().map(|(n, v)| (*n, v))).to_vec())
    }
}

/// SHA-256 over `log`'s name and the hashed columns (name order, NULLs and unhashed
/// columns left out), each as `name 0x00 canonical-json 0x00`.
pub fn content_hash<'a>(
    log: AuditLog,
    columns: impl IntoIterator<Item = (&'a str, &'a Value)>,
) -> [u8; 32] {
    let mut kept: Vec<(&str, &Value)> = columns
        .into_iter()
        .filter(|(name, value)| !value.is_null() && !UNHASHED_COLUMNS.contains(name))
        .collect();
    kept.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut text = Vec::with_capacity(512);
    text.extend_from_slice(b"gatehouse-audit-row-v1\0");
    text.extend_from_slice(log.as_str().as_bytes());
    text.push(0);
    for (name, value) in kept {
        text.extend_from_slice(name.as_bytes());
        text.push(0);
        canonical_json(value, &mut text);
        text.push(0);
    }
    Sha256::digest(&text).into()
}

/// JSON with object keys sorted at every level: PostgreSQL's `jsonb` hands keys back in its
/// own order, and serde_json keeps insertion order when a dependency turns on
/// `preserve_order`, so neither order can be hashed as it comes.
pub fn canonical_json(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_scalar(&Value::String(key.clone()), out);
                out.push(b':');
                canonical_json(item, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical_json(item, out);
            }
            out.push(b']');
        }
        scalar => write_scalar(scalar, out),
    }
}

fn write_scalar(value: &Value, out: &mut Vec<u8>) {
    // Serialising a scalar Value into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hash_of(columns: &[(&str, Value)]) -> [u8; 32] {
        content_hash(AuditLog::Sessions, columns.iter().map(|(n, v)| (*n, v)))
    }

    #[test]
    fn key_order_column_order_and_nulls_do_not_change_the_hash() {
        let a = hash_of(&[
            ("metadata", json!({"b": 1, "a": {"y": [1, 2], "x": null}})),
            ("action", json!("login_succeeded")),
            ("city", Value::Null),
        ]);
        let b = hash_of(&[
            ("action", json!("login_succeeded")),
            ("metadata", json!({"a": {"x": null, "y": [1, 2]}, "b": 1})),
        ]);
        assert_eq!(a, b);
    }

    #[test]
    fn review_columns_are_outside_the_hash_and_content_is_inside() {
        let base = hash_of(&[("action", json!("login_succeeded"))]);
        let reviewed = hash_of(&[
            ("action", json!("login_succeeded")),
            ("review_status", json!("resolved")),
            ("review_notes", json!("checked")),
        ]);
        assert_eq!(base, reviewed);
        assert_ne!(base, hash_of(&[("action", json!("login_failed"))]));
        assert_ne!(
            base,
            content_hash(AuditLog::Devices, [("action", &json!("login_succeeded"))])
        );
    }

    #[test]
    fn a_value_cannot_be_moved_into_another_column() {
        // Separators keep `a`="bc" apart from `ab`="c".
        assert_ne!(
            hash_of(&[("a", json!("bc"))]),
            hash_of(&[("ab", json!("c"))])
        );
    }

    #[test]
    fn canonical_json_sorts_keys_and_keeps_numbers() {
        let mut out = Vec::new();
        canonical_json(&json!({"z": 1.5, "a": [true, "x\"y"], "m": 10}), &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a":[true,"x\"y"],"m":10,"z":1.5}"#
        );
    }
}
