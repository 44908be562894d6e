//! The outbox: `email_notifications` and `sms_notifications` rows are the messages to send.
//! A use case inserts one (status `pending`, `next_attempt_at`) in its own transaction; a
//! worker claims a batch for a lease (`locked_until`), sends, and records the outcome.
//!
//! Claiming is one statement: on PostgreSQL the candidate rows are picked `FOR UPDATE SKIP
//! LOCKED`, so workers on one database never claim the same row at once; SQLite has one
//! writer, so the same statement without the locking clause is already exclusive. A worker
//! that dies mid-batch leaves rows whose lease runs out and another worker takes them.

use crate::db::Exec;
use crate::error::StoreResult;
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use uuid::Uuid;

/// An email to queue.
#[derive(Debug, Clone)]
pub struct NewEmail<'a> {
    pub id: Uuid,
    pub user_id: UserId,
    pub to_email: &'a str,
    pub subject: &'a str,
    pub email_type: &'a str,
    pub template_name: &'a str,
    pub text: &'a str,
    pub html: Option<&'a str>,
    pub max_retries: i32,
    pub not_before: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// An SMS to queue.
#[derive(Debug, Clone)]
pub struct NewSms<'a> {
    pub id: Uuid,
    pub user_id: UserId,
    pub phone_number: &'a str,
    pub country_code: Option<i32>,
    pub message: &'a str,
    pub sms_type: &'a str,
    pub max_retries: i32,
    pub not_before: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_email(ex: Exec<'_>, m: &NewEmail<'_>) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO email_notifications (id, user_id, to_email, subject, email_type,
             template_name, body, html_body, status, retry_count, max_retries,
             next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $10, $11)",
        m.id,
        m.user_id.as_uuid(),
        m.to_email,
        m.subject,
        m.email_type,
        m.template_name,
        m.text,
        m.html,
        m.max_retries,
        m.not_before,
        m.created_at
    )?;
    Ok(())
}

pub async fn insert_sms(ex: Exec<'_>, m: &NewSms<'_>) -> StoreResult<()> {
    execute!(
        ex,
        "INSERT INTO sms_notifications (id, user_id, phone_number, country_code, message,
             sms_type, status, retry_count, max_retries, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8, $9)",
        m.id,
        m.user_id.as_uuid(),
        m.phone_number,
        m.country_code,
        m.message,
        m.sms_type,
        m.max_retries,
        m.not_before,
        m.created_at
    )?;
    Ok(())
}

/// A claimed email, with what sending it needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedEmail {
    pub id: Uuid,
    #[sqlx(try_from = "Uuid")]
    pub user_id: UserId,
    pub to_email: String,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub html_body: Option<String>,
    pub email_type: Option<String>,
    pub retry_count: i32,
    pub max_retries: i32,
}

/// A claimed SMS.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedSms {
    pub id: Uuid,
    #[sqlx(try_from = "Uuid")]
    pub user_id: UserId,
    pub phone_number: String,
    pub message: String,
    pub sms_type: Option<String>,
    pub retry_count: i32,
    pub max_retries: i32,
}

/// Claim up to `limit` pending emails that are due at `now` and not leased, leasing them
/// until `lease_until`. Oldest due first.
pub async fn claim_emails(
    ex: Exec<'_>,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> StoreResult<Vec<ClaimedEmail>> {
    Ok(fetch_all!(
        ex,
        ClaimedEmail,
        per_backend! {
            pg: "UPDATE email_notifications SET locked_until = $2 WHERE id IN (
                     SELECT id FROM email_notifications
                     WHERE status = 'pending' AND next_attempt_at <= $1
                       AND (locked_until IS NULL OR locked_until <= $1)
                     ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
                 RETURNING id, user_id, to_email, subject, body, html_body, email_type,
                     retry_count, max_retries",
            sqlite: "UPDATE email_notifications SET locked_until = $2 WHERE id IN (
                     SELECT id FROM email_notifications
                     WHERE status = 'pending' AND next_attempt_at <= $1
                       AND (locked_until IS NULL OR locked_until <= $1)
                     ORDER BY next_attempt_at LIMIT $3)
                 RETURNING id, user_id, to_email, subject, body, html_body, email_type,
                     retry_count, max_retries",
        },
        now,
        lease_until,
        limit
    )?)
}

