//! The notification subscriber: the events a person should hear about become notices in
//! the outbox, in the transaction of the change (see `crate::notify::enqueue`).
//!
//! - a sign-in from a new device (not the account's first), or from a known device on a
//!   different network than last time, with a "this wasn't me" link;
//! - a password change, with the link;
//! - a refresh token presented twice (someone holds a copy), with the link;
//! - the account locked by failed attempts;
//! - a password reset (with the link), a change of address (to the old address), and a
//!   sign-up that named the person's address.
//!
//! The link is a single-use token (stored as a keyed hash) in the URL's fragment, which
//! browsers never send to a server or write to a log; the page it opens asks before it
//! acts, so a mail scanner that follows links changes nothing.

pub use super::alert::Alert;
use super::{Event, LockKind};
use crate::client::ClientInfo;
use crate::keys::HashPurpose;
use crate::notify::templates::MessageContext;
use crate::notify::{enqueue, Notice};
use crate::state::Core;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use gatehouse_domain::audit::DeviceAction;
use gatehouse_domain::ids::{DeviceId, SessionId, UserId};
use gatehouse_domain::notify::NotificationType;
use gatehouse_store::accounts::devices;
use gatehouse_store::notify::action_tokens::{self, NewActionToken};
use gatehouse_store::{Executor, StoreResult, Tx};
use rand::RngCore;
use std::net::IpAddr;
use uuid::Uuid;

/// What the owner's "this wasn't me" does: lock the account and end every session.
pub const NOT_ME_ACTION: &str = "not_me";

pub(super) async fn write(
    tx: &mut Tx,
    core: &Core,
    now: DateTime<Utc>,
    client: &ClientInfo,
    event: &Event<'_>,
) -> StoreResult<()> {
    if !core.config.notifications.alerts {
        return Ok(());
    }
    let Some(alert) = alert_for(event, client) else {
        return Ok(());
    };
    if alert.only_if_not_first_device
        && devices::count_for_user(tx.exec(), alert.user_id).await? <= 1
    {
        // The account's first device is the one it signed up on: nothing to warn about.
        return Ok(());
    }
    // An account lock lasts `login.lockout_secs`: say how long (whole minutes, at least 1).
    let lock_minutes = (alert.kind == NotificationType::AccountLocked).then(|| {
        let minutes = core.config.throttle.lockout.as_secs().div_ceil(60);
        u32::try_from(minutes.max(1)).unwrap_or(u32::MAX)
    });
    let mut context = MessageContext {
        ip: client.ip.map(|ip| ip.to_string()),
        device: alert.device,
        lock_minutes,
        methods: alert.methods,
        remaining_backup_codes: alert.remaining_backup_codes,
        ..MessageContext::default()
    };
    if alert.with_not_me_link {
        let token = not_me_token(
            tx,
            core,
            alert.user_id,
            alert.session_id,
            alert.device_id,
            now,
        )
        .await?;
        let base = core.config.notifications.public_url.trim_end_matches('/');
        context.action_url = Some(format!("{base}/not-me#token={token}"));
    }
    enqueue(
        tx,
        &core.notifier,
        now,
        Notice {
            user_id: alert.user_id,
            kind: alert.kind,
            context,
            only_channel: None,
            to_email: alert.to_email,
            to_phone: None,
        },
    )
    .await?;
    Ok(())
}

