//! Notifications, in the domain's words: what kinds of message gatehouse sends, over which
//! channels, how urgent each is, and (in [`routing`]) the pure decision of whether, where
//! and when one may be delivered given a person's preferences, quiet hours, blocklist,
//! consent and daily caps. Nothing here does I/O; the core crate asks and then enqueues.

mod blocklist;
mod digest;
mod kinds;
mod local_time;
mod preferences;
mod quiet_hours;
pub mod routing;
mod sms_caps;

pub use blocklist::{
    blocks_email, blocks_phone, blocks_type, parse_blocked_value, BlockEntry, BlockType,
};
pub use digest::{digest_window_end, gather, DigestBatch, DigestItem};
pub use kinds::{Channel, ConsentType, DigestFrequency, NotificationType, Priority};
pub use local_time::{local_day_start, next_local_hour, next_local_midnight, resolve_local};
pub use preferences::{
    has_consent, parse_delay_minutes, parse_max_per_day, GlobalPreferences, TypePreference,
    DEFAULT_MAX_PER_DAY, MAX_DELAY_MINUTES, MAX_PER_DAY, MIN_PER_DAY,
};
pub use quiet_hours::{
    day_of_week_number, held_until, parse_day_of_week, QuietHoursRule, DAYS_OF_WEEK,
};
pub use routing::{route, ChannelDecision, RoutingInput, SkipReason, Verdict};
pub use sms_caps::{check_sms_caps, country_calling_code, SmsCapHit, SmsCaps};
