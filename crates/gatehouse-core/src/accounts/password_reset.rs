//! Password reset by email link. A request answers the same, and does the same work,
//! whether or not an account has the address (no enumeration); it is counted per client
//! address and per email address before anything else. Confirming sets the password under
//! the same policy and history as a change, ends every session, audits and alerts — one
//! transaction, and the link works once.

use super::password_change::{check_history, check_policy};
use super::sessions::{end_sessions, revoked};
use super::trust::revoke_all_trust;
use super::{AccountsError, AccountsResult};
use crate::events::links::PASSWORD_RESET_ACTION;
use crate::events::{self, Event};
use crate::keys::HashPurpose;
use crate::state::{ClientInfo, Core};
use crate::throttle;
use gatehouse_domain::accounts::{EmailAddress, PasswordChangeReason, RevocationReason};
use gatehouse_store::accounts::{password_history, sessions, users};
use gatehouse_store::notify::action_tokens;
use gatehouse_store::Executor;
use secrecy::SecretString;
use uuid::Uuid;

/// Links are 43 base64url characters; anything much longer is not one of ours.
const MAX_TOKEN_LEN: usize = 128;

/// Ask for a reset link for `email`. `Ok(())` whether or not an account has it.
#[tracing::instrument(skip_all)]
pub async fn request_password_reset(
    core: &Core,
    email: &str,
    client: &ClientInfo,
) -> AccountsResult<()> {
    let email = EmailAddress::parse(email).map_err(|e| AccountsError::Validation(vec![e]))?;
    let email_key = core
        .keys
        .keyed_hash(HashPurpose::LoginIdentifier, email.as_str().as_bytes());
    if let Err(retry_after_secs) =
        throttle::count_password_reset(core, client.ip, &email_key).await?
    {
        return Err(AccountsError::TooManyAttempts { retry_after_secs });
    }
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    // Looked up inside the transaction both paths open, so they cost alike.
    let user_id = users::find_by_email(tx.exec(), email.as_str())
        .await?
        .filter(|u| u.is_active)
        .map(|u| u.id);
    let event = Event::PasswordResetRequested { user_id };
    events::record(&mut tx, core, now, client, event).await?;
    tx.commit().await?;
    Ok(())
}

/// What a reset confirmation carries.
pub struct PasswordResetConfirm {
    pub token: String,
    pub new_password: SecretString,
}

/// Set a new password with a reset link. Ends every session. Returns how many ended.
#[tracing::instrument(skip_all)]
pub async fn confirm_password_reset(
    core: &Core,
    confirm: PasswordResetConfirm,
    client: &ClientInfo,
) -> AccountsResult<u64> {
    let token = confirm.token.as_str();
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(AccountsError::InvalidLink);
    }
    let hash = core
        .keys
        .keyed_hash(HashPurpose::ActionToken, token.as_bytes());
    // Look before using: a refused password must not spend the link.
    let user = {
        let mut conn = core.db.reader().await?;
        let live =
            action_tokens::find_live(conn.exec(), &hash, PASSWORD_RESET_ACTION, core.clock.now())
                .await?
                .ok_or(AccountsError::InvalidLink)?;
        users::find_by_id(conn.exec(), live.user_id)
            .await?
            .filter(|u| u.is_active)
            .ok_or(AccountsError::InvalidLink)?
    };
    let new_password = crate::password::normalized(&confirm.new_password);
    check_policy(core, &user, &new_password)?;
    let depth = check_history(core, &user, &new_password).await?;
    let new_hash = core.hasher.hash(new_password).await?;

    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    // The compare-and-set: of two confirmations with one link, one wins.
    action_tokens::consume(tx.exec(), &hash, PASSWORD_RESET_ACTION, now)
        .await?
        .filter(|t| t.user_id == user.id)
        .ok_or(AccountsError::InvalidLink)?;
    action_tokens::expire_unused(tx.exec(), user.id, PASSWORD_RESET_ACTION, now).await?;
    users::set_password_hash(tx.exec(), user.id, &new_hash, now).await?;
    password_history::insert(
        tx.exec(),
        Uuid::now_v7(),
        user.id,
        &new_hash,
        PasswordChangeReason::Reset,
        now,
    )
    .await?;
    password_history::prune(tx.exec(), user.id, depth).await?;
    let reason = RevocationReason::PasswordChanged;
    let ended = sessions::end_all_for_user(tx.exec(), user.id, None, revoked(reason), now).await?;
    end_sessions(core, &mut tx, user.id, &ended, reason, client, now).await?;
    // Whoever reset it may not be whoever trusted a device: no trust survives a reset.
    revoke_all_trust(&mut tx, core, user.id, "password_reset", client, now).await?;
    let sessions_ended = ended.len() as u64;
    let event = Event::PasswordReset {
        user_id: user.id,
        sessions_ended,
    };
    events::record(&mut tx, core, now, client, event).await?;
    tx.commit().await?;
    core.session_cache.forget_user(user.id);
    tracing::info!(user_id = %user.id, sessions_ended, "password reset");
    Ok(sessions_ended)
}