pub fn alert_for(event: &Event<'_>, client: &ClientInfo) -> Option<Alert> {
    let alert = |user_id, kind| Alert {
        user_id,
        kind,
        session_id: None,
        device_id: None,
        device: None,
        with_not_me_link: false,
        only_if_not_first_device: false,
        methods: Vec::new(),
        remaining_backup_codes: None,
        to_email: None,
    };
    match event {
        Event::Mfa(e) => super::mfa::alert_for(e),
        Event::DeviceSeen {
            user_id,
            device_id,
            session_id,
            action,
            device,
            previous_ip,
            ..
        } => {
            let kind = match action {
                DeviceAction::Registered => NotificationType::LoginNewDevice,
                _ if moved_network(*previous_ip, client.ip) => NotificationType::LoginNewLocation,
                _ => return None,
            };
            let described = match (&device.browser, &device.os) {
                (Some(b), Some(o)) => format!("{b} on {o}"),
                (Some(b), None) => b.clone(),
                (None, Some(o)) => o.clone(),
                (None, None) => device.device_type.clone(),
            };
            Some(Alert {
                session_id: Some(*session_id),
                device_id: Some(*device_id),
                device: Some(described),
                with_not_me_link: true,
                only_if_not_first_device: kind == NotificationType::LoginNewDevice,
                ..alert(*user_id, kind)
            })
        }
        Event::PasswordChanged {
            user_id,
            session_id,
            ..
        } => Some(Alert {
            session_id: Some(*session_id),
            with_not_me_link: true,
            ..alert(*user_id, NotificationType::PasswordChanged)
        }),
        Event::RefreshTokenReused {
            user_id,
            session_id,
            device_id,
            ..
        } => Some(Alert {
            session_id: Some(*session_id),
            device_id: *device_id,
            with_not_me_link: true,
            ..alert(*user_id, NotificationType::SuspiciousActivity)
        }),
        Event::LockSet {
            user_id: Some(user_id),
            lock: LockKind::Account,
        } => Some(alert(*user_id, NotificationType::AccountLocked)),
        Event::PasswordReset { user_id, .. } => Some(Alert {
            with_not_me_link: true,
            ..alert(*user_id, NotificationType::PasswordChanged)
        }),
        Event::EmailChanged { user_id, old_email } => Some(Alert {
            with_not_me_link: true,
            to_email: Some((*old_email).to_owned()),
            ..alert(*user_id, NotificationType::EmailChanged)
        }),
        Event::SignupOnTakenAddress { user_id } => {
            Some(alert(*user_id, NotificationType::SignupAttempt))
        }
        // A refused sign-in has no session to end; an allowed one gets "this wasn't me".
        Event::RiskyLogin {
            user_id,
            session_id,
            refused,
            ..
        } => Some(Alert {
            session_id: *session_id,
            with_not_me_link: !refused && session_id.is_some(),
            ..alert(*user_id, NotificationType::SuspiciousActivity)
        }),
        _ => None,
    }
}

/// Did a known device come back from another network? IPv4 compares /16s and IPv6 /32s:
/// wide enough that a phone moving between cells of one carrier stays quiet. (The GeoIP
/// country comparison of the audit-and-risk work replaces this.)
fn moved_network(previous: Option<gatehouse_store::types::Inet>, now: Option<IpAddr>) -> bool {
    match (previous.map(|i| i.0), now) {
        (Some(IpAddr::V4(a)), Some(IpAddr::V4(b))) => a.octets()[..2] != b.octets()[..2],
        (Some(IpAddr::V6(a)), Some(IpAddr::V6(b))) => a.segments()[..2] != b.segments()[..2],
        (Some(_), Some(_)) => true,
        _ => false,
    }
}

/// Make a "this wasn't me" token (see [`new_link_token`]).
async fn not_me_token(
    tx: &mut Tx,
    core: &Core,
    user_id: UserId,
    session_id: Option<SessionId>,
    device_id: Option<DeviceId>,
    now: DateTime<Utc>,
) -> StoreResult<String> {
    let ttl = chrono::Duration::from_std(core.config.notifications.action_link_ttl())
        .unwrap_or(chrono::Duration::days(7));
    let link = LinkToken {
        user_id,
        action: NOT_ME_ACTION,
        session_id,
        device_id,
        email: None,
        expires_at: now + ttl,
    };
    new_link_token(tx, core, link, now).await
}

/// What a single-use link is for.
pub(crate) struct LinkToken<'a> {
    pub user_id: UserId,
    pub action: &'a str,
    pub session_id: Option<SessionId>,
    pub device_id: Option<DeviceId>,
    /// The address a verification link proves.
    pub email: Option<&'a str>,
    pub expires_at: DateTime<Utc>,
}

/// Make a single-use link token: 256 random bits from the OS CSPRNG, stored only as a
/// keyed hash (a database read does not yield working links).
pub(crate) async fn new_link_token(
    tx: &mut Tx,
    core: &Core,
    link: LinkToken<'_>,
    now: DateTime<Utc>,
) -> StoreResult<String> {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let token = URL_SAFE_NO_PAD.encode(raw);
    let hash = core
        .keys
        .keyed_hash(HashPurpose::ActionToken, token.as_bytes());
    action_tokens::insert(
        tx.exec(),
        &NewActionToken {
            id: Uuid::now_v7(),
            user_id: link.user_id,
            token_hash: &hash,
            action: link.action,
            session_id: link.session_id,
            device_id: link.device_id,
            email: link.email,
            expires_at: link.expires_at,
            created_at: now,
        },
    )
    .await?;
    Ok(token)
}
