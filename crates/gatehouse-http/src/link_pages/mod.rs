//! The pages the emailed links open: `/verify-email`, `/reset-password`,
//! `/recover-account` and `/cancel-recovery` (each `#token=..`). Like `/not-me` they are
//! static HTML with a style sheet and scripts from this origin only, under a policy that
//! allows nothing else; the token stays in the URL's fragment (never sent to a server or a
//! log) and is posted only when the person presses the page's button, so a mail scanner
//! that follows the link changes nothing.
//!
//! One small HTML file and one small script per page (the part that differs: its words,
//! its form, the endpoint it calls and how it reads the answer); one shared style sheet
//! (`/link-pages.css`) and one shared helper script (`/link-pages.js`: read the token from
//! the fragment, post JSON, read a problem's `detail`). Separate files keep each page
//! readable and let a test check that each page's script names its own endpoint.

/// The shared style sheet, served at `/link-pages.css`.
pub const STYLE: &str = include_str!("common.css");
/// The shared helper script, served at `/link-pages.js`.
pub const HELPER: &str = include_str!("common.js");

/// A page: its HTML (served at `/<name>`) and its own script (served at `/<name>.js`).
pub struct LinkPage {
    pub html: &'static str,
    pub script: &'static str,
}

pub const VERIFY_EMAIL: LinkPage = LinkPage {
    html: include_str!("verify-email.html"),
    script: include_str!("verify-email.js"),
};

pub const RESET_PASSWORD: LinkPage = LinkPage {
    html: include_str!("reset-password.html"),
    script: include_str!("reset-password.js"),
};

pub const RECOVER_ACCOUNT: LinkPage = LinkPage {
    html: include_str!("recover-account.html"),
    script: include_str!("recover-account.js"),
};

pub const CANCEL_RECOVERY: LinkPage = LinkPage {
    html: include_str!("cancel-recovery.html"),
    script: include_str!("cancel-recovery.js"),
};

/// Only this origin's scripts, style and `fetch`; no frames, no form submission (the
/// forms are sent by the script), nothing else. The same policy as `/not-me`.
pub const POLICY: &str = crate::not_me_page::POLICY;
