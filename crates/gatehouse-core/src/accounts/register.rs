//! Sign-up: validate, hash off the async threads, then insert the user, profile, first
//! password-history entry and the audit row in one transaction.

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

/// Create an account. Email (and username) are unique case-insensitively.
#[tracing::instrument(skip_all)]
pub async fn register(
    core: &Core,
    input: RegisterInput,
    client: &ClientInfo,
) -> AccountsResult<users::UserRow> {
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
    let password_hash = core.hasher.hash(password).await?;
    let now = core.clock.now();
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
    users::insert_with_profile(tx.exec(), &user, Uuid::now_v7())
        .await
        .map_err(|e| {
            if e.is_unique_violation(constraints::USERS_EMAIL) {
                AccountsError::EmailTaken
            } else if e.is_unique_violation(constraints::USERS_USERNAME) {
                AccountsError::UsernameTaken
            } else {
                e.into()
            }
        })?;
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
    tx.commit().await?;
    tracing::info!(user_id = %user.id, "account registered");
    Ok(user)
}
