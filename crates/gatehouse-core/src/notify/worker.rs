//! Delivery workers (DESIGN §6): claim due messages from the outbox, send them through the
//! configured transports, and record each outcome — sent, retry later with backoff, or
//! failed — with a line in the message's history.
//!
//! A batch is claimed in one statement (a lease, see `gatehouse_store::notify::outbox`),
//! sent concurrently (up to `concurrency` at once, so SMTP connections are reused from the
//! transport's pool), and its outcomes are written in one transaction. If the process dies
//! after a message left but before its outcome was written, the lease runs out and the
//! message is sent again: at-least-once delivery. Every copy carries the same Message-ID
//! (`<id@gatehouse>`), so mail systems and people can tell a repeat; an OTP repeated is the
//! same code, still valid once.

use super::backoff::retry_delay;
use super::config::{EmailTransportKind, NotificationsConfig, SmsTransportKind};
use super::digest::queue_due_digests;
use super::transport::{
    Accepted, DevTransport, EmailMessage, EmailTransport, SendError, SmsMessage, SmsTransport,
    SmtpTransport, TransportConfigError, TwilioTransport,
};
use super::Notifier;
use super::WakeSignal;
use crate::clock::Clock;
use gatehouse_domain::notify::NotificationType;
use gatehouse_store::notify::log::{self as notification_log, LogEntry};
use gatehouse_store::notify::outbox::{
    self, AttemptOutcome, ClaimedEmail, ClaimedSms, OutboxTable,
};
use gatehouse_store::{Db, Executor, StoreResult};
use secrecy::SecretString;
use serde_json::json;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The transports a worker sends through.
pub struct Transports {
    pub email: EmailTransport,
    pub sms: SmsTransport,
}

impl Transports {
    /// The transports `[notifications]` names. The dev transport writes to
    /// `dev_outbox_file`, or `<data_dir>/outbox.log`. Must run inside the Tokio runtime
    /// (the SMTP pool starts a task there).
    pub fn from_config(
        config: &NotificationsConfig,
        data_dir: &Path,
    ) -> Result<Self, TransportConfigError> {
        let outbox = match config.dev_outbox_file.as_str() {
            "" => data_dir.join("outbox.log"),
            path => PathBuf::from(path),
        };
        let dev = DevTransport::new(outbox);
        let email = match config.email_transport {
            EmailTransportKind::Dev => EmailTransport::Dev(dev.clone()),
            EmailTransportKind::Smtp => EmailTransport::Smtp(SmtpTransport::from_url(
                &config.smtp_url,
                &config.email_from,
            )?),
        };
        let sms = match config.sms_transport {
            SmsTransportKind::Dev => SmsTransport::Dev(dev),
            SmsTransportKind::Twilio => SmsTransport::Twilio(TwilioTransport::new(
                &config.sms_base_url,
                &config.sms_account_sid,
                SecretString::from(config.sms_auth_token.clone()),
                &config.sms_from,
                // Delivery reports come through the signed webhook (`/v1/hooks/sms/..`),
                // in gatehouse's own format; a relay translates the provider's.
                None,
            )?),
        };
        Ok(Self { email, sms })
    }
}

/// What one pass delivered.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    pub sent: u64,
    pub retried: u64,
    pub failed: u64,
}

impl PassReport {
    fn add(&mut self, other: PassReport) {
        self.sent += other.sent;
        self.retried += other.retried;
        self.failed += other.failed;
    }

    pub fn total(&self) -> u64 {
        self.sent + self.retried + self.failed
    }
}

/// One delivery worker. Cheap to clone; clones share transports and the wake-up signal.
#[derive(Clone)]
pub struct Worker {
    db: Db,
    clock: Arc<dyn Clock>,
    transports: Arc<Transports>,
    notifier: Arc<Notifier>,
    config: Arc<NotificationsConfig>,
    wake: Arc<WakeSignal>,
}

