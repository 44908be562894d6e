//! Staff members: who may use the admin endpoints ([`require_staff`], read from the
//! database on every request, never from a claim the client holds), and how an operator
//! makes one (`gatehouse admin create-staff`: [`promote_existing`] or [`create_staff`]).

use super::{AccountsError, AccountsResult, AuthContext};
use crate::events::{self, Event};
use crate::state::{ClientInfo, Core};
use gatehouse_domain::accounts::{EmailAddress, PasswordChangeReason, Username};
use gatehouse_domain::ids::UserId;
use gatehouse_domain::FieldError;
use gatehouse_store::accounts::{password_history, users};
use gatehouse_store::error::constraints;
use gatehouse_store::Executor;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

/// Refuse (403 `staff_only`) a caller whose account is not an active staff account. Read
/// from `users` each time, so taking staff rights away takes effect on the next request.
pub async fn require_staff(core: &Core, auth: &AuthContext) -> AccountsResult<()> {
    let mut conn = core.db.reader().await?;
    let user = users::find_by_id(conn.exec(), auth.user_id).await?;
    match user {
        Some(u) if u.is_staff && u.is_active => Ok(()),
        _ => Err(AccountsError::StaffOnly),
    }
}

/// What `create-staff` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffGrant {
    /// A new staff account.
    Created(UserId),
    /// An existing account became staff.
    Promoted(UserId),
    /// The account already was staff: nothing changed.
    AlreadyStaff(UserId),
}

/// Make the account with this address staff, if there is one (`None`: there is none, and
/// the operator must give a password to create it).
pub async fn promote_existing(core: &Core, email: &str) -> AccountsResult<Option<StaffGrant>> {
    let email = EmailAddress::parse(email).map_err(|e| AccountsError::Validation(vec![e]))?;
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    let Some(user) = users::find_by_email(tx.exec(), email.as_str()).await? else {
        return Ok(None);
    };
    if !users::grant_staff(tx.exec(), user.id, now).await? {
        return Ok(Some(StaffGrant::AlreadyStaff(user.id)));
    }
    let event = Event::StaffGranted {
        user_id: user.id,
        created: false,
    };
    events::record(&mut tx, core, now, &ClientInfo::default(), event).await?;
    tx.commit().await?;
    Ok(Some(StaffGrant::Promoted(user.id)))
}

/// Create a staff account. The address, username and password are checked as at sign-up
/// (the password policy included); a taken address or username is refused.
pub async fn create_staff(
    core: &Core,
    email: &str,
    username: Option<&str>,
    password: &SecretString,
) -> AccountsResult<StaffGrant> {
    let password = crate::password::normalized(password);
    let mut errors: Vec<FieldError> = Vec::new();
    let email = EmailAddress::parse(email).map_err(|e| errors.push(e)).ok();
    let username = username.and_then(|u| Username::parse(u).map_err(|e| errors.push(e)).ok());
    let identifiers: Vec<&str> = email
        .iter()
        .map(EmailAddress::as_str)
        .chain(username.iter().map(Username::as_str))
        .collect();
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
    let password_hash = core.hasher.hash(password).await?;
    let now = core.clock.now();
    let user = users::UserRow {
        id: UserId::new(),
        email: email.into_string(),
        username: username.map(Username::into_string),
        password_hash,
        is_active: true,
        is_staff: true,
        is_superuser: false,
        last_login_at: None,
        locked_until: None,
        email_verified_at: None,
        created_at: now,
        updated_at: now,
    };
    let mut tx = core.db.begin().await?;
    if let Err(e) = users::insert_with_profile(tx.exec(), &user, Uuid::now_v7()).await {
        return Err(if e.is_unique_violation(constraints::USERS_EMAIL) {
            AccountsError::EmailTaken
        } else if e.is_unique_violation(constraints::USERS_USERNAME) {
            AccountsError::UsernameTaken
        } else {
            e.into()
        });
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
    let event = Event::StaffGranted {
        user_id: user.id,
        created: true,
    };
    events::record(&mut tx, core, now, &ClientInfo::default(), event).await?;
    tx.commit().await?;
    Ok(StaffGrant::Created(user.id))
}
