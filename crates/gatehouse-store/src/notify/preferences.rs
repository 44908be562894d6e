//! What a person chose about their notifications: global switches
//! (`notification_preferences`), per-type settings (`notification_type_preferences`),
//! quiet hours, the blocklist and the consent ledger; and who they are as a recipient.
//! Rows only: the decision made from them is the domain's (`gatehouse_domain::notify`).

use crate::db::Exec;
use crate::error::StoreResult;
use crate::types::Inet;
use chrono::{DateTime, NaiveTime, Utc};
use gatehouse_domain::ids::UserId;
use uuid::Uuid;

/// Where and how to reach a person.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecipientRow {
    pub email: String,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub phone_number: Option<String>,
    pub language: Option<String>,
    pub timezone: Option<String>,
    pub is_active: bool,
}

pub async fn recipient(ex: Exec<'_>, user_id: UserId) -> StoreResult<Option<RecipientRow>> {
    Ok(fetch_optional!(
        ex,
        RecipientRow,
        "SELECT u.email, u.username, p.first_name, p.phone_number, p.language, p.timezone,
                u.is_active
         FROM users u LEFT JOIN profiles p ON p.user_id = u.id WHERE u.id = $1",
        user_id.as_uuid()
    )?)
}

/// Everything routing needs to know about a person for one notification type, in one
/// round trip (queueing runs inside the change's transaction, so every statement counts):
/// who they are, their global switches and this type's settings when they ever changed
/// them, and whether they have quiet hours or blocklist entries at all (rare; the lists
/// themselves are loaded only then).
#[derive(Debug, Clone)]
pub struct Choices {
    pub recipient: RecipientRow,
    pub global: Option<GlobalRow>,
    pub type_preference: Option<TypeRow>,
    pub has_quiet_hours: bool,
    pub has_blocklist: bool,
}

#[derive(sqlx::FromRow)]
struct ChoicesRow {
    email: String,
    username: Option<String>,
    first_name: Option<String>,
    phone_number: Option<String>,
    language: Option<String>,
    timezone: Option<String>,
    is_active: bool,
    has_global: bool,
    g_email_otp: Option<bool>,
    g_email_alerts: Option<bool>,
    g_email_marketing: Option<bool>,
    g_sms_otp: Option<bool>,
    g_sms_alerts: Option<bool>,
    g_push_enabled: Option<bool>,
    g_quiet_hours_enabled: Option<bool>,
    g_quiet_start: Option<NaiveTime>,
    g_quiet_end: Option<NaiveTime>,
    g_digest_frequency: Option<String>,
    has_type: bool,
    t_email_enabled: Option<bool>,
    t_sms_enabled: Option<bool>,
    t_in_app_enabled: Option<bool>,
    t_push_enabled: Option<bool>,
    t_priority: Option<String>,
    t_respect_quiet_hours: Option<bool>,
    t_delay_minutes: Option<i32>,
    t_max_per_day: Option<i32>,
    has_quiet_hours: bool,
    has_blocklist: bool,
}

impl ChoicesRow {
    fn into_choices(self, notification_type: &str) -> Choices {
        let global = self.has_global.then(|| GlobalRow {
            email_otp: self.g_email_otp.unwrap_or_default(),
            email_alerts: self.g_email_alerts.unwrap_or_default(),
            email_marketing: self.g_email_marketing.unwrap_or_default(),
            sms_otp: self.g_sms_otp.unwrap_or_default(),
            sms_alerts: self.g_sms_alerts.unwrap_or_default(),
            push_enabled: self.g_push_enabled.unwrap_or_default(),
            quiet_hours_enabled: self.g_quiet_hours_enabled.unwrap_or_default(),
            quiet_start: self.g_quiet_start,
            quiet_end: self.g_quiet_end,
            digest_frequency: self.g_digest_frequency.clone().unwrap_or_default(),
        });
        let type_preference = self.has_type.then(|| TypeRow {
            notification_type: notification_type.to_owned(),
            email_enabled: self.t_email_enabled.unwrap_or_default(),
            sms_enabled: self.t_sms_enabled.unwrap_or_default(),
            in_app_enabled: self.t_in_app_enabled.unwrap_or_default(),
            push_enabled: self.t_push_enabled.unwrap_or_default(),
            priority: self.t_priority.clone().unwrap_or_default(),
            respect_quiet_hours: self.t_respect_quiet_hours.unwrap_or_default(),
            delay_minutes: self.t_delay_minutes.unwrap_or_default(),
            max_per_day: self.t_max_per_day.unwrap_or_default(),
        });
        Choices {
            recipient: RecipientRow {
                email: self.email,
                username: self.username,
                first_name: self.first_name,
                phone_number: self.phone_number,
                language: self.language,
                timezone: self.timezone,
                is_active: self.is_active,
            },
            global,
            type_preference,
            has_quiet_hours: self.has_quiet_hours,
            has_blocklist: self.has_blocklist,
        }
    }
}

