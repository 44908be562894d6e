//! `totp_devices`: one per user, pending until a first code confirms it. The secret is
//! stored only encrypted (core encrypts it); `last_used_step` is the replay guard.

use crate::db::Exec;
use crate::error::StoreResult;
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use uuid::Uuid;

/// A user's TOTP device.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TotpDeviceRow {
    pub id: Uuid,
    pub secret_encrypted: String,
    pub last_used_step: Option<i64>,
    pub is_verified: bool,
    pub verified_at: Option<DateTime<Utc>>,
}

pub async fn find(ex: Exec<'_>, user_id: UserId) -> StoreResult<Option<TotpDeviceRow>> {
    Ok(fetch_optional!(
        ex,
        TotpDeviceRow,
        "SELECT id, secret_encrypted, last_used_step, is_verified, verified_at
         FROM totp_devices WHERE user_id = $1",
        user_id.as_uuid()
    )?)
}

/// Store a new pending secret, replacing a pending one. A confirmed device is left alone
/// (the `WHERE`): returns false then, so two concurrent enrolments cannot overwrite a
/// device that was confirmed in between.
pub async fn upsert_pending(
    ex: Exec<'_>,
    id: Uuid,
    user_id: UserId,
    secret_encrypted: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let n = execute!(
        ex,
        "INSERT INTO totp_devices (id, user_id, secret_encrypted, last_used_step, is_verified,
            created_at, updated_at)
         VALUES ($1, $2, $3, NULL, false, $4, $4)
         ON CONFLICT (user_id) DO UPDATE SET id = excluded.id,
            secret_encrypted = excluded.secret_encrypted, last_used_step = NULL,
            created_at = excluded.created_at, updated_at = excluded.updated_at
         WHERE totp_devices.is_verified = false",
        id,
        user_id.as_uuid(),
        secret_encrypted,
        now
    )?;
    Ok(n == 1)
}

/// Record `step` as used, if it is later than the last used one. Returns false when another
/// verification already used this step or a later one: of two concurrent verifications of
/// one code exactly one updates the row (the row lock serialises them, and the second then
/// sees the first's step).
pub async fn advance_step(
    ex: Exec<'_>,
    user_id: UserId,
    step: i64,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let n = execute!(
        ex,
        "UPDATE totp_devices SET last_used_step = $2, updated_at = $3
         WHERE user_id = $1 AND (last_used_step IS NULL OR last_used_step < $2)",
        user_id.as_uuid(),
        step,
        now
    )?;
    Ok(n == 1)
}

/// Turn a pending device on, with the step of the code that confirmed it (replay guard).
/// Returns false when there is no pending device or the step was already used.
pub async fn confirm(
    ex: Exec<'_>,
    user_id: UserId,
    step: i64,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let n = execute!(
        ex,
        "UPDATE totp_devices SET is_verified = true, verified_at = $3, last_used_step = $2,
            updated_at = $3
         WHERE user_id = $1 AND is_verified = false
           AND (last_used_step IS NULL OR last_used_step < $2)",
        user_id.as_uuid(),
        step,
        now
    )?;
    Ok(n == 1)
}

/// Remove the user's device (pending or confirmed). Returns whether one was confirmed.
pub async fn delete(ex: Exec<'_>, user_id: UserId) -> StoreResult<Option<bool>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        is_verified: bool,
    }
    let row = fetch_optional!(
        ex,
        Row,
        "DELETE FROM totp_devices WHERE user_id = $1 RETURNING is_verified",
        user_id.as_uuid()
    )?;
    Ok(row.map(|r| r.is_verified))
}

/// When backup codes were last generated (kept on the device row, as the seed does).
pub async fn mark_backup_codes_generated(
    ex: Exec<'_>,
    user_id: UserId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "UPDATE totp_devices SET backup_codes_generated_at = $2, updated_at = $2 WHERE user_id = $1",
        user_id.as_uuid(),
        now
    )?;
    Ok(())
}
