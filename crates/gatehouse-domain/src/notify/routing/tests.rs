//! Table tests for [`route`]: one person, one message, every channel's verdict.

#![allow(clippy::expect_used)] // a failed expectation is the test failing

use chrono::{NaiveDateTime, NaiveTime, Weekday};
use chrono_tz::{America, Europe, Tz};

use super::*;
use crate::notify::{BlockType, DigestFrequency};
use NotificationType::*;
use SkipReason::*;

mod timing;

fn at(text: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .expect("test datetime")
        .and_utc()
}

fn hm(text: &str) -> NaiveTime {
    NaiveTime::parse_from_str(text, "%H:%M").expect("test time")
}

/// Friday noon UTC: outside every window the cases set up unless they move `now`.
const NOON: &str = "2026-05-01 12:00";

fn deliver(when: &str) -> Verdict {
    Verdict::Deliver {
        not_before: at(when),
    }
}

fn digest(window_end: &str) -> Verdict {
    Verdict::Digest {
        window_end: at(window_end),
    }
}

const OFF: Verdict = Verdict::Skip(ChannelDisabled);
const UNSUPPORTED: Verdict = Verdict::Skip(ChannelUnsupported);
const BLOCKED: Verdict = Verdict::Skip(Blocked);
const NO_CONSENT: Verdict = Verdict::Skip(NoConsent);
const NO_RECIPIENT: Verdict = Verdict::Skip(NoRecipient);
const CAPPED: Verdict = Verdict::Skip(DailyCapReached);

/// Owned inputs for one case; [`Case::verdicts`] borrows them into a [`RoutingInput`].
#[derive(Clone)]
struct Case {
    kind: NotificationType,
    now: DateTime<Utc>,
    global: GlobalPreferences,
    preference: Option<TypePreference>,
    rules: Vec<QuietHoursRule>,
    blocklist: Vec<BlockEntry>,
    consents: Vec<(ConsentType, bool)>,
    email: Option<String>,
    phone: Option<String>,
    sent_today: Vec<(Channel, u32)>,
    only_channel: Option<Channel>,
}

impl Case {
    /// A person with an email address and a phone number and the default settings.
    fn of(kind: NotificationType) -> Self {
        Self {
            kind,
            now: at(NOON),
            global: GlobalPreferences::default(),
            preference: None,
            rules: Vec::new(),
            blocklist: Vec::new(),
            consents: Vec::new(),
            email: Some("Ann@Example.com".to_owned()),
            phone: Some("+14155552671".to_owned()),
            sent_today: Vec::new(),
            only_channel: None,
        }
    }

    fn preference(&mut self) -> &mut TypePreference {
        let kind = self.kind;
        self.preference
            .get_or_insert_with(|| TypePreference::default_for(kind))
    }

    fn block(&mut self, block_type: BlockType, value: &str) {
        self.blocklist.push(BlockEntry {
            block_type,
            value: value.to_owned(),
            is_active: true,
        });
    }

    fn quiet(&mut self, day: Weekday, start: &str, end: &str, tz: Tz, critical_ok: bool) {
        self.rules.push(QuietHoursRule {
            day_of_week: day,
            start: hm(start),
            end: hm(end),
            is_enabled: true,
            allow_critical_only: critical_ok,
            timezone: tz,
        });
    }

    /// Verdicts for email, SMS, in-app and push, in that order.
    fn verdicts(&self) -> [Verdict; 4] {
        let input = RoutingInput {
            notification_type: self.kind,
            now: self.now,
            global: &self.global,
            type_preference: self.preference.as_ref(),
            quiet_hours: &self.rules,
            blocklist: &self.blocklist,
            consents: &self.consents,
            email: self.email.as_deref(),
            phone: self.phone.as_deref(),
            sent_today: &self.sent_today,
            only_channel: self.only_channel,
        };
        let decisions = route(&input);
        let channels: Vec<_> = decisions.iter().map(|d| d.channel).collect();
        assert_eq!(channels, Channel::ALL, "one decision per channel, in order");
        [0, 1, 2, 3].map(|i| decisions[i].verdict)
    }
}

