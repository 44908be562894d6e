//! Delivery transports: how a rendered message leaves gatehouse. Email goes to an SMTP
//! relay ([`SmtpTransport`]) or the dev outbox file ([`DevTransport`]); SMS goes to a
//! Twilio-style REST API ([`TwilioTransport`]) or the same outbox. Each send ends in
//! [`Accepted`] or a [`SendError`] that tells the outbox worker whether to retry.

mod dev;
mod sms;
mod smtp;

pub use dev::DevTransport;
pub use sms::TwilioTransport;
pub use smtp::{SmtpSecurity, SmtpTransport};

use std::fmt;

/// One email, rendered and addressed; `id` is the outbox row's id.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailMessage {
    pub id: uuid::Uuid,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// One SMS; `to` is an E.164 number, `id` the outbox row's id.
#[derive(Clone, PartialEq, Eq)]
pub struct SmsMessage {
    pub id: uuid::Uuid,
    pub to: String,
    pub body: String,
}

// The bodies can hold a one-time code: a message in a log line shows its shape only.
impl fmt::Debug for EmailMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailMessage")
            .field("id", &self.id)
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("text", &format_args!("<{} bytes>", self.text.len()))
            .field(
                "html",
                &self.html.as_ref().map(|h| format!("<{} bytes>", h.len())),
            )
            .finish()
    }
}

impl fmt::Debug for SmsMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsMessage")
            .field("id", &self.id)
            .field("to", &self.to)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}

/// The provider took the message (it may still bounce or fail later; webhooks say so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// `"dev"`, `"smtp"` or `"twilio"`.
    pub provider: &'static str,
    /// The provider's handle on the message, for matching delivery webhooks.
    pub provider_message_id: Option<String>,
    /// What the provider charged, when it says (SMS only).
    pub cost: Option<SmsCost>,
}

/// A price in millionths of the currency unit (`0.0075` USD is 7500), ISO 4217 code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsCost {
    pub micros: i64,
    pub currency: String,
}

/// Why a send failed, and whether trying again can help. The message never holds the
/// message body (it can carry a one-time code) or a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth retrying: a 4xx SMTP reply, HTTP 429 or 5xx, a refused connection, a timeout.
    #[error("transient: {message}")]
    Transient {
        message: String,
        code: Option<String>,
    },
    /// Retrying cannot help: a 5xx SMTP reply, a rejected address, HTTP 4xx.
    #[error("permanent: {message}")]
    Permanent {
        message: String,
        code: Option<String>,
    },
}

impl SendError {
    pub fn is_transient(&self) -> bool {
        matches!(self, SendError::Transient { .. })
    }

    pub fn message(&self) -> &str {
        match self {
            SendError::Transient { message, .. } | SendError::Permanent { message, .. } => message,
        }
    }

    /// The provider's code: the SMTP reply code (`"550"`) or the provider's error code.
    pub fn code(&self) -> Option<&str> {
        match self {
            SendError::Transient { code, .. } | SendError::Permanent { code, .. } => {
                code.as_deref()
            }
        }
    }

    fn transient(message: impl Into<String>, code: Option<String>) -> Self {
        SendError::Transient {
            message: message.into(),
            code,
        }
    }

    fn permanent(message: impl Into<String>, code: Option<String>) -> Self {
        SendError::Permanent {
            message: message.into(),
            code,
        }
    }
}

/// A transport setting that cannot work; says which part, never the secret in it.
#[derive(Debug, thiserror::Error)]
pub enum TransportConfigError {
    #[error("SMTP URL: {0}")]
    SmtpUrl(String),
    #[error("email sender {0:?} is not a mailbox (e.g. \"Gatehouse <noreply@example.com>\")")]
    Sender(String),
    #[error("SMS provider: {0}")]
    Sms(String),
    #[error("transports are built inside the Tokio runtime (the SMTP pool runs a task there)")]
    NoRuntime,
}

/// Where email goes.
#[derive(Debug, Clone)]
pub enum EmailTransport {
    Dev(DevTransport),
    Smtp(SmtpTransport),
}

impl EmailTransport {
    pub async fn send(&self, message: &EmailMessage) -> Result<Accepted, SendError> {
        match self {
            EmailTransport::Dev(dev) => dev.send_email(message).await,
            EmailTransport::Smtp(smtp) => smtp.send(message).await,
        }
    }
}

/// Where SMS goes.
#[derive(Debug, Clone)]
pub enum SmsTransport {
    Dev(DevTransport),
    Twilio(TwilioTransport),
}

impl SmsTransport {
    pub async fn send(&self, message: &SmsMessage) -> Result<Accepted, SendError> {
        match self {
            SmsTransport::Dev(dev) => dev.send_sms(message).await,
            SmsTransport::Twilio(twilio) => twilio.send(message).await,
        }
    }
}

/// `text` with every occurrence of each secret (a message body, a password) cut out: a
/// relay or an API may echo what it was sent in its error text, and that text is stored
/// and logged.
fn redact(text: String, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|secret| !secret.is_empty())
        .fold(text, |text, secret| text.replace(secret, "[redacted]"))
}

/// An error and its causes on one line (`a: b: c`), as the error texts of the HTTP and
/// SMTP clients leave the useful part (refused, timed out) to the causes.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Some errors repeat their cause in their own text; say it once.
        if !line.ends_with(&cause_text) {
            line.push_str(": ");
            line.push_str(&cause_text);
        }
        source = cause.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_cuts_every_occurrence_of_each_secret() {
        let text = "550 rejected 'code 123456' for code 123456 (pw hunter2)".to_owned();
        assert_eq!(
            redact(text, &["code 123456", "hunter2", ""]),
            "550 rejected '[redacted]' for [redacted] (pw [redacted])"
        );
    }

    #[test]
    fn debug_of_a_message_hides_the_bodies() {
        let sms = SmsMessage {
            id: uuid::Uuid::nil(),
            to: "+15005550006".to_owned(),
            body: "Your code is 493021".to_owned(),
        };
        let email = EmailMessage {
            id: uuid::Uuid::nil(),
            to: "a@example.com".to_owned(),
            subject: "Your code".to_owned(),
            text: "Your code is 493021".to_owned(),
            html: Some("<p>Your code is 493021</p>".to_owned()),
        };
        for shown in [format!("{sms:?}"), format!("{email:?}")] {
            assert!(!shown.contains("493021"), "{shown}");
            assert!(shown.contains("bytes>"), "{shown}");
        }
    }

    #[test]
    fn error_chain_joins_causes_once() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        #[derive(Debug, thiserror::Error)]
        #[error("connect failed")]
        struct Outer(#[source] std::io::Error);
        assert_eq!(error_chain(&Outer(io)), "connect failed: refused");
    }
}
