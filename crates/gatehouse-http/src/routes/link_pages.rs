//! The pages the emailed links open (`/verify-email`, `/reset-password`,
//! `/recover-account`, `/cancel-recovery`), each with its own script, and the style sheet
//! and helper script they share. The content is in [`crate::link_pages`].

use crate::link_pages::{self, LinkPage};
use crate::AppState;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(verify_email_page))
        .routes(routes!(verify_email_script))
        .routes(routes!(reset_password_page))
        .routes(routes!(reset_password_script))
        .routes(routes!(recover_account_page))
        .routes(routes!(recover_account_script))
        .routes(routes!(cancel_recovery_page))
        .routes(routes!(cancel_recovery_script))
        .routes(routes!(link_pages_script))
        .routes(routes!(link_pages_style))
}

fn page(page: &LinkPage) -> Response {
    (
        [(header::CONTENT_SECURITY_POLICY, link_pages::POLICY)],
        Html(page.html),
    )
        .into_response()
}

fn script(source: &'static str) -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        source,
    )
        .into_response()
}

/// The page an email verification link opens; it confirms the address when asked.
#[utoipa::path(get, path = "/verify-email", tag = "system", responses((status = 200, description = "HTML", content_type = "text/html")))]
pub async fn verify_email_page() -> Response {
    page(&link_pages::VERIFY_EMAIL)
}

/// The script of `/verify-email` (calls `POST /v1/auth/verify-email`).
#[utoipa::path(get, path = "/verify-email.js", tag = "system", responses((status = 200, description = "JavaScript", content_type = "text/javascript")))]
pub async fn verify_email_script() -> Response {
    script(link_pages::VERIFY_EMAIL.script)
}

/// The page a password reset link opens: the new password, typed twice.
#[utoipa::path(get, path = "/reset-password", tag = "system", responses((status = 200, description = "HTML", content_type = "text/html")))]
pub async fn reset_password_page() -> Response {
    page(&link_pages::RESET_PASSWORD)
}

/// The script of `/reset-password` (calls `POST /v1/auth/password-reset/confirm`).
#[utoipa::path(get, path = "/reset-password.js", tag = "system", responses((status = 200, description = "JavaScript", content_type = "text/javascript")))]
pub async fn reset_password_script() -> Response {
    script(link_pages::RESET_PASSWORD.script)
}

/// The page an email recovery's completion link opens: the account's password completes it.
#[utoipa::path(get, path = "/recover-account", tag = "system", responses((status = 200, description = "HTML", content_type = "text/html")))]
pub async fn recover_account_page() -> Response {
    page(&link_pages::RECOVER_ACCOUNT)
}

/// The script of `/recover-account` (calls `POST /v1/auth/recovery/complete`).
#[utoipa::path(get, path = "/recover-account.js", tag = "system", responses((status = 200, description = "JavaScript", content_type = "text/javascript")))]
pub async fn recover_account_script() -> Response {
    script(link_pages::RECOVER_ACCOUNT.script)
}

/// The page an email recovery's cancel link opens; it cancels when asked.
#[utoipa::path(get, path = "/cancel-recovery", tag = "system", responses((status = 200, description = "HTML", content_type = "text/html")))]
pub async fn cancel_recovery_page() -> Response {
    page(&link_pages::CANCEL_RECOVERY)
}

/// The script of `/cancel-recovery` (calls `POST /v1/auth/recovery/cancel`).
#[utoipa::path(get, path = "/cancel-recovery.js", tag = "system", responses((status = 200, description = "JavaScript", content_type = "text/javascript")))]
pub async fn cancel_recovery_script() -> Response {
    script(link_pages::CANCEL_RECOVERY.script)
}

/// The helper script the four link pages share (the token from the fragment, posting JSON).
#[utoipa::path(get, path = "/link-pages.js", tag = "system", responses((status = 200, description = "JavaScript", content_type = "text/javascript")))]
pub async fn link_pages_script() -> Response {
    script(link_pages::HELPER)
}

/// The style sheet the four link pages share.
#[utoipa::path(get, path = "/link-pages.css", tag = "system", responses((status = 200, description = "CSS", content_type = "text/css")))]
pub async fn link_pages_style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        link_pages::STYLE,
    )
        .into_response()
}
