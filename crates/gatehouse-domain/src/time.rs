//! Time as a value. Timestamps are truncated to whole microseconds, the precision
//! PostgreSQL keeps, so a value read back equals the value written on both backends.

use chrono::{DateTime, Timelike, Utc};

/// Truncate to microseconds (PostgreSQL `timestamptz` precision).
pub fn to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = t.nanosecond();
    t.with_nanosecond(nanos - nanos % 1_000).unwrap_or(t)
}