/// (what the case shows, its setup, expected [email, sms, in-app, push]).
type Table = Vec<(&'static str, Case, [Verdict; 4])>;

fn run(table: Table) {
    for (why, case, expected) in table {
        assert_eq!(case.verdicts(), expected, "{why}");
    }
}

fn with(kind: NotificationType, setup: impl FnOnce(&mut Case)) -> Case {
    let mut case = Case::of(kind);
    setup(&mut case);
    case
}

#[test]
fn switches_recipients_and_support() {
    let now = deliver(NOON);
    run(vec![
        (
            "alert with the defaults: push is off",
            Case::of(LoginNewDevice),
            [now, now, now, OFF],
        ),
        (
            "push switched on",
            with(LoginNewDevice, |c| c.global.push_enabled = true),
            [now, now, now, now],
        ),
        (
            "email_alerts off",
            with(LoginNewDevice, |c| c.global.email_alerts = false),
            [OFF, now, now, OFF],
        ),
        (
            "sms_alerts off",
            with(AccountLocked, |c| c.global.sms_alerts = false),
            [now, OFF, now, OFF],
        ),
        (
            "per-type switches off",
            with(MfaDisabled, |c| {
                c.global.push_enabled = true;
                c.preference().email_enabled = false;
                c.preference().in_app_enabled = false;
                c.preference().push_enabled = false;
            }),
            [OFF, now, OFF, OFF],
        ),
        (
            "no phone, empty email",
            with(PasswordChanged, |c| {
                c.phone = None;
                c.email = Some("  ".to_owned());
            }),
            [NO_RECIPIENT, NO_RECIPIENT, now, OFF],
        ),
        (
            "the caller wants in-app only",
            with(BackupCodeUsed, |c| c.only_channel = Some(Channel::InApp)),
            [UNSUPPORTED, UNSUPPORTED, now, UNSUPPORTED],
        ),
        (
            "email verification goes by email only",
            Case::of(EmailVerification),
            [now, UNSUPPORTED, UNSUPPORTED, UNSUPPORTED],
        ),
        (
            "password reset: email and SMS",
            Case::of(PasswordReset),
            [now, now, UNSUPPORTED, UNSUPPORTED],
        ),
    ]);
}

#[test]
fn blocklist_applies_to_addresses_numbers_and_types() {
    let now = deliver(NOON);
    run(vec![
        // The entry is stored lower-cased; the recipient is "Ann@Example.com".
        (
            "email, compared ignoring case",
            with(LoginNewLocation, |c| {
                c.block(BlockType::Email, "ann@example.com")
            }),
            [BLOCKED, now, now, OFF],
        ),
        (
            "another email is not blocked",
            with(LoginNewLocation, |c| {
                c.block(BlockType::Email, "bob@example.com")
            }),
            [now, now, now, OFF],
        ),
        (
            "phone, in E.164",
            with(LoginNewLocation, |c| {
                c.block(BlockType::Phone, "+14155552671")
            }),
            [now, BLOCKED, now, OFF],
        ),
        (
            "the type, on every channel",
            with(LoginNewLocation, |c| {
                c.block(BlockType::NotificationType, "login_new_location")
            }),
            [BLOCKED, BLOCKED, BLOCKED, BLOCKED],
        ),
        (
            "an inactive entry blocks nothing",
            with(LoginNewLocation, |c| {
                c.block(BlockType::Phone, "+14155552671");
                c.blocklist[0].is_active = false;
            }),
            [now, now, now, OFF],
        ),
        (
            "a blocked number gets no code either",
            with(OtpCode, |c| {
                c.only_channel = Some(Channel::Sms);
                c.block(BlockType::Phone, "+14155552671");
            }),
            [UNSUPPORTED, BLOCKED, UNSUPPORTED, UNSUPPORTED],
        ),
        (
            "a reset link to a blocked address",
            with(PasswordReset, |c| {
                c.block(BlockType::Email, "ann@example.com")
            }),
            [BLOCKED, now, UNSUPPORTED, UNSUPPORTED],
        ),
    ]);
}

#[test]
fn marketing_needs_consent() {
    let now = deliver(NOON);
    let marketing_on = |c: &mut Case| {
        c.global.email_marketing = true;
        c.global.push_enabled = true;
    };
    run(vec![
        (
            "defaults: email marketing off, no consent",
            Case::of(ProductUpdate),
            [OFF, NO_CONSENT, NO_CONSENT, OFF],
        ),
        (
            "switched on but no consent recorded",
            with(ProductUpdate, marketing_on),
            [NO_CONSENT, NO_CONSENT, NO_CONSENT, NO_CONSENT],
        ),
        (
            "consent withdrawn",
            with(ProductUpdate, |c| {
                marketing_on(c);
                c.consents = vec![(ConsentType::Marketing, false)];
            }),
            [NO_CONSENT, NO_CONSENT, NO_CONSENT, NO_CONSENT],
        ),
        (
            "another consent does not count",
            with(ProductUpdate, |c| {
                marketing_on(c);
                c.consents = vec![(ConsentType::Analytics, true)];
            }),
            [NO_CONSENT, NO_CONSENT, NO_CONSENT, NO_CONSENT],
        ),
        (
            "marketing consent; SMS needs its own",
            with(ProductUpdate, |c| {
                marketing_on(c);
                c.consents = vec![(ConsentType::Marketing, true)];
            }),
            [now, NO_CONSENT, now, now],
        ),
        (
            "both consents",
            with(ProductUpdate, |c| {
                marketing_on(c);
                c.consents = vec![
                    (ConsentType::SmsMarketing, true),
                    (ConsentType::Marketing, true),
                ];
            }),
            [now, now, now, now],
        ),
        (
            "security alerts need no consent",
            with(SuspiciousActivity, marketing_on),
            [now, now, now, now],
        ),
    ]);
}

#[test]
fn daily_caps_per_type_and_channel() {
    let now = deliver(NOON);
    run(vec![
        (
            "default cap 100: 99 sent, one more goes",
            with(LoginNewDevice, |c| {
                c.sent_today = vec![(Channel::Email, 99)]
            }),
            [now, now, now, OFF],
        ),
        (
            "default cap 100 reached on email only",
            with(LoginNewDevice, |c| {
                c.sent_today = vec![(Channel::Email, 100), (Channel::Sms, 12)]
            }),
            [CAPPED, now, now, OFF],
        ),
        (
            "a cap of 3 per day",
            with(BackupCodeUsed, |c| {
                c.preference().max_per_day = 3;
                c.sent_today = vec![(Channel::Sms, 3), (Channel::InApp, 2), (Channel::Email, 4)];
            }),
            [CAPPED, CAPPED, now, OFF],
        ),
        (
            "codes are not capped per type (the SMS caps guard them)",
            with(OtpCode, |c| {
                c.preference().max_per_day = 1;
                c.sent_today = vec![(Channel::Email, 50), (Channel::Sms, 50)];
            }),
            [now, now, UNSUPPORTED, UNSUPPORTED],
        ),
    ]);
}

#[test]
fn codes_pass_everything_but_the_blocklist() {
    let now_late = deliver("2026-05-01 23:00");
    let hostile = |c: &mut Case| {
        c.now = at("2026-05-01 23:00");
        c.quiet(Weekday::Fri, "22:00", "07:00", Tz::UTC, false);
        c.global.digest_frequency = DigestFrequency::Daily;
        c.global.sms_otp = false;
        c.global.email_otp = false;
        c.preference().sms_enabled = false;
        c.preference().email_enabled = false;
        c.preference().delay_minutes = 60;
        c.preference().max_per_day = 1;
        c.preference().priority = Priority::Low;
        c.sent_today = vec![(Channel::Sms, 40)];
        // Refused by validation; ignored if stored anyway.
        c.block(BlockType::NotificationType, "otp_code");
        // Someone else's number.
        c.block(BlockType::Phone, "+14155550000");
    };
    run(vec![
        (
            "an OTP asked for by SMS goes by SMS, at once",
            with(OtpCode, |c| {
                hostile(c);
                c.only_channel = Some(Channel::Sms);
            }),
            [UNSUPPORTED, now_late, UNSUPPORTED, UNSUPPORTED],
        ),
        (
            "an OTP asked for by email goes by email",
            with(OtpCode, |c| {
                hostile(c);
                c.only_channel = Some(Channel::Email);
            }),
            [now_late, UNSUPPORTED, UNSUPPORTED, UNSUPPORTED],
        ),
        (
            "password reset ignores the same",
            with(PasswordReset, hostile),
            [now_late, now_late, UNSUPPORTED, UNSUPPORTED],
        ),
        (
            "no channel named: email_otp off leaves SMS",
            with(OtpCode, |c| c.global.email_otp = false),
            [OFF, deliver(NOON), UNSUPPORTED, UNSUPPORTED],
        ),
        (
            "no channel named: both switches off would leave none, so both go",
            with(OtpCode, |c| {
                c.global.email_otp = false;
                c.global.sms_otp = false;
            }),
            [deliver(NOON), deliver(NOON), UNSUPPORTED, UNSUPPORTED],
        ),
        (
            "no channel named: sms_otp off but no email address, so SMS",
            with(OtpCode, |c| {
                c.global.sms_otp = false;
                c.email = None;
            }),
            [NO_RECIPIENT, deliver(NOON), UNSUPPORTED, UNSUPPORTED],
        ),
        (
            "email_otp off and the number blocked: the code goes by email",
            with(OtpCode, |c| {
                c.global.email_otp = false;
                c.block(BlockType::Phone, "+14155552671");
            }),
            [deliver(NOON), BLOCKED, UNSUPPORTED, UNSUPPORTED],
        ),
    ]);
}
