//! The messages that carry a link the person asked for: an email verification (sent to
//! the address it proves, bound to that address) and a password reset. The link's token
//! is made here, in the transaction of the request, and queued with the message; the
//! token is in the URL's fragment, which browsers never send to a server or a log.

use super::notify::{new_link_token, LinkToken};
use super::Event;
use crate::client::ClientInfo;
use crate::notify::templates::MessageContext;
use crate::notify::{enqueue, Notice};
use crate::state::Core;
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use gatehouse_domain::notify::NotificationType;
use gatehouse_store::{StoreResult, Tx};

/// What an email verification link does: proves the account's current address.
pub const VERIFY_EMAIL_ACTION: &str = "verify_email";
/// What a change-of-address link does: moves the account to the address it proves.
pub const CHANGE_EMAIL_ACTION: &str = "change_email";
/// What a password reset link does.
pub const PASSWORD_RESET_ACTION: &str = "password_reset";

pub(crate) async fn write(
    tx: &mut Tx,
    core: &Core,
    now: DateTime<Utc>,
    client: &ClientInfo,
    event: &Event<'_>,
) -> StoreResult<()> {
    let accounts = &core.config.accounts;
    let (user_id, kind, action, email, ttl, page) = match event {
        Event::VerificationRequested {
            user_id,
            email,
            new_address,
        } => (
            *user_id,
            NotificationType::EmailVerification,
            if *new_address {
                CHANGE_EMAIL_ACTION
            } else {
                VERIFY_EMAIL_ACTION
            },
            Some(*email),
            accounts.email_verification_ttl(),
            "verify-email",
        ),
        Event::PasswordResetRequested {
            user_id: Some(user_id),
        } => (
            *user_id,
            NotificationType::PasswordReset,
            PASSWORD_RESET_ACTION,
            None,
            accounts.password_reset_ttl(),
            "reset-password",
        ),
        _ => return Ok(()),
    };
    let link = LinkToken {
        user_id,
        action,
        session_id: None,
        device_id: None,
        email,
        expires_at: now + ttl,
    };
    let token = new_link_token(tx, core, link, now).await?;
    let base = core.config.notifications.public_url.trim_end_matches('/');
    let context = MessageContext {
        link_url: Some(format!("{base}/{page}#token={token}")),
        expires_minutes: u32::try_from(ttl.num_minutes()).ok(),
        ip: (kind == NotificationType::PasswordReset)
            .then(|| client.ip.map(|ip| ip.to_string()))
            .flatten(),
        ..MessageContext::default()
    };
    queue(tx, core, now, user_id, kind, context, email).await
}

async fn queue(
    tx: &mut Tx,
    core: &Core,
    now: DateTime<Utc>,
    user_id: UserId,
    kind: NotificationType,
    context: MessageContext,
    to_email: Option<&str>,
) -> StoreResult<()> {
    let notice = Notice {
        user_id,
        kind,
        context,
        only_channel: None,
        to_email: to_email.map(str::to_owned),
        to_phone: None,
    };
    enqueue(tx, &core.notifier, now, notice).await?;
    Ok(())
}
