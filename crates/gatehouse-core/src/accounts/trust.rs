//! Trusted devices ("remember this device"): the signed-in person trusts one of their
//! devices for `login.trusted_device_secs`, so a login from it may skip the second factor
//! while the login's risk is low. Trusting needs a recent sign-in (a stolen, long-lived
//! session must not be able to mint a way around MFA). Every trust of the account is
//! withdrawn when the password changes or is reset, on "sign out everywhere" and on
//! "this wasn't me" ([`revoke_all_trust`], called inside those changes' transactions).

use super::authenticate::AuthContext;
use super::{AccountsError, AccountsResult};
use crate::events::{self, Event};
use crate::state::{ClientInfo, Core};
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::{DeviceId, SessionId, UserId};
use gatehouse_store::accounts::devices;
use gatehouse_store::accounts::trusted_devices::{self, TrustGrant};
use gatehouse_store::{Executor, StoreResult, Tx};

/// A device's trust as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceTrust {
    pub device_id: DeviceId,
    pub grant: Option<TrustGrant>,
}

/// Refuse a sensitive change unless the session signed in within `mfa.recent_auth_secs`.
pub fn require_recent_authentication(core: &Core, auth: &AuthContext) -> AccountsResult<()> {
    let window =
        chrono::Duration::from_std(core.config.mfa.recent_auth()).unwrap_or(chrono::Duration::MAX);
    match auth.authenticated_at {
        Some(at) if core.clock.now() - at <= window => Ok(()),
        _ => Err(AccountsError::ReauthenticationRequired),
    }
}

/// The trust in force on one of the person's devices.
pub async fn device_trust(
    core: &Core,
    user_id: UserId,
    device_id: DeviceId,
) -> AccountsResult<DeviceTrust> {
    let now = core.clock.now();
    let mut conn = core.db.reader().await?;
    devices::find_for_user(conn.exec(), user_id, device_id)
        .await?
        .ok_or(AccountsError::NotFound("device"))?;
    let grant = trusted_devices::current(conn.exec(), user_id, device_id, now).await?;
    Ok(DeviceTrust { device_id, grant })
}

/// Trust one of the person's devices (a fresh grant replaces one in force).
#[tracing::instrument(skip_all, fields(user_id = %auth.user_id))]
pub async fn trust_device(
    core: &Core,
    auth: &AuthContext,
    device_id: DeviceId,
    client: &ClientInfo,
) -> AccountsResult<DeviceTrust> {
    require_recent_authentication(core, auth)?;
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    let grant = grant_in(
        &mut tx,
        core,
        auth.user_id,
        device_id,
        Some(auth.session_id),
        client,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(DeviceTrust {
        device_id,
        grant: Some(grant),
    })
}

/// Trust `device_id` for `login.trusted_device_secs` inside `tx`, with its audit row
/// (also used by a login whose second factor asked to trust the device).
pub(crate) async fn grant_in(
    tx: &mut Tx,
    core: &Core,
    user_id: UserId,
    device_id: DeviceId,
    session_id: Option<SessionId>,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> AccountsResult<TrustGrant> {
    let until = now
        + chrono::Duration::from_std(core.config.trusted_device_ttl)
            .unwrap_or(chrono::Duration::days(30));
    let device = devices::find_for_user(tx.exec(), user_id, device_id)
        .await?
        .ok_or(AccountsError::NotFound("device"))?;
    if device.is_compromised {
        return Err(AccountsError::field(
            "device",
            "device_compromised",
            "a device marked compromised cannot be trusted",
        ));
    }
    let grant = trusted_devices::grant(tx.exec(), user_id, device_id, until, now).await?;
    let event = Event::DeviceTrustChanged {
        user_id,
        session_id,
        device: &device,
        trusted_until: Some(until),
        reason: "owner",
    };
    events::record(tx, core, now, client, event).await?;
    Ok(grant)
}

/// Withdraw the trust of one of the person's devices. Withdrawing trust needs no recent
/// sign-in: it only ever makes the account safer.
#[tracing::instrument(skip_all, fields(user_id = %auth.user_id))]
pub async fn untrust_device(
    core: &Core,
    auth: &AuthContext,
    device_id: DeviceId,
    client: &ClientInfo,
) -> AccountsResult<()> {
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    let device = devices::find_for_user(tx.exec(), auth.user_id, device_id)
        .await?
        .ok_or(AccountsError::NotFound("device"))?;
    if trusted_devices::revoke(tx.exec(), device_id, now).await? {
        let event = Event::DeviceTrustChanged {
            user_id: auth.user_id,
            session_id: Some(auth.session_id),
            device: &device,
            trusted_until: None,
            reason: "owner",
        };
        events::record(&mut tx, core, now, client, event).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Withdraw every trust of the account inside `tx`, with a device audit row per device
/// that was trusted. `reason` says why (`password_changed`, `password_reset`,
/// `signed_out_everywhere`, `reported_not_me`).
pub(crate) async fn revoke_all_trust(
    tx: &mut Tx,
    core: &Core,
    user_id: UserId,
    reason: &'static str,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let revoked = trusted_devices::revoke_all(tx.exec(), user_id, now).await?;
    for device_id in revoked {
        let Some(device) = devices::find_any_for_user(tx.exec(), user_id, device_id).await? else {
            continue;
        };
        let event = Event::DeviceTrustChanged {
            user_id,
            session_id: None,
            device: &device,
            trusted_until: None,
            reason,
        };
        events::record(tx, core, now, client, event).await?;
    }
    Ok(())
}
