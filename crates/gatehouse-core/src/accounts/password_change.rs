//! Password change: prove the current password (counted like a login attempt against
//! the session — a known client, so an account lock others trip does not bar the owner —
//! so a stolen session cannot brute-force it), refuse the last N passwords, store the new
//! hash and history, optionally end the other sessions — one transaction.

use super::authenticate::AuthContext;
use super::login::{record_alone, refuse_if_locked};
use super::sessions::{end_sessions, revoked};
use super::trust::revoke_all_trust;
use super::{AccountsError, AccountsResult};
use crate::events::{self, Event, LockKind};
use crate::state::{ClientInfo, Core};
use crate::throttle::{self, AttemptKeys};
use gatehouse_domain::accounts::{PasswordChangeReason, RevocationReason};
use gatehouse_domain::FieldError;
use gatehouse_store::accounts::{password_history, sessions, users};
use gatehouse_store::Executor;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

/// What a password change asks for.
pub struct PasswordChange {
    pub current_password: SecretString,
    pub new_password: SecretString,
    /// End every other session of the account (default true).
    pub sign_out_other_sessions: bool,
}

#[tracing::instrument(skip_all, fields(user_id = %auth.user_id))]
pub async fn change_password(
    core: &Core,
    auth: &AuthContext,
    change: PasswordChange,
    client: &ClientInfo,
) -> AccountsResult<()> {
    let user = {
        let mut conn = core.db.reader().await?;
        users::find_by_id(conn.exec(), auth.user_id)
            .await?
            .ok_or(AccountsError::Unauthenticated)?
    };
    let new_password = crate::password::normalized(&change.new_password);
    check_policy(core, &user, &new_password)?;

    if let Err(retry_after_secs) = throttle::count_password_change(core, user.id).await? {
        return Err(AccountsError::TooManyAttempts { retry_after_secs });
    }
    let keys = AttemptKeys::for_session(auth.session_id, client.ip);
    refuse_if_locked(core, &keys, LockKind::Session, Some(user.id), client).await?;
    if !core
        .hasher
        .verify_typed(change.current_password, Some(&user.password_hash))
        .await?
        .matches
    {
        let refused = Event::PasswordChangeRefused {
            user_id: user.id,
            session_id: auth.session_id,
        };
        record_alone(core, client, refused).await?;
        return Err(AccountsError::WrongCurrentPassword);
    }

    let depth = check_history(core, &user, &new_password).await?;
    let new_hash = core.hasher.hash(new_password).await?;

    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    // The current password was right: the attempt counters reset with the change.
    throttle::record_success(tx.exec(), &keys, now).await?;
    users::set_password_hash(tx.exec(), user.id, &new_hash, now).await?;
    password_history::insert(
        tx.exec(),
        Uuid::now_v7(),
        user.id,
        &new_hash,
        PasswordChangeReason::Change,
        now,
    )
    .await?;
    password_history::prune(tx.exec(), user.id, depth).await?;
    events::record(
        &mut tx,
        core,
        now,
        client,
        Event::PasswordChanged {
            user_id: user.id,
            session_id: auth.session_id,
            signed_out_other_sessions: change.sign_out_other_sessions,
        },
    )
    .await?;
    // A device trusted under the old password keeps no way around the second factor.
    revoke_all_trust(&mut tx, core, user.id, "password_changed", client, now).await?;
    if change.sign_out_other_sessions {
        let reason = RevocationReason::PasswordChanged;
        let ended = sessions::end_all_for_user(
            tx.exec(),
            user.id,
            Some(auth.session_id),
            revoked(reason),
            now,
        )
        .await?;
        end_sessions(core, &mut tx, user.id, &ended, reason, client, now).await?;
    }
    tx.commit().await?;
    core.session_cache.forget_user(user.id);
    Ok(())
}

/// The new password (`new_password`, NFKC) against the policy, which also refuses the
/// account's own email and username.
pub(super) fn check_policy(
    core: &Core,
    user: &users::UserRow,
    new_password: &SecretString,
) -> AccountsResult<()> {
    let mut identifiers = vec![user.email.as_str()];
    if let Some(u) = user.username.as_deref() {
        identifiers.push(u);
    }
    core.config
        .password_policy
        .check(new_password.expose_secret(), &identifiers)
        .map_err(|rejection| {
            AccountsError::Validation(vec![rejection.to_field_error("new_password")])
        })
}

/// Refuse a new password equal to one of the account's last `password.history`; returns
/// that depth (the history is pruned to it after the change).
pub(super) async fn check_history(
    core: &Core,
    user: &users::UserRow,
    new_password: &SecretString,
) -> AccountsResult<i64> {
    let depth = i64::from(core.config.password_history.max(1));
    let recent = {
        let mut conn = core.db.reader().await?;
        password_history::recent(conn.exec(), user.id, depth).await?
    };
    if core.hasher.matches_any(new_password, recent).await? {
        return Err(AccountsError::Validation(vec![FieldError::new(
            "new_password",
            "password_reused",
            format!("must differ from your last {depth} passwords"),
        )]));
    }
    Ok(depth)
}
