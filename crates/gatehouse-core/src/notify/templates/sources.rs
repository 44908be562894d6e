//! Where template text comes from: the files under `crates/gatehouse-core/templates/`,
//! compiled into the binary so it runs from any directory, and optionally an operator's
//! directory of the same shape whose files win over the built-in ones.
//!
//! A language directory holds `<notification_type>.jinja` (blocks `subject`, `text`,
//! `html`, `sms`) and partials whose names start with `_`: `_x.txt` (not escaped),
//! `_x.html` (HTML-escaped) or `_x.jinja` (both, like the type files).

use super::language::is_language_dir;
use super::TemplateError;
use gatehouse_domain::notify::NotificationType;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

/// Template text by language directory, then by file name.
pub(super) type Sources = BTreeMap<String, BTreeMap<String, Cow<'static, str>>>;

/// The built-in files of one language: every notification type and the shared partials.
/// A test checks this list against `NotificationType::ALL`.
macro_rules! embed_language {
    ($lang:literal) => {
        embed_language!($lang;
            "otp_code.jinja", "email_verification.jinja", "password_reset.jinja",
            "password_changed.jinja", "email_changed.jinja", "login_new_device.jinja",
            "login_new_location.jinja", "suspicious_activity.jinja", "mfa_enabled.jinja",
            "mfa_disabled.jinja", "backup_codes_generated.jinja", "backup_code_used.jinja",
            "account_locked.jinja", "security_digest.jinja", "product_update.jinja",
            "signup_attempt.jinja", "mfa_change_approved.jinja", "mfa_change_rejected.jinja",
            "mfa_recovery.jinja",
            "_layout.txt", "_layout.html", "_details.txt", "_details.html", "_not_you.txt",
            "_not_you.html", "_names.jinja")
    };
    ($lang:literal; $($file:literal),+) => {
        &[$((
            $file,
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/", $lang, "/", $file)),
        )),+]
    };
}

const EMBEDDED: &[(&str, &[(&str, &str)])] =
    &[("en", embed_language!("en")), ("de", embed_language!("de"))];

/// The files compiled into the binary.
pub(super) fn embedded() -> Sources {
    EMBEDDED
        .iter()
        .map(|(language, files)| {
            let files = files
                .iter()
                .map(|(name, text)| ((*name).to_owned(), Cow::Borrowed(*text)))
                .collect();
            ((*language).to_owned(), files)
        })
        .collect()
}

/// Adds the files under `dir` to `sources`, replacing built-in files of the same name.
/// Files directly in `dir` (a README) and hidden ones are passed over; anything else
/// that is not a known template is refused, so a misspelt override cannot go unnoticed.
pub(super) fn overlay_dir(sources: &mut Sources, dir: &Path) -> Result<(), TemplateError> {
    for language_dir in read_dir(dir)? {
        let Some(name) = visible_name(&language_dir) else {
            continue;
        };
        if !language_dir.is_dir() {
            continue;
        }
        let language = name.to_ascii_lowercase();
        if !is_language_dir(&language) {
            return Err(TemplateError::UnknownFile(language_dir));
        }
        for file in read_dir(&language_dir)? {
            let Some(file_name) = visible_name(&file) else {
                continue;
            };
            if !is_template_file(&file_name) || !file.is_file() {
                return Err(TemplateError::UnknownFile(file));
            }
            let text = std::fs::read_to_string(&file).map_err(|source| TemplateError::Read {
                path: file.clone(),
                source,
            })?;
            sources
                .entry(language.clone())
                .or_default()
                .insert(file_name, Cow::Owned(text));
        }
    }
    Ok(())
}

/// A notification type's template or a partial.
fn is_template_file(name: &str) -> bool {
    if name.starts_with('_') {
        return [".txt", ".html", ".jinja"]
            .iter()
            .any(|ext| name.ends_with(ext));
    }
    name.strip_suffix(".jinja")
        .is_some_and(|kind| kind.parse::<NotificationType>().is_ok())
}

fn read_dir(dir: &Path) -> Result<Vec<std::path::PathBuf>, TemplateError> {
    let read_error = |source| TemplateError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths = std::fs::read_dir(dir)
        .map_err(read_error)?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(read_error)?;
    paths.sort();
    Ok(paths)
}

/// The file name, unless it is hidden (`.DS_Store`, editor swap files) or not UTF-8.
fn visible_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    (!name.starts_with('.')).then(|| name.to_owned())
}
