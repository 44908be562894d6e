//! Extractors. Each one rejects with a problem+json 4xx, so handlers only see parsed
//! input: [`ApiJson`] (JSON bodies), [`AuthSession`] / [`BearerToken`] (the caller's
//! access token), [`Client`] (peer address and user agent), [`Pagination`] (`limit` and
//! `cursor` from the query) and [`PathId`] (an id in the path).

mod auth;
mod page;
mod path;

pub use auth::{AuthSession, BearerToken};
pub use page::Pagination;
pub use path::PathId;

use crate::error::ApiError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use gatehouse_core::ClientInfo;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

/// A JSON body. Malformed JSON is 400, wrong types / unknown or missing fields 422,
/// a missing JSON content type 415, an oversize body 413.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
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

/// The caller's address (the TCP peer; proxies are trusted in the operations work)
/// and user agent.
pub struct Client(pub ClientInfo);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            // An IPv4 client of a dual-stack listener arrives as `::ffff:a.b.c.d`: record
            // (and throttle) the address it really has.
            .map(|ConnectInfo(addr)| gatehouse_core::throttle::client_address(addr.ip()));
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(Client(ClientInfo { ip, user_agent }))
    }
}
