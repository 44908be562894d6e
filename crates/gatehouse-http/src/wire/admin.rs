//! The admin endpoints' wire types: logged MFA changes, their list and its filter.

use chrono::{DateTime, Utc};
use gatehouse_core::mfa::MfaChange;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// One change to a person's second factors.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaChangeResponse {
    pub id: Uuid,
    /// The person whose factors it changes.
    pub user_id: Uuid,
    /// `primary_method_changed`, `last_factor_removed` or `approval_requirement_removed`.
    pub action: String,
    /// The method concerned, if one.
    pub method: Option<String>,
    pub old_value: Option<Value>,
    pub new_value: Option<Value>,
    pub approval_required: bool,
    /// `pending`, `approved`, `rejected` or `not_required` (applied when asked).
    pub status: String,
    pub requested_at: DateTime<Utc>,
    /// The staff member who approved or rejected it.
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<MfaChange> for MfaChangeResponse {
    fn from(c: MfaChange) -> Self {
        Self {
            id: c.id,
            user_id: c.user_id.as_uuid(),
            action: c.action.as_str().to_owned(),
            method: c.mfa_method,
            old_value: c.old_value.map(|v| v.0),
            new_value: c.new_value.map(|v| v.0),
            approval_required: c.approval_required,
            status: c.approval_status.as_str().to_owned(),
            requested_at: c.requested_at,
            decided_by: c.approved_by_id,
            decided_at: c.approved_at,
        }
    }
}

/// A page of changes, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaChangeList {
    pub items: Vec<MfaChangeResponse>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// `GET /v1/admin/mfa-changes` parameters: a status filter and cursor pagination.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MfaChangeQuery {
    /// `pending`, `approved`, `rejected` or `not_required`; all when absent.
    #[param(max_length = 16)]
    pub status: Option<String>,
    /// Items per page, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page; opaque.
    pub cursor: Option<String>,
}