/// Claim up to `limit` due SMS; see [`claim_emails`].
pub async fn claim_sms(
    ex: Exec<'_>,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> StoreResult<Vec<ClaimedSms>> {
    Ok(fetch_all!(
        ex,
        ClaimedSms,
        per_backend! {
            pg: "UPDATE sms_notifications SET locked_until = $2 WHERE id IN (
                     SELECT id FROM sms_notifications
                     WHERE status = 'pending' AND next_attempt_at <= $1
                       AND (locked_until IS NULL OR locked_until <= $1)
                     ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
                 RETURNING id, user_id, phone_number, message, sms_type, retry_count, max_retries",
            sqlite: "UPDATE sms_notifications SET locked_until = $2 WHERE id IN (
                     SELECT id FROM sms_notifications
                     WHERE status = 'pending' AND next_attempt_at <= $1
                       AND (locked_until IS NULL OR locked_until <= $1)
                     ORDER BY next_attempt_at LIMIT $3)
                 RETURNING id, user_id, phone_number, message, sms_type, retry_count, max_retries",
        },
        now,
        lease_until,
        limit
    )?)
}

/// How one delivery attempt ended, as the outbox records it.
#[derive(Debug, Clone)]
pub enum AttemptOutcome<'a> {
    /// The transport took it.
    Sent {
        provider: &'a str,
        provider_message_id: Option<&'a str>,
        /// SMS only: the provider's price, in millionths of `currency`.
        cost: Option<(i64, &'a str)>,
    },
    /// Try again at `next_attempt_at`.
    Retry {
        next_attempt_at: DateTime<Utc>,
        error: &'a str,
        error_code: Option<&'a str>,
    },
    /// No more tries: permanent refusal, or retries used up.
    Failed {
        error: &'a str,
        error_code: Option<&'a str>,
    },
}

/// Record the outcome of an email attempt. `scrub` clears the stored bodies once the
/// message is final (sent or failed): a code or a one-time link has no business staying in
/// the database after it left. Only a row still pending is changed (a late worker whose
/// lease ran out cannot overwrite another's result). Returns whether the row changed.
pub async fn record_email_attempt(
    ex: Exec<'_>,
    id: Uuid,
    now: DateTime<Utc>,
    outcome: &AttemptOutcome<'_>,
    scrub: bool,
) -> StoreResult<bool> {
    let changed = match outcome {
        AttemptOutcome::Sent {
            provider,
            provider_message_id,
            ..
        } => execute!(
            ex,
            "UPDATE email_notifications SET status = 'sent', sent_at = $2, provider = $3,
                 provider_message_id = $4, locked_until = NULL, error_message = NULL,
                 body = CASE WHEN $5 THEN NULL ELSE body END,
                 html_body = CASE WHEN $5 THEN NULL ELSE html_body END
             WHERE id = $1 AND status = 'pending'",
            id,
            now,
            *provider,
            *provider_message_id,
            scrub
        )?,
        AttemptOutcome::Retry {
            next_attempt_at,
            error,
            ..
        } => execute!(
            ex,
            "UPDATE email_notifications SET retry_count = retry_count + 1,
                 next_attempt_at = $2, error_message = $3, locked_until = NULL
             WHERE id = $1 AND status = 'pending'",
            id,
            *next_attempt_at,
            *error
        )?,
        AttemptOutcome::Failed { error, .. } => execute!(
            ex,
            "UPDATE email_notifications SET status = 'failed', error_message = $2,
                 locked_until = NULL, body = CASE WHEN $3 THEN NULL ELSE body END,
                 html_body = CASE WHEN $3 THEN NULL ELSE html_body END
             WHERE id = $1 AND status = 'pending'",
            id,
            *error,
            scrub
        )?,
    };
    Ok(changed == 1)
}

