//! Notifications (DESIGN §6): messages are decided (domain routing), rendered (templates)
//! and queued in the transaction of the change that raised them ([`enqueue`]), then
//! delivered by workers ([`worker`]) through the configured transports ([`transport`]);
//! providers report back through signed webhooks ([`receipts`]).

pub mod backoff;
pub mod config;
pub mod digest;
pub mod enqueue;
pub mod error;
pub mod person;
pub mod preferences;
pub mod receipts;
pub mod templates;
pub mod transport;
pub mod worker;

pub use config::NotificationsConfig;
pub use enqueue::{enqueue, Notice, Queued};
pub use error::NotifyError;

use gatehouse_domain::notify::{NotificationType, SmsCaps};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use templates::{MessageContext, RenderedMessage, TemplateError, Templates};
use tokio::sync::Notify;

/// What queueing needs at hand: the parsed templates, the limits, and the signal that
/// wakes this process's delivery workers. One per process, shared through `Core`.
pub struct Notifier {
    templates: Templates,
    config: Arc<NotificationsConfig>,
    sms_caps: SmsCaps,
    wake: Arc<WakeSignal>,
}

/// How queueing wakes this process's delivery workers, saying which outboxes got
/// something: a pass woken by an email need not claim SMS (each claim is a statement, and
/// under load a pass runs for almost every message).
#[derive(Debug, Default)]
pub struct WakeSignal {
    notify: Notify,
    email: AtomicBool,
    sms: AtomicBool,
}

impl WakeSignal {
    fn wake(&self, email: bool, sms: bool) {
        if email {
            self.email.store(true, Ordering::Release);
        }
        if sms {
            self.sms.store(true, Ordering::Release);
        }
        self.notify.notify_one();
    }

    /// Wait for the next wake.
    pub async fn notified(&self) {
        self.notify.notified().await;
    }

    /// Which outboxes got something since the last call: `(email, sms)`.
    pub fn take(&self) -> (bool, bool) {
        (
            self.email.swap(false, Ordering::AcqRel),
            self.sms.swap(false, Ordering::AcqRel),
        )
    }
}

impl Notifier {
    pub fn new(config: NotificationsConfig) -> Result<Self, TemplateError> {
        let sms_caps = SmsCaps {
            per_number_per_day: config.sms_max_per_number_per_day,
            per_country_per_day: config.sms_max_per_country_per_day,
            ..SmsCaps::default()
        };
        Ok(Self {
            templates: Templates::embedded()?,
            config: Arc::new(config),
            sms_caps,
            wake: Arc::new(WakeSignal::default()),
        })
    }

    pub fn config(&self) -> &Arc<NotificationsConfig> {
        &self.config
    }

    pub fn render(
        &self,
        kind: NotificationType,
        language: &str,
        context: &MessageContext,
    ) -> Result<RenderedMessage, TemplateError> {
        self.templates.render(kind, language, context)
    }

    pub fn app_name(&self) -> &str {
        &self.config.app_name
    }

    pub fn max_retries(&self) -> i32 {
        i32::try_from(self.config.max_retries).unwrap_or(i32::MAX)
    }

    pub fn sms_caps(&self) -> &SmsCaps {
        &self.sms_caps
    }

    /// Tell this process's workers that an email and/or an SMS was queued.
    pub fn wake(&self, email: bool, sms: bool) {
        self.wake.wake(email, sms);
    }

    /// The signal workers wait on (see [`worker::Worker::new`]).
    pub fn wake_signal(&self) -> Arc<WakeSignal> {
        self.wake.clone()
    }
}
