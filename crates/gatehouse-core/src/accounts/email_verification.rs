//! Email verification: using a link proves the address it was sent to. A sign-up's link
//! (and a resent one) marks the account's address verified; a change-of-address link moves
//! the account to the new address, and the old one is told. Links are single use, expire
//! (`accounts.email_verification_ttl_secs`), are stored as keyed hashes and are bound to
//! their address, so a link sent to one address never verifies another.

use super::authenticate::AuthContext;
use super::{AccountsError, AccountsResult};
use crate::events::links::{CHANGE_EMAIL_ACTION, VERIFY_EMAIL_ACTION};
use crate::events::{self, Event};
use crate::keys::HashPurpose;
use crate::state::{ClientInfo, Core};
use crate::throttle;
use gatehouse_domain::accounts::EmailAddress;
use gatehouse_store::accounts::users;
use gatehouse_store::error::constraints;
use gatehouse_store::notify::action_tokens;
use gatehouse_store::Executor;
use secrecy::SecretString;

/// Links are 43 base64url characters; anything much longer is not one of ours.
const MAX_TOKEN_LEN: usize = 128;

/// Use a verification link.
#[tracing::instrument(skip_all)]
pub async fn verify_email(core: &Core, token: &str, client: &ClientInfo) -> AccountsResult<()> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(AccountsError::InvalidLink);
    }
    let hash = core
        .keys
        .keyed_hash(HashPurpose::ActionToken, token.as_bytes());
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    let (used, moves) =
        match action_tokens::consume(tx.exec(), &hash, VERIFY_EMAIL_ACTION, now).await? {
            Some(used) => (used, false),
            None => (
                action_tokens::consume(tx.exec(), &hash, CHANGE_EMAIL_ACTION, now)
                    .await?
                    .ok_or(AccountsError::InvalidLink)?,
                true,
            ),
        };
    let email = used.email.ok_or(AccountsError::InvalidLink)?;
    let user = users::find_by_id(tx.exec(), used.user_id)
        .await?
        .ok_or(AccountsError::InvalidLink)?;
    if moves {
        users::change_email_verified(tx.exec(), user.id, &email, now)
            .await
            .map_err(|e| match e.is_unique_violation(constraints::USERS_EMAIL) {
                true => AccountsError::EmailTaken,
                false => e.into(),
            })?;
        // Any other pending change of address is void now.
        action_tokens::expire_unused(tx.exec(), user.id, CHANGE_EMAIL_ACTION, now).await?;
        let changed = Event::EmailChanged {
            user_id: user.id,
            old_email: &user.email,
        };
        events::record(&mut tx, core, now, client, changed).await?;
    } else if !users::mark_email_verified(tx.exec(), user.id, &email, now).await? {
        // The account moved to another address since: this link proves nothing now.
        return Err(AccountsError::InvalidLink);
    }
    let verified = Event::EmailVerified { user_id: user.id };
    events::record(&mut tx, core, now, client, verified).await?;
    tx.commit().await?;
    core.session_cache.forget_user(user.id);
    Ok(())
}

/// Send the signed-in person a new link for their current address.
#[tracing::instrument(skip_all, fields(user_id = %auth.user_id))]
pub async fn resend_verification(
    core: &Core,
    auth: &AuthContext,
    client: &ClientInfo,
) -> AccountsResult<()> {
    let user = {
        let mut conn = core.db.reader().await?;
        users::find_by_id(conn.exec(), auth.user_id)
            .await?
            .ok_or(AccountsError::Unauthenticated)?
    };
    if user.email_verified_at.is_some() {
        return Err(AccountsError::EmailAlreadyVerified);
    }
    if let Err(retry_after_secs) = throttle::count_link_mail(core, user.id).await? {
        return Err(AccountsError::TooManyAttempts { retry_after_secs });
    }
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    let event = Event::VerificationRequested {
        user_id: user.id,
        email: &user.email,
        new_address: false,
    };
    events::record(&mut tx, core, now, client, event).await?;
    tx.commit().await?;
    Ok(())
}

/// What a change of address asks for.
pub struct EmailChange {
    pub new_email: String,
    pub password: SecretString,
}

/// Ask to move the account to a new address: after the password, a link goes to the new
/// address; nothing changes until it is used. An address another account has gets no
/// link (it could never be used), and the answer is the same, so this reveals nothing.
#[tracing::instrument(skip_all, fields(user_id = %auth.user_id))]
pub async fn request_email_change(
    core: &Core,
    auth: &AuthContext,
    change: EmailChange,
    client: &ClientInfo,
) -> AccountsResult<()> {
    let new_email = EmailAddress::parse(&change.new_email).map_err(|mut e| {
        e.field = "new_email";
        AccountsError::Validation(vec![e])
    })?;
    let user = {
        let mut conn = core.db.reader().await?;
        users::find_by_id(conn.exec(), auth.user_id)
            .await?
            .ok_or(AccountsError::Unauthenticated)?
    };
    if new_email.as_str() == user.email {
        return Err(AccountsError::field(
            "new_email",
            "same_email",
            "is already the account's address",
        ));
    }
    // Each try costs an Argon2id run: counted per account, like a password change.
    if let Err(retry_after_secs) = throttle::count_password_change(core, user.id).await? {
        return Err(AccountsError::TooManyAttempts { retry_after_secs });
    }
    if !core
        .hasher
        .verify_typed(change.password, Some(&user.password_hash))
        .await?
        .matches
    {
        return Err(AccountsError::WrongCurrentPassword);
    }
    let taken = {
        let mut conn = core.db.reader().await?;
        users::find_by_email(conn.exec(), new_email.as_str())
            .await?
            .is_some()
    };
    if taken {
        return Ok(());
    }
    if let Err(retry_after_secs) = throttle::count_link_mail(core, user.id).await? {
        return Err(AccountsError::TooManyAttempts { retry_after_secs });
    }
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    // Only the latest requested address may be moved to.
    action_tokens::expire_unused(tx.exec(), user.id, CHANGE_EMAIL_ACTION, now).await?;
    let event = Event::VerificationRequested {
        user_id: user.id,
        email: new_email.as_str(),
        new_address: true,
    };
    events::record(&mut tx, core, now, client, event).await?;
    tx.commit().await?;
    Ok(())
}
