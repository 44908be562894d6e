//! RFC 9457 problem details. Every error leaves as `application/problem+json` with a
//! stable `code`, a human `detail` and the request id; internal errors are logged with
//! their cause chain and answered with a generic 500; an unreachable database is logged at
//! WARN and answered 503 `database_unavailable` with `Retry-After` (RFC 9110 15.6.4).

use crate::middleware::current_request_id;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use gatehouse_core::audit_review::AuditReviewError;
use gatehouse_core::mfa::MfaError;
use gatehouse_core::notify::NotifyError;
use gatehouse_core::AccountsError;
use gatehouse_domain::FieldError;
use serde::Serialize;
use utoipa::ToSchema;

/// A problem+json body.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the `code` member identifies the problem.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    pub status: u16,
    /// Stable machine-readable code, e.g. `invalid_credentials`.
    pub code: &'static str,
    pub detail: String,
    pub request_id: String,
    /// For validation problems: what is wrong with which field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

/// One invalid field.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field's path in the request body, e.g. `password` or `device.name`.
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl From<FieldError> for FieldProblem {
    fn from(e: FieldError) -> Self {
        Self {
            field: e.field.to_owned(),
            code: e.code,
            message: e.message,
        }
    }
}

/// An error on its way to becoming a problem response.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub errors: Vec<FieldProblem>,
    pub retry_after: Option<u64>,
}

/// Seconds a client is asked to wait after a 503 `database_unavailable`: short, because a
/// node resumes by itself within about a second of the database coming back.
pub const DATABASE_RETRY_AFTER_SECS: u64 = 2;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// 422 `validation_failed`, naming each invalid field.
    pub fn validation(errors: Vec<FieldProblem>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        let mut e = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            detail,
        );
        e.errors = errors;
        e
    }

    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        // The request span exists only at DEBUG, so the id travels in the event itself.
        let request_id = current_request_id();
        tracing::error!(error = %cause_chain(cause), request_id, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "an internal error occurred; quote the request id when reporting it",
        )
    }

    /// The database is out of reach: nothing is wrong with the request, so it is answered
    /// "try again shortly" and logged at WARN (an outage is an operations event, not a bug),
    /// with the cause chain for the operator and none of it for the client.
    pub fn database_unavailable(cause: &(dyn std::error::Error + 'static)) -> Self {
        let request_id = current_request_id();
        tracing::warn!(error = %cause_chain(cause), request_id, "database unavailable");
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "the service cannot reach its database; try again shortly",
        );
        e.retry_after = Some(DATABASE_RETRY_AFTER_SECS);
        e
    }
}

/// `cause: source: source ...`, for the log.
fn cause_chain(cause: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = cause.to_string();
    let mut source = cause.source();
    while let Some(s) = source {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        source = s.source();
    }
    chain
}

impl From<AccountsError> for ApiError {
    fn from(err: AccountsError) -> Self {
        use AccountsError as E;
        match err {
            E::Validation(errors) => {
                ApiError::validation(errors.into_iter().map(FieldProblem::from).collect())
            }
            E::EmailTaken => ApiError::new(StatusCode::CONFLICT, "email_taken", err.to_string()),
            E::UsernameTaken => {
                ApiError::new(StatusCode::CONFLICT, "username_taken", err.to_string())
            }
            E::InvalidCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                err.to_string(),
            ),
            E::WrongCurrentPassword => ApiError::new(
                StatusCode::FORBIDDEN,
                "wrong_current_password",
                err.to_string(),
            ),
            E::InvalidLink => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_link", err.to_string())
            }
            E::RecoveryNotReady {
                ready_at,
                retry_after_secs,
            } => {
                let mut e = ApiError::new(
                    StatusCode::CONFLICT,
                    "recovery_not_ready",
                    format!("{err}; it can be completed from {}", ready_at.to_rfc3339()),
                );
                e.retry_after = Some(retry_after_secs);
                e
            }
            E::ReauthenticationRequired => ApiError::new(
                StatusCode::FORBIDDEN,
                "reauthentication_required",
                err.to_string(),
            ),
            E::InvalidChallenge => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_challenge",
                err.to_string(),
            ),
            E::ChallengeExpired => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "challenge_expired",
                err.to_string(),
            ),
            E::ChallengeLocked => {
                ApiError::new(StatusCode::FORBIDDEN, "challenge_locked", err.to_string())
            }
            E::WrongCode { attempts_left } => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "wrong_code",
                format!("{err}; {attempts_left} attempts left for this challenge"),
            ),
            E::CodeReplayed { attempts_left } => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "code_already_used",
                format!("{err}; {attempts_left} attempts left for this challenge"),
            ),
            E::AccountDisabled => {
                ApiError::new(StatusCode::FORBIDDEN, "account_disabled", err.to_string())
            }
            E::EmailNotVerified => {
                ApiError::new(StatusCode::FORBIDDEN, "email_not_verified", err.to_string())
            }
            E::EmailAlreadyVerified => ApiError::new(
                StatusCode::CONFLICT,
                "email_already_verified",
                err.to_string(),
            ),
            E::AccountLocked { until } => ApiError::new(
                StatusCode::FORBIDDEN,
                "account_locked",
                format!("{err} (until {})", until.to_rfc3339()),
            ),
            E::LoginRefused => {
                ApiError::new(StatusCode::FORBIDDEN, "login_refused", err.to_string())
            }
            E::TooManyAttempts { retry_after_secs } => {
                let mut e = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    format!("too many failed attempts; try again in {retry_after_secs} seconds"),
                );
                e.retry_after = Some(retry_after_secs);
                e
            }
            E::TooManyCodes { retry_after_secs } => too_many_codes(retry_after_secs),
            E::Unauthenticated => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "a valid access token for an active session is required",
            ),
            E::InvalidRefreshToken => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_refresh_token",
                err.to_string(),
            ),
            E::SessionExpired => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "session_expired",
                "the session expired (idle too long, or past its lifetime); log in again",
            ),
            E::RefreshTokenReused => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "refresh_token_reused",
                "this refresh token was already used; the session has been ended for safety",
            ),
            E::NotFound(what) => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            E::StaffOnly => ApiError::new(StatusCode::FORBIDDEN, "staff_only", err.to_string()),
            E::MethodLocked { retry_after_secs } => {
                let mut e = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "method_locked",
                    format!("{err}; try again in {retry_after_secs} seconds or use another method"),
                );
                e.retry_after = Some(retry_after_secs);
                e
            }
            E::Unavailable(ref cause) => ApiError::database_unavailable(cause),
            E::Store(ref cause) => ApiError::internal(cause),
            E::Hash(ref cause) => ApiError::internal(cause),
            E::Internal(ref message) => ApiError::internal(&std::io::Error::other(message.clone())),
        }
    }
}

