//! The messages of an account recovery, sent whatever the person's alert settings (the
//! type is transactional): a recovery that turns a second factor off must be seen, on
//! every channel, in time to stop it.
//!
//! - An email recovery asked for: the email carries the link that completes it (once it is
//!   ready) and a cancel link; SMS (with a phone on file) and the in-app feed carry the
//!   cancel link only, so a lost phone cannot complete anything.
//! - A recovery that signed the person in: every channel, with a "this wasn't me" link.
//!
//! Both links are single-use tokens stored as keyed hashes (`new_link_token`), in the
//! URL's fragment like every other link.

use super::mfa::MfaEvent;
use super::notify::{new_link_token, LinkToken, NOT_ME_ACTION};
use super::Event;
use crate::client::ClientInfo;
use crate::notify::templates::MessageContext;
use crate::notify::{enqueue, Notice};
use crate::state::Core;
use chrono::{DateTime, Duration, Utc};
use gatehouse_domain::ids::UserId;
use gatehouse_domain::notify::{Channel, NotificationType};
use gatehouse_store::{StoreResult, Tx};

/// What the link that completes an email recovery does.
pub const RECOVERY_COMPLETE_ACTION: &str = "mfa_recovery";
/// What the link that cancels an email recovery does.
pub const RECOVERY_CANCEL_ACTION: &str = "mfa_recovery_cancel";

/// How long after it is ready an email recovery can still be completed; after that it
/// lapses and a new request starts over.
pub fn completion_window() -> Duration {
    Duration::days(7)
}

pub(super) async fn write(
    tx: &mut Tx,
    core: &Core,
    now: DateTime<Utc>,
    client: &ClientInfo,
    event: &Event<'_>,
) -> StoreResult<()> {
    let Event::Mfa(event) = event else {
        return Ok(());
    };
    match event {
        MfaEvent::RecoveryRequested {
            user_id, ready_at, ..
        } => requested(tx, core, now, client, *user_id, *ready_at).await,
        MfaEvent::Recovered {
            user_id,
            session_id,
            ..
        } => {
            let ttl = chrono::Duration::from_std(core.config.notifications.action_link_ttl())
                .unwrap_or(Duration::days(7));
            let link = LinkToken {
                user_id: *user_id,
                action: NOT_ME_ACTION,
                session_id: Some(*session_id),
                device_id: None,
                email: None,
                expires_at: now + ttl,
            };
            let token = new_link_token(tx, core, link, now).await?;
            let context = MessageContext {
                ip: client.ip.map(|ip| ip.to_string()),
                action_url: Some(format!("{}/not-me#token={token}", base_url(core))),
                ..MessageContext::default()
            };
            queue(tx, core, now, *user_id, context, None).await
        }
        _ => Ok(()),
    }
}

async fn requested(
    tx: &mut Tx,
    core: &Core,
    now: DateTime<Utc>,
    client: &ClientInfo,
    user_id: UserId,
    ready_at: DateTime<Utc>,
) -> StoreResult<()> {
    let expires_at = ready_at + completion_window();
    let token = |action| LinkToken {
        user_id,
        action,
        session_id: None,
        device_id: None,
        email: None,
        expires_at,
    };
    let complete = new_link_token(tx, core, token(RECOVERY_COMPLETE_ACTION), now).await?;
    let cancel = new_link_token(tx, core, token(RECOVERY_CANCEL_ACTION), now).await?;
    let base = base_url(core);
    // Whole hours, rounded up: "in 24 hours" for the default delay.
    let secs = u64::try_from((ready_at - now).num_seconds()).unwrap_or(1);
    let hours = secs.max(1).div_ceil(3600);
    let cancel_only = MessageContext {
        ip: client.ip.map(|ip| ip.to_string()),
        cancel_url: Some(format!("{base}/cancel-recovery#token={cancel}")),
        delay_hours: u32::try_from(hours).ok(),
        ..MessageContext::default()
    };
    let by_email = MessageContext {
        link_url: Some(format!("{base}/recover-account#token={complete}")),
        ..cancel_only.clone()
    };
    queue(tx, core, now, user_id, by_email, Some(Channel::Email)).await?;
    for channel in [Channel::Sms, Channel::InApp] {
        queue(tx, core, now, user_id, cancel_only.clone(), Some(channel)).await?;
    }
    Ok(())
}

fn base_url(core: &Core) -> &str {
    core.config.notifications.public_url.trim_end_matches('/')
}

async fn queue(
    tx: &mut Tx,
    core: &Core,
    now: DateTime<Utc>,
    user_id: UserId,
    context: MessageContext,
    only_channel: Option<Channel>,
) -> StoreResult<()> {
    let notice = Notice {
        user_id,
        kind: NotificationType::MfaRecovery,
        context,
        only_channel,
        to_email: None,
        to_phone: None,
    };
    enqueue(tx, &core.notifier, now, notice).await?;
    Ok(())
}