pub async fn choices(
    ex: Exec<'_>,
    user_id: UserId,
    notification_type: &str,
) -> StoreResult<Option<Choices>> {
    let row = fetch_optional!(
        ex,
        ChoicesRow,
        "SELECT u.email, u.username, p.first_name, p.phone_number, p.language, p.timezone,
                u.is_active,
                g.user_id IS NOT NULL AS has_global,
                g.email_otp AS g_email_otp, g.email_alerts AS g_email_alerts,
                g.email_marketing AS g_email_marketing, g.sms_otp AS g_sms_otp,
                g.sms_alerts AS g_sms_alerts, g.push_enabled AS g_push_enabled,
                g.quiet_hours_enabled AS g_quiet_hours_enabled,
                g.quiet_start AS g_quiet_start, g.quiet_end AS g_quiet_end,
                g.digest_frequency AS g_digest_frequency,
                t.user_id IS NOT NULL AS has_type,
                t.email_enabled AS t_email_enabled, t.sms_enabled AS t_sms_enabled,
                t.in_app_enabled AS t_in_app_enabled, t.push_enabled AS t_push_enabled,
                t.priority AS t_priority, t.respect_quiet_hours AS t_respect_quiet_hours,
                t.delay_minutes AS t_delay_minutes, t.max_per_day AS t_max_per_day,
                EXISTS (SELECT 1 FROM quiet_hours q WHERE q.user_id = u.id) AS has_quiet_hours,
                EXISTS (SELECT 1 FROM notification_blocklist b
                        WHERE b.user_id = u.id AND b.is_active) AS has_blocklist
         FROM users u
         LEFT JOIN profiles p ON p.user_id = u.id
         LEFT JOIN notification_preferences g ON g.user_id = u.id
         LEFT JOIN notification_type_preferences t
                ON t.user_id = u.id AND t.notification_type = $2
         WHERE u.id = $1",
        user_id.as_uuid(),
        notification_type
    )?;
    Ok(row.map(|r| r.into_choices(notification_type)))
}

/// `notification_preferences` (one row per person, created on first change).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GlobalRow {
    pub email_otp: bool,
    pub email_alerts: bool,
    pub email_marketing: bool,
    pub sms_otp: bool,
    pub sms_alerts: bool,
    pub push_enabled: bool,
    pub quiet_hours_enabled: bool,
    pub quiet_start: Option<NaiveTime>,
    pub quiet_end: Option<NaiveTime>,
    pub digest_frequency: String,
}

pub async fn global(ex: Exec<'_>, user_id: UserId) -> StoreResult<Option<GlobalRow>> {
    Ok(fetch_optional!(
        ex,
        GlobalRow,
        "SELECT email_otp, email_alerts, email_marketing, sms_otp, sms_alerts, push_enabled,
                quiet_hours_enabled, quiet_start, quiet_end, digest_frequency
         FROM notification_preferences WHERE user_id = $1",
        user_id.as_uuid()
    )?)
}

pub async fn upsert_global(
    ex: Exec<'_>,
    user_id: UserId,
    g: &GlobalRow,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO notification_preferences (id, user_id, email_otp, email_alerts,
             email_marketing, sms_otp, sms_alerts, push_enabled, quiet_hours_enabled,
             quiet_start, quiet_end, digest_frequency, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
         ON CONFLICT (user_id) DO UPDATE SET email_otp = $3, email_alerts = $4,
             email_marketing = $5, sms_otp = $6, sms_alerts = $7, push_enabled = $8,
             quiet_hours_enabled = $9, quiet_start = $10, quiet_end = $11,
             digest_frequency = $12, updated_at = $13",
        Uuid::now_v7(),
        user_id.as_uuid(),
        g.email_otp,
        g.email_alerts,
        g.email_marketing,
        g.sms_otp,
        g.sms_alerts,
        g.push_enabled,
        g.quiet_hours_enabled,
        g.quiet_start,
        g.quiet_end,
        g.digest_frequency.as_str(),
        now
    )?;
    Ok(())
}

