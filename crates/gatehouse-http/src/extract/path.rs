//! [`PathId`]: an id taken from the path (`/v1/me/sessions/{id}`). Something that is not
//! an id is a problem+json 400, like every other malformed input.

use crate::error::ApiError;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// The route's single path parameter, parsed as `T` (a UUID unless said otherwise).
pub struct PathId<T = Uuid>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathId<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(PathId(id)),
            // A route without the parameter is a wiring mistake of ours, not the client's.
            Err(rejection) if rejection.status().is_server_error() => {
                Err(ApiError::internal(&rejection))
            }
            Err(rejection) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_path",
                rejection.body_text(),
            )),
        }
    }
}
