//! What every factor does when it turns on or goes away (TOTP, email, SMS alike): MFA on or
//! off, the primary method, the method's preference row, backup codes, and the event; and
//! the factor state the other MFA modules ask about (which factors are on, is one
//! verified). It depends on none of them, so `contact`, `changes` and `preferences` can all
//! lean on it.

use super::error::{MfaError, MfaResult};
use crate::accounts::AuthContext;
use crate::events::{self, Event, MfaEvent};
use crate::state::{ClientInfo, Core};
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use gatehouse_domain::mfa::{MfaMethod, OtpPurpose};
use gatehouse_store::mfa::contact_methods::{self, Contact};
use gatehouse_store::mfa::{backup_codes, otp_codes, recoveries, settings, totp};
use gatehouse_store::{Executor, StoreResult, Tx};

/// `method` was just verified: MFA turns on (it becomes primary when MFA was off or it
/// already was), its preference row is marked set up, and `FactorAdded` is raised. A
/// recovery that asked for a factor again is followed up: `true` then, and the caller
/// forgets the account's cached sessions after commit (they carry the flag).
pub(super) async fn factor_added(
    tx: &mut Tx,
    core: &Core,
    auth: &AuthContext,
    method: MfaMethod,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> MfaResult<bool> {
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
    Ok(recoveries::mark_reenrolled(tx.exec(), user_id, now).await? > 0)
}

/// Delete `method`'s row (the TOTP device, or the email/SMS method with its live codes) in
/// the caller's transaction. `None`: there was none; otherwise whether it was verified.
pub(super) async fn delete_factor(
    tx: &mut Tx,
    user_id: UserId,
    method: MfaMethod,
) -> MfaResult<Option<bool>> {
    match method {
        MfaMethod::Totp => Ok(totp::delete(tx.exec(), user_id).await?),
        MfaMethod::Email | MfaMethod::Sms => delete_contact(tx, user_id, method).await,
        MfaMethod::BackupCode => Err(MfaError::Internal(
            "backup codes are not a factor row".into(),
        )),
    }
}

/// A verified `method` was removed (its row is gone): its preference goes off; when it was
/// the last factor MFA turns off and the backup codes go with it (they back up a factor
/// that no longer exists), otherwise another method becomes primary if it was. Returns
/// whether MFA turned off. Also used when a staff member approved the removal.
pub(super) async fn settle_removal(
    tx: &mut Tx,
    user_id: UserId,
    method: MfaMethod,
    now: DateTime<Utc>,
) -> MfaResult<bool> {
    settings::set_method(tx.exec(), user_id, method, false, now).await?;
    let others = other_factors(tx, user_id, method).await?;
    if let Some(next) = others.first() {
        let current = settings::find(tx.exec(), user_id).await?;
        if current.is_some_and(|s| s.primary_method == method) {
            settings::set_primary(tx.exec(), user_id, *next, now).await?;
        }
        Ok(false)
    } else {
        settings::disable(tx.exec(), user_id, now).await?;
        backup_codes::delete_all(tx.exec(), user_id).await?;
        Ok(true)
    }
}

/// [`settle_removal`] for the person's own removal, raising `FactorRemoved`.
pub(super) async fn factor_removed(
    tx: &mut Tx,
    core: &Core,
    auth: &AuthContext,
    method: MfaMethod,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> MfaResult<()> {
    let user_id = auth.user_id;
    let mfa_disabled = settle_removal(tx, user_id, method, now).await?;
    let event = MfaEvent::FactorRemoved {
        user_id,
        session_id: Some(auth.session_id),
        method,
        mfa_disabled,
    };
    events::record(tx, core, now, client, Event::Mfa(event)).await?;
    Ok(())
}

/// The person's factors other than `method` that are on (backup codes do not count).
pub(super) async fn other_factors(
    tx: &mut Tx,
    user_id: UserId,
    method: MfaMethod,
) -> MfaResult<Vec<MfaMethod>> {
    Ok(settings::methods(tx.exec(), user_id)
        .await?
        .into_iter()
        .filter(|m| m.is_enabled && m.mfa_method != MfaMethod::BackupCode && m.mfa_method != method)
        .map(|m| m.mfa_method)
        .collect())
}

/// The table, enrolment purpose and masking of an email or SMS method.
pub(super) fn contact_of(method: MfaMethod) -> MfaResult<(Contact, OtpPurpose)> {
    match method {
        MfaMethod::Email => Ok((Contact::Email, OtpPurpose::EnrolEmail)),
        MfaMethod::Sms => Ok((Contact::Sms, OtpPurpose::EnrolSms)),
        other => Err(MfaError::Internal(format!("{other} is not sent by code"))),
    }
}

/// Delete the email or SMS method and void its live codes, in the caller's transaction.
/// `None`: there was none; otherwise whether it was verified.
pub(super) async fn delete_contact(
    tx: &mut Tx,
    user_id: UserId,
    method: MfaMethod,
) -> MfaResult<Option<bool>> {
    let (contact, purpose) = contact_of(method)?;
    let deleted = contact_methods::delete(tx.exec(), contact, user_id).await?;
    if deleted.is_some() {
        void_codes(tx, user_id, purpose).await?;
    }
    Ok(deleted)
}

/// Void the live enrolment codes of the method and every live login code of the account
/// (a code on its way to a removed destination must not sign in).
async fn void_codes(tx: &mut Tx, user_id: UserId, purpose: OtpPurpose) -> MfaResult<()> {
    otp_codes::invalidate_live(tx.exec(), user_id, purpose.as_str(), None).await?;
    otp_codes::invalidate_live(tx.exec(), user_id, OtpPurpose::Login.as_str(), None).await?;
    Ok(())
}

/// Whether `method` is set up, verified and on for the person.
pub(super) async fn is_verified(
    tx: &mut Tx,
    user_id: UserId,
    method: MfaMethod,
) -> StoreResult<bool> {
    Ok(match method {
        MfaMethod::Totp => totp::find(tx.exec(), user_id)
            .await?
            .is_some_and(|d| d.is_verified),
        MfaMethod::Email | MfaMethod::Sms => settings::method(tx.exec(), user_id, method)
            .await?
            .is_some_and(|p| p.setup_completed && p.is_enabled),
        MfaMethod::BackupCode => false,
    })
}
