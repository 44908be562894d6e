//! [`ApiJson`]: a JSON request body, refused with problem+json when it cannot be used.
//! Besides axum's own checks it refuses strings no backend can store (U+0000, unpaired
//! surrogates) with a 422 naming the field, before the body reaches a handler.

use super::characters;
use crate::error::{ApiError, FieldProblem};
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, MissingJsonContentType};
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

/// A JSON body. A missing JSON content type is 415, an oversize body 413, a body that
/// stalls 408, malformed JSON 400, a string holding U+0000 or an unpaired surrogate 422
/// `validation_failed` (`invalid_characters` per field), wrong types / unknown or missing
/// fields 422.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // What `axum::Json` does, with the character check between reading and parsing.
        if !json_content_type(req.headers()) {
            return Err(json_rejection(MissingJsonContentType::default().into()));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| json_rejection(e.into()))?;
        let fields = characters::unstorable_fields(&bytes);
        if !fields.is_empty() {
            return Err(invalid_characters(fields));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// `application/json` or any `application/*+json`, as `axum::Json` accepts.
fn json_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|mime| {
            mime.type_() == "application"
                && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"))
        })
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    if crate::timeouts::is_body_timeout(&rejection) {
        return crate::timeouts::body_timeout();
    }
    let status = rejection.status();
    let detail = rejection.body_text();
    let code = match &rejection {
        JsonRejection::JsonDataError(_) => "invalid_body",
        JsonRejection::JsonSyntaxError(_) => "malformed_json",
        JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
        _ if status == StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        _ => "invalid_body",
    };
    ApiError::new(status, code, detail)
}

fn invalid_characters(fields: Vec<String>) -> ApiError {
    ApiError::validation(
        fields
            .into_iter()
            .map(|field| FieldProblem {
                field,
                code: "invalid_characters",
                message: "must not contain NUL (U+0000) or an unpaired surrogate".to_owned(),
            })
            .collect(),
    )
}
