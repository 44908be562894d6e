//! `mfa_change_log`: changes to a person's second factors, logged when made and, where
//! approval is required, kept `pending` until a staff member decides. A decision is one
//! conditional `UPDATE ... WHERE approval_status = 'pending'`, so of two staff members
//! deciding at once exactly one wins.

use crate::db::Exec;
use crate::error::StoreResult;
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use gatehouse_domain::mfa::{MfaChangeAction, MfaChangeStatus, MfaMethod};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

/// A change to log.
#[derive(Debug, Clone)]
pub struct NewChange {
    pub id: Uuid,
    pub user_id: UserId,
    pub action: MfaChangeAction,
    pub mfa_method: Option<MfaMethod>,
    pub old_value: Option<Value>,
    pub new_value: Option<Value>,
    pub approval_required: bool,
    pub status: MfaChangeStatus,
    pub requested_at: DateTime<Utc>,
}

pub async fn insert(ex: Exec<'_>, c: &NewChange) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO mfa_change_log (id, user_id, action, mfa_method, old_value, new_value,
            approval_required, approval_status, requested_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        c.id,
        c.user_id.as_uuid(),
        c.action.as_str(),
        c.mfa_method.map(|m| m.as_str()),
        c.old_value.clone().map(Json),
        c.new_value.clone().map(Json),
        c.approval_required,
        c.status.as_str(),
        c.requested_at
    )?;
    Ok(())
}

/// A logged change.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChangeRow {
    pub id: Uuid,
    #[sqlx(try_from = "Uuid")]
    pub user_id: UserId,
    #[sqlx(try_from = "String")]
    pub action: MfaChangeAction,
    pub mfa_method: Option<String>,
    pub old_value: Option<Json<Value>>,
    pub new_value: Option<Json<Value>>,
    pub approval_required: bool,
    #[sqlx(try_from = "String")]
    pub approval_status: MfaChangeStatus,
    pub approved_by_id: Option<Uuid>,
    pub approved_at: Option<DateTime<Utc>>,
    pub requested_at: DateTime<Utc>,
}

macro_rules! select_changes {
    () => {
        "SELECT id, user_id, action, mfa_method, old_value, new_value, approval_required,
            approval_status, approved_by_id, approved_at, requested_at FROM mfa_change_log"
    };
}

pub async fn find(ex: Exec<'_>, id: Uuid) -> StoreResult<Option<ChangeRow>> {
    Ok(fetch_optional!(
        ex,
        ChangeRow,
        concat!(select_changes!(), " WHERE id = $1"),
        id
    )?)
}

/// The person's pending change of this kind, if any (one waits at a time per kind).
pub async fn find_pending(
    ex: Exec<'_>,
    user_id: UserId,
    action: MfaChangeAction,
) -> StoreResult<Option<ChangeRow>> {
    Ok(fetch_optional!(
        ex,
        ChangeRow,
        concat!(
            select_changes!(),
            " WHERE user_id = $1 AND action = $2 AND approval_status = 'pending'
              ORDER BY id DESC LIMIT 1"
        ),
        user_id.as_uuid(),
        action.as_str()
    )?)
}

/// A page of changes, newest first, optionally only those in `status`.
pub async fn list(
    ex: Exec<'_>,
    status: Option<MfaChangeStatus>,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<ChangeRow>> {
    Ok(fetch_all!(
        ex,
        ChangeRow,
        concat!(
            select_changes!(),
            " WHERE ($1 IS NULL OR approval_status = $1) AND ($2 IS NULL OR id < $2)
              ORDER BY id DESC LIMIT $3"
        ),
        status.map(|s| s.as_str()),
        before,
        limit
    )?)
}

/// Decide a pending change: `approved` or `rejected`, by whom and when. False when it was
/// no longer pending (someone decided first).
pub async fn decide(
    ex: Exec<'_>,
    id: Uuid,
    status: MfaChangeStatus,
    decided_by: UserId,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let changed = execute!(
        ex,
        "UPDATE mfa_change_log SET approval_status = $2, approved_by_id = $3, approved_at = $4
         WHERE id = $1 AND approval_status = 'pending'",
        id,
        status.as_str(),
        decided_by.as_uuid(),
        now
    )?;
    Ok(changed == 1)
}
