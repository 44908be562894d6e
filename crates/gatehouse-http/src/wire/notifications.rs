//! Notification preferences on the wire: the global switches and per-type settings, quiet
//! hours, the blocklist, consents and the in-app feed. Requests carry enumerations and times
//! as strings, checked by the use cases so that a bad one is a 422 naming its field; the
//! document still lists the accepted values ([`names`]).

mod names;

use chrono::{DateTime, NaiveTime, Utc};
use gatehouse_core::notify::preferences::{
    Block, ConsentChange, ConsentEvent, ConsentState, Consents, GlobalChange, InAppNotification,
    NewBlock, NewQuietHours, NotificationSettings, QuietHours, TypeChange, TypeSettings,
};
use gatehouse_domain::notify::{
    day_of_week_number, BlockType, ConsentType, DigestFrequency, NotificationType, Priority,
};
use names::{
    BlockTypeName, ConsentTypeName, DigestFrequencyName, NotificationTypeName, PriorityName,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A time of day as the wire shows it: `HH:MM`.
fn clock_time(time: NaiveTime) -> String {
    time.format("%H:%M").to_string()
}

/// New global switches. Every field is required; the quiet window's ends are both `HH:MM`
/// or both `null`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationPreferencesRequest {
    /// One-time codes by email (used when another channel could also carry the code).
    pub email_otp: bool,
    /// Security alerts and digests by email.
    pub email_alerts: bool,
    /// Product news by email (the `marketing` consent is needed as well).
    pub email_marketing: bool,
    /// One-time codes by SMS (used when another channel could also carry the code).
    pub sms_otp: bool,
    /// Security alerts and digests by SMS.
    pub sms_alerts: bool,
    /// Anything by push.
    pub push_enabled: bool,
    /// Hold non-critical messages during the daily quiet window below.
    pub quiet_hours_enabled: bool,
    /// Start of the daily quiet window, `HH:MM` in the profile's time zone, or `null`.
    #[serde(deserialize_with = "Option::deserialize")]
    #[schema(
        required = true,
        pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$",
        example = "22:00"
    )]
    pub quiet_start: Option<String>,
    /// End of the daily quiet window; earlier than the start means the next morning.
    #[serde(deserialize_with = "Option::deserialize")]
    #[schema(
        required = true,
        pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$",
        example = "07:00"
    )]
    pub quiet_end: Option<String>,
    /// How often non-critical alerts are sent: at once, or gathered hourly or daily.
    #[schema(value_type = DigestFrequencyName)]
    pub digest_frequency: String,
}

impl From<NotificationPreferencesRequest> for GlobalChange {
    fn from(r: NotificationPreferencesRequest) -> Self {
        Self {
            email_otp: r.email_otp,
            email_alerts: r.email_alerts,
            email_marketing: r.email_marketing,
            sms_otp: r.sms_otp,
            sms_alerts: r.sms_alerts,
            push_enabled: r.push_enabled,
            quiet_hours_enabled: r.quiet_hours_enabled,
            quiet_start: r.quiet_start,
            quiet_end: r.quiet_end,
            digest_frequency: r.digest_frequency,
        }
    }
}

/// The global switches (the defaults until first changed), the time zone the quiet window
/// is read in, and the effective settings of every notification type.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPreferencesResponse {
    pub email_otp: bool,
    pub email_alerts: bool,
    pub email_marketing: bool,
    pub sms_otp: bool,
    pub sms_alerts: bool,
    pub push_enabled: bool,
    pub quiet_hours_enabled: bool,
    /// `HH:MM`, or `null` when no daily window is set.
    #[schema(example = "22:00")]
    pub quiet_start: Option<String>,
    #[schema(example = "07:00")]
    pub quiet_end: Option<String>,
    #[schema(value_type = DigestFrequencyName)]
    pub digest_frequency: DigestFrequency,
    /// The profile's time zone (change it with `PATCH /v1/me/profile`).
    #[schema(example = "Europe/Paris")]
    pub timezone: String,
    /// Every notification type, in a fixed order.
    pub types: Vec<TypePreferenceResponse>,
}

impl From<NotificationSettings> for NotificationPreferencesResponse {
    fn from(s: NotificationSettings) -> Self {
        let g = s.global;
        Self {
            email_otp: g.email_otp,
            email_alerts: g.email_alerts,
            email_marketing: g.email_marketing,
            sms_otp: g.sms_otp,
            sms_alerts: g.sms_alerts,
            push_enabled: g.push_enabled,
            quiet_hours_enabled: g.quiet_hours_enabled,
            quiet_start: g.quiet_start.map(clock_time),
            quiet_end: g.quiet_end.map(clock_time),
            digest_frequency: g.digest_frequency,
            timezone: g.timezone.name().to_owned(),
            types: s.types.into_iter().map(Into::into).collect(),
        }
    }
}

