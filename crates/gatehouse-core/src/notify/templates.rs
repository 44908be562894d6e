//! The words of every notification: one template file per notification type and
//! language (English, German; others fall back to English), rendered with MiniJinja into
//! a subject, a plain-text and an HTML body and an SMS. Built once at start; the files
//! are compiled in, and an operator's directory may replace any of them.
//!
//! Undefined names are errors (strict mode) and every template is rendered once at
//! build time, so a misspelt field fails at start rather than in a message.

mod context;
mod language;
mod sources;
#[cfg(test)]
mod tests;

pub use context::{DigestItem, MessageContext};
pub use language::FALLBACK_LANGUAGE;

use gatehouse_domain::notify::NotificationType;
use minijinja::value::{Serde, Value};
use minijinja::{context, AutoEscape, Environment, UndefinedBehavior};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A rendered message, ready for a transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMessage {
    /// One line, whitespace collapsed (so nothing can add a mail header through it).
    pub subject: String,
    pub text: String,
    pub html: String,
    /// One line, whitespace collapsed.
    pub sms: String,
    /// The language directory the type's template came from (`de` for `de-AT`).
    pub language: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read notification templates at {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} is not a notification template (expected <language>/<type>.jinja or <language>/_<partial>.txt|.html|.jinja)")]
    UnknownFile(PathBuf),
    #[error("no template for {0} in English")]
    MissingType(NotificationType),
    #[error("a {kind} message needs `{field}`")]
    MissingField {
        kind: NotificationType,
        field: &'static str,
    },
    #[error("notification template {name}: {source:#}")]
    Template {
        name: String,
        source: minijinja::Error,
    },
}

/// Every notification template, parsed. Cheap to clone (one `Arc`), `Send + Sync`.
#[derive(Clone)]
pub struct Templates {
    env: Arc<Environment<'static>>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("count", &self.env.templates().count())
            .finish()
    }
}

impl Templates {
    /// The templates compiled into the binary.
    pub fn embedded() -> Result<Self, TemplateError> {
        Self::build(sources::embedded())
    }

    /// The compiled-in templates with the files under `dir` in their place where present
    /// (`dir/<language>/<type>.jinja`, `dir/<language>/_layout.html`, ...); a directory
    /// for a new language adds that language. Read once, here.
    pub fn load(dir: &Path) -> Result<Self, TemplateError> {
        let mut sources = sources::embedded();
        sources::overlay_dir(&mut sources, dir)?;
        Self::build(sources)
    }

