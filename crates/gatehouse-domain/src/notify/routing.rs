//! The routing decision (DESIGN §6): for one message and one person, per channel, whether
//! it is delivered (and from when), gathered into a digest, or skipped (and why). Pure:
//! the core loads the person's settings, asks [`route`], and enqueues what it answers.
//!
//! Checks, in this order, per channel (the first that fails names the skip reason):
//! 1. the type goes by this channel, and it is the one the caller asked for, if any
//!    (`ChannelUnsupported`);
//! 2. the type is not blocked (`Blocked`);
//! 3. the global and per-type switches allow the channel (`ChannelDisabled`);
//! 4. marketing has its consent (`NoConsent`);
//! 5. email and SMS have an address (`NoRecipient`) that is not blocked (`Blocked`);
//! 6. the type's daily cap on this channel is not reached (`DailyCapReached`).
//!
//! Then timing: non-critical security alerts go to the digest when the person asked for
//! one; everything else is delivered after the type's delay, held past quiet hours.
//! In-app entries are never held or digested: they wait in the feed anyway.
//!
//! Codes and links (transactional types) skip the switches, consent, caps, delay, quiet
//! hours and digests: the person asked for them just now. They go only to `only_channel`
//! when the caller names it (an OTP requested by SMS goes by SMS even with `sms_otp` off).
//! Without it they go to every channel they support, and for `otp_code` the global
//! `email_otp`/`sms_otp` switches are honoured unless that would leave no channel at all.
//! The blocklist still applies to their addresses.

use chrono::{DateTime, Duration, Utc};

use super::blocklist::{blocks_email, blocks_phone, blocks_type, BlockEntry};
use super::digest::digest_window_end;
use super::preferences::{has_consent, GlobalPreferences, TypePreference, MAX_DELAY_MINUTES};
use super::quiet_hours::{held_until, QuietHoursRule};
use super::{Channel, ConsentType, NotificationType, Priority};

/// Everything the decision depends on, loaded by the caller.
#[derive(Debug, Clone)]
pub struct RoutingInput<'a> {
    pub notification_type: NotificationType,
    pub now: DateTime<Utc>,
    pub global: &'a GlobalPreferences,
    /// The person's settings for this type; `None` means [`TypePreference::default_for`].
    pub type_preference: Option<&'a TypePreference>,
    pub quiet_hours: &'a [QuietHoursRule],
    pub blocklist: &'a [BlockEntry],
    /// Current consent states; a type not listed was never granted.
    pub consents: &'a [(ConsentType, bool)],
    /// The person's email address and E.164 phone number, when they have one.
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    /// Messages of this type sent to this person per channel since the start of their
    /// local day ([`super::local_day_start`]); a channel not listed had none.
    pub sent_today: &'a [(Channel, u32)],
    /// The one channel the caller wants (the person chose SMS for this code).
    pub only_channel: Option<Channel>,
}

/// The answer for one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelDecision {
    pub channel: Channel,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send, not before this instant (now, after the delay, or when quiet hours end).
    Deliver {
        not_before: DateTime<Utc>,
    },
    /// Gather into the person's digest that goes out at `window_end`.
    Digest {
        window_end: DateTime<Utc>,
    },
    Skip(SkipReason),
}

impl Verdict {
    pub fn is_deliver(&self) -> bool {
        matches!(self, Verdict::Deliver { .. })
    }

    pub fn is_skip(&self) -> bool {
        matches!(self, Verdict::Skip(_))
    }
}

string_enum!(
    /// Why a channel gets nothing (kept in `notification_log` metadata).
    SkipReason {
        ChannelDisabled => "channel_disabled",
        NoRecipient => "no_recipient",
        Blocked => "blocked",
        NoConsent => "no_consent",
        DailyCapReached => "daily_cap_reached",
        ChannelUnsupported => "channel_unsupported",
    }
);

/// Decide every channel, in [`Channel::ALL`] order.
pub fn route(input: &RoutingInput<'_>) -> Vec<ChannelDecision> {
    let default_preference;
    let preference = match input.type_preference {
        Some(preference) => preference,
        None => {
            default_preference = TypePreference::default_for(input.notification_type);
            &default_preference
        }
    };
    let router = Router { input, preference };
    let otp_switches_apply =
        input.notification_type == NotificationType::OtpCode && input.only_channel.is_none();
    let decisions = router.decide_all(otp_switches_apply);
    if otp_switches_apply && !decisions.iter().any(|d| d.verdict.is_deliver()) {
        // The person's email_otp/sms_otp choice picks among channels; it never leaves
        // them without their code.
        return router.decide_all(false);
    }
    decisions
}

struct Router<'i, 'a> {
    input: &'i RoutingInput<'a>,
    preference: &'i TypePreference,
}

