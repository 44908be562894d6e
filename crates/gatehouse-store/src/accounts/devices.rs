//! `devices`: what a user signed in from. Identified per user by a keyed hash of the
//! client's fingerprint (the raw fingerprint is never stored or returned). A device the
//! owner removes is soft-deleted (`removed_at`) so audit rows keep their reference.

use crate::db::Exec;
use crate::error::StoreResult;
use crate::types::Inet;
use chrono::{DateTime, Utc};
use gatehouse_domain::accounts::truncate_user_agent;
use gatehouse_domain::ids::{DeviceId, UserId};
use uuid::Uuid;

/// A `devices` row, as the API and use cases need it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeviceRow {
    #[sqlx(try_from = "Uuid")]
    pub id: DeviceId,
    #[sqlx(try_from = "Uuid")]
    pub user_id: UserId,
    pub device_name: Option<String>,
    pub device_type: Option<String>,
    pub os: Option<String>,
    pub browser: Option<String>,
    pub browser_version: Option<String>,
    pub fingerprint_hash: String,
    pub ip_address: Option<Inet>,
    pub user_agent: Option<String>,
    pub is_verified: bool,
    pub is_trusted: bool,
    pub is_compromised: bool,
    pub risk_score: i32,
    pub last_used_at: Option<DateTime<Utc>>,
    pub removed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a login tells about the device it came from.
#[derive(Debug, Clone)]
pub struct DeviceSighting<'a> {
    pub device_name: Option<&'a str>,
    pub device_type: &'a str,
    pub os: Option<&'a str>,
    pub browser: Option<&'a str>,
    pub browser_version: Option<&'a str>,
    pub ip_address: Option<Inet>,
    pub user_agent: Option<&'a str>,
    /// The login's risk score (0-100), when it was scored: kept with the time of the
    /// assessment (`last_risk_assessment`).
    pub risk_score: Option<i32>,
    /// Where the login came from (GeoIP); an unknown place keeps the last known one.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// `SELECT <every DeviceRow column> FROM devices`, for `concat!(select_devices!(), "...")`.
macro_rules! select_devices {
    () => {
        "SELECT id, user_id, device_name, device_type, os, browser, browser_version,
            fingerprint_hash, ip_address, user_agent, is_verified, is_trusted, is_compromised,
            risk_score, last_used_at, removed_at, created_at, updated_at FROM devices"
    };
}

pub async fn find_by_fingerprint(
    ex: Exec<'_>,
    user_id: UserId,
    fingerprint_hash: &str,
) -> StoreResult<Option<DeviceRow>> {
    Ok(fetch_optional!(
        ex,
        DeviceRow,
        concat!(
            select_devices!(),
            " WHERE user_id = $1 AND fingerprint_hash = $2"
        ),
        user_id.as_uuid(),
        fingerprint_hash
    )?)
}

/// A device of this user (removed ones excluded).
pub async fn find_for_user(
    ex: Exec<'_>,
    user_id: UserId,
    id: DeviceId,
) -> StoreResult<Option<DeviceRow>> {
    Ok(fetch_optional!(
        ex,
        DeviceRow,
        concat!(
            select_devices!(),
            " WHERE id = $1 AND user_id = $2 AND removed_at IS NULL"
        ),
        id.as_uuid(),
        user_id.as_uuid()
    )?)
}

/// One of the user's devices, removed or not (for audit rows about it).
pub async fn find_any_for_user(
    ex: Exec<'_>,
    user_id: UserId,
    id: DeviceId,
) -> StoreResult<Option<DeviceRow>> {
    Ok(fetch_optional!(
        ex,
        DeviceRow,
        concat!(select_devices!(), " WHERE id = $1 AND user_id = $2"),
        id.as_uuid(),
        user_id.as_uuid()
    )?)
}

