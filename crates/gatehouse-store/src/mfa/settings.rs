//! `mfa_settings` (is MFA on, which method is primary) and `mfa_method_preferences` (one
//! row per method the user has set up).

use crate::db::Exec;
use crate::error::StoreResult;
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use gatehouse_domain::mfa::MfaMethod;
use uuid::Uuid;

/// A user's MFA switch and primary method.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MfaSettingsRow {
    pub is_enabled: bool,
    #[sqlx(try_from = "String")]
    pub primary_method: MfaMethod,
    /// The person asked that changes to their factors wait for a staff member's approval.
    pub require_approval_for_changes: bool,
}

pub async fn find(ex: Exec<'_>, user_id: UserId) -> StoreResult<Option<MfaSettingsRow>> {
    Ok(fetch_optional!(
        ex,
        MfaSettingsRow,
        "SELECT is_enabled, primary_method, require_approval_for_changes FROM mfa_settings
         WHERE user_id = $1",
        user_id.as_uuid()
    )?)
}

/// Turn MFA on. A user without settings gets `method` as primary; one who has settings
/// keeps their primary method.
pub async fn enable(
    ex: Exec<'_>,
    user_id: UserId,
    method: MfaMethod,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO mfa_settings (id, user_id, primary_method, is_enabled, created_at, updated_at)
         VALUES ($1, $2, $3, true, $4, $4)
         ON CONFLICT (user_id) DO UPDATE SET is_enabled = true, updated_at = excluded.updated_at",
        Uuid::now_v7(),
        user_id.as_uuid(),
        method.as_str(),
        now
    )?;
    Ok(())
}

/// Turn MFA off (the last factor went).
pub async fn disable(ex: Exec<'_>, user_id: UserId, now: DateTime<Utc>) -> StoreResult<()> {
    execute!(
        ex,
        "UPDATE mfa_settings SET is_enabled = false, updated_at = $2 WHERE user_id = $1",
        user_id.as_uuid(),
        now
    )?;
    Ok(())
}

/// Set the primary method (when the old primary was removed).
pub async fn set_primary(
    ex: Exec<'_>,
    user_id: UserId,
    method: MfaMethod,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "UPDATE mfa_settings SET primary_method = $2, updated_at = $3 WHERE user_id = $1",
        user_id.as_uuid(),
        method.as_str(),
        now
    )?;
    Ok(())
}

/// Set whether the person's changes wait for approval (their settings row exists once a
/// factor was set up; without one there is nothing to protect, and nothing is written).
pub async fn set_require_approval(
    ex: Exec<'_>,
    user_id: UserId,
    required: bool,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "UPDATE mfa_settings SET require_approval_for_changes = $2, updated_at = $3
         WHERE user_id = $1",
        user_id.as_uuid(),
        required,
        now
    )?;
    Ok(())
}

/// A method the user has set up (`setup_completed`), whether it is on, and its limits
/// (which count only once the person set them: `limits_set_at`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MethodPreferenceRow {
    #[sqlx(try_from = "String")]
    pub mfa_method: MfaMethod,
    pub is_enabled: bool,
    pub setup_completed: bool,
    pub rate_limit_per_hour: i32,
    pub max_attempts: i32,
    pub lockout_minutes: i32,
    pub limits_set_at: Option<DateTime<Utc>>,
}

/// One method's preference row, if the user has one.
pub async fn method(
    ex: Exec<'_>,
    user_id: UserId,
    method: MfaMethod,
) -> StoreResult<Option<MethodPreferenceRow>> {
    Ok(fetch_optional!(
        ex,
        MethodPreferenceRow,
        "SELECT mfa_method, is_enabled, setup_completed, rate_limit_per_hour, max_attempts,
            lockout_minutes, limits_set_at
         FROM mfa_method_preferences WHERE user_id = $1 AND mfa_method = $2",
        user_id.as_uuid(),
        method.as_str()
    )?)
}

/// A method's own limits, as the person set them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodLimits {
    pub rate_limit_per_hour: i32,
    pub max_attempts: i32,
    pub lockout_minutes: i32,
}

/// Store the person's limits for a method they have set up (its row exists).
pub async fn set_limits(
    ex: Exec<'_>,
    user_id: UserId,
    method: MfaMethod,
    limits: MethodLimits,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "UPDATE mfa_method_preferences SET rate_limit_per_hour = $3, max_attempts = $4,
            lockout_minutes = $5, limits_set_at = $6, updated_at = $6
         WHERE user_id = $1 AND mfa_method = $2",
        user_id.as_uuid(),
        method.as_str(),
        limits.rate_limit_per_hour,
        limits.max_attempts,
        limits.lockout_minutes,
        now
    )?;
    Ok(())
}

pub async fn methods(ex: Exec<'_>, user_id: UserId) -> StoreResult<Vec<MethodPreferenceRow>> {
    Ok(fetch_all!(
        ex,
        MethodPreferenceRow,
        "SELECT mfa_method, is_enabled, setup_completed, rate_limit_per_hour, max_attempts,
            lockout_minutes, limits_set_at FROM mfa_method_preferences
         WHERE user_id = $1 ORDER BY mfa_method",
        user_id.as_uuid()
    )?)
}

/// Mark `method` set up and on (or off), creating its preference row with the defaults.
pub async fn set_method(
    ex: Exec<'_>,
    user_id: UserId,
    method: MfaMethod,
    enabled: bool,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO mfa_method_preferences (id, user_id, mfa_method, is_enabled, setup_completed,
            created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4, $5, $5)
         ON CONFLICT (user_id, mfa_method) DO UPDATE SET is_enabled = excluded.is_enabled,
            setup_completed = excluded.setup_completed, updated_at = excluded.updated_at",
        Uuid::now_v7(),
        user_id.as_uuid(),
        method.as_str(),
        enabled,
        now
    )?;
    Ok(())
}
