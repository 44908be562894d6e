//! The caller's access token: [`BearerToken`] (raw, for use cases that check the session
//! in their own query), [`AuthSession`] (verified, session active) and [`StaffSession`]
//! (that, for a staff account). Tokens are only ever read from the `Authorization` header,
//! never from a URL.

use crate::error::ApiError;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use gatehouse_core::accounts::{self, AuthContext};

/// The raw bearer token, for use cases that check the session themselves (in the same
/// query as their read). Tokens are only ever taken from the `Authorization` header.
pub struct BearerToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        bearer(parts).map(|t| BearerToken(t.to_owned()))
    }
}

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::from(gatehouse_core::AccountsError::Unauthenticated))
}

/// The authenticated caller.
pub struct AuthSession(pub AuthContext);

impl FromRequestParts<AppState> for AuthSession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        let context = accounts::authenticate(&state.core, token).await?;
        Ok(AuthSession(context))
    }
}

/// An authenticated staff member. Whether the account is staff is read from the database
/// on each request (`users.is_staff`), never from anything the client holds; anyone else
/// gets 403 `staff_only`.
pub struct StaffSession(pub AuthContext);

impl FromRequestParts<AppState> for StaffSession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let AuthSession(context) = AuthSession::from_request_parts(parts, state).await?;
        accounts::require_staff(&state.core, &context).await?;
        Ok(StaffSession(context))
    }
}
