//! What routing needs to know about one person, loaded from the store and turned into the
//! domain's types: where to reach them, their language and time zone, and what they chose
//! (switches, per-type settings, quiet hours, blocklist, consents). A row the domain
//! cannot read (an unknown time zone written by an older version, say) falls back to the
//! default rather than stopping a security alert.

use chrono_tz::Tz;
use gatehouse_domain::ids::UserId;
use gatehouse_domain::notify::{
    parse_day_of_week, BlockEntry, ConsentType, DigestFrequency, GlobalPreferences,
    NotificationType, QuietHoursRule, TypePreference,
};
use gatehouse_store::notify::preferences::{
    self, BlockRow, ConsentRow, GlobalRow, QuietHoursRow, RecipientRow, TypeRow,
};
use gatehouse_store::{Exec, StoreResult};

/// A person as a recipient.
#[derive(Debug, Clone)]
pub struct Person {
    pub email: String,
    pub phone: Option<String>,
    /// How alerts address them: first name, else username, else the email's local part.
    pub display_name: String,
    pub language: String,
    pub timezone: Tz,
    pub is_active: bool,
}

impl Person {
    pub fn from_row(row: RecipientRow) -> Self {
        let display_name = row
            .first_name
            .filter(|n| !n.trim().is_empty())
            .or(row.username)
            .unwrap_or_else(|| row.email.split('@').next().unwrap_or("").to_owned());
        Self {
            display_name,
            phone: row.phone_number.filter(|p| !p.is_empty()),
            language: row.language.unwrap_or_else(|| "en".to_owned()),
            timezone: parse_timezone(row.timezone.as_deref()),
            is_active: row.is_active,
            email: row.email,
        }
    }
}

pub fn parse_timezone(name: Option<&str>) -> Tz {
    name.and_then(|n| n.parse::<Tz>().ok()).unwrap_or(Tz::UTC)
}

pub async fn load_person(ex: Exec<'_>, user_id: UserId) -> StoreResult<Option<Person>> {
    Ok(preferences::recipient(ex, user_id)
        .await?
        .map(Person::from_row))
}

/// A person and what they chose, as routing reads it, for one notification type.
#[derive(Debug, Clone)]
pub struct Audience {
    pub person: Person,
    pub global: GlobalPreferences,
    pub type_preference: TypePreference,
    pub quiet_hours: Vec<QuietHoursRule>,
    pub blocklist: Vec<BlockEntry>,
}

/// Load `user_id` as the audience of a `kind` message: one statement, plus one each for
/// quiet hours and the blocklist only when the person has any.
pub async fn load_audience(
    mut ex: Exec<'_>,
    user_id: UserId,
    kind: NotificationType,
) -> StoreResult<Option<Audience>> {
    let Some(choices) = preferences::choices(ex.reborrow(), user_id, kind.as_str()).await? else {
        return Ok(None);
    };
    let person = Person::from_row(choices.recipient);
    let quiet_hours = if choices.has_quiet_hours {
        quiet_hours(preferences::quiet_hours(ex.reborrow(), user_id).await?)
    } else {
        Vec::new()
    };
    let blocklist = if choices.has_blocklist {
        blocklist(preferences::blocklist(ex, user_id).await?)
    } else {
        Vec::new()
    };
    Ok(Some(Audience {
        global: global_preferences(choices.global, person.timezone),
        type_preference: type_preference(kind, choices.type_preference),
        person,
        quiet_hours,
        blocklist,
    }))
}

/// The global switches (the seed's defaults when the person never changed them), read in
/// their time zone.
pub fn global_preferences(row: Option<GlobalRow>, timezone: Tz) -> GlobalPreferences {
    let defaults = GlobalPreferences {
        timezone,
        ..GlobalPreferences::default()
    };
    let Some(r) = row else {
        return defaults;
    };
    GlobalPreferences {
        email_otp: r.email_otp,
        email_alerts: r.email_alerts,
        email_marketing: r.email_marketing,
        sms_otp: r.sms_otp,
        sms_alerts: r.sms_alerts,
        push_enabled: r.push_enabled,
        quiet_hours_enabled: r.quiet_hours_enabled,
        quiet_start: r.quiet_start,
        quiet_end: r.quiet_end,
        digest_frequency: r
            .digest_frequency
            .parse()
            .unwrap_or(DigestFrequency::RealTime),
        timezone,
    }
}

/// A type's settings as stored, or its defaults.
pub fn type_preference(kind: NotificationType, row: Option<TypeRow>) -> TypePreference {
    let defaults = TypePreference::default_for(kind);
    let Some(r) = row else {
        return defaults;
    };
    TypePreference {
        email_enabled: r.email_enabled,
        sms_enabled: r.sms_enabled,
        in_app_enabled: r.in_app_enabled,
        push_enabled: r.push_enabled,
        priority: r.priority.parse().unwrap_or(defaults.priority),
        respect_quiet_hours: r.respect_quiet_hours,
        delay_minutes: u32::try_from(r.delay_minutes).unwrap_or(defaults.delay_minutes),
        max_per_day: u32::try_from(r.max_per_day).unwrap_or(defaults.max_per_day),
    }
}

/// Quiet-hour windows the domain can read (others are left out).
pub fn quiet_hours(rows: Vec<QuietHoursRow>) -> Vec<QuietHoursRule> {
    rows.into_iter()
        .filter_map(|r| {
            Some(QuietHoursRule {
                day_of_week: parse_day_of_week(i64::from(r.day_of_week)).ok()?,
                start: r.start_time,
                end: r.end_time,
                is_enabled: r.is_enabled,
                allow_critical_only: r.allow_critical_only,
                timezone: r.timezone.parse().ok()?,
            })
        })
        .collect()
}

pub fn blocklist(rows: Vec<BlockRow>) -> Vec<BlockEntry> {
    rows.into_iter()
        .filter_map(|r| {
            Some(BlockEntry {
                block_type: r.block_type.parse().ok()?,
                value: r.blocked_value,
                is_active: r.is_active,
            })
        })
        .collect()
}

pub fn consents(rows: Vec<ConsentRow>) -> Vec<(ConsentType, bool)> {
    rows.into_iter()
        .filter_map(|r| Some((r.consent_type.parse().ok()?, r.is_consented)))
        .collect()
}