impl Worker {
    /// The worker wakes on `notifier`'s signal, so a message queued by this process goes
    /// out without waiting for the next poll; it queues digests through `notifier` too.
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        transports: Arc<Transports>,
        notifier: Arc<Notifier>,
    ) -> Self {
        Self {
            db,
            clock,
            transports,
            config: notifier.config().clone(),
            wake: notifier.wake_signal(),
            notifier,
        }
    }

    /// Deliver until `shutdown` completes: a full pass (digests, both outboxes) every poll
    /// interval, and between them a pass over just the outbox that queueing in this
    /// process woken us for. A pass in progress finishes first (its outcomes are written),
    /// so stopping loses nothing.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let poll = self.config.poll_interval();
        let mut next_full_pass = tokio::time::Instant::now();
        loop {
            let pass = if tokio::time::Instant::now() >= next_full_pass {
                next_full_pass = tokio::time::Instant::now() + poll;
                self.deliver_due().await
            } else {
                let (email, sms) = self.wake.take();
                self.deliver_woken(email, sms).await
            };
            match pass {
                Ok(report) if report.total() > 0 => tracing::debug!(
                    sent = report.sent,
                    retried = report.retried,
                    failed = report.failed,
                    "notifications delivered"
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "notification delivery pass failed"),
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = self.wake.notified() => {
                    // The enqueueing transaction may not have committed yet when it woke
                    // us: give it a moment, then look.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                _ = tokio::time::sleep_until(next_full_pass) => {}
            }
        }
    }

    /// Deliver everything due now, batch after batch, until a claim comes back short.
    /// Digests whose window ended are queued first, so they go out in the same pass.
    pub async fn deliver_due(&self) -> StoreResult<PassReport> {
        let mut report = PassReport::default();
        let limit = i64::from(self.config.batch_size.max(1));
        queue_due_digests(&self.db, &self.notifier, self.clock.now(), limit).await?;
        loop {
            let email = self.email_batch(limit).await?;
            let sms = self.sms_batch(limit).await?;
            let done = email.1 < limit && sms.1 < limit;
            report.add(email.0);
            report.add(sms.0);
            if done {
                return Ok(report);
            }
        }
    }

    /// Deliver what is due in the outboxes named, batch after batch, until a claim comes
    /// back short (what else is due waits for the next full pass).
    async fn deliver_woken(&self, email: bool, sms: bool) -> StoreResult<PassReport> {
        let mut report = PassReport::default();
        let limit = i64::from(self.config.batch_size.max(1));
        loop {
            let mut done = true;
            if email {
                let (batch, claimed) = self.email_batch(limit).await?;
                report.add(batch);
                done &= claimed < limit;
            }
            if sms {
                let (batch, claimed) = self.sms_batch(limit).await?;
                report.add(batch);
                done &= claimed < limit;
            }
            if done {
                return Ok(report);
            }
        }
    }

    fn lease_until(&self, now: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
        now + chrono::Duration::from_std(self.config.lease()).unwrap_or(chrono::Duration::MAX)
    }

    async fn email_batch(&self, limit: i64) -> StoreResult<(PassReport, i64)> {
        let now = self.clock.now();
        let claimed = {
            let mut conn = self.db.writer().await?;
            outbox::claim_emails(conn.exec(), now, self.lease_until(now), limit).await?
        };
        let count = claimed.len() as i64;
        let results = self
            .send_all(claimed, |transports, m: ClaimedEmail| async move {
                let message = EmailMessage {
                    id: m.id,
                    to: m.to_email,
                    subject: m.subject.unwrap_or_default(),
                    text: m.body.unwrap_or_default(),
                    html: m.html_body,
                };
                let result = transports.email.send(&message).await;
                let attempt = Attempted {
                    id: m.id,
                    user_id: m.user_id,
                    kind: m.email_type.unwrap_or_default(),
                    retry_count: m.retry_count,
                    max_retries: m.max_retries,
                };
                (attempt, result)
            })
            .await;
        Ok((self.record(OutboxTable::Email, &results).await?, count))
    }

    async fn sms_batch(&self, limit: i64) -> StoreResult<(PassReport, i64)> {
        let now = self.clock.now();
        let claimed = {
            let mut conn = self.db.writer().await?;
            outbox::claim_sms(conn.exec(), now, self.lease_until(now), limit).await?
        };
        let count = claimed.len() as i64;
        let results = self
            .send_all(claimed, |transports, m: ClaimedSms| async move {
                let message = SmsMessage {
                    id: m.id,
                    to: m.phone_number,
                    body: m.message,
                };
                let result = transports.sms.send(&message).await;
                let attempt = Attempted {
                    id: m.id,
                    user_id: m.user_id,
                    kind: m.sms_type.unwrap_or_default(),
                    retry_count: m.retry_count,
                    max_retries: m.max_retries,
                };
                (attempt, result)
            })
            .await;
        Ok((self.record(OutboxTable::Sms, &results).await?, count))
    }

    /// Write a batch's outcomes, with a history line each, in one transaction.
    async fn record(
        &self,
        table: OutboxTable,
        results: &[(Attempted, Result<Accepted, SendError>)],
    ) -> StoreResult<PassReport> {
        let mut report = PassReport::default();
        if results.is_empty() {
            return Ok(report);
        }
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        for (m, result) in results {
            let outcome = self.outcome(result, m.retry_count, m.max_retries, now);
            let scrub = scrub_after_delivery(&m.kind);
            if outbox::record_attempt(tx.exec(), table, m.id, now, &outcome, scrub).await? {
                count_outcome(&mut report, &outcome);
                let entry = log_entry(m, table.channel(), &outcome, now);
                notification_log::insert(tx.exec(), &entry).await?;
            }
        }
        tx.commit().await?;
        Ok(report)
    }

    /// Send every claimed message, at most `concurrency` at a time; results in any order.
    async fn send_all<M, F, Fut>(
        &self,
        claimed: Vec<M>,
        send: F,
    ) -> Vec<(Attempted, Result<Accepted, SendError>)>
    where
        F: Fn(Arc<Transports>, M) -> Fut,
        Fut: Future<Output = (Attempted, Result<Accepted, SendError>)> + Send + 'static,
    {
        let permits = Arc::new(Semaphore::new(self.config.concurrency.max(1) as usize));
        let mut tasks = tokio::task::JoinSet::new();
        for m in claimed {
            let permits = permits.clone();
            let fut = send(self.transports.clone(), m);
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                fut.await
            });
        }
        let mut results = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(r) => results.push(r),
                // A panicking send leaves its message leased; the lease runs out and it is
                // tried again.
                Err(e) => tracing::error!(error = %e, "a notification send task failed"),
            }
        }
        results
    }

    fn outcome<'a>(
        &self,
        result: &'a Result<Accepted, SendError>,
        retry_count: i32,
        max_retries: i32,
        now: chrono::DateTime<chrono::Utc>,
    ) -> AttemptOutcome<'a> {
        match result {
            Ok(a) => AttemptOutcome::Sent {
                provider: a.provider,
                provider_message_id: a.provider_message_id.as_deref(),
                cost: a.cost.as_ref().map(|c| (c.micros, c.currency.as_str())),
            },
            Err(SendError::Transient { message, code }) if retry_count < max_retries => {
                let wait = retry_delay(
                    retry_count.max(0) as u32,
                    Duration::from_millis(self.config.retry_base_ms),
                    Duration::from_millis(self.config.retry_max_ms),
                    &mut rand::thread_rng(),
                );
                AttemptOutcome::Retry {
                    next_attempt_at: now
                        + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX),
                    error: message,
                    error_code: code.as_deref(),
                }
            }
            Err(
                SendError::Transient { message, code } | SendError::Permanent { message, code },
            ) => AttemptOutcome::Failed {
                error: message,
                error_code: code.as_deref(),
            },
        }
    }
}