/// `notification_type_preferences`: one row per person and type they changed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TypeRow {
    pub notification_type: String,
    pub email_enabled: bool,
    pub sms_enabled: bool,
    pub in_app_enabled: bool,
    pub push_enabled: bool,
    pub priority: String,
    pub respect_quiet_hours: bool,
    pub delay_minutes: i32,
    pub max_per_day: i32,
}

pub async fn type_preference(
    ex: Exec<'_>,
    user_id: UserId,
    notification_type: &str,
) -> StoreResult<Option<TypeRow>> {
    Ok(fetch_optional!(
        ex,
        TypeRow,
        "SELECT notification_type, email_enabled, sms_enabled, in_app_enabled, push_enabled,
                priority, respect_quiet_hours, delay_minutes, max_per_day
         FROM notification_type_preferences WHERE user_id = $1 AND notification_type = $2",
        user_id.as_uuid(),
        notification_type
    )?)
}

pub async fn type_preferences(ex: Exec<'_>, user_id: UserId) -> StoreResult<Vec<TypeRow>> {
    Ok(fetch_all!(
        ex,
        TypeRow,
        "SELECT notification_type, email_enabled, sms_enabled, in_app_enabled, push_enabled,
                priority, respect_quiet_hours, delay_minutes, max_per_day
         FROM notification_type_preferences WHERE user_id = $1 ORDER BY notification_type",
        user_id.as_uuid()
    )?)
}

pub async fn upsert_type_preference(
    ex: Exec<'_>,
    user_id: UserId,
    t: &TypeRow,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO notification_type_preferences (id, user_id, notification_type,
             email_enabled, sms_enabled, in_app_enabled, push_enabled, priority,
             respect_quiet_hours, delay_minutes, max_per_day, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
         ON CONFLICT (user_id, notification_type) DO UPDATE SET email_enabled = $4,
             sms_enabled = $5, in_app_enabled = $6, push_enabled = $7, priority = $8,
             respect_quiet_hours = $9, delay_minutes = $10, max_per_day = $11,
             updated_at = $12",
        Uuid::now_v7(),
        user_id.as_uuid(),
        t.notification_type.as_str(),
        t.email_enabled,
        t.sms_enabled,
        t.in_app_enabled,
        t.push_enabled,
        t.priority.as_str(),
        t.respect_quiet_hours,
        t.delay_minutes,
        t.max_per_day,
        now
    )?;
    Ok(())
}

/// `quiet_hours`: one row per window (day of week 0 = Monday).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QuietHoursRow {
    pub id: Uuid,
    pub day_of_week: i32,
    pub start_time: NaiveTime,
    pub end_time: NaiveTime,
    pub is_enabled: bool,
    pub allow_critical_only: bool,
    pub timezone: String,
    pub description: Option<String>,
}

pub async fn quiet_hours(ex: Exec<'_>, user_id: UserId) -> StoreResult<Vec<QuietHoursRow>> {
    Ok(fetch_all!(
        ex,
        QuietHoursRow,
        "SELECT id, day_of_week, start_time, end_time, is_enabled, allow_critical_only,
                timezone, description
         FROM quiet_hours WHERE user_id = $1 ORDER BY day_of_week, start_time",
        user_id.as_uuid()
    )?)
}

/// Insert a window; fails with a unique violation on `(user_id, day_of_week, start_time)`.
pub async fn insert_quiet_hours(
    ex: Exec<'_>,
    user_id: UserId,
    q: &QuietHoursRow,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO quiet_hours (id, user_id, day_of_week, start_time, end_time, is_enabled,
             allow_critical_only, timezone, description, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        q.id,
        user_id.as_uuid(),
        q.day_of_week,
        q.start_time,
        q.end_time,
        q.is_enabled,
        q.allow_critical_only,
        q.timezone.as_str(),
        q.description.as_deref(),
        now
    )?;
    Ok(())
}

/// Delete one of the person's windows; whether it existed.
pub async fn delete_quiet_hours(ex: Exec<'_>, user_id: UserId, id: Uuid) -> StoreResult<bool> {
    Ok(execute!(
        ex,
        "DELETE FROM quiet_hours WHERE id = $1 AND user_id = $2",
        id,
        user_id.as_uuid()
    )? == 1)
}

/// `notification_blocklist`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BlockRow {
    pub id: Uuid,
    pub block_type: String,
    pub blocked_value: String,
    pub is_active: bool,
    pub blocked_at: DateTime<Utc>,
    pub reason: Option<String>,
}

