//! `trusted_devices`: "remember this device" grants. Each grant is a row (the ledger: when
//! it was given, until when, when it was withdrawn); the device's own `is_trusted`,
//! `can_skip_mfa` and `mfa_skip_until` mirror the grant in force, so a login reads one row
//! to know whether it may skip the second factor.

use crate::db::Exec;
use crate::error::StoreResult;
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::{DeviceId, UserId};
use uuid::Uuid;

/// The grant in force on a device.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TrustGrant {
    pub id: Uuid,
    pub trusted_at: DateTime<Utc>,
    pub trust_expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub can_skip_mfa: bool,
    pub mfa_skip_until: Option<DateTime<Utc>>,
}

/// The unexpired, unrevoked grant of `device_id`, if any.
pub async fn current(
    ex: Exec<'_>,
    user_id: UserId,
    device_id: DeviceId,
    now: DateTime<Utc>,
) -> StoreResult<Option<TrustGrant>> {
    Ok(fetch_optional!(
        ex,
        TrustGrant,
        "SELECT id, trusted_at, trust_expires_at, last_used_at, can_skip_mfa, mfa_skip_until
         FROM trusted_devices
         WHERE user_id = $1 AND device_id = $2 AND is_trusted AND revoked_at IS NULL
               AND NOT is_deleted AND (trust_expires_at IS NULL OR trust_expires_at > $3)
         ORDER BY trusted_at DESC LIMIT 1",
        user_id.as_uuid(),
        device_id.as_uuid(),
        now
    )?)
}

/// Grant trust until `until` (MFA may be skipped until then too). Any earlier grant of the
/// device is withdrawn first, so at most one is in force.
pub async fn grant(
    mut ex: Exec<'_>,
    user_id: UserId,
    device_id: DeviceId,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<TrustGrant> {
    super::devices::revoke_trust(ex.reborrow(), device_id, now).await?;
    let id = Uuid::now_v7();
    execute!(
        ex.reborrow(),
        "INSERT INTO trusted_devices (id, user_id, device_id, is_trusted, trusted_at,
             trust_expires_at, can_skip_mfa, mfa_skip_until, is_deleted, created_at, updated_at)
         VALUES ($1, $2, $3, TRUE, $4, $5, TRUE, $5, FALSE, $4, $4)",
        id,
        user_id.as_uuid(),
        device_id.as_uuid(),
        now,
        until
    )?;
    execute!(
        ex,
        "UPDATE devices SET is_trusted = TRUE, can_skip_mfa = TRUE, mfa_skip_until = $2,
             updated_at = $3
         WHERE id = $1",
        device_id.as_uuid(),
        until,
        now
    )?;
    Ok(TrustGrant {
        id,
        trusted_at: now,
        trust_expires_at: Some(until),
        last_used_at: None,
        can_skip_mfa: true,
        mfa_skip_until: Some(until),
    })
}

/// Withdraw the trust of one device. Returns whether a grant was in force.
pub async fn revoke(
    mut ex: Exec<'_>,
    device_id: DeviceId,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let revoked = super::devices::revoke_trust(ex.reborrow(), device_id, now).await?;
    execute!(
        ex,
        "UPDATE devices SET is_trusted = FALSE, can_skip_mfa = FALSE, mfa_skip_until = NULL,
             updated_at = $2
         WHERE id = $1 AND (is_trusted OR can_skip_mfa)",
        device_id.as_uuid(),
        now
    )?;
    Ok(revoked > 0)
}

/// Withdraw every trust of the account (a password change or reset, "sign out everywhere",
/// "this wasn't me"). Returns the devices whose grant was in force.
pub async fn revoke_all(
    mut ex: Exec<'_>,
    user_id: UserId,
    now: DateTime<Utc>,
) -> StoreResult<Vec<DeviceId>> {
    let devices: Vec<(Uuid,)> = fetch_all!(
        ex.reborrow(),
        (Uuid,),
        "UPDATE trusted_devices SET is_trusted = FALSE, can_skip_mfa = FALSE, revoked_at = $2,
             updated_at = $2
         WHERE user_id = $1 AND revoked_at IS NULL AND is_trusted
         RETURNING device_id",
        user_id.as_uuid(),
        now
    )?;
    execute!(
        ex,
        "UPDATE devices SET is_trusted = FALSE, can_skip_mfa = FALSE, mfa_skip_until = NULL,
             updated_at = $2
         WHERE user_id = $1 AND (is_trusted OR can_skip_mfa)",
        user_id.as_uuid(),
        now
    )?;
    let mut ids: Vec<DeviceId> = devices
        .into_iter()
        .map(|(id,)| DeviceId::from(id))
        .collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// A login used the grant to skip the second factor.
pub async fn mark_used(ex: Exec<'_>, grant_id: Uuid, now: DateTime<Utc>) -> StoreResult<()> {
    execute!(
        ex,
        "UPDATE trusted_devices SET last_used_at = $2, updated_at = $2 WHERE id = $1",
        grant_id,
        now
    )?;
    Ok(())
}