/// A page of the user's devices, newest first, strictly before `before` (a cursor id).
pub async fn list_for_user(
    ex: Exec<'_>,
    user_id: UserId,
    before: Option<DeviceId>,
    limit: i64,
) -> StoreResult<Vec<DeviceRow>> {
    Ok(fetch_all!(
        ex,
        DeviceRow,
        concat!(
            select_devices!(),
            " WHERE user_id = $1 AND removed_at IS NULL AND ($2 IS NULL OR id < $2)
              ORDER BY id DESC LIMIT $3"
        ),
        user_id.as_uuid(),
        before.map(|b| b.as_uuid()),
        limit
    )?)
}

pub async fn insert(
    ex: Exec<'_>,
    id: DeviceId,
    user_id: UserId,
    fingerprint_hash: &str,
    s: &DeviceSighting<'_>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO devices (id, user_id, device_name, device_type, os, browser, browser_version,
            fingerprint_hash, ip_address, user_agent, last_used_at, created_at, updated_at,
            risk_score, last_risk_assessment, latitude, longitude)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $11, COALESCE($12, 0),
            CASE WHEN $12 IS NULL THEN NULL ELSE $11 END, $13, $14)",
        id.as_uuid(),
        user_id.as_uuid(),
        s.device_name,
        s.device_type,
        s.os,
        s.browser,
        s.browser_version,
        fingerprint_hash,
        s.ip_address,
        // Bounded here too, whichever path brought it (the HTTP edge already cut it).
        s.user_agent.map(truncate_user_agent),
        now,
        s.risk_score,
        s.latitude,
        s.longitude,
    )?;
    Ok(())
}

/// Record a new sighting of a known device; a removed device comes back (untrusted).
pub async fn record_sighting(
    ex: Exec<'_>,
    id: DeviceId,
    s: &DeviceSighting<'_>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "UPDATE devices SET device_name = COALESCE($2, device_name), device_type = $3, os = $4,
            browser = $5, browser_version = $6, ip_address = $7, user_agent = $8,
            last_used_at = $9, updated_at = $9,
            is_trusted = CASE WHEN removed_at IS NULL THEN is_trusted ELSE FALSE END,
            removed_at = NULL,
            risk_score = COALESCE($10, risk_score),
            last_risk_assessment = CASE WHEN $10 IS NULL THEN last_risk_assessment ELSE $9 END,
            latitude = COALESCE($11, latitude), longitude = COALESCE($12, longitude)
         WHERE id = $1",
        id.as_uuid(),
        s.device_name,
        s.device_type,
        s.os,
        s.browser,
        s.browser_version,
        s.ip_address,
        s.user_agent.map(truncate_user_agent),
        now,
        s.risk_score,
        s.latitude,
        s.longitude,
    )?;
    Ok(())
}

/// Soft-delete: hidden from lists, trust withdrawn.
pub async fn mark_removed(ex: Exec<'_>, id: DeviceId, now: DateTime<Utc>) -> StoreResult<u64> {
    Ok(execute!(
        ex,
        "UPDATE devices SET removed_at = $2, is_trusted = FALSE, can_skip_mfa = FALSE,
            mfa_skip_until = NULL, updated_at = $2
         WHERE id = $1 AND removed_at IS NULL",
        id.as_uuid(),
        now
    )?)
}

/// Revoke every trusted-device grant of a device.
pub async fn revoke_trust(
    ex: Exec<'_>,
    device_id: DeviceId,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(execute!(
        ex,
        "UPDATE trusted_devices SET is_trusted = FALSE, can_skip_mfa = FALSE, revoked_at = $2,
            updated_at = $2
         WHERE device_id = $1 AND revoked_at IS NULL",
        device_id.as_uuid(),
        now
    )?)
}

/// How many devices the user has signed in from (removed ones included: a device the owner
/// removed is still not new to the account).
pub async fn count_for_user(ex: Exec<'_>, user_id: UserId) -> StoreResult<i64> {
    Ok(fetch_one!(
        ex,
        (i64,),
        "SELECT COUNT(*) FROM devices WHERE user_id = $1",
        user_id.as_uuid()
    )?
    .0)
}
