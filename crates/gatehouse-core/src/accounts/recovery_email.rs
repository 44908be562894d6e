//! Email recovery (issue 9, item 5), for a person with MFA on and no backup codes left.
//!
//! 1. `request_email_recovery`: the same answer, and the same work up to the lookup,
//!    whether or not an account has the address (counted with the password-reset
//!    allowances). For an account with MFA on it starts a recovery that can be completed
//!    `mfa.recovery_delay_secs` later; the recovery subscriber (`events::recovery`) sends
//!    the completion link by email and a cancel link on every channel. A request while one
//!    is in progress changes nothing and sends nothing: the clock is never restarted, and
//!    nobody can flood the person's channels.
//! 2. `cancel_recovery` (the cancel link) or `cancel_recovery_signed_in` (any session of
//!    the account) ends it unsuccessfully; both links stop working.
//! 3. `complete_email_recovery`, after the delay, with the link and the password: every
//!    factor is removed and MFA turned off, trusted devices lose their trust, a session
//!    starts (`amr` `[pwd]`: the link proves the mailbox, for which RFC 8176 has no value)
//!    and the account must enrol a factor again.

use super::devices::{record_login_device, SeenDevice};
use super::issue::SessionGrant;
use super::login::{record_alone, refuse_if_locked};
use super::recovery::{check_password_len, grant};
use super::trust::revoke_all_trust;
use super::{inet, AccountsError, AccountsResult, AuthContext, DeviceHint, LoginGrant};
use crate::events::recovery::{
    completion_window, RECOVERY_CANCEL_ACTION, RECOVERY_COMPLETE_ACTION,
};
use crate::events::{self, Event, LockKind, MfaEvent};
use crate::keys::HashPurpose;
use crate::state::{ClientInfo, Core};
use crate::throttle::{self, AttemptKeys};
use chrono::{DateTime, Utc};
use gatehouse_domain::accounts::{AuthMethod, EmailAddress, SessionType};
use gatehouse_domain::ids::{SessionId, UserId};
use gatehouse_domain::mfa::{MfaMethod, OtpPurpose};
use gatehouse_store::accounts::users;
use gatehouse_store::mfa::contact_methods::{self, Contact};
use gatehouse_store::mfa::{backup_codes, otp_codes, recoveries, settings, totp};
use gatehouse_store::notify::action_tokens;
use gatehouse_store::{Executor, Tx};
use secrecy::SecretString;
use uuid::Uuid;

/// `mfa_recoveries.recovery_method` of an email recovery.
const EMAIL_METHOD: &str = "email";

/// Links are 43 base64url characters; anything much longer is not one of ours.
const MAX_TOKEN_LEN: usize = 128;