impl Router<'_, '_> {
    fn decide_all(&self, honour_otp_switches: bool) -> Vec<ChannelDecision> {
        Channel::ALL
            .iter()
            .map(|&channel| ChannelDecision {
                channel,
                verdict: match self.check(channel, honour_otp_switches) {
                    Ok(()) => self.timing(channel),
                    Err(reason) => Verdict::Skip(reason),
                },
            })
            .collect()
    }

    fn check(&self, channel: Channel, honour_otp_switches: bool) -> Result<(), SkipReason> {
        let input = self.input;
        let kind = input.notification_type;
        let is_asked_for = input.only_channel.is_none_or(|only| only == channel);
        require(
            kind.supports(channel) && is_asked_for,
            SkipReason::ChannelUnsupported,
        )?;
        require(!blocks_type(input.blocklist, kind), SkipReason::Blocked)?;
        require(
            self.is_switched_on(channel, honour_otp_switches),
            SkipReason::ChannelDisabled,
        )?;
        require(self.has_needed_consent(channel), SkipReason::NoConsent)?;
        match channel {
            Channel::Email => {
                let email = present(input.email).ok_or(SkipReason::NoRecipient)?;
                require(!blocks_email(input.blocklist, email), SkipReason::Blocked)?;
            }
            Channel::Sms => {
                let phone = present(input.phone).ok_or(SkipReason::NoRecipient)?;
                require(!blocks_phone(input.blocklist, phone), SkipReason::Blocked)?;
            }
            // The feed belongs to the account, and push devices are the core's to find.
            Channel::InApp | Channel::Push => {}
        }
        require(
            kind.is_transactional() || self.sent_today(channel) < self.preference.max_per_day,
            SkipReason::DailyCapReached,
        )
    }

    fn is_switched_on(&self, channel: Channel, honour_otp_switches: bool) -> bool {
        let global = self.input.global;
        let kind = self.input.notification_type;
        if kind.is_transactional() {
            // Only `otp_code` has switches (verification and reset links have none).
            let otp_switch = match channel {
                Channel::Email => global.email_otp,
                Channel::Sms => global.sms_otp,
                Channel::InApp | Channel::Push => true,
            };
            let switches_apply = kind == NotificationType::OtpCode && honour_otp_switches;
            return !switches_apply || otp_switch;
        }
        let global_switch = match channel {
            Channel::Email if kind.is_marketing() => global.email_marketing,
            Channel::Email => global.email_alerts,
            // Marketing by SMS has no global switch: its own consent is the switch.
            Channel::Sms if kind.is_marketing() => true,
            Channel::Sms => global.sms_alerts,
            Channel::InApp => true,
            Channel::Push => global.push_enabled,
        };
        global_switch && self.preference.is_enabled(channel)
    }

    /// Marketing needs `marketing` consent; by SMS also `sms_marketing`, the separate
    /// express consent text-message marketing requires (e.g. the US TCPA).
    fn has_needed_consent(&self, channel: Channel) -> bool {
        let consents = self.input.consents;
        if !self.input.notification_type.is_marketing() {
            return true;
        }
        has_consent(consents, ConsentType::Marketing)
            && (channel != Channel::Sms || has_consent(consents, ConsentType::SmsMarketing))
    }

    fn sent_today(&self, channel: Channel) -> u32 {
        self.input
            .sent_today
            .iter()
            .filter(|(sent_on, _)| *sent_on == channel)
            .map(|(_, count)| *count)
            .sum()
    }

    fn timing(&self, channel: Channel) -> Verdict {
        let input = self.input;
        let kind = input.notification_type;
        let now = input.now;
        if kind.is_transactional() {
            return Verdict::Deliver { not_before: now };
        }
        let priority = self.preference.priority;
        if kind.is_digestible() && priority != Priority::Critical && channel.interrupts() {
            let global = input.global;
            if let Some(window_end) =
                digest_window_end(now, global.digest_frequency, global.timezone)
            {
                return Verdict::Digest { window_end };
            }
        }
        // A delay past the limit (validation keeps it out of storage) counts as the limit.
        let delay = self.preference.delay_minutes.min(MAX_DELAY_MINUTES);
        let due = now + Duration::minutes(i64::from(delay));
        let not_before = if self.preference.respect_quiet_hours && channel.interrupts() {
            held_until(due, priority, input.quiet_hours, input.global)
        } else {
            due
        };
        Verdict::Deliver { not_before }
    }
}

fn require(holds: bool, otherwise: SkipReason) -> Result<(), SkipReason> {
    if holds {
        Ok(())
    } else {
        Err(otherwise)
    }
}

/// An address that is actually there (an empty column is no address).
fn present(address: Option<&str>) -> Option<&str> {
    address.map(str::trim).filter(|address| !address.is_empty())
}

#[cfg(test)]
mod tests;
