//! Daily summaries: one row per user and UTC day in `audit_daily_summaries`, with the
//! seed's counters computed from the four audit logs. A rerun recomputes the counters
//! from the same rows and updates the row in place (keyed by `(user_id, date)`), so it
//! leaves identical rows; a day whose logs have since grown is brought up to date.

use crate::accounts::{AccountsResult, Page};
use crate::state::Core;
use chrono::{DateTime, Days, NaiveDate, Utc};
use gatehouse_store::audit_summaries;
pub use gatehouse_store::audit_summaries::DailySummaryRow;
use gatehouse_store::{Executor, StoreResult};
use uuid::Uuid;

/// The UTC day before `now`'s: what the scheduled run summarises.
pub fn yesterday(now: DateTime<Utc>) -> NaiveDate {
    let today = now.date_naive();
    today.checked_sub_days(Days::new(1)).unwrap_or(today)
}

/// `[start, end)` of a UTC day.
pub fn day_bounds(date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = date.and_time(chrono::NaiveTime::MIN).and_utc();
    let end = date
        .checked_add_days(Days::new(1))
        .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    (start, end)
}

/// Summarise `date` (UTC) for every user with audit rows that day, in one transaction.
/// Returns how many users' rows were written.
#[tracing::instrument(skip_all, fields(%date))]
pub async fn summarize(core: &Core, date: NaiveDate) -> StoreResult<usize> {
    let now = core.clock.now();
    let (from, to) = day_bounds(date);
    let mut tx = core.db.begin().await?;
    let counts = audit_summaries::aggregate(tx.exec(), from, to).await?;
    for c in &counts {
        audit_summaries::upsert(tx.exec(), Uuid::now_v7(), date, c, now).await?;
    }
    tx.commit().await?;
    Ok(counts.len())
}

/// A page of summaries for staff, newest first: of `date` when given, with at least
/// `min_high_risk` high-risk events.
pub async fn list(
    core: &Core,
    date: Option<NaiveDate>,
    min_high_risk: i32,
    page: Page,
) -> AccountsResult<Vec<DailySummaryRow>> {
    let mut conn = core.db.report_reader().await?;
    Ok(audit_summaries::list(conn.exec(), date, min_high_risk, page.before, page.limit).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_runs_from_midnight_to_midnight_utc() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let (from, to) = day_bounds(date);
        assert_eq!(from.to_rfc3339(), "2026-03-31T00:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-04-01T00:00:00+00:00");
        let now = "2026-04-01T00:05:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(yesterday(now), date);
    }
}