/// New settings for one notification type; every field is required.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TypePreferenceRequest {
    pub email_enabled: bool,
    pub sms_enabled: bool,
    pub in_app_enabled: bool,
    pub push_enabled: bool,
    /// `critical` passes quiet hours that allow critical messages, and is never digested.
    #[schema(value_type = PriorityName)]
    pub priority: String,
    /// `false`: sent during quiet hours too.
    pub respect_quiet_hours: bool,
    /// Minutes each message of this type is held before it is sent.
    #[schema(minimum = 0, maximum = 1440, example = 0)]
    pub delay_minutes: i64,
    /// At most this many of this type per channel per day (in the profile's time zone).
    #[schema(minimum = 1, maximum = 1000, example = 100)]
    pub max_per_day: i64,
}

impl From<TypePreferenceRequest> for TypeChange {
    fn from(r: TypePreferenceRequest) -> Self {
        Self {
            email_enabled: r.email_enabled,
            sms_enabled: r.sms_enabled,
            in_app_enabled: r.in_app_enabled,
            push_enabled: r.push_enabled,
            priority: r.priority,
            respect_quiet_hours: r.respect_quiet_hours,
            delay_minutes: r.delay_minutes,
            max_per_day: r.max_per_day,
        }
    }
}

/// One notification type's effective settings: the person's, or the defaults.
#[derive(Debug, Serialize, ToSchema)]
pub struct TypePreferenceResponse {
    #[serde(rename = "type")]
    #[schema(value_type = NotificationTypeName)]
    pub notification_type: NotificationType,
    /// Codes and links the person asked for just now (`otp_code`, `email_verification`,
    /// `password_reset`): sent at once whatever these settings say, and never blockable.
    pub transactional: bool,
    pub email_enabled: bool,
    pub sms_enabled: bool,
    pub in_app_enabled: bool,
    pub push_enabled: bool,
    #[schema(value_type = PriorityName)]
    pub priority: Priority,
    pub respect_quiet_hours: bool,
    #[schema(minimum = 0, maximum = 1440)]
    pub delay_minutes: u32,
    #[schema(minimum = 1, maximum = 1000)]
    pub max_per_day: u32,
}

impl From<TypeSettings> for TypePreferenceResponse {
    fn from(t: TypeSettings) -> Self {
        let p = t.preference;
        Self {
            notification_type: t.notification_type,
            transactional: t.notification_type.is_transactional(),
            email_enabled: p.email_enabled,
            sms_enabled: p.sms_enabled,
            in_app_enabled: p.in_app_enabled,
            push_enabled: p.push_enabled,
            priority: p.priority,
            respect_quiet_hours: p.respect_quiet_hours,
            delay_minutes: p.delay_minutes,
            max_per_day: p.max_per_day,
        }
    }
}

/// A weekly quiet window to add.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuietHoursRequest {
    /// The day the window starts on: 0 (Monday) to 6 (Sunday).
    #[schema(minimum = 0, maximum = 6, example = 4)]
    pub day_of_week: i64,
    /// `HH:MM`.
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "22:00")]
    pub start_time: String,
    /// `HH:MM`; earlier than `start_time` means the next day (22:00-07:00 runs overnight).
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "07:00")]
    pub end_time: String,
    /// IANA time zone name; default: the profile's.
    #[schema(example = "Europe/Paris")]
    pub timezone: Option<String>,
    /// `true` (default): critical messages pass; `false`: the window holds everything.
    pub allow_critical_only: Option<bool>,
    /// Default `true`.
    pub is_enabled: Option<bool>,
    #[schema(max_length = 100, example = "Weekend lie-in")]
    pub description: Option<String>,
}

impl From<QuietHoursRequest> for NewQuietHours {
    fn from(r: QuietHoursRequest) -> Self {
        Self {
            day_of_week: r.day_of_week,
            start_time: r.start_time,
            end_time: r.end_time,
            timezone: r.timezone,
            allow_critical_only: r.allow_critical_only.unwrap_or(true),
            is_enabled: r.is_enabled.unwrap_or(true),
            description: r.description,
        }
    }
}

/// A weekly quiet window.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuietHoursResponse {
    pub id: Uuid,
    /// 0 (Monday) to 6 (Sunday).
    #[schema(minimum = 0, maximum = 6)]
    pub day_of_week: u8,
    #[schema(example = "22:00")]
    pub start_time: String,
    #[schema(example = "07:00")]
    pub end_time: String,
    #[schema(example = "Europe/Paris")]
    pub timezone: String,
    pub allow_critical_only: bool,
    pub is_enabled: bool,
    pub description: Option<String>,
}

