//! `users` and `profiles` rows.

use crate::db::Exec;
use crate::error::StoreResult;
use chrono::{DateTime, NaiveDate, Utc};
use gatehouse_domain::ids::{SessionId, UserId};
use std::fmt;
use uuid::Uuid;

/// `SELECT <every UserRow column> FROM users`, for `concat!(select_users!(), " WHERE ...")`.
macro_rules! select_users {
    () => {
        "SELECT id, email, username, password_hash, is_active, is_staff, is_superuser,
            last_login_at, locked_until, email_verified_at, created_at, updated_at FROM users"
    };
}

/// A `users` row. Its `Debug` leaves the password hash out.
#[derive(Clone, sqlx::FromRow)]
pub struct UserRow {
    #[sqlx(try_from = "Uuid")]
    pub id: UserId,
    pub email: String,
    pub username: Option<String>,
    pub password_hash: String,
    pub is_active: bool,
    pub is_staff: bool,
    pub is_superuser: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    /// Refuses every login until then (set when the owner reports "this wasn't me").
    pub locked_until: Option<DateTime<Utc>>,
    /// When the current address was proven by a verification link (None: not yet).
    pub email_verified_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl fmt::Debug for UserRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("username", &self.username)
            .field("password_hash", &"[redacted]")
            .field("is_active", &self.is_active)
            .field("is_staff", &self.is_staff)
            .field("is_superuser", &self.is_superuser)
            .field("last_login_at", &self.last_login_at)
            .field("locked_until", &self.locked_until)
            .field("email_verified_at", &self.email_verified_at)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// A `profiles` row (the seed's profile fields).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ProfileRow {
    #[sqlx(try_from = "Uuid")]
    pub user_id: UserId,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub phone_number: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    pub postal_code: Option<String>,
    pub timezone: String,
    pub language: String,
    pub preferred_mfa_method: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// A user joined with their profile, for `GET /v1/me`.
#[derive(Debug, Clone)]
pub struct UserWithProfile {
    pub user: UserRow,
    pub profile: ProfileRow,
    /// A recovery signed the person in and no factor was enrolled since
    /// (`mfa_recoveries`, migration 0015).
    pub reenrolment_required: bool,
}

/// Insert a user and their default profile row.
pub async fn insert_with_profile(
    mut ex: Exec<'_>,
    user: &UserRow,
    profile_id: Uuid,
) -> StoreResult<()> {
    execute!(
        ex.reborrow(),
        "INSERT INTO users (id, email, username, password_hash, is_active, is_staff, is_superuser, last_login_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        user.id.as_uuid(),
        &user.email,
        &user.username,
        &user.password_hash,
        user.is_active,
        user.is_staff,
        user.is_superuser,
        user.last_login_at,
        user.created_at,
        user.updated_at,
    )?;
    execute!(
        ex,
        "INSERT INTO profiles (id, user_id, timezone, language, created_at, updated_at)
         VALUES ($1, $2, 'UTC', 'en', $3, $3)",
        profile_id,
        user.id.as_uuid(),
        user.created_at,
    )?;
    Ok(())
}

pub async fn find_by_id(ex: Exec<'_>, id: UserId) -> StoreResult<Option<UserRow>> {
    Ok(fetch_optional!(
        ex,
        UserRow,
        concat!(select_users!(), " WHERE id = $1"),
        id.as_uuid()
    )?)
}

/// Find by the lower-cased email.
pub async fn find_by_email(ex: Exec<'_>, email: &str) -> StoreResult<Option<UserRow>> {
    Ok(fetch_optional!(
        ex,
        UserRow,
        concat!(select_users!(), " WHERE email = $1"),
        email
    )?)
}

/// Find by the lower-cased username.
pub async fn find_by_username(ex: Exec<'_>, username: &str) -> StoreResult<Option<UserRow>> {
    Ok(fetch_optional!(
        ex,
        UserRow,
        concat!(select_users!(), " WHERE username = $1"),
        username
    )?)
}

pub async fn set_password_hash(
    ex: Exec<'_>,
    id: UserId,
    password_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1",
        id.as_uuid(),
        password_hash,
        now
    )?;
    Ok(())
}

