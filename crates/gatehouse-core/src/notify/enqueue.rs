//! Queueing a message in the transaction of the change that raised it (DESIGN §5a, §6):
//! load what the person chose, ask the domain where and when the message may go, render it
//! once in their language, and write one outbox row per channel (or an in-app entry, or a
//! digest item), each with a line in the message history. A channel the decision skips gets
//! a `skipped` line saying why, so "why did I get no email" has an answer.
//!
//! Nothing is sent here: the transaction commits (or rolls back, and then nothing was
//! queued), and the delivery workers take it from the outbox.

use super::person::{self, Person};
use super::templates::MessageContext;
use super::Notifier;
use chrono::{DateTime, Utc};
use gatehouse_domain::audit::AccountAction;
use gatehouse_domain::ids::UserId;
use gatehouse_domain::notify::{
    check_sms_caps, country_calling_code, local_day_start, route, Channel, ChannelDecision,
    NotificationType, RoutingInput, SkipReason, SmsCaps, Verdict,
};
use gatehouse_store::audit::{self, AccountAuditEntry};
use gatehouse_store::notify::log::{self as notification_log, LogEntry};
use gatehouse_store::notify::outbox::{self, NewEmail, NewSms};
use gatehouse_store::notify::{digest, in_app, preferences};
use gatehouse_store::{Executor, StoreResult, Tx};
use serde_json::json;
use uuid::Uuid;

/// A message to queue for one person. Not `Debug`: its context may hold a code.
#[derive(Clone)]
pub struct Notice {
    pub user_id: UserId,
    pub kind: NotificationType,
    /// What the message says besides who it is for (the person's name, the product name and
    /// the time are filled in here).
    pub context: MessageContext,
    /// The one channel the person asked for (an OTP by SMS).
    pub only_channel: Option<Channel>,
    /// Send to this address instead of the account's (confirming a new address).
    pub to_email: Option<String>,
    pub to_phone: Option<String>,
}

/// What queueing did, per channel.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Queued {
    pub email: Option<Uuid>,
    pub sms: Option<Uuid>,
    pub in_app: Option<Uuid>,
    pub digested: u32,
    pub skipped: Vec<(Channel, &'static str)>,
}

