//! `/v1/auth/*`: sign-up, login (and its second step), refresh, logout, "this wasn't me"
//! (verification and reset links are in `verification` and `password_reset`).

use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, AuthSession, Client};
use crate::openapi::responses::{
    JsonBodyErrors, ServiceUnavailable, TooManyAttempts, TooManyCodes, Unauthenticated,
};
use crate::wire::{
    AcceptedResponse, CodeSentResponse, LoginAnswer, LoginRequest, LoginResponse, MfaSendRequest,
    MfaVerifyRequest, NotMeRequest, NotMeResponse, RefreshRequest, RegisterRequest, TokenResponse,
};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gatehouse_core::accounts::{
    self, DeviceHint, LoginInput, MfaAnswer, MfaSendRequest as SendAsked, RegisterInput,
};
use secrecy::SecretString;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(send_mfa_code))
        .routes(routes!(verify_mfa))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(logout_all))
        .routes(routes!(report_not_me))
}

/// Create an account. The answer is the same whether or not the address already has an
/// account: a new address gets a verification link, the owner of a taken one an email
/// saying someone tried to sign up with it. A taken username is refused (409
/// `username_taken`) whatever the address, so that answer says nothing about addresses.
#[utoipa::path(post, path = "/v1/auth/register", tag = "auth",
    request_body(content = RegisterRequest, example = json!({
        "email": "ada@example.com",
        "password": "correct horse battery staple",
        "username": "ada",
    })),
    responses(
        (status = 202, description = "Accepted: a verification link (or, for a taken address, a notice to its owner) was queued", body = AcceptedResponse),
        JsonBodyErrors,
        (status = 409, description = "The username is taken (`username_taken`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, response = TooManyAttempts),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn register(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<AcceptedResponse>), ApiError> {
    let input = RegisterInput {
        email: body.email,
        password: SecretString::from(body.password),
        username: body.username,
    };
    accounts::register(&state.core, input, &client).await?;
    let status = "verification_sent";
    Ok((StatusCode::ACCEPTED, Json(AcceptedResponse { status })))
}

/// Log in with email or username and password.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth",
    request_body(content = LoginRequest, example = json!({
        "login": "ada@example.com",
        "password": "correct horse battery staple",
        "device": { "fingerprint": "7f9c2ba4e88f827d616045507605853e", "name": "Ada's laptop" },
        "device_token": "dGhlIGRldmljZSB0b2tlbiBvZiB0aGUgbGFzdCBsb2dpbg",
        "remember_me": false,
    })),
    responses(
        (status = 200, description = "Authenticated (`status: authenticated`), or the account has MFA on and this challenge must be answered at `POST /v1/auth/mfa/verify` (`status: mfa_required`)", body = LoginAnswer),
        JsonBodyErrors,
        (status = 401, description = "Invalid login or password (`invalid_credentials`; the same answer for unknown accounts)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The password is right but the account is disabled (`account_disabled`), locked by its owner's \"this wasn't me\" (`account_locked`), its address is not verified while the deployment requires it (`email_not_verified`), or the sign-in's risk is critical (`login_refused`: the owner is alerted)", body = Problem, content_type = "application/problem+json"),
        (status = 429, response = TooManyAttempts),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn login(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<LoginAnswer>, ApiError> {
    let input = LoginInput {
        login: body.login,
        password: SecretString::from(body.password),
        device: body.device.map(|d| DeviceHint {
            fingerprint: d.fingerprint,
            name: d.name,
        }),
        device_token: body.device_token,
        remember_me: body.remember_me,
    };
    let step = accounts::login(&state.core, input, &client).await?;
    Ok(Json(step.into()))
}

/// Ask for a login code by email or SMS (one of the challenge's `methods`), from the
/// login's own address and device. A new code voids the challenge's earlier ones.
#[utoipa::path(post, path = "/v1/auth/mfa/send", tag = "auth",
    request_body(content = MfaSendRequest, example = json!({
        "challenge_id": "0b9e8f7a-3c2d-4e1f-8a6b-5c4d3e2f1a0b",
        "method": "email",
        "device": { "fingerprint": "7f9c2ba4e88f827d616045507605853e" },
    })),
    responses(
        (status = 202, description = "A code was sent to the method's verified destination", body = CodeSentResponse),
        JsonBodyErrors,
        (status = 401, description = "The challenge is unknown, answered, or held by another address or device (`invalid_challenge`), or expired (`challenge_expired`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The challenge is locked (`challenge_locked`): sign in again", body = Problem, content_type = "application/problem+json"),
        (status = 429, response = TooManyCodes),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn send_mfa_code(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<MfaSendRequest>,
) -> Result<(StatusCode, Json<CodeSentResponse>), ApiError> {
    let asked = SendAsked {
        challenge_id: body.challenge_id,
        method: body.method,
        device: body.device.map(|d| DeviceHint {
            fingerprint: d.fingerprint,
            name: d.name,
        }),
    };
    let sent = accounts::send_mfa_code(&state.core, asked, &client).await?;
    Ok((StatusCode::ACCEPTED, Json(sent.into())))
}

/// The second step of a login: answer the challenge with a TOTP, email, SMS or backup code.
#[utoipa::path(post, path = "/v1/auth/mfa/verify", tag = "auth",
    request_body(content = MfaVerifyRequest, example = json!({
        "challenge_id": "0b9e8f7a-3c2d-4e1f-8a6b-5c4d3e2f1a0b",
        "method": "totp",
        "code": "123456",
        "trust_device": false,
        "device": { "fingerprint": "7f9c2ba4e88f827d616045507605853e" },
    })),
    responses(
        (status = 200, description = "Authenticated, as after a password login; `amr` in the access token lists `pwd`, `otp` (`sms` for an SMS code) and `mfa`", body = LoginResponse),
        JsonBodyErrors,
        (status = 401, description = "The code is wrong (`wrong_code`) or a TOTP code already used (`code_already_used`); the challenge is unknown, answered, or answered from another address or device (`invalid_challenge`), or expired (`challenge_expired`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The challenge took `mfa.challenge_max_attempts` wrong codes (`challenge_locked`): sign in again", body = Problem, content_type = "application/problem+json"),
        (status = 429, response = TooManyAttempts),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn verify_mfa(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<MfaVerifyRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let answer = MfaAnswer {
        challenge_id: body.challenge_id,
        method: body.method,
        code: SecretString::from(body.code),
        trust_device: body.trust_device,
        device: body.device.map(|d| DeviceHint {
            fingerprint: d.fingerprint,
            name: d.name,
        }),
    };
    let grant = accounts::verify_mfa(&state.core, answer, &client).await?;
    Ok(Json(grant.into()))
}

/// Exchange a refresh token for a new pair (the old one stops working).
#[utoipa::path(post, path = "/v1/auth/refresh", tag = "auth",
    request_body(content = RefreshRequest, example = json!({
        "refresh_token": "TJTjYIo7CvD6GoTDv9BTtB3gVcYWUlSZdweAKRVTNTQ",
    })),
    responses(
        (status = 200, description = "New tokens", body = TokenResponse),
        JsonBodyErrors,
        (status = 401, description = "Invalid or reused refresh token (`invalid_refresh_token`, `refresh_token_reused`), or the session expired (`session_expired`: idle past its timeout or past its lifetime)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn refresh(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let tokens = accounts::refresh(&state.core, &body.refresh_token, &client).await?;
    Ok(Json(tokens.into()))
}

/// End the current session.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, response = Unauthenticated),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn logout(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
) -> Result<StatusCode, ApiError> {
    accounts::logout(&state.core, &auth, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// End every session of the account.
#[utoipa::path(post, path = "/v1/auth/logout-all", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "All sessions ended"),
        (status = 401, response = Unauthenticated),
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn logout_all(
    State(state): State<AppState>,
    AuthSession(auth): AuthSession,
    Client(client): Client,
) -> Result<StatusCode, ApiError> {
    accounts::logout_all(&state.core, &auth, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// "This wasn't me": the owner confirms from a security alert's link that a sign-in was not
/// theirs. The account is locked against every login (for `notifications.not_me_lock_secs`,
/// default 24 hours), every session ends, and the report is audited for review. Each link
/// works once.
#[utoipa::path(post, path = "/v1/auth/not-me", tag = "auth",
    request_body(content = NotMeRequest, example = json!({
        "token": "q3b0YV1xgqU6s7m5Yk2s0lq1oG2m7r4a9Xz3cJq8wT0",
    })),
    responses(
        (status = 200, description = "Account locked and every session ended", body = NotMeResponse),
        (status = 400, description = "The link is unknown, used or expired (`invalid_link`)", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        (status = 503, response = ServiceUnavailable),
    ))]
pub async fn report_not_me(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<NotMeRequest>,
) -> Result<Json<NotMeResponse>, ApiError> {
    let report = accounts::report_not_me(&state.core, &body.token, &client).await?;
    Ok(Json(NotMeResponse {
        sessions_ended: report.sessions_ended,
        locked_until: report.locked_until,
    }))
}
