//! Delivery receipts from providers (webhooks): move a sent message forward — email to
//! delivered, opened, clicked or bounced; SMS to delivered, failed or undelivered. Each
//! statement names the states it may move from, so a late or repeated receipt never moves
//! a message backwards (an "opened" after "clicked" changes nothing), and a receipt for a
//! message some other provider carried matches nothing.

use crate::db::Exec;
use crate::error::StoreResult;
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use uuid::Uuid;

/// The message a receipt moved.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Moved {
    pub id: Uuid,
    #[sqlx(try_from = "Uuid")]
    pub user_id: UserId,
    pub kind: Option<String>,
}

/// What an email provider reported.
#[derive(Debug, Clone, Copy)]
pub enum EmailReceipt<'a> {
    Delivered,
    Opened,
    Clicked { url: Option<&'a str> },
    Bounced { error: Option<&'a str> },
}

/// What an SMS provider reported.
#[derive(Debug, Clone, Copy)]
pub enum SmsReceipt<'a> {
    Delivered,
    Failed { error_code: Option<&'a str> },
    Undelivered { error_code: Option<&'a str> },
}

pub async fn email(
    ex: Exec<'_>,
    provider: &str,
    provider_message_id: &str,
    receipt: EmailReceipt<'_>,
    at: DateTime<Utc>,
) -> StoreResult<Option<Moved>> {
    let moved = match receipt {
        EmailReceipt::Delivered => fetch_optional!(
            ex,
            Moved,
            "UPDATE email_notifications SET status = 'delivered', delivered_at = $3
             WHERE provider = $1 AND provider_message_id = $2 AND status = 'sent'
             RETURNING id, user_id, email_type AS kind",
            provider,
            provider_message_id,
            at
        )?,
        EmailReceipt::Opened => fetch_optional!(
            ex,
            Moved,
            "UPDATE email_notifications SET status = 'opened', opened_at = $3,
                 delivered_at = COALESCE(delivered_at, $3)
             WHERE provider = $1 AND provider_message_id = $2 AND status IN ('sent', 'delivered')
             RETURNING id, user_id, email_type AS kind",
            provider,
            provider_message_id,
            at
        )?,
        EmailReceipt::Clicked { url } => fetch_optional!(
            ex,
            Moved,
            "UPDATE email_notifications SET status = 'clicked', clicked_at = $3, click_url = $4,
                 opened_at = COALESCE(opened_at, $3), delivered_at = COALESCE(delivered_at, $3)
             WHERE provider = $1 AND provider_message_id = $2
               AND status IN ('sent', 'delivered', 'opened')
             RETURNING id, user_id, email_type AS kind",
            provider,
            provider_message_id,
            at,
            url
        )?,
        EmailReceipt::Bounced { error } => fetch_optional!(
            ex,
            Moved,
            "UPDATE email_notifications SET status = 'bounced', error_message = $3
             WHERE provider = $1 AND provider_message_id = $2 AND status IN ('sent', 'delivered')
             RETURNING id, user_id, email_type AS kind",
            provider,
            provider_message_id,
            error
        )?,
    };
    Ok(moved)
}

pub async fn sms(
    ex: Exec<'_>,
    provider: &str,
    provider_message_id: &str,
    receipt: SmsReceipt<'_>,
    at: DateTime<Utc>,
) -> StoreResult<Option<Moved>> {
    let moved = match receipt {
        SmsReceipt::Delivered => fetch_optional!(
            ex,
            Moved,
            "UPDATE sms_notifications SET status = 'delivered', delivered_at = $3
             WHERE provider = $1 AND provider_message_id = $2 AND status = 'sent'
             RETURNING id, user_id, sms_type AS kind",
            provider,
            provider_message_id,
            at
        )?,
        SmsReceipt::Failed { error_code } => fetch_optional!(
            ex,
            Moved,
            "UPDATE sms_notifications SET status = 'failed', error_code = $3
             WHERE provider = $1 AND provider_message_id = $2 AND status = 'sent'
             RETURNING id, user_id, sms_type AS kind",
            provider,
            provider_message_id,
            error_code
        )?,
        SmsReceipt::Undelivered { error_code } => fetch_optional!(
            ex,
            Moved,
            "UPDATE sms_notifications SET status = 'undelivered', error_code = $3
             WHERE provider = $1 AND provider_message_id = $2 AND status = 'sent'
             RETURNING id, user_id, sms_type AS kind",
            provider,
            provider_message_id,
            error_code
        )?,
    };
    Ok(moved)
}
