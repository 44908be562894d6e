//! MFA change approvals (issue 9, item 6). Changing the primary method, turning off the
//! last factor and dropping one's own approval requirement are logged in `mfa_change_log`.
//! Where the deployment (`mfa.changes_require_approval`) or the person
//! (`require_approval_for_changes`) asks for it, the change does not happen: its row waits
//! as `pending` until a staff member approves it (the change is applied in the same
//! transaction as the decision) or rejects it. Staff never decide their own changes; a
//! decision is made once (the second gets 409).

use super::error::{MfaError, MfaResult};
use super::factors::{delete_factor, is_verified, other_factors, settle_removal};
use crate::accounts::{AuthContext, Page};
use crate::events::{self, Event, MfaEvent};
use crate::state::{ClientInfo, Core};
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::{SessionId, UserId};
use gatehouse_domain::mfa::{MfaChangeAction, MfaChangeStatus, MfaMethod};
use gatehouse_store::mfa::changes::{self, ChangeRow, NewChange};
use gatehouse_store::mfa::settings;
use gatehouse_store::{Executor, Tx};
use serde_json::{json, Value};
use uuid::Uuid;

pub use gatehouse_store::mfa::changes::ChangeRow as MfaChange;

/// Whether a change was made, or waits for approval (its `mfa_change_log` id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeOutcome {
    Applied,
    Pending(Uuid),
}

/// A change the person asks for.
pub(super) struct Request {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub action: MfaChangeAction,
    pub method: Option<MfaMethod>,
    pub old_value: Value,
    pub new_value: Value,
    /// The person's own `require_approval_for_changes`.
    pub person_asks: bool,
}