/// Ask for an email recovery of the account with `email`. `Ok(())` whatever the address.
#[tracing::instrument(skip_all)]
pub async fn request_email_recovery(
    core: &Core,
    email: &str,
    client: &ClientInfo,
) -> AccountsResult<()> {
    let email = EmailAddress::parse(email).map_err(|e| AccountsError::Validation(vec![e]))?;
    let email_key = core
        .keys
        .keyed_hash(HashPurpose::LoginIdentifier, email.as_str().as_bytes());
    // Mails a link to an address like a reset does: the same allowances, so one cannot be
    // used to get round the other.
    if let Err(retry_after_secs) =
        throttle::count_password_reset(core, client.ip, &email_key).await?
    {
        return Err(AccountsError::TooManyAttempts { retry_after_secs });
    }
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    // Looked up inside the transaction every path opens, so they cost alike.
    let user_id = users::find_by_email(tx.exec(), email.as_str())
        .await?
        .filter(|u| u.is_active)
        .map(|u| u.id);
    let mfa_on = match user_id {
        Some(id) => settings::find(tx.exec(), id)
            .await?
            .is_some_and(|s| s.is_enabled),
        None => false,
    };
    if let (Some(user_id), true) = (user_id, mfa_on) {
        start_recovery(&mut tx, core, user_id, client, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Start a recovery unless one is in progress (a lapsed one — not completed within
/// [`completion_window`] of being ready — ends first).
async fn start_recovery(
    tx: &mut Tx,
    core: &Core,
    user_id: UserId,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> AccountsResult<()> {
    if let Some(pending) = recoveries::find_pending(tx.exec(), user_id).await? {
        let ready_at = pending.ready_at.unwrap_or(pending.created_at);
        if now <= ready_at + completion_window() {
            // In progress: its clock runs on and its messages were sent.
            return Ok(());
        }
        recoveries::finish(tx.exec(), pending.id, false, None, now).await?;
        expire_links(tx, user_id, now).await?;
    }
    let delay = chrono::Duration::from_std(core.config.mfa.recovery_delay())
        .unwrap_or(chrono::Duration::days(1));
    let ready_at = now + delay;
    let recovery_id = Uuid::now_v7();
    // Two requests racing: the unique index lets one in; the other sends nothing.
    if !recoveries::insert_pending(tx.exec(), recovery_id, user_id, EMAIL_METHOD, ready_at, now)
        .await?
    {
        return Ok(());
    }
    let event = MfaEvent::RecoveryRequested {
        user_id,
        recovery_id,
        ready_at,
    };
    events::record(tx, core, now, client, Event::Mfa(event)).await?;
    Ok(())
}

/// Both links of the account's recovery stop working.
async fn expire_links(tx: &mut Tx, user_id: UserId, now: DateTime<Utc>) -> AccountsResult<()> {
    for action in [RECOVERY_COMPLETE_ACTION, RECOVERY_CANCEL_ACTION] {
        action_tokens::expire_unused(tx.exec(), user_id, action, now).await?;
    }
    Ok(())
}

fn token_hash(core: &Core, token: &str) -> AccountsResult<String> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(AccountsError::InvalidLink);
    }
    Ok(core
        .keys
        .keyed_hash(HashPurpose::ActionToken, token.as_bytes()))
}

/// Cancel the recovery in progress with its cancel link.
#[tracing::instrument(skip_all)]
pub async fn cancel_recovery(core: &Core, token: &str, client: &ClientInfo) -> AccountsResult<()> {
    let hash = token_hash(core, token)?;
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    let used = action_tokens::consume(tx.exec(), &hash, RECOVERY_CANCEL_ACTION, now)
        .await?
        .ok_or(AccountsError::InvalidLink)?;
    cancel_in(&mut tx, core, used.user_id, None, client, now)
        .await?
        .ok_or(AccountsError::InvalidLink)?;
    tx.commit().await?;
    Ok(())
}

/// Cancel the account's recovery in progress from one of its sessions.
#[tracing::instrument(skip_all, fields(user_id = %auth.user_id))]
pub async fn cancel_recovery_signed_in(
    core: &Core,
    auth: &AuthContext,
    client: &ClientInfo,
) -> AccountsResult<()> {
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    cancel_in(
        &mut tx,
        core,
        auth.user_id,
        Some(auth.session_id),
        client,
        now,
    )
    .await?
    .ok_or(AccountsError::NotFound("account recovery in progress"))?;
    tx.commit().await?;
    Ok(())
}

/// End the account's recovery in progress unsuccessfully; `None` when there is none.
async fn cancel_in(
    tx: &mut Tx,
    core: &Core,
    user_id: UserId,
    session_id: Option<SessionId>,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> AccountsResult<Option<()>> {
    let Some(pending) = recoveries::find_pending(tx.exec(), user_id).await? else {
        return Ok(None);
    };
    if !recoveries::finish(tx.exec(), pending.id, false, inet(client.ip), now).await? {
        return Ok(None);
    }
    expire_links(tx, user_id, now).await?;
    let event = MfaEvent::RecoveryCancelled {
        user_id,
        recovery_id: pending.id,
        session_id,
    };
    events::record(tx, core, now, client, Event::Mfa(event)).await?;
    Ok(Some(()))
}

/// What completing an email recovery carries.
pub struct RecoveryCompletion {
    pub token: String,
    pub password: SecretString,
    pub device: Option<DeviceHint>,
}

/// Complete a ready email recovery: MFA off, signed in, a factor to enrol again.
#[tracing::instrument(skip_all)]
pub async fn complete_email_recovery(
    core: &Core,
    input: RecoveryCompletion,
    client: &ClientInfo,
) -> AccountsResult<LoginGrant> {
    let hash = token_hash(core, &input.token)?;
    check_password_len(&input.password)?;
    if let Some(device) = &input.device {
        device.validate()?;
    }
    // Look before using: a wrong password or an early try must not spend the link.
    let (user, pending) = {
        let mut conn = core.db.reader().await?;
        let live = action_tokens::find_live(
            conn.exec(),
            &hash,
            RECOVERY_COMPLETE_ACTION,
            core.clock.now(),
        )
        .await?
        .ok_or(AccountsError::InvalidLink)?;
        let user = users::find_by_id(conn.exec(), live.user_id)
            .await?
            .ok_or(AccountsError::InvalidLink)?;
        let pending = recoveries::find_pending(conn.exec(), user.id)
            .await?
            .ok_or(AccountsError::InvalidLink)?;
        (user, pending)
    };
    let ready_at = pending.ready_at.unwrap_or(pending.created_at);
    let wait = (ready_at - core.clock.now()).num_seconds();
    if wait > 0 {
        return Err(AccountsError::RecoveryNotReady {
            ready_at,
            retry_after_secs: u64::try_from(wait).unwrap_or(1),
        });
    }
    // The password is guessed against the login's counters: holding the link is no way
    // round its lockout.
    let keys = AttemptKeys::new(&user.id.to_string(), client.ip);
    refuse_if_locked(core, &keys, LockKind::Account, Some(user.id), client).await?;
    let verified = core
        .hasher
        .verify_typed(input.password.clone(), Some(user.password_hash.as_str()))
        .await?;
    if !verified.matches {
        let event = Event::LoginFailed {
            user_id: Some(user.id),
        };
        record_alone(core, client, event).await?;
        return Err(AccountsError::InvalidCredentials);
    }
    if !user.is_active {
        return Err(AccountsError::InvalidLink);
    }
    if let Some(until) = user.locked_until.filter(|t| *t > core.clock.now()) {
        return Err(AccountsError::AccountLocked { until });
    }

    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    // The compare-and-sets: the link works once, and a cancel that came first wins.
    action_tokens::consume(tx.exec(), &hash, RECOVERY_COMPLETE_ACTION, now)
        .await?
        .filter(|t| t.user_id == user.id)
        .ok_or(AccountsError::InvalidLink)?;
    if !recoveries::finish(tx.exec(), pending.id, true, inet(client.ip), now).await? {
        return Err(AccountsError::InvalidLink);
    }
    expire_links(&mut tx, user.id, now).await?;
    turn_mfa_off(&mut tx, core, user.id, client, now).await?;
    // Whoever recovered may not be whoever trusted a device: no trust survives.
    revoke_all_trust(&mut tx, core, user.id, "mfa_recovery", client, now).await?;
    throttle::record_success(tx.exec(), &keys, now).await?;
    let session_id = SessionId::new();
    let device_id = record_login_device(
        core,
        &mut tx,
        user.id,
        session_id,
        SeenDevice {
            hint: input.device.as_ref(),
            risk: None,
        },
        client,
        now,
    )
    .await?;
    let tokens = core
        .issuer()
        .start_session(
            &mut tx,
            now,
            SessionGrant {
                user_id: user.id,
                session_id,
                device_id,
                amr: &[AuthMethod::Password],
                session_type: SessionType::Web,
                mfa_verified: false,
                remember_me: false,
                client,
                risk: None,
            },
        )
        .await?;
    users::touch_last_login(tx.exec(), user.id, now).await?;
    let recovered = MfaEvent::Recovered {
        user_id: user.id,
        recovery_id: pending.id,
        recovery_method: EMAIL_METHOD,
        session_id,
    };
    events::record(&mut tx, core, now, client, Event::Mfa(recovered)).await?;
    tx.commit().await?;
    core.session_cache.forget_user(user.id);
    tracing::info!(user_id = %user.id, "account recovered by email");
    Ok(grant(core, user.id, tokens))
}

/// Remove every factor (the authenticator app, email and SMS methods, backup codes) and
/// turn MFA off, with a `FactorRemoved` event per factor (the last says MFA is off).
async fn turn_mfa_off(
    tx: &mut Tx,
    core: &Core,
    user_id: UserId,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> AccountsResult<()> {
    let mut removed = Vec::new();
    if totp::delete(tx.exec(), user_id).await? == Some(true) {
        removed.push(MfaMethod::Totp);
    }
    for (method, contact) in [
        (MfaMethod::Email, Contact::Email),
        (MfaMethod::Sms, Contact::Sms),
    ] {
        if contact_methods::delete(tx.exec(), contact, user_id).await? == Some(true) {
            removed.push(method);
        }
    }
    // No code sent before the recovery may enrol a method or sign in afterwards.
    for purpose in [
        OtpPurpose::EnrolEmail,
        OtpPurpose::EnrolSms,
        OtpPurpose::Login,
    ] {
        otp_codes::invalidate_live(tx.exec(), user_id, purpose.as_str(), None).await?;
    }
    for method in settings::methods(tx.exec(), user_id).await? {
        if method.is_enabled {
            settings::set_method(tx.exec(), user_id, method.mfa_method, false, now).await?;
            let factor = matches!(method.mfa_method, MfaMethod::Email | MfaMethod::Sms);
            if factor && !removed.contains(&method.mfa_method) {
                removed.push(method.mfa_method);
            }
        }
    }
    settings::disable(tx.exec(), user_id, now).await?;
    backup_codes::delete_all(tx.exec(), user_id).await?;
    let last = removed.len();
    for (i, method) in removed.into_iter().enumerate() {
        let event = MfaEvent::FactorRemoved {
            user_id,
            session_id: None,
            method,
            mfa_disabled: i + 1 == last,
        };
        events::record(tx, core, now, client, Event::Mfa(event)).await?;
    }
    Ok(())
}
