//! `email_mfa_methods` and `sms_mfa_methods`: the address or phone number a person's email
//! or SMS codes go to, pending until a code sent there confirms it. The two tables have
//! the same shape; [`Contact`] picks the table (and its destination column) in each
//! statement, written out per table so no SQL is built from runtime text.

use crate::db::Exec;
use crate::error::StoreResult;
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use uuid::Uuid;

/// Which table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contact {
    Email,
    Sms,
}

/// A person's email or SMS method.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactMethodRow {
    /// The address or phone number.
    pub destination: String,
    pub is_verified: bool,
    pub verified_at: Option<DateTime<Utc>>,
}

pub async fn find(
    ex: Exec<'_>,
    contact: Contact,
    user_id: UserId,
) -> StoreResult<Option<ContactMethodRow>> {
    let user = user_id.as_uuid();
    Ok(match contact {
        Contact::Email => fetch_optional!(
            ex,
            ContactMethodRow,
            "SELECT email AS destination, is_verified, verified_at
             FROM email_mfa_methods WHERE user_id = $1",
            user
        )?,
        Contact::Sms => fetch_optional!(
            ex,
            ContactMethodRow,
            "SELECT phone_number AS destination, is_verified, verified_at
             FROM sms_mfa_methods WHERE user_id = $1",
            user
        )?,
    })
}

/// Store `destination` as the pending method, replacing a pending one. A verified method is
/// left alone (the `WHERE`): returns false then.
pub async fn upsert_pending(
    ex: Exec<'_>,
    contact: Contact,
    user_id: UserId,
    destination: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let (id, user) = (Uuid::now_v7(), user_id.as_uuid());
    let n = match contact {
        Contact::Email => execute!(
            ex,
            "INSERT INTO email_mfa_methods (id, user_id, email, is_verified, otp_sent_count,
                 created_at, updated_at)
             VALUES ($1, $2, $3, false, 0, $4, $4)
             ON CONFLICT (user_id) DO UPDATE SET email = excluded.email,
                 updated_at = excluded.updated_at
             WHERE email_mfa_methods.is_verified = false",
            id,
            user,
            destination,
            now
        )?,
        Contact::Sms => execute!(
            ex,
            "INSERT INTO sms_mfa_methods (id, user_id, phone_number, is_verified, otp_sent_count,
                 created_at, updated_at)
             VALUES ($1, $2, $3, false, 0, $4, $4)
             ON CONFLICT (user_id) DO UPDATE SET phone_number = excluded.phone_number,
                 updated_at = excluded.updated_at
             WHERE sms_mfa_methods.is_verified = false",
            id,
            user,
            destination,
            now
        )?,
    };
    Ok(n == 1)
}

/// Count a code sent to the method.
pub async fn record_send(
    ex: Exec<'_>,
    contact: Contact,
    user_id: UserId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let user = user_id.as_uuid();
    match contact {
        Contact::Email => execute!(
            ex,
            "UPDATE email_mfa_methods SET otp_sent_count = otp_sent_count + 1,
                 last_otp_sent_at = $2, updated_at = $2 WHERE user_id = $1",
            user,
            now
        )?,
        Contact::Sms => execute!(
            ex,
            "UPDATE sms_mfa_methods SET otp_sent_count = otp_sent_count + 1,
                 last_otp_sent_at = $2, updated_at = $2 WHERE user_id = $1",
            user,
            now
        )?,
    };
    Ok(())
}

/// Mark the pending method verified, if it still names `destination` (the address the
/// code went to). Returns false otherwise.
pub async fn verify(
    ex: Exec<'_>,
    contact: Contact,
    user_id: UserId,
    destination: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let user = user_id.as_uuid();
    let n = match contact {
        Contact::Email => execute!(
            ex,
            "UPDATE email_mfa_methods SET is_verified = true, verified_at = $3, updated_at = $3
             WHERE user_id = $1 AND email = $2 AND is_verified = false",
            user,
            destination,
            now
        )?,
        Contact::Sms => execute!(
            ex,
            "UPDATE sms_mfa_methods SET is_verified = true, verified_at = $3, updated_at = $3
             WHERE user_id = $1 AND phone_number = $2 AND is_verified = false",
            user,
            destination,
            now
        )?,
    };
    Ok(n == 1)
}

/// Remove the method (pending or verified). Returns whether one was verified.
pub async fn delete(ex: Exec<'_>, contact: Contact, user_id: UserId) -> StoreResult<Option<bool>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        is_verified: bool,
    }
    let user = user_id.as_uuid();
    let row = match contact {
        Contact::Email => fetch_optional!(
            ex,
            Row,
            "DELETE FROM email_mfa_methods WHERE user_id = $1 RETURNING is_verified",
            user
        )?,
        Contact::Sms => fetch_optional!(
            ex,
            Row,
            "DELETE FROM sms_mfa_methods WHERE user_id = $1 RETURNING is_verified",
            user
        )?,
    };
    Ok(row.map(|r| r.is_verified))
}
