//! Devices: recorded at each login from the client's fingerprint (keyed-hashed per
//! user) and parsed user agent; listed to their owner without the fingerprint; removable,
//! which ends every session on them.

use super::sessions::{end_sessions, revoked, Page};
use super::{inet, AccountsError, AccountsResult};
use crate::events::{self, DeviceDescription, Event};
use crate::keys::HashPurpose;
use crate::state::{ClientInfo, Core};
use chrono::{DateTime, Utc};
use gatehouse_domain::accounts::RevocationReason;
use gatehouse_domain::accounts::{parse_user_agent, truncate_user_agent};
use gatehouse_domain::audit::DeviceAction;
use gatehouse_domain::ids::{DeviceId, SessionId, UserId};
use gatehouse_domain::risk::RiskAssessment;
use gatehouse_store::accounts::devices::{self, DeviceRow, DeviceSighting};
use gatehouse_store::accounts::sessions;
use gatehouse_store::{Executor, Tx};

/// What the client says about its device at login.
#[derive(Debug, Clone)]
pub struct DeviceHint {
    /// A stable client-side identifier (e.g. a browser fingerprint); never stored raw.
    pub fingerprint: String,
    pub name: Option<String>,
}

impl DeviceHint {
    pub fn validate(&self) -> AccountsResult<()> {
        let fp = self.fingerprint.trim();
        if fp.is_empty() || fp.len() > 512 {
            return Err(AccountsError::field(
                "device.fingerprint",
                "invalid_fingerprint",
                "fingerprint must be 1 to 512 characters",
            ));
        }
        if self
            .name
            .as_deref()
            .is_some_and(|n| n.trim().is_empty() || n.chars().count() > 255)
        {
            return Err(AccountsError::field(
                "device.name",
                "invalid_device_name",
                "device name must be 1 to 255 characters",
            ));
        }
        Ok(())
    }
}

/// The keyed hash that identifies a login's device for `user_id`: of its fingerprint, or
/// without one of its user agent. A login challenge is bound to it.
pub(crate) fn device_hash(
    core: &Core,
    user_id: UserId,
    hint: Option<&DeviceHint>,
    client: &ClientInfo,
) -> String {
    let source = match hint {
        Some(h) => format!("fp:{}", h.fingerprint.trim()),
        None => {
            let user_agent = client.user_agent.as_deref().map(truncate_user_agent);
            format!("ua:{}", user_agent.unwrap_or(""))
        }
    };
    let mut material = user_id.as_uuid().as_bytes().to_vec();
    material.extend_from_slice(source.as_bytes());
    core.keys
        .keyed_hash(HashPurpose::DeviceFingerprint, &material)
}

/// The device a sign-in names, and the sign-in's risk assessment (its score becomes the
/// device's; `None` for sign-ins that are not scored, such as recoveries).
#[derive(Clone, Copy, Default)]
pub(crate) struct SeenDevice<'a> {
    pub hint: Option<&'a DeviceHint>,
    pub risk: Option<&'a RiskAssessment>,
}

/// Find or create the login's device, refresh what it tells about itself, and raise
/// `DeviceSeen`. Without a fingerprint the user agent identifies the device.
pub(crate) async fn record_login_device(
    core: &Core,
    tx: &mut Tx,
    user_id: UserId,
    session_id: SessionId,
    seen: SeenDevice<'_>,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> AccountsResult<DeviceId> {
    let SeenDevice { hint, risk } = seen;
    let user_agent = client.user_agent.as_deref().map(truncate_user_agent);
    let fingerprint_hash = device_hash(core, user_id, hint, client);
    let parsed = parse_user_agent(user_agent.unwrap_or(""));
    let point = client.geo.as_ref().and_then(|g| g.point);
    let sighting = DeviceSighting {
        device_name: hint.and_then(|h| h.name.as_deref()).map(str::trim),
        device_type: parsed.device_type,
        os: parsed.os.as_deref(),
        browser: parsed.browser.as_deref(),
        browser_version: parsed.browser_version.as_deref(),
        ip_address: inet(client.ip),
        user_agent,
        risk_score: risk.map(|r| i32::from(r.score)),
        latitude: point.map(|p| p.latitude()),
        longitude: point.map(|p| p.longitude()),
    };

    let existing = devices::find_by_fingerprint(tx.exec(), user_id, &fingerprint_hash).await?;
    let (device_id, action, previous_ip) = match existing {
        Some(d) => {
            devices::record_sighting(tx.exec(), d.id, &sighting, now).await?;
            let action = if d.removed_at.is_some() {
                DeviceAction::Restored
            } else {
                DeviceAction::SeenAgain
            };
            (d.id, action, d.ip_address)
        }
        None => {
            let id = DeviceId::new();
            devices::insert(tx.exec(), id, user_id, &fingerprint_hash, &sighting, now).await?;
            (id, DeviceAction::Registered, None)
        }
    };
    let description = DeviceDescription {
        device_type: parsed.device_type.to_owned(),
        browser: parsed.browser.clone(),
        os: parsed.os.clone(),
    };
    events::record(
        tx,
        core,
        now,
        client,
        Event::DeviceSeen {
            user_id,
            device_id,
            session_id,
            action,
            device: &description,
            previous_ip,
            risk,
        },
    )
    .await?;
    Ok(device_id)
}

/// A page of the user's devices, newest first.
pub async fn list_devices(
    core: &Core,
    user_id: UserId,
    page: Page,
) -> AccountsResult<Vec<DeviceRow>> {
    let mut conn = core.db.reader().await?;
    let before = page.before.map(DeviceId::from);
    Ok(devices::list_for_user(conn.exec(), user_id, before, page.limit).await?)
}

/// Remove a device: soft-delete it, withdraw its trust, end its sessions (with their
/// refresh tokens) and raise the events, in one transaction.
#[tracing::instrument(skip_all, fields(user_id = %user_id))]
pub async fn remove_device(
    core: &Core,
    user_id: UserId,
    device_id: DeviceId,
    client: &ClientInfo,
) -> AccountsResult<()> {
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    let device = devices::find_for_user(tx.exec(), user_id, device_id)
        .await?
        .ok_or(AccountsError::NotFound("device"))?;
    devices::mark_removed(tx.exec(), device.id, now).await?;
    devices::revoke_trust(tx.exec(), device.id, now).await?;
    let reason = RevocationReason::DeviceRemoved;
    let ended = sessions::end_all_for_device(tx.exec(), device.id, revoked(reason), now).await?;
    end_sessions(core, &mut tx, user_id, &ended, reason, client, now).await?;
    events::record(
        &mut tx,
        core,
        now,
        client,
        Event::DeviceRemoved {
            user_id,
            device: &device,
        },
    )
    .await?;
    tx.commit().await?;
    core.session_cache.forget_user(user_id);
    Ok(())
}
