//! Sign-up that reveals nothing: validate, hash off the async threads, then either insert
//! the user, profile, first password-history entry, audit row and verification link in
//! one transaction, or — the address is taken — tell its owner. The caller's answer is the
//! same either way, and both paths pay for the hash.

use super::{AccountsError, AccountsResult};
use crate::events::{self, Event};
use crate::state::{ClientInfo, Core};
use crate::throttle;
use gatehouse_domain::accounts::{EmailAddress, PasswordChangeReason, Username};
use gatehouse_domain::ids::UserId;
use gatehouse_domain::FieldError;
use gatehouse_store::accounts::{password_history, users};
use gatehouse_store::error::constraints;
use gatehouse_store::Executor;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

/// What a sign-up asks for.
pub struct RegisterInput {
    pub email: String,
    pub password: SecretString,
    pub username: Option<String>,
}

/// Create an account and send its verification link — or, when the address already has
/// an account, tell that account's owner and change nothing. Both end the same way (the
/// caller cannot tell them apart). Email and username are unique case-insensitively; a
/// taken username is refused (`UsernameTaken`), whatever the address.
#[tracing::instrument(skip_all)]
pub async fn register(
    core: &Core,
    input: RegisterInput,
    client: &ClientInfo,
) -> AccountsResult<()> {
    // Checked and hashed in NFKC, the form every login verifies first.
    let password = crate::password::normalized(&input.password);
    let mut errors: Vec<FieldError> = Vec::new();
    let email = EmailAddress::parse(&input.email)
        .map_err(|e| errors.push(e))
        .ok();
    let username = match input.username.as_deref() {
        Some(raw) => Username::parse(raw).map_err(|e| errors.push(e)).ok(),
        None => None,
    };
    let mut identifiers: Vec<&str> = Vec::new();
    if let Some(e) = &email {
        identifiers.push(e.as_str());
    }
    if let Some(u) = &username {
        identifiers.push(u.as_str());
    }
    if let Err(rejection) = core
        .config
        .password_policy
        .check(password.expose_secret(), &identifiers)
    {
        errors.push(rejection.to_field_error("password"));
    }
    let (Some(email), true) = (email, errors.is_empty()) else {
        return Err(AccountsError::Validation(errors));
    };

    // Count the sign-up against its address before the (costly) hash: one client must
    // not create accounts, or burn hashing time, without limit.
    if let Err(retry_after_secs) = throttle::count_signup(core, client.ip).await? {
        return Err(AccountsError::TooManyAttempts { retry_after_secs });
    }
    // A username is a public handle, answered for on its own (whatever the address), so
    // this says nothing about which addresses have accounts.
    if let Some(u) = &username {
        let mut conn = core.db.reader().await?;
        if users::find_by_username(conn.exec(), u.as_str())
            .await?
            .is_some()
        {
            return Err(AccountsError::UsernameTaken);
        }
    }
    // Hashed on both paths, so a taken address answers as slowly as a new one.
    let password_hash = core.hasher.hash(password).await?;
    let now = core.clock.now();
    let existing = {
        let mut conn = core.db.reader().await?;
        users::find_by_email(conn.exec(), email.as_str()).await?
    };
    if let Some(owner) = existing {
        return tell_owner(core, owner.id, client).await;
    }
    let user = users::UserRow {
        id: UserId::new(),
        email: email.into_string(),
        username: username.map(Username::into_string),
        password_hash,
        is_active: true,
        is_staff: false,
        is_superuser: false,
        last_login_at: None,
        locked_until: None,
        email_verified_at: None,
        created_at: now,
        updated_at: now,
    };

    let mut tx = core.db.begin().await?;
    let inserted = users::insert_with_profile(tx.exec(), &user, Uuid::now_v7()).await;
    if let Err(e) = inserted {
        if e.is_unique_violation(constraints::USERS_EMAIL) {
            // Someone registered the address a moment ago: the same answer as above.
            drop(tx);
            let mut conn = core.db.reader().await?;
            let Some(owner) = users::find_by_email(conn.exec(), &user.email).await? else {
                return Err(e.into());
            };
            drop(conn);
            return tell_owner(core, owner.id, client).await;
        }
        if e.is_unique_violation(constraints::USERS_USERNAME) {
            return Err(AccountsError::UsernameTaken);
        }
        return Err(e.into());
    }
    password_history::insert(
        tx.exec(),
        Uuid::now_v7(),
        user.id,
        &user.password_hash,
        PasswordChangeReason::Registration,
        now,
    )
    .await?;
    events::record(
        &mut tx,
        core,
        now,
        client,
        Event::Registered {
            user_id: user.id,
            username_set: user.username.is_some(),
        },
    )
    .await?;
    let verification = Event::VerificationRequested {
        user_id: user.id,
        email: &user.email,
        new_address: false,
    };
    events::record(&mut tx, core, now, client, verification).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, "account registered");
    Ok(())
}

/// The address has an account: change nothing, tell its owner someone tried.
async fn tell_owner(core: &Core, owner: UserId, client: &ClientInfo) -> AccountsResult<()> {
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    let event = Event::SignupOnTakenAddress { user_id: owner };
    events::record(&mut tx, core, now, client, event).await?;
    tx.commit().await?;
    tracing::info!(user_id = %owner, "sign-up named an existing account's address");
    Ok(())
}