/// Queue `notice` inside `tx`. A person who is gone or disabled gets nothing.
pub async fn enqueue(
    tx: &mut Tx,
    notifier: &Notifier,
    now: DateTime<Utc>,
    mut notice: Notice,
) -> StoreResult<Queued> {
    let mut queued = Queued::default();
    let kind = notice.kind;
    let Some(audience) = person::load_audience(tx.exec(), notice.user_id, kind).await? else {
        return Ok(queued);
    };
    let person = &audience.person;
    if !person.is_active {
        return Ok(queued);
    }
    let consents = if kind.is_marketing() {
        person::consents(preferences::consents(tx.exec(), notice.user_id).await?)
    } else {
        Vec::new()
    };
    let email = notice
        .to_email
        .clone()
        .unwrap_or_else(|| person.email.clone());
    let phone = notice.to_phone.clone().or_else(|| person.phone.clone());
    let mut input = RoutingInput {
        notification_type: kind,
        now,
        global: &audience.global,
        type_preference: Some(&audience.type_preference),
        quiet_hours: &audience.quiet_hours,
        blocklist: &audience.blocklist,
        consents: &consents,
        email: Some(email.as_str()),
        phone: phone.as_deref(),
        sent_today: &[],
        only_channel: notice.only_channel,
    };
    let mut decisions = route(&input);
    // The daily cap counts what was queued today; the count is only worth a statement
    // when a capped channel would otherwise deliver.
    let sent_today;
    if !kind.is_transactional() && decisions.iter().any(is_capped_delivery) {
        sent_today = queued_today(
            tx,
            notice.user_id,
            kind,
            local_day_start(now, person.timezone),
        )
        .await?;
        input.sent_today = &sent_today;
        decisions = route(&input);
    }

    let needs_text = decisions.iter().any(|d| !d.verdict.is_skip());
    let rendered = if needs_text {
        fill_context(&mut notice.context, notifier, person, now);
        Some(notifier.render(kind, &person.language, &notice.context))
    } else {
        None
    };
    let priority = audience.type_preference.priority.as_str();

    for decision in decisions {
        let channel = decision.channel;
        let rendered = match (&decision.verdict, &rendered) {
            (Verdict::Skip(reason), _) => {
                skip(tx, &notice, channel, reason.as_str(), now, &mut queued).await?;
                continue;
            }
            (_, Some(Ok(r))) => r,
            (_, Some(Err(e))) => {
                // A template that fails to render is a bug caught by the template tests;
                // if one slips through, the change still commits and the gap is logged.
                tracing::error!(kind = %kind, error = %e, "notification template failed");
                skip(tx, &notice, channel, "template_error", now, &mut queued).await?;
                continue;
            }
            (_, None) => continue,
        };
        match decision.verdict {
            Verdict::Skip(_) => {}
            Verdict::Digest { window_end } => {
                digest::insert(
                    tx.exec(),
                    &digest::NewDigestItem {
                        id: Uuid::now_v7(),
                        user_id: notice.user_id,
                        notification_type: kind.as_str(),
                        channel: channel.as_str(),
                        summary: &rendered.subject,
                        occurred_at: now,
                        window_end,
                        created_at: now,
                    },
                )
                .await?;
                queued.digested += 1;
            }
            Verdict::Deliver { not_before } => match channel {
                Channel::Email => {
                    let id = Uuid::now_v7();
                    outbox::insert_email(
                        tx.exec(),
                        &NewEmail {
                            id,
                            user_id: notice.user_id,
                            to_email: &email,
                            subject: &rendered.subject,
                            email_type: kind.as_str(),
                            template_name: kind.as_str(),
                            text: &rendered.text,
                            html: Some(&rendered.html),
                            max_retries: notifier.max_retries(),
                            not_before,
                            created_at: now,
                        },
                    )
                    .await?;
                    log_queued(tx, &notice, channel, id, &email, &rendered.language, now).await?;
                    queued.email = Some(id);
                }
                Channel::Sms => {
                    let Some(phone) = phone.as_deref() else {
                        continue;
                    };
                    let id = Uuid::now_v7();
                    if let Some(cap) = sms_cap_hit(tx, notifier, phone, now).await? {
                        audit::insert_account(
                            tx.exec(),
                            Uuid::now_v7(),
                            &AccountAuditEntry {
                                user_id: Some(notice.user_id),
                                action: AccountAction::SmsCapReached,
                                details: Some(json!({"cap": cap, "type": kind.as_str()})),
                                ip_address: None,
                            },
                            now,
                        )
                        .await?;
                        skip(tx, &notice, channel, "sms_cap_reached", now, &mut queued).await?;
                        continue;
                    }
                    outbox::insert_sms(
                        tx.exec(),
                        &NewSms {
                            id,
                            user_id: notice.user_id,
                            phone_number: phone,
                            country_code: country_calling_code(phone).map(i32::from),
                            message: &rendered.sms,
                            sms_type: kind.as_str(),
                            max_retries: notifier.max_retries(),
                            not_before,
                            created_at: now,
                        },
                    )
                    .await?;
                    log_queued(tx, &notice, channel, id, phone, &rendered.language, now).await?;
                    queued.sms = Some(id);
                }
                Channel::InApp => {
                    let id = Uuid::now_v7();
                    in_app::insert(
                        tx.exec(),
                        &in_app::NewInApp {
                            id,
                            user_id: notice.user_id,
                            notification_type: kind.as_str(),
                            priority,
                            title: &rendered.subject,
                            body: &rendered.text,
                            created_at: now,
                        },
                    )
                    .await?;
                    queued.in_app = Some(id);
                }
                // No push transport exists yet: a push the person allowed is recorded as
                // skipped rather than silently dropped.
                Channel::Push => {
                    skip(tx, &notice, channel, NO_PUSH_TRANSPORT, now, &mut queued).await?;
                }
            },
        }
    }
    if queued.email.is_some() || queued.sms.is_some() {
        notifier.wake(queued.email.is_some(), queued.sms.is_some());
    }
    Ok(queued)
}

