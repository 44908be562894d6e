//! Delivery webhooks: a provider (or the relay in front of it) reports what became of a
//! message. The request is trusted only with a valid signature:
//!
//! `Gatehouse-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`
//!
//! The timestamp is inside the MAC and must be within five minutes of now, so a captured
//! request cannot be replayed later; the comparison is constant-time. A bad signature is
//! refused before the body is even parsed, and changes nothing.

use super::error::NotifyError;
use crate::clock::Clock;
use chrono::{DateTime, Utc};
use gatehouse_store::notify::log::{self as notification_log, LogEntry};
use gatehouse_store::notify::receipts::{self, EmailReceipt, SmsReceipt};
use gatehouse_store::{Db, Executor};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;

/// How far a signature's timestamp may be from now.
pub const SIGNATURE_TOLERANCE_SECS: i64 = 5 * 60;
/// Receipts one request may carry.
pub const MAX_RECEIPTS: usize = 100;

/// Check `header` against `body` under `secret` at `now`.
pub fn verify_signature(
    secret: &str,
    header: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), NotifyError> {
    if secret.is_empty() {
        return Err(NotifyError::InvalidSignature);
    }
    let header = header.ok_or(NotifyError::InvalidSignature)?;
    let mut timestamp = None;
    let mut signature = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => signature = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (timestamp, signature) = timestamp
        .zip(signature)
        .ok_or(NotifyError::InvalidSignature)?;
    if (now.timestamp() - timestamp).abs() > SIGNATURE_TOLERANCE_SECS {
        return Err(NotifyError::InvalidSignature);
    }
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .map_err(|_| NotifyError::InvalidSignature)?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&signature)
        .map_err(|_| NotifyError::InvalidSignature)
}

/// The header value a sender computes (for providers' relays, tests and docs).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        // HMAC takes keys of any length; this arm cannot be reached.
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// The body of a webhook request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptBatch {
    pub receipts: Vec<Receipt>,
}

/// One report about one message.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The provider's id of the message (what gatehouse stored as `provider_message_id`).
    pub message_id: String,
    /// email: delivered, opened, clicked, bounced; sms: delivered, failed, undelivered.
    pub event: String,
    pub occurred_at: Option<DateTime<Utc>>,
    /// The link clicked (email `clicked`).
    pub url: Option<String>,
    /// The provider's error text or code (bounced, failed, undelivered).
    pub error: Option<String>,
}

/// Which channel a webhook reports on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptChannel {
    Email,
    Sms,
}

/// How many receipts moved a message, and how many matched none (unknown message, other
/// provider, or a state it cannot move from).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReceiptReport {
    pub applied: u32,
    pub ignored: u32,
}

/// Verify, parse and apply one webhook request, all in one transaction.
pub async fn apply(
    db: &Db,
    clock: &dyn Clock,
    secret: &str,
    channel: ReceiptChannel,
    provider: &str,
    signature: Option<&str>,
    body: &[u8],
) -> Result<ReceiptReport, NotifyError> {
    let now = clock.now();
    verify_signature(secret, signature, body, now)?;
    let batch: ReceiptBatch = serde_json::from_slice(body).map_err(|e| {
        NotifyError::Validation(vec![gatehouse_domain::FieldError::new(
            "receipts",
            "invalid",
            format!("not a receipt batch: {e}"),
        )])
    })?;
    validate(&batch, channel)?;
    let mut report = ReceiptReport::default();
    let mut tx = db.begin().await?;
    for r in &batch.receipts {
        let at = r.occurred_at.unwrap_or(now);
        let moved = match channel {
            ReceiptChannel::Email => {
                let receipt = match r.event.as_str() {
                    "delivered" => EmailReceipt::Delivered,
                    "opened" => EmailReceipt::Opened,
                    "clicked" => EmailReceipt::Clicked {
                        url: r.url.as_deref(),
                    },
                    _ => EmailReceipt::Bounced {
                        error: r.error.as_deref(),
                    },
                };
                receipts::email(tx.exec(), provider, &r.message_id, receipt, at).await?
            }
            ReceiptChannel::Sms => {
                let code = r.error.as_deref();
                let receipt = match r.event.as_str() {
                    "delivered" => SmsReceipt::Delivered,
                    "failed" => SmsReceipt::Failed { error_code: code },
                    _ => SmsReceipt::Undelivered { error_code: code },
                };
                receipts::sms(tx.exec(), provider, &r.message_id, receipt, at).await?
            }
        };
        let Some(moved) = moved else {
            report.ignored += 1;
            continue;
        };
        report.applied += 1;
        let entry = LogEntry {
            user_id: moved.user_id,
            notification_id: Some(moved.id),
            notification_type: moved.kind.as_deref().unwrap_or(""),
            channel: match channel {
                ReceiptChannel::Email => "email",
                ReceiptChannel::Sms => "sms",
            },
            status: &r.event,
            recipient: None,
            metadata: json!({"provider": provider, "error": r.error, "url": r.url,
                             "occurred_at": at}),
            at: now,
        };
        notification_log::insert(tx.exec(), &entry).await?;
    }
    tx.commit().await?;
    Ok(report)
}

