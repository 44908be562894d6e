//! Headers every response carries, whatever produced it (handlers, extractor rejections,
//! the 404/405 fallbacks):
//! - `Cache-Control: no-store` unless the route set its own (`/.well-known/jwks.json` is
//!   public): token responses must not be cached (RFC 6749 §5.1), nor personal data;
//! - `X-Content-Type-Options: nosniff`, so a browser never guesses a type;
//! - `Referrer-Policy: no-referrer`, so no URL of ours leaks to a third party.
//!
//! `/docs` adds its own `Content-Security-Policy`.

use axum::http::{header, HeaderValue};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

/// Wrap `router` so every response gets the headers above.
pub fn apply(router: Router) -> Router {
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
}
