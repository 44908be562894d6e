//! What a message template may say: [`MessageContext`], the one set of fields every
//! notification type draws from, and the fields each type cannot do without.

use gatehouse_domain::notify::NotificationType;
use serde::Serialize;
use std::fmt;

/// The values a template fills in. Everything but `app_name` and `display_name` is
/// optional: a use case sets what its notification type needs (see the list in
/// `templates/README.md` beside the template files) and leaves the rest empty.
///
/// Texts arrive ready to print (`occurred_at` already formatted in the person's time
/// zone, `location` as "Berlin, Germany"); the templates do no formatting of their own.
/// Empty fields are serialised as `none` rather than left out, so a template that names
/// a field this struct does not have fails to render (strict undefined) instead of
/// quietly printing nothing.
#[derive(Clone, Default, Serialize)]
pub struct MessageContext {
    /// The service's name as people know it ("Gatehouse").
    pub app_name: String,
    /// How the message greets the person.
    pub display_name: String,
    /// When it happened, already formatted for the reader.
    pub occurred_at: Option<String>,
    /// The client address involved.
    pub ip: Option<String>,
    /// Where the address is, e.g. "Berlin, Germany".
    pub location: Option<String>,
    /// The client, e.g. "Firefox on Linux".
    pub device: Option<String>,
    /// The one-time code, for `otp_code` only: rendering drops it for every other type.
    pub code: Option<String>,
    /// How long a code or link stays valid.
    pub expires_minutes: Option<u32>,
    /// The "this wasn't me" link of security alerts (its token locks the account).
    pub action_url: Option<String>,
    /// The verification or password-reset link (or, for `product_update`, "read more").
    pub link_url: Option<String>,
    /// How long a locked account stays locked; empty when it waits for a reset.
    pub lock_minutes: Option<u32>,
    /// MFA methods turned on or off: `totp`, `email`, `sms`, `backup_codes` (others are
    /// printed as they are).
    pub methods: Vec<String>,
    /// Backup codes left (or, for `backup_codes_generated`, how many were made).
    pub remaining_backup_codes: Option<u32>,
    /// The alerts a `security_digest` gathers, oldest first.
    pub items: Vec<DigestItem>,
    /// Where a marketing message can be refused with one click.
    pub unsubscribe_url: Option<String>,
    /// The link that cancels an account recovery in progress (`mfa_recovery`).
    pub cancel_url: Option<String>,
    /// Hours until an account recovery in progress can take effect (`mfa_recovery`).
    pub delay_hours: Option<u32>,
}

/// One alert inside a `security_digest`.
#[derive(Debug, Clone, Serialize)]
pub struct DigestItem {
    /// The alert's type; the template names it in the reader's language.
    pub kind: NotificationType,
    /// When it happened, already formatted for the reader.
    pub occurred_at: String,
    /// A short detail in no particular language, e.g. "Firefox on Linux, Berlin".
    pub summary: String,
}

impl MessageContext {
    /// A context with only the two fields every message has.
    pub fn new(app_name: impl Into<String>, display_name: impl Into<String>) -> Self {
        Self {
            app_name: app_name.into(),
            display_name: display_name.into(),
            ..Self::default()
        }
    }

    /// The first field `kind` cannot be sent without that this context lacks: a code
    /// message without its code, or a digest of nothing, is a bug in the caller, better
    /// refused than sent.
    pub(crate) fn missing_for(&self, kind: NotificationType) -> Option<&'static str> {
        use NotificationType::*;
        match kind {
            OtpCode if is_blank(&self.code) => Some("code"),
            EmailVerification | PasswordReset if is_blank(&self.link_url) => Some("link_url"),
            // Marketing without a way out is not allowed (ePrivacy Directive art. 13(2)).
            ProductUpdate if is_blank(&self.unsubscribe_url) => Some("unsubscribe_url"),
            SecurityDigest if self.items.is_empty() => Some("items"),
            _ => None,
        }
    }

    /// This context as `kind` may see it: only `otp_code` carries the code, so no
    /// template, not even one an operator replaced, can put a code into an alert.
    pub(crate) fn for_kind(&self, kind: NotificationType) -> Self {
        let mut ctx = self.clone();
        if kind != NotificationType::OtpCode {
            ctx.code = None;
        }
        ctx
    }
}

fn is_blank(value: &Option<String>) -> bool {
    value.as_deref().is_none_or(|v| v.trim().is_empty())
}

/// Shown instead of the code and the tokens in links, which must not reach logs.
const REDACTED: &str = "[redacted]";

impl fmt::Debug for MessageContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |value: &Option<String>| value.as_ref().map(|_| REDACTED);
        f.debug_struct("MessageContext")
            .field("app_name", &self.app_name)
            .field("display_name", &self.display_name)
            .field("occurred_at", &self.occurred_at)
            .field("ip", &self.ip)
            .field("location", &self.location)
            .field("device", &self.device)
            .field("code", &redact(&self.code))
            .field("expires_minutes", &self.expires_minutes)
            .field("action_url", &redact(&self.action_url))
            .field("link_url", &redact(&self.link_url))
            .field("lock_minutes", &self.lock_minutes)
            .field("methods", &self.methods)
            .field("remaining_backup_codes", &self.remaining_backup_codes)
            .field("items", &self.items)
            .field("unsubscribe_url", &redact(&self.unsubscribe_url))
            .field("cancel_url", &redact(&self.cancel_url))
            .field("delay_hours", &self.delay_hours)
            .finish()
    }
}