fn validate(batch: &ReceiptBatch, channel: ReceiptChannel) -> Result<(), NotifyError> {
    use gatehouse_domain::FieldError;
    let allowed: &[&str] = match channel {
        ReceiptChannel::Email => &["delivered", "opened", "clicked", "bounced"],
        ReceiptChannel::Sms => &["delivered", "failed", "undelivered"],
    };
    let mut errors = Vec::new();
    if batch.receipts.is_empty() || batch.receipts.len() > MAX_RECEIPTS {
        errors.push(FieldError::new(
            "receipts",
            "invalid_length",
            format!("between 1 and {MAX_RECEIPTS} receipts"),
        ));
    }
    for (i, r) in batch.receipts.iter().enumerate() {
        if !allowed.contains(&r.event.as_str()) {
            errors.push(FieldError::new(
                "receipts",
                "invalid_choice",
                format!("receipt {i}: event is one of {}", allowed.join(", ")),
            ));
        }
        // PostgreSQL `text` cannot hold NUL (SQLite would): refuse it on both.
        let strings = [
            Some(&r.message_id),
            Some(&r.event),
            r.url.as_ref(),
            r.error.as_ref(),
        ];
        if strings.into_iter().flatten().any(|s| s.contains('\0')) {
            errors.push(FieldError::new(
                "receipts",
                "invalid_characters",
                format!("receipt {i}: NUL is not allowed in any field"),
            ));
        }
        if r.message_id.is_empty() || r.message_id.len() > 255 {
            errors.push(FieldError::new(
                "receipts",
                "invalid_length",
                format!("receipt {i}: message_id has 1 to 255 characters"),
            ));
        }
        if r.error.as_ref().is_some_and(|e| e.len() > 2000) {
            errors.push(FieldError::new(
                "receipts",
                "too_long",
                format!("receipt {i}: error has at most 2000 characters"),
            ));
        }
        if r.url.as_ref().is_some_and(|u| u.len() > 500) {
            errors.push(FieldError::new(
                "receipts",
                "too_long",
                format!("receipt {i}: url has at most 500 characters"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(NotifyError::Validation(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn a_signature_made_with_the_secret_verifies() {
        let body = br#"{"receipts":[]}"#;
        let header = sign("s3cret", now().timestamp(), body);
        assert!(verify_signature("s3cret", Some(&header), body, now()).is_ok());
    }

    #[test]
    fn wrong_secret_changed_body_stale_or_missing_signatures_are_refused() {
        let body = br#"{"receipts":[]}"#;
        let t = now().timestamp();
        let good = sign("s3cret", t, body);
        let refused = |secret: &str, header: Option<&str>, body: &[u8]| {
            matches!(
                verify_signature(secret, header, body, now()),
                Err(NotifyError::InvalidSignature)
            )
        };
        assert!(refused("other", Some(&good), body));
        assert!(refused("s3cret", Some(&good), br#"{"receipts":[{}]}"#));
        assert!(refused(
            "s3cret",
            Some(&sign("s3cret", t - 301, body)),
            body
        ));
        assert!(refused(
            "s3cret",
            Some(&sign("s3cret", t + 301, body)),
            body
        ));
        assert!(refused("s3cret", None, body));
        assert!(refused("s3cret", Some("t=1,v1=zz"), body));
        assert!(refused("s3cret", Some(&good.replace("t=", "x=")), body));
        // No secret configured: nothing is accepted, not even a signature made with "".
        assert!(refused("", Some(&sign("", t, body)), body));
    }
}