/// A channel with a daily cap that routing would deliver on.
fn is_capped_delivery(decision: &ChannelDecision) -> bool {
    matches!(decision.channel, Channel::Email | Channel::Sms) && !decision.verdict.is_skip()
}

/// Messages of `kind` queued for the person today, per channel (for `max_per_day`).
async fn queued_today(
    tx: &mut Tx,
    user_id: UserId,
    kind: NotificationType,
    since: DateTime<Utc>,
) -> StoreResult<Vec<(Channel, u32)>> {
    let (email, sms) = outbox::queued_since(tx.exec(), user_id, kind.as_str(), since).await?;
    let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(vec![
        (Channel::Email, count(email)),
        (Channel::Sms, count(sms)),
    ])
}

/// The SMS-pumping cap this message would pass, if any (counted over the UTC day, whoever
/// the account: pumping spreads over many accounts).
async fn sms_cap_hit(
    tx: &mut Tx,
    notifier: &Notifier,
    phone: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<String>> {
    let Some(country) = country_calling_code(phone) else {
        return Ok(Some("unknown_country_code".to_owned()));
    };
    let day_start = local_day_start(now, chrono_tz::Tz::UTC);
    let (to_number, to_country) =
        outbox::sms_to_number_and_country_since(tx.exec(), phone, i32::from(country), day_start)
            .await?;
    let caps: &SmsCaps = notifier.sms_caps();
    let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(
        check_sms_caps(caps, country, count(to_number), count(to_country))
            .err()
            .map(|hit| hit.as_str().to_owned()),
    )
}

fn fill_context(
    ctx: &mut MessageContext,
    notifier: &Notifier,
    person: &Person,
    now: DateTime<Utc>,
) {
    ctx.app_name = notifier.app_name().to_owned();
    ctx.display_name = person.display_name.clone();
    if ctx.occurred_at.is_none() {
        let local = now.with_timezone(&person.timezone);
        ctx.occurred_at = Some(format!(
            "{} ({})",
            local.format("%Y-%m-%d %H:%M"),
            person.timezone
        ));
    }
}

async fn skip(
    tx: &mut Tx,
    notice: &Notice,
    channel: Channel,
    reason: &'static str,
    now: DateTime<Utc>,
    queued: &mut Queued,
) -> StoreResult<()> {
    queued.skipped.push((channel, reason));
    // A line answers "why did I get nothing?" where the answer is a choice or a limit.
    // Channels a type never uses, an address the person never gave and push (no
    // transport yet) would add a line to every message and answer nothing.
    if !is_worth_a_line(channel, reason) {
        return Ok(());
    }
    notification_log::insert(
        tx.exec(),
        &LogEntry {
            user_id: notice.user_id,
            notification_id: None,
            notification_type: notice.kind.as_str(),
            channel: channel.as_str(),
            status: "skipped",
            recipient: None,
            metadata: json!({ "reason": reason }),
            at: now,
        },
    )
    .await
}

fn is_worth_a_line(channel: Channel, reason: &str) -> bool {
    channel != Channel::Push
        && reason != SkipReason::ChannelUnsupported.as_str()
        && reason != SkipReason::NoRecipient.as_str()
}

/// The skip reason of a push the person allowed: no push transport exists yet.
const NO_PUSH_TRANSPORT: &str = "no_push_transport";

async fn log_queued(
    tx: &mut Tx,
    notice: &Notice,
    channel: Channel,
    id: Uuid,
    recipient: &str,
    language: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    notification_log::insert(
        tx.exec(),
        &LogEntry {
            user_id: notice.user_id,
            notification_id: Some(id),
            notification_type: notice.kind.as_str(),
            channel: channel.as_str(),
            status: "pending",
            recipient: Some(recipient),
            metadata: json!({ "language": language }),
            at: now,
        },
    )
    .await
}