    fn build(sources: sources::Sources) -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .build()
                .map_err(|source| template_error("syntax", source))?,
        );
        // Each `.jinja` file (a type's, or a partial for both) is registered twice: as
        // `.html` (escaped) for the html block and as `.txt` (as written) for the others.
        // Plain text must show `<` as `<`.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        for (language, files) in sources {
            for (file, text) in files {
                let mut add = |name: String, text| {
                    env.add_template_owned(name.clone(), text)
                        .map_err(|source| template_error(&name, source))
                };
                match file.strip_suffix(".jinja") {
                    Some(stem) => {
                        add(format!("{language}/{stem}.txt"), text.clone())?;
                        add(format!("{language}/{stem}.html"), text)?;
                    }
                    None => add(format!("{language}/{file}"), text)?,
                }
            }
        }
        let templates = Self { env: Arc::new(env) };
        templates.check()?;
        Ok(templates)
    }

    /// Renders `kind` for a reader of `language` (a profile's tag such as `de-AT`, `fr`
    /// or empty): the whole tag's template, else the primary subtag's, else English.
    pub fn render(
        &self,
        kind: NotificationType,
        language: &str,
        ctx: &MessageContext,
    ) -> Result<RenderedMessage, TemplateError> {
        if let Some(field) = ctx.missing_for(kind) {
            return Err(TemplateError::MissingField { kind, field });
        }
        let language = self.language_for(kind, language)?;
        let ctx = Value::from(Serde(ctx.for_kind(kind)));

        let text_name = format!("{language}/{kind}.txt");
        let [subject, text, sms] =
            self.render_blocks(&text_name, &ctx, ["subject", "text", "sms"])?;
        let html_name = format!("{language}/{kind}.html");
        let [html] = self.render_blocks(&html_name, &ctx, ["html"])?;
        let subject = one_line(&subject);

        let text = Value::from(text.trim());
        let text = self.render_layout(&language, "_layout.txt", &subject, text, &ctx)?;
        let html = Value::from_safe_string(html.trim().to_owned());
        let html = self.render_layout(&language, "_layout.html", &subject, html, &ctx)?;
        Ok(RenderedMessage {
            subject,
            text: tidy_text(&text),
            html: html.trim().to_owned(),
            sms: one_line(&sms),
            language,
        })
    }

    /// The language directory `kind` is rendered from.
    fn language_for(&self, kind: NotificationType, tag: &str) -> Result<String, TemplateError> {
        language::candidates(tag)
            .into_iter()
            .find(|language| self.has(&format!("{language}/{kind}.txt")))
            .ok_or(TemplateError::MissingType(kind))
    }

    fn has(&self, name: &str) -> bool {
        self.env.get_template(name).is_ok()
    }

    fn render_blocks<const N: usize>(
        &self,
        name: &str,
        ctx: &Value,
        blocks: [&str; N],
    ) -> Result<[String; N], TemplateError> {
        let fail = |source| template_error(name, source);
        let template = self.env.get_template(name).map_err(fail)?;
        let mut captured = template.render_captured(ctx.clone()).map_err(fail)?;
        let mut out = blocks.map(|_| String::new());
        for (slot, block) in out.iter_mut().zip(blocks) {
            *slot = captured
                .with_state_mut(|state| state.render_block(block))
                .map_err(fail)?;
        }
        Ok(out)
    }

    /// Wraps a body in the language's layout (or the English one if it has none).
    fn render_layout(
        &self,
        language: &str,
        layout: &str,
        subject: &str,
        body: Value,
        ctx: &Value,
    ) -> Result<String, TemplateError> {
        let own = format!("{language}/{layout}");
        let name = if self.has(&own) {
            own
        } else {
            format!("{FALLBACK_LANGUAGE}/{layout}")
        };
        let template = self
            .env
            .get_template(&name)
            .map_err(|source| template_error(&name, source))?;
        template
            .render(context! { subject, body, ..ctx.clone() })
            .map_err(|source| template_error(&name, source))
    }

    /// Renders every type in every language present, with a full context and with the
    /// least each type needs, so a broken or misspelt template (built in or an
    /// operator's) stops the start instead of a message.
    fn check(&self) -> Result<(), TemplateError> {
        let languages: std::collections::BTreeSet<&str> = self
            .env
            .templates()
            .filter_map(|(name, _)| name.split_once('/').map(|(language, _)| language))
            .collect();
        for &kind in NotificationType::ALL {
            let english = format!("{FALLBACK_LANGUAGE}/{kind}.txt");
            if !self.has(&english) {
                return Err(TemplateError::MissingType(kind));
            }
            for language in &languages {
                for ctx in [sample::full(), sample::minimal(kind)] {
                    self.render(kind, language, &ctx)?;
                }
            }
        }
        Ok(())
    }
}

fn template_error(name: &str, source: minijinja::Error) -> TemplateError {
    TemplateError::Template {
        name: name.to_owned(),
        source,
    }
}

/// Collapses all whitespace, newlines included, to single spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Trailing spaces off every line, at most one empty line in a row, no leading or
/// trailing empty lines: optional fields left out must not leave holes.
fn tidy_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.trim().lines().map(str::trim_end) {
        blank_run = if line.is_empty() { blank_run + 1 } else { 0 };
        if blank_run <= 1 {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Contexts the start-up check renders with.
mod sample {
    use super::{DigestItem, MessageContext};
    use gatehouse_domain::notify::NotificationType;

    /// Every field set.
    pub(super) fn full() -> MessageContext {
        MessageContext {
            occurred_at: Some("2026-01-01 00:00 UTC".into()),
            ip: Some("192.0.2.1".into()),
            location: Some("Berlin, Germany".into()),
            device: Some("Firefox on Linux".into()),
            code: Some("000000".into()),
            expires_minutes: Some(10),
            action_url: Some("https://example.invalid/not-me".into()),
            link_url: Some("https://example.invalid/link".into()),
            lock_minutes: Some(15),
            methods: vec!["totp".into(), "other".into()],
            remaining_backup_codes: Some(1),
            items: NotificationType::ALL
                .iter()
                .map(|&kind| DigestItem {
                    kind,
                    occurred_at: "2026-01-01 00:00 UTC".into(),
                    summary: "summary".into(),
                })
                .collect(),
            unsubscribe_url: Some("https://example.invalid/unsubscribe".into()),
            cancel_url: Some("https://example.invalid/cancel".into()),
            delay_hours: Some(24),
            ..MessageContext::new("App", "Name")
        }
    }

    /// Only what `kind` cannot be sent without.
    pub(super) fn minimal(kind: NotificationType) -> MessageContext {
        let full = full();
        let mut ctx = MessageContext::new("App", "Name");
        match kind {
            NotificationType::OtpCode => ctx.code = full.code,
            NotificationType::EmailVerification | NotificationType::PasswordReset => {
                ctx.link_url = full.link_url
            }
            NotificationType::ProductUpdate => ctx.unsubscribe_url = full.unsubscribe_url,
            NotificationType::SecurityDigest => ctx.items = full.items,
            _ => {}
        }
        ctx
    }
}