pub async fn touch_last_login(ex: Exec<'_>, id: UserId, now: DateTime<Utc>) -> StoreResult<()> {
    execute!(
        ex,
        "UPDATE users SET last_login_at = $2 WHERE id = $1",
        id.as_uuid(),
        now
    )?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct UserProfileJoin {
    #[sqlx(flatten)]
    user: UserRow,
    #[sqlx(try_from = "Uuid")]
    user_id: UserId,
    first_name: Option<String>,
    last_name: Option<String>,
    date_of_birth: Option<NaiveDate>,
    phone_number: Option<String>,
    address: Option<String>,
    city: Option<String>,
    state: Option<String>,
    country: Option<String>,
    postal_code: Option<String>,
    timezone: String,
    language: String,
    preferred_mfa_method: Option<String>,
    profile_updated_at: DateTime<Utc>,
    reenrolment_required: bool,
}

/// The user and profile in one query.
pub async fn find_with_profile(ex: Exec<'_>, id: UserId) -> StoreResult<Option<UserWithProfile>> {
    let row = fetch_optional!(
        ex,
        UserProfileJoin,
        "SELECT u.id, u.email, u.username, u.password_hash, u.is_active, u.is_staff, u.is_superuser,
                u.last_login_at, u.locked_until, u.email_verified_at, u.created_at, u.updated_at,
                p.user_id, p.first_name, p.last_name, p.date_of_birth, p.phone_number, p.address,
                p.city, p.state, p.country, p.postal_code, p.timezone, p.language,
                p.preferred_mfa_method, p.updated_at AS profile_updated_at,
                EXISTS (SELECT 1 FROM mfa_recoveries r WHERE r.user_id = u.id
                        AND r.is_successful = true AND r.reenrolled_at IS NULL)
                    AS reenrolment_required
         FROM users u JOIN profiles p ON p.user_id = u.id
         WHERE u.id = $1",
        id.as_uuid()
    )?;
    Ok(row.map(UserProfileJoin::into_parts))
}

impl UserProfileJoin {
    fn into_parts(self) -> UserWithProfile {
        UserWithProfile {
            user: self.user,
            profile: ProfileRow {
                user_id: self.user_id,
                first_name: self.first_name,
                last_name: self.last_name,
                date_of_birth: self.date_of_birth,
                phone_number: self.phone_number,
                address: self.address,
                city: self.city,
                state: self.state,
                country: self.country,
                postal_code: self.postal_code,
                timezone: self.timezone,
                language: self.language,
                preferred_mfa_method: self.preferred_mfa_method,
                updated_at: self.profile_updated_at,
            },
            reenrolment_required: self.reenrolment_required,
        }
    }
}

/// A user and profile read for one of their sessions, with that session's expiry.
#[derive(sqlx::FromRow)]
struct SessionProfileJoin {
    #[sqlx(flatten)]
    join: UserProfileJoin,
    session_expires_at: DateTime<Utc>,
}

/// `GET /v1/me` in one round trip: the user and profile of `user_id`, with the session's
/// expiry, returned only if `session_id` is that user's active, unexpired session and the
/// account is active — the per-request session check and the read are the same query.
pub async fn find_with_profile_for_session(
    ex: Exec<'_>,
    user_id: UserId,
    session_id: SessionId,
    now: DateTime<Utc>,
) -> StoreResult<Option<(UserWithProfile, DateTime<Utc>)>> {
    let row = fetch_optional!(
        ex,
        SessionProfileJoin,
        "SELECT s.expires_at AS session_expires_at, u.id, u.email, u.username, u.password_hash, u.is_active, u.is_staff, u.is_superuser,
                u.last_login_at, u.locked_until, u.email_verified_at, u.created_at, u.updated_at,
                p.user_id, p.first_name, p.last_name, p.date_of_birth, p.phone_number, p.address,
                p.city, p.state, p.country, p.postal_code, p.timezone, p.language,
                p.preferred_mfa_method, p.updated_at AS profile_updated_at,
                EXISTS (SELECT 1 FROM mfa_recoveries r WHERE r.user_id = u.id
                        AND r.is_successful = true AND r.reenrolled_at IS NULL)
                    AS reenrolment_required
         FROM sessions s
         JOIN users u ON u.id = s.user_id
         JOIN profiles p ON p.user_id = u.id
         WHERE s.id = $1 AND s.user_id = $2 AND s.status = 'active' AND s.expires_at > $3
           AND u.is_active = TRUE",
        session_id.as_uuid(),
        user_id.as_uuid(),
        now
    )?;
    Ok(row.map(|r| (r.join.into_parts(), r.session_expires_at)))
}

/// Write every profile field (the caller merged the change into the current row).
pub async fn update_profile(ex: Exec<'_>, p: &ProfileRow) -> StoreResult<()> {
    execute!(
        ex,
        "UPDATE profiles SET first_name = $2, last_name = $3, date_of_birth = $4, phone_number = $5,
            address = $6, city = $7, state = $8, country = $9, postal_code = $10, timezone = $11,
            language = $12, preferred_mfa_method = $13, updated_at = $14
         WHERE user_id = $1",
        p.user_id.as_uuid(),
        &p.first_name,
        &p.last_name,
        p.date_of_birth,
        &p.phone_number,
        &p.address,
        &p.city,
        &p.state,
        &p.country,
        &p.postal_code,
        &p.timezone,
        &p.language,
        &p.preferred_mfa_method,
        p.updated_at,
    )?;
    Ok(())
}

/// Mark the address `email` verified, only while it is still the account's address (a
/// change of address in between leaves the new one unverified). True when it was.
pub async fn mark_email_verified(
    ex: Exec<'_>,
    id: UserId,
    email: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = execute!(
        ex,
        "UPDATE users SET email_verified_at = $3, updated_at = $3 WHERE id = $1 AND email = $2",
        id.as_uuid(),
        email,
        now
    )?;
    Ok(done == 1)
}

/// Move the account to the verified address `email` (a change of address whose link was
/// used). Fails with a unique violation when another account took the address meanwhile.
pub async fn change_email_verified(
    ex: Exec<'_>,
    id: UserId,
    email: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "UPDATE users SET email = $2, email_verified_at = $3, updated_at = $3 WHERE id = $1",
        id.as_uuid(),
        email,
        now
    )?;
    Ok(())
}