impl From<NotifyError> for ApiError {
    fn from(err: NotifyError) -> Self {
        use NotifyError as E;
        match err {
            E::Validation(errors) => {
                ApiError::validation(errors.into_iter().map(FieldProblem::from).collect())
            }
            E::NotFound(what) => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            E::Conflict(what) => ApiError::new(StatusCode::CONFLICT, "conflict", what),
            E::InvalidSignature => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_signature",
                err.to_string(),
            ),
            E::Unavailable(ref cause) => ApiError::database_unavailable(cause),
            E::Store(ref cause) => ApiError::internal(cause),
        }
    }
}

impl From<AuditReviewError> for ApiError {
    fn from(err: AuditReviewError) -> Self {
        use AuditReviewError as E;
        match err {
            E::Validation(errors) => {
                ApiError::validation(errors.into_iter().map(FieldProblem::from).collect())
            }
            E::UnsupportedFilter { .. } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unsupported_filter",
                err.to_string(),
            ),
            E::NotFound => ApiError::new(StatusCode::NOT_FOUND, "not_found", err.to_string()),
            E::OwnRecord => ApiError::new(StatusCode::FORBIDDEN, "own_record", err.to_string()),
            E::Unavailable(ref cause) => ApiError::database_unavailable(cause),
            E::Store(ref cause) => ApiError::internal(cause),
        }
    }
}

impl From<MfaError> for ApiError {
    fn from(err: MfaError) -> Self {
        use MfaError as E;
        match err {
            E::Validation(errors) => {
                ApiError::validation(errors.into_iter().map(FieldProblem::from).collect())
            }
            E::ReauthenticationRequired => ApiError::new(
                StatusCode::FORBIDDEN,
                "reauthentication_required",
                err.to_string(),
            ),
            E::TotpAlreadyEnabled => ApiError::new(
                StatusCode::CONFLICT,
                "totp_already_enabled",
                err.to_string(),
            ),
            E::TotpNotStarted => {
                ApiError::new(StatusCode::CONFLICT, "totp_not_started", err.to_string())
            }
            E::MfaNotEnabled => {
                ApiError::new(StatusCode::CONFLICT, "mfa_not_enabled", err.to_string())
            }
            E::MethodAlreadyEnabled => ApiError::new(
                StatusCode::CONFLICT,
                "method_already_enabled",
                err.to_string(),
            ),
            E::MethodNotStarted => {
                ApiError::new(StatusCode::CONFLICT, "method_not_started", err.to_string())
            }
            E::TooManyCodes { retry_after_secs } => too_many_codes(retry_after_secs),
            E::NotFound(what) => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            E::ChangePending => {
                ApiError::new(StatusCode::CONFLICT, "change_pending", err.to_string())
            }
            E::OwnChange => ApiError::new(StatusCode::FORBIDDEN, "own_change", err.to_string()),
            E::ChangeAlreadyDecided => ApiError::new(
                StatusCode::CONFLICT,
                "change_already_decided",
                err.to_string(),
            ),
            E::ChangeNoLongerApplies(_) => ApiError::new(
                StatusCode::CONFLICT,
                "change_no_longer_applies",
                err.to_string(),
            ),
            E::Unauthenticated => ApiError::from(gatehouse_core::AccountsError::Unauthenticated),
            E::Unavailable(ref cause) => ApiError::database_unavailable(cause),
            E::Store(ref cause) => ApiError::internal(cause),
            E::Internal(ref message) => ApiError::internal(&std::io::Error::other(message.clone())),
        }
    }
}

/// 429 `too_many_codes`: the hourly allowance of sent codes is spent; nothing was sent.
fn too_many_codes(retry_after_secs: u64) -> ApiError {
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_codes",
        format!("too many codes sent; try again in {retry_after_secs} seconds"),
    );
    e.retry_after = Some(retry_after_secs);
    e
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Problem {
            kind: "about:blank",
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            code: self.code,
            detail: self.detail,
            request_id: current_request_id(),
            errors: self.errors,
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = (self.status, bytes).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                headers.insert(header::RETRY_AFTER, v);
            }
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        // A 408 means the request was not read to its end: the connection cannot carry
        // another one (RFC 9110 §15.5.9).
        if self.status == StatusCode::REQUEST_TIMEOUT {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}