/// A message a worker tried to send, as its outcome is recorded (email and SMS alike).
struct Attempted {
    id: uuid::Uuid,
    user_id: gatehouse_domain::ids::UserId,
    kind: String,
    retry_count: i32,
    max_retries: i32,
}

/// Codes and one-time links are cleared from the database once their message is final.
fn scrub_after_delivery(kind: &str) -> bool {
    kind.parse::<NotificationType>()
        .map(NotificationType::is_transactional)
        // Unknown kinds are treated as secret: clearing a body loses less than keeping one.
        .unwrap_or(true)
}

fn count_outcome(report: &mut PassReport, outcome: &AttemptOutcome<'_>) {
    match outcome {
        AttemptOutcome::Sent { .. } => report.sent += 1,
        AttemptOutcome::Retry { .. } => report.retried += 1,
        AttemptOutcome::Failed { .. } => report.failed += 1,
    }
}

fn log_entry<'a>(
    m: &'a Attempted,
    channel: &'a str,
    outcome: &AttemptOutcome<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> LogEntry<'a> {
    let attempt = m.retry_count + 1;
    let (status, metadata) = match outcome {
        AttemptOutcome::Sent {
            provider,
            provider_message_id,
            cost,
        } => (
            "sent",
            json!({"provider": provider, "provider_message_id": provider_message_id,
                   "attempt": attempt, "cost_micros": cost.map(|c| c.0)}),
        ),
        AttemptOutcome::Retry {
            next_attempt_at,
            error,
            error_code,
        } => (
            "retrying",
            json!({"error": error, "error_code": error_code, "attempt": attempt,
                   "next_attempt_at": next_attempt_at}),
        ),
        AttemptOutcome::Failed { error, error_code } => (
            "failed",
            json!({"error": error, "error_code": error_code, "attempt": attempt}),
        ),
    };
    LogEntry {
        user_id: m.user_id,
        notification_id: Some(m.id),
        notification_type: &m.kind,
        channel,
        status,
        recipient: None,
        metadata,
        at: now,
    }
}