/// Log a change in the caller's transaction. `Pending` when it needs approval (the caller
/// then changes nothing); `Applied` when the caller should make it now (logged as
/// `not_required`). A second pending change of the same kind is refused (409).
pub(super) async fn log(
    tx: &mut Tx,
    core: &Core,
    request: Request,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> MfaResult<ChangeOutcome> {
    let needs = core
        .config
        .mfa
        .changes_require_approval
        .requires(request.action, request.person_asks);
    if needs
        && changes::find_pending(tx.exec(), request.user_id, request.action)
            .await?
            .is_some()
    {
        return Err(MfaError::ChangePending);
    }
    let id = Uuid::now_v7();
    let status = if needs {
        MfaChangeStatus::Pending
    } else {
        MfaChangeStatus::NotRequired
    };
    let row = NewChange {
        id,
        user_id: request.user_id,
        action: request.action,
        mfa_method: request.method,
        old_value: Some(request.old_value),
        new_value: Some(request.new_value),
        approval_required: needs,
        status,
        requested_at: now,
    };
    changes::insert(tx.exec(), &row).await?;
    if !needs {
        return Ok(ChangeOutcome::Applied);
    }
    let event = MfaEvent::ChangeRequested {
        user_id: request.user_id,
        session_id: Some(request.session_id),
        change_id: id,
        action: request.action,
        method: request.method,
    };
    events::record(tx, core, now, client, Event::Mfa(event)).await?;
    Ok(ChangeOutcome::Pending(id))
}

/// Before a verified `method` goes: when it is the person's only factor that is on, the
/// removal is logged in `mfa_change_log`, and where the deployment or the person wants such
/// changes approved it only waits for a staff member ([`ChangeOutcome::Pending`]; the
/// caller then changes nothing). Otherwise [`ChangeOutcome::Applied`]: go ahead.
pub(super) async fn gate_removal(
    tx: &mut Tx,
    core: &Core,
    auth: &AuthContext,
    method: MfaMethod,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> MfaResult<ChangeOutcome> {
    let user_id = auth.user_id;
    if !other_factors(tx, user_id, method).await?.is_empty() {
        return Ok(ChangeOutcome::Applied);
    }
    let person_asks = settings::find(tx.exec(), user_id)
        .await?
        .is_some_and(|s| s.require_approval_for_changes);
    let change = Request {
        user_id,
        session_id: auth.session_id,
        action: MfaChangeAction::LastFactorRemoved,
        method: Some(method),
        old_value: json!({ "enabled": true, "method": method.as_str() }),
        new_value: json!({ "enabled": false }),
        person_asks,
    };
    log(tx, core, change, client, now).await
}

/// A page of logged changes, newest first, optionally only those in `status` (staff).
pub async fn list_changes(
    core: &Core,
    status: Option<MfaChangeStatus>,
    page: Page,
) -> MfaResult<Vec<MfaChange>> {
    let mut conn = core.db.reader().await?;
    Ok(changes::list(conn.exec(), status, page.before, page.limit).await?)
}

/// Approve (and apply) or reject a pending change, as the staff member `staff`. The
/// caller has checked that `staff` is a staff member.
#[tracing::instrument(skip_all, fields(staff_id = %staff.user_id, change_id = %id))]
pub async fn decide_change(
    core: &Core,
    staff: &AuthContext,
    id: Uuid,
    approve: bool,
    client: &ClientInfo,
) -> MfaResult<MfaChange> {
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    let row = changes::find(tx.exec(), id)
        .await?
        .ok_or(MfaError::NotFound("change"))?;
    if row.user_id == staff.user_id {
        return Err(MfaError::OwnChange);
    }
    if row.approval_status != MfaChangeStatus::Pending {
        return Err(MfaError::ChangeAlreadyDecided);
    }
    let status = if approve {
        MfaChangeStatus::Approved
    } else {
        MfaChangeStatus::Rejected
    };
    // Of two decisions at once, the one whose update finds the row still pending wins.
    if !changes::decide(tx.exec(), id, status, staff.user_id, now).await? {
        return Err(MfaError::ChangeAlreadyDecided);
    }
    let method = row.mfa_method.as_deref().and_then(|m| m.parse().ok());
    let (primary, mfa_disabled) = if approve {
        apply(&mut tx, &row, now).await?
    } else {
        (None, false)
    };
    let event = MfaEvent::ChangeDecided {
        user_id: row.user_id,
        staff_id: staff.user_id,
        change_id: id,
        action: row.action,
        method,
        approved: approve,
        primary,
        mfa_disabled,
    };
    events::record(&mut tx, core, now, client, Event::Mfa(event)).await?;
    let decided = changes::find(tx.exec(), id)
        .await?
        .ok_or(MfaError::NotFound("change"))?;
    tx.commit().await?;
    Ok(decided)
}

/// Make an approved change. Returns the primary method's move and whether MFA turned off.
async fn apply(
    tx: &mut Tx,
    row: &ChangeRow,
    now: DateTime<Utc>,
) -> MfaResult<(Option<(MfaMethod, MfaMethod)>, bool)> {
    let user_id = row.user_id;
    match row.action {
        MfaChangeAction::PrimaryMethodChanged => {
            let to: MfaMethod = row
                .new_value
                .as_ref()
                .and_then(|v| v.0.get("primary_method"))
                .and_then(Value::as_str)
                .and_then(|m| m.parse().ok())
                .ok_or(MfaError::Internal("change without a primary method".into()))?;
            if !is_verified(tx, user_id, to).await? {
                return Err(MfaError::ChangeNoLongerApplies(
                    "the method is no longer verified",
                ));
            }
            let from = settings::find(tx.exec(), user_id)
                .await?
                .map(|s| s.primary_method)
                .ok_or(MfaError::ChangeNoLongerApplies(
                    "two-step verification is off",
                ))?;
            settings::set_primary(tx.exec(), user_id, to, now).await?;
            Ok((Some((from, to)), false))
        }
        MfaChangeAction::LastFactorRemoved => {
            let method: MfaMethod = row
                .mfa_method
                .as_deref()
                .and_then(|m| m.parse().ok())
                .ok_or(MfaError::Internal("removal without a method".into()))?;
            match delete_factor(tx, user_id, method).await? {
                Some(true) => Ok((None, settle_removal(tx, user_id, method, now).await?)),
                _ => Err(MfaError::ChangeNoLongerApplies(
                    "the factor was already removed",
                )),
            }
        }
        MfaChangeAction::ApprovalRequirementRemoved => {
            settings::set_require_approval(tx.exec(), user_id, false, now).await?;
            Ok((None, false))
        }
    }
}
