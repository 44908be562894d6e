//! What every factor does when it turns on or goes away (TOTP, email, SMS alike): MFA on or
//! off, the primary method, the method's preference row, backup codes, and the event.

use super::error::MfaResult;
use crate::accounts::AuthContext;
use crate::events::{self, Event, MfaEvent};
use crate::state::{ClientInfo, Core};
use chrono::{DateTime, Utc};
use gatehouse_domain::mfa::MfaMethod;
use gatehouse_store::mfa::{backup_codes, settings};
use gatehouse_store::{Executor, Tx};

/// `method` was just verified: MFA turns on (it becomes primary when MFA was off or it
/// already was), its preference row is marked set up, and `FactorAdded` is raised.
pub(super) async fn factor_added(
    tx: &mut Tx,
    core: &Core,
    auth: &AuthContext,
    method: MfaMethod,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> MfaResult<()> {
    let user_id = auth.user_id;
    let before = settings::find(tx.exec(), user_id).await?;
    let was_enabled = before.as_ref().is_some_and(|s| s.is_enabled);
    settings::enable(tx.exec(), user_id, method, now).await?;
    settings::set_method(tx.exec(), user_id, method, true, now).await?;
    let is_primary = before.is_none_or(|s| s.primary_method == method || !s.is_enabled);
    if is_primary {
        settings::set_primary(tx.exec(), user_id, method, now).await?;
    }
    let event = MfaEvent::FactorAdded {
        user_id,
        session_id: Some(auth.session_id),
        method,
        mfa_enabled: !was_enabled,
        is_primary,
    };
    events::record(tx, core, now, client, Event::Mfa(event)).await?;
    Ok(())
}

/// A verified `method` was removed: its preference goes off; when it was the last factor
/// MFA turns off and the backup codes go with it (they back up a factor that no longer
/// exists), otherwise another method becomes primary if it was. Raises `FactorRemoved`.
pub(super) async fn factor_removed(
    tx: &mut Tx,
    core: &Core,
    auth: &AuthContext,
    method: MfaMethod,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> MfaResult<()> {
    let user_id = auth.user_id;
    settings::set_method(tx.exec(), user_id, method, false, now).await?;
    let others: Vec<MfaMethod> = settings::methods(tx.exec(), user_id)
        .await?
        .into_iter()
        .filter(|m| m.is_enabled && m.mfa_method != MfaMethod::BackupCode)
        .map(|m| m.mfa_method)
        .collect();
    let mfa_disabled = others.is_empty();
    if let Some(next) = others.first() {
        let current = settings::find(tx.exec(), user_id).await?;
        if current.is_some_and(|s| s.primary_method == method) {
            settings::set_primary(tx.exec(), user_id, *next, now).await?;
        }
    } else {
        settings::disable(tx.exec(), user_id, now).await?;
        backup_codes::delete_all(tx.exec(), user_id).await?;
    }
    let event = MfaEvent::FactorRemoved {
        user_id,
        session_id: Some(auth.session_id),
        method,
        mfa_disabled,
    };
    events::record(tx, core, now, client, Event::Mfa(event)).await?;
    Ok(())
}