/// Record the outcome of an SMS attempt; see [`record_email_attempt`]. A scrubbed SMS
/// keeps `[redacted]` as its text (the column is NOT NULL, as in the seed).
pub async fn record_sms_attempt(
    ex: Exec<'_>,
    id: Uuid,
    now: DateTime<Utc>,
    outcome: &AttemptOutcome<'_>,
    scrub: bool,
) -> StoreResult<bool> {
    let changed = match outcome {
        AttemptOutcome::Sent {
            provider,
            provider_message_id,
            cost,
        } => execute!(
            ex,
            "UPDATE sms_notifications SET status = 'sent', sent_at = $2, provider = $3,
                 provider_message_id = $4, cost_micros = $5, cost_currency = $6,
                 locked_until = NULL, error_message = NULL, error_code = NULL,
                 message = CASE WHEN $7 THEN '[redacted]' ELSE message END
             WHERE id = $1 AND status = 'pending'",
            id,
            now,
            *provider,
            *provider_message_id,
            cost.map(|c| c.0),
            cost.map(|c| c.1),
            scrub
        )?,
        AttemptOutcome::Retry {
            next_attempt_at,
            error,
            error_code,
        } => execute!(
            ex,
            "UPDATE sms_notifications SET retry_count = retry_count + 1, next_attempt_at = $2,
                 error_message = $3, error_code = $4, locked_until = NULL
             WHERE id = $1 AND status = 'pending'",
            id,
            *next_attempt_at,
            *error,
            *error_code
        )?,
        AttemptOutcome::Failed { error, error_code } => execute!(
            ex,
            "UPDATE sms_notifications SET status = 'failed', error_message = $2,
                 error_code = $3, locked_until = NULL,
                 message = CASE WHEN $4 THEN '[redacted]' ELSE message END
             WHERE id = $1 AND status = 'pending'",
            id,
            *error,
            *error_code,
            scrub
        )?,
    };
    Ok(changed == 1)
}

/// Which outbox table a message is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxTable {
    Email,
    Sms,
}

impl OutboxTable {
    /// The channel name the message history uses.
    pub fn channel(self) -> &'static str {
        match self {
            OutboxTable::Email => "email",
            OutboxTable::Sms => "sms",
        }
    }
}

/// Record an attempt on a message of either table.
pub async fn record_attempt(
    ex: Exec<'_>,
    table: OutboxTable,
    id: Uuid,
    now: DateTime<Utc>,
    outcome: &AttemptOutcome<'_>,
    scrub: bool,
) -> StoreResult<bool> {
    match table {
        OutboxTable::Email => record_email_attempt(ex, id, now, outcome, scrub).await,
        OutboxTable::Sms => record_sms_attempt(ex, id, now, outcome, scrub).await,
    }
}

/// How many emails and SMS of one type were queued for `user_id` since `since` (the start
/// of the person's day), for the per-type daily cap: both counts in one round trip.
pub async fn queued_since(
    ex: Exec<'_>,
    user_id: UserId,
    notification_type: &str,
    since: DateTime<Utc>,
) -> StoreResult<(i64, i64)> {
    Ok(fetch_one!(
        ex,
        (i64, i64),
        "SELECT (SELECT COUNT(*) FROM email_notifications
                 WHERE user_id = $1 AND email_type = $2 AND created_at >= $3),
                (SELECT COUNT(*) FROM sms_notifications
                 WHERE user_id = $1 AND sms_type = $2 AND created_at >= $3)",
        user_id.as_uuid(),
        notification_type,
        since
    )?)
}

/// SMS queued to `phone_number` since `since`, and to numbers with `country_code`: the
/// two counts the SMS-pumping caps compare (whoever the account).
pub async fn sms_to_number_and_country_since(
    ex: Exec<'_>,
    phone_number: &str,
    country_code: i32,
    since: DateTime<Utc>,
) -> StoreResult<(i64, i64)> {
    Ok(fetch_one!(
        ex,
        (i64, i64),
        "SELECT (SELECT COUNT(*) FROM sms_notifications
                 WHERE phone_number = $1 AND created_at >= $3),
                (SELECT COUNT(*) FROM sms_notifications
                 WHERE country_code = $2 AND created_at >= $3)",
        phone_number,
        country_code,
        since
    )?)
}
