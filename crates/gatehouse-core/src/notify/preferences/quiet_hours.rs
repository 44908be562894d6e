//! Weekly quiet-hours windows (`quiet_hours`): list, add (one per day and start time),
//! delete. A window is read in its own time zone, the profile's unless one is given, so a
//! person who travels can keep "22:00 at home".

use super::input::{all_valid, clock_time, collect, optional_text};
use crate::notify::person::parse_timezone;
use crate::notify::NotifyError;
use crate::state::Core;
use chrono_tz::Tz;
use gatehouse_domain::accounts::parse_time_zone;
use gatehouse_domain::ids::UserId;
use gatehouse_domain::notify::{day_of_week_number, parse_day_of_week, QuietHoursRule};
use gatehouse_domain::FieldError;
use gatehouse_store::error::constraints;
use gatehouse_store::notify::preferences::{self as store, QuietHoursRow};
use gatehouse_store::Executor;
use std::str::FromStr;
use uuid::Uuid;

/// `quiet_hours.description` is a `varchar(100)`.
const DESCRIPTION_MAX_CHARS: usize = 100;

/// One stored window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuietHours {
    pub id: Uuid,
    pub rule: QuietHoursRule,
    pub description: Option<String>,
}

/// A window to add, as sent.
#[derive(Debug, Clone)]
pub struct NewQuietHours {
    /// 0 (Monday) to 6 (Sunday).
    pub day_of_week: i64,
    /// `HH:MM`; a window ending earlier than it starts runs past midnight.
    pub start_time: String,
    pub end_time: String,
    /// An IANA name; `None` takes the profile's time zone.
    pub timezone: Option<String>,
    pub allow_critical_only: bool,
    pub is_enabled: bool,
    pub description: Option<String>,
}

/// The person's windows, by day and start time.
pub async fn list_quiet_hours(
    core: &Core,
    user_id: UserId,
) -> Result<Vec<QuietHours>, NotifyError> {
    let mut conn = core.db.reader().await?;
    let rows = store::quiet_hours(conn.exec(), user_id).await?;
    Ok(rows.into_iter().filter_map(quiet_hours).collect())
}

/// Add a window; one starting at the same time on the same day is a conflict.
#[tracing::instrument(skip_all, fields(user_id = %user_id))]
pub async fn add_quiet_hours(
    core: &Core,
    user_id: UserId,
    new: NewQuietHours,
) -> Result<QuietHours, NotifyError> {
    let mut errors = Vec::new();
    let day_of_week = collect(parse_day_of_week(new.day_of_week), &mut errors);
    let start = collect(clock_time(&new.start_time, "start_time"), &mut errors);
    let end = collect(clock_time(&new.end_time, "end_time"), &mut errors);
    let timezone = match new.timezone.as_deref() {
        Some(raw) => collect(time_zone(raw), &mut errors).map(Some),
        None => Some(None),
    };
    let description = collect(
        optional_text(new.description, DESCRIPTION_MAX_CHARS, "description"),
        &mut errors,
    );
    let (Some(day_of_week), Some(start), Some(end), Some(timezone), Some(description)) =
        (day_of_week, start, end, timezone, description)
    else {
        return Err(NotifyError::Validation(errors));
    };
    let mut rule = QuietHoursRule {
        day_of_week,
        start,
        end,
        is_enabled: new.is_enabled,
        allow_critical_only: new.allow_critical_only,
        // Replaced by the profile's below when none was given; the zone does not affect
        // whether the window is valid.
        timezone: timezone.unwrap_or(Tz::UTC),
    };
    all_valid(rule.validate().err().into_iter().collect())?;

    let mut tx = core.db.begin().await?;
    if timezone.is_none() {
        let recipient = store::recipient(tx.exec(), user_id).await?;
        rule.timezone = parse_timezone(recipient.as_ref().and_then(|r| r.timezone.as_deref()));
    }
    let entry = QuietHours {
        id: Uuid::now_v7(),
        rule,
        description,
    };
    let inserted =
        store::insert_quiet_hours(tx.exec(), user_id, &row(&entry), core.clock.now()).await;
    match inserted {
        Err(e) if e.is_unique_violation(constraints::QUIET_HOURS_START) => {
            return Err(NotifyError::Conflict(
                "quiet hours already start at that time on that day",
            ))
        }
        other => other?,
    }
    tx.commit().await?;
    Ok(entry)
}

/// Delete one of the person's windows; another person's, or none, is not found.
#[tracing::instrument(skip_all, fields(user_id = %user_id))]
pub async fn remove_quiet_hours(core: &Core, user_id: UserId, id: Uuid) -> Result<(), NotifyError> {
    let mut tx = core.db.begin().await?;
    if !store::delete_quiet_hours(tx.exec(), user_id, id).await? {
        return Err(NotifyError::NotFound("quiet hours"));
    }
    tx.commit().await?;
    Ok(())
}

/// A stored window as listed. Unlike routing (`person::quiet_hours`, which leaves out a
/// window whose zone it cannot read), the list shows such a window, read as UTC, so that
/// its owner can still see and delete it. The table's CHECK keeps the day in 0..=6.
fn quiet_hours(row: QuietHoursRow) -> Option<QuietHours> {
    let rule = QuietHoursRule {
        day_of_week: parse_day_of_week(row.day_of_week.into()).ok()?,
        start: row.start_time,
        end: row.end_time,
        is_enabled: row.is_enabled,
        allow_critical_only: row.allow_critical_only,
        timezone: parse_timezone(Some(&row.timezone)),
    };
    Some(QuietHours {
        id: row.id,
        rule,
        description: row.description,
    })
}

fn time_zone(raw: &str) -> Result<Tz, FieldError> {
    let name = parse_time_zone(raw)?;
    // `parse_time_zone` answered with a name it just parsed.
    Tz::from_str(&name).map_err(|_| {
        FieldError::new(
            "timezone",
            "invalid_time_zone",
            "Enter an IANA time zone name.",
        )
    })
}

fn row(entry: &QuietHours) -> QuietHoursRow {
    QuietHoursRow {
        id: entry.id,
        day_of_week: day_of_week_number(entry.rule.day_of_week).into(),
        start_time: entry.rule.start,
        end_time: entry.rule.end,
        is_enabled: entry.rule.is_enabled,
        allow_critical_only: entry.rule.allow_critical_only,
        timezone: entry.rule.timezone.name().to_owned(),
        description: entry.description.clone(),
    }
}
