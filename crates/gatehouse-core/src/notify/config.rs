//! `[notifications]`: which transports deliver, how hard the workers retry, and the limits
//! on what may be sent. Defaults work with no mail server: the dev transport writes each
//! message to `data/outbox.log`.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Which transport carries email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailTransportKind {
    /// Append to the outbox file and print (development; the default).
    Dev,
    /// SMTP to `smtp_url`.
    Smtp,
}

/// Which transport carries SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsTransportKind {
    Dev,
    /// A Twilio-style REST API at `sms_base_url`.
    Twilio,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotificationsConfig {
    /// Whether security events queue alerts to their person (new device, password changed,
    /// token reuse, lockout). Off only where another system alerts people from the audit
    /// log; codes and links that people ask for are sent either way.
    pub alerts: bool,
    pub email_transport: EmailTransportKind,
    /// `smtp://user:pass@host:587` (STARTTLS required), `smtps://host:465` (TLS), or
    /// `smtp://host:25?tls=none` (plaintext, for a relay on loopback).
    pub smtp_url: String,
    /// The From mailbox, e.g. `Example Security <security@example.com>`.
    pub email_from: String,
    pub sms_transport: SmsTransportKind,
    pub sms_base_url: String,
    pub sms_account_sid: String,
    pub sms_auth_token: String,
    /// The sending number (E.164).
    pub sms_from: String,
    /// Where the dev transport writes; empty means `<data_dir>/outbox.log`.
    pub dev_outbox_file: String,
    /// Whether `gatehouse serve` runs delivery workers in its own process (else run
    /// `gatehouse worker` beside it).
    pub workers_in_serve: bool,
    /// Attempts after the first before a message is marked failed (the seed's 3).
    pub max_retries: u32,
    /// Backoff: the n-th retry waits about `retry_base_ms * 2^n`, capped, with jitter.
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    /// Messages one worker claims at a time, and sends at once.
    pub batch_size: u32,
    pub concurrency: u32,
    /// How long a claim holds before another worker may take the message over.
    pub lease_secs: u64,
    /// How often an idle worker looks for due messages.
    pub poll_interval_ms: u64,
    /// The product name alerts speak of.
    pub app_name: String,
    /// Where people reach this service: the base of the links alerts carry. Empty means
    /// `http://<http.listen>`, right only for a local trial.
    pub public_url: String,
    /// How long a "this wasn't me" link works.
    pub action_link_ttl_secs: u64,
    /// How long using one locks the account (every client, known devices included).
    pub not_me_lock_secs: u64,
    /// SMS-pumping guards: SMS per number, and per country calling code, per UTC day.
    pub sms_max_per_number_per_day: u32,
    pub sms_max_per_country_per_day: u32,
    /// The shared secret delivery webhooks are signed with (HMAC-SHA256); empty refuses
    /// every webhook.
    pub webhook_secret: String,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        Self {
            alerts: true,
            email_transport: EmailTransportKind::Dev,
            smtp_url: String::new(),
            email_from: "gatehouse <no-reply@localhost>".to_owned(),
            sms_transport: SmsTransportKind::Dev,
            sms_base_url: "https://api.twilio.com".to_owned(),
            sms_account_sid: String::new(),
            sms_auth_token: String::new(),
            sms_from: String::new(),
            dev_outbox_file: String::new(),
            workers_in_serve: true,
            max_retries: 3,
            retry_base_ms: 30_000,
            retry_max_ms: 60 * 60 * 1000,
            batch_size: 64,
            concurrency: 8,
            lease_secs: 120,
            poll_interval_ms: 500,
            app_name: "gatehouse".to_owned(),
            public_url: String::new(),
            action_link_ttl_secs: 7 * 24 * 60 * 60,
            not_me_lock_secs: 24 * 60 * 60,
            sms_max_per_number_per_day: 10,
            sms_max_per_country_per_day: 1000,
            webhook_secret: String::new(),
        }
    }
}

impl NotificationsConfig {
    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_secs.max(1))
    }

    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms.max(10))
    }

    pub fn action_link_ttl(&self) -> Duration {
        Duration::from_secs(self.action_link_ttl_secs)
    }
}