impl From<QuietHours> for QuietHoursResponse {
    fn from(q: QuietHours) -> Self {
        Self {
            id: q.id,
            day_of_week: day_of_week_number(q.rule.day_of_week),
            start_time: clock_time(q.rule.start),
            end_time: clock_time(q.rule.end),
            timezone: q.rule.timezone.name().to_owned(),
            allow_critical_only: q.rule.allow_critical_only,
            is_enabled: q.rule.is_enabled,
            description: q.description,
        }
    }
}

/// Every quiet window, by day and start time.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuietHoursList {
    pub items: Vec<QuietHoursResponse>,
}

/// Something to block.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockRequest {
    #[schema(value_type = BlockTypeName)]
    pub block_type: String,
    /// An email address, an E.164 phone number, or a notification type's name (codes and
    /// links cannot be blocked).
    #[schema(example = "old-address@example.com")]
    pub value: String,
    #[schema(max_length = 255, example = "I no longer use this address")]
    pub reason: Option<String>,
}

impl From<BlockRequest> for NewBlock {
    fn from(r: BlockRequest) -> Self {
        Self {
            block_type: r.block_type,
            value: r.value,
            reason: r.reason,
        }
    }
}

/// An active blocklist entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockResponse {
    pub id: Uuid,
    #[schema(value_type = BlockTypeName)]
    pub block_type: BlockType,
    /// As stored: email lower-cased, phone number in E.164.
    #[schema(example = "old-address@example.com")]
    pub value: String,
    pub reason: Option<String>,
    pub blocked_at: DateTime<Utc>,
}

impl From<Block> for BlockResponse {
    fn from(b: Block) -> Self {
        Self {
            id: b.id,
            block_type: b.block_type,
            value: b.value,
            reason: b.reason,
            blocked_at: b.blocked_at,
        }
    }
}

/// Every active blocklist entry, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockList {
    pub items: Vec<BlockResponse>,
}

/// A grant (`true`) or withdrawal (`false`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    pub granted: bool,
    /// Where the person decided: 1 to 50 of `a-z 0-9 _ -`. Default `api`.
    #[schema(max_length = 50, pattern = "^[a-z0-9_-]{1,50}$", example = "web")]
    pub source: Option<String>,
}

impl From<ConsentRequest> for ConsentChange {
    fn from(r: ConsentRequest) -> Self {
        Self {
            granted: r.granted,
            source: r.source,
        }
    }
}

/// One consent's current state (`granted: false` when never recorded).
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentStateResponse {
    #[serde(rename = "type")]
    #[schema(value_type = ConsentTypeName)]
    pub consent_type: ConsentType,
    pub granted: bool,
    /// Where the last change came from.
    pub source: Option<String>,
    /// When it was last granted.
    pub consented_at: Option<DateTime<Utc>>,
    /// When it was withdrawn, if it is withdrawn.
    pub withdrawn_at: Option<DateTime<Utc>>,
}

impl From<ConsentState> for ConsentStateResponse {
    fn from(c: ConsentState) -> Self {
        Self {
            consent_type: c.consent_type,
            granted: c.granted,
            source: c.source,
            consented_at: c.consented_at,
            withdrawn_at: c.withdrawn_at,
        }
    }
}

/// One grant or withdrawal, as the ledger keeps it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentEventResponse {
    #[serde(rename = "type")]
    #[schema(value_type = ConsentTypeName)]
    pub consent_type: ConsentType,
    pub granted: bool,
    #[schema(example = "web")]
    pub source: String,
    /// The address the request came from.
    #[schema(example = "203.0.113.7")]
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<ConsentEvent> for ConsentEventResponse {
    fn from(e: ConsentEvent) -> Self {
        Self {
            consent_type: e.consent_type,
            granted: e.granted,
            source: e.source,
            ip: e.ip.map(|ip| ip.to_string()),
            user_agent: e.user_agent,
            at: e.at,
        }
    }
}

/// Every consent's current state, and the ledger of changes, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentsResponse {
    pub consents: Vec<ConsentStateResponse>,
    pub history: Vec<ConsentEventResponse>,
}

impl From<Consents> for ConsentsResponse {
    fn from(c: Consents) -> Self {
        Self {
            consents: c.states.into_iter().map(Into::into).collect(),
            history: c.history.into_iter().map(Into::into).collect(),
        }
    }
}

/// A message in the in-app feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct InAppNotificationResponse {
    pub id: Uuid,
    #[serde(rename = "type")]
    #[schema(example = "login_new_device")]
    pub notification_type: String,
    #[schema(example = "high")]
    pub priority: String,
    pub title: String,
    pub body: String,
    /// When it was first marked read; `null` while unread.
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<InAppNotification> for InAppNotificationResponse {
    fn from(n: InAppNotification) -> Self {
        Self {
            id: n.id,
            notification_type: n.notification_type,
            priority: n.priority,
            title: n.title,
            body: n.body,
            read_at: n.read_at,
            created_at: n.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InAppNotificationList {
    pub items: Vec<InAppNotificationResponse>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}