/// The person's active blocks.
pub async fn blocklist(ex: Exec<'_>, user_id: UserId) -> StoreResult<Vec<BlockRow>> {
    Ok(fetch_all!(
        ex,
        BlockRow,
        "SELECT id, block_type, blocked_value, is_active, blocked_at, reason
         FROM notification_blocklist WHERE user_id = $1 AND is_active ORDER BY id",
        user_id.as_uuid()
    )?)
}

/// Block a value; blocking one that was unblocked before makes that row active again.
/// Returns the row as stored.
pub async fn block(
    ex: Exec<'_>,
    user_id: UserId,
    block_type: &str,
    blocked_value: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<BlockRow> {
    Ok(fetch_one!(
        ex,
        BlockRow,
        "INSERT INTO notification_blocklist (id, user_id, block_type, blocked_value, is_active,
             blocked_at, unblocked_at, reason, created_at)
         VALUES ($1, $2, $3, $4, true, $5, NULL, $6, $5)
         ON CONFLICT (user_id, block_type, blocked_value) DO UPDATE SET is_active = true,
             blocked_at = $5, unblocked_at = NULL, reason = $6
         RETURNING id, block_type, blocked_value, is_active, blocked_at, reason",
        Uuid::now_v7(),
        user_id.as_uuid(),
        block_type,
        blocked_value,
        now,
        reason
    )?)
}

/// Lift one of the person's active blocks (kept, inactive, for the record); whether one was.
pub async fn unblock(
    ex: Exec<'_>,
    user_id: UserId,
    id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    Ok(execute!(
        ex,
        "UPDATE notification_blocklist SET is_active = false, unblocked_at = $3
         WHERE id = $1 AND user_id = $2 AND is_active",
        id,
        user_id.as_uuid(),
        now
    )? == 1)
}

/// A consent's current state (`notification_consents`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ConsentRow {
    pub consent_type: String,
    pub is_consented: bool,
    pub consented_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub source: Option<String>,
    pub updated_at: DateTime<Utc>,
}

pub async fn consents(ex: Exec<'_>, user_id: UserId) -> StoreResult<Vec<ConsentRow>> {
    Ok(fetch_all!(
        ex,
        ConsentRow,
        "SELECT consent_type, is_consented, consented_at, withdrawn_at, source, updated_at
         FROM notification_consents WHERE user_id = $1 ORDER BY consent_type",
        user_id.as_uuid()
    )?)
}

/// One grant or withdrawal, as the ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ConsentEventRow {
    pub id: Uuid,
    pub consent_type: String,
    pub granted: bool,
    pub source: String,
    pub ip_address: Option<Inet>,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Record a grant or withdrawal: the current state changes and the ledger gains a line.
pub async fn record_consent(
    mut ex: Exec<'_>,
    user_id: UserId,
    e: &ConsentEventRow,
) -> StoreResult<()> {
    execute!(
        ex.reborrow(),
        "INSERT INTO notification_consents (id, user_id, consent_type, is_consented,
             consented_at, withdrawn_at, source, ip_address, user_agent, created_at, updated_at)
         VALUES ($1, $2, $3, $4, CASE WHEN $4 THEN $8 END, CASE WHEN $4 THEN NULL ELSE $8 END,
                 $5, $6, $7, $8, $8)
         ON CONFLICT (user_id, consent_type) DO UPDATE SET is_consented = $4,
             consented_at = CASE WHEN $4 THEN $8 ELSE notification_consents.consented_at END,
             withdrawn_at = CASE WHEN $4 THEN NULL ELSE $8 END,
             source = $5, ip_address = $6, user_agent = $7, updated_at = $8",
        Uuid::now_v7(),
        user_id.as_uuid(),
        e.consent_type.as_str(),
        e.granted,
        e.source.as_str(),
        e.ip_address,
        e.user_agent.as_deref(),
        e.created_at
    )?;
    execute!(
        ex,
        "INSERT INTO notification_consent_events (id, user_id, consent_type, granted, source,
             ip_address, user_agent, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        e.id,
        user_id.as_uuid(),
        e.consent_type.as_str(),
        e.granted,
        e.source.as_str(),
        e.ip_address,
        e.user_agent.as_deref(),
        e.created_at
    )?;
    Ok(())
}

/// The person's ledger, newest first.
pub async fn consent_events(ex: Exec<'_>, user_id: UserId) -> StoreResult<Vec<ConsentEventRow>> {
    Ok(fetch_all!(
        ex,
        ConsentEventRow,
        "SELECT id, consent_type, granted, source, ip_address, user_agent, created_at
         FROM notification_consent_events WHERE user_id = $1 ORDER BY id DESC",
        user_id.as_uuid()
    )?)
}