/// Lock the account against every login until `until` (the owner's "this wasn't me").
pub async fn lock_until(
    ex: Exec<'_>,
    id: UserId,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    execute!(
        ex,
        "UPDATE users SET locked_until = $2, updated_at = $3 WHERE id = $1",
        id.as_uuid(),
        until,
        now
    )?;
    Ok(())
}

/// Make the account staff (`gatehouse admin create-staff` on an existing address). False
/// when it already was.
pub async fn grant_staff(ex: Exec<'_>, id: UserId, now: DateTime<Utc>) -> StoreResult<bool> {
    let changed = execute!(
        ex,
        "UPDATE users SET is_staff = true, updated_at = $2 WHERE id = $1 AND is_staff = false",
        id.as_uuid(),
        now
    )?;
    Ok(changed == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_leaves_the_password_hash_out() {
        let now = chrono::Utc::now();
        let row = UserRow {
            id: UserId::new(),
            email: "a@example.com".to_owned(),
            username: None,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
            is_active: true,
            is_staff: false,
            is_superuser: false,
            last_login_at: None,
            locked_until: None,
            email_verified_at: None,
            created_at: now,
            updated_at: now,
        };
        let shown = format!("{row:?}");
        assert!(shown.contains("a@example.com"));
        assert!(shown.contains("[redacted]"));
        assert!(!shown.contains("argon2id"));
    }
}
