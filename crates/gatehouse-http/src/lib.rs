//! gatehouse-http: the axum router. Handlers extract, call one use case, map the result;
//! errors leave as RFC 9457 problem+json. The router and the OpenAPI document come from
//! one registration ([`routes::api`]); the document is served with a browsable page.

mod config;
mod docs_page;
mod document;
pub mod error;
pub mod extract;
mod link_pages;
mod metrics;
mod middleware;
mod not_me_page;
mod openapi;
mod proxies;
mod routes;
mod security_headers;
mod service_metrics;
mod timeouts;
mod wire;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use gatehouse_core::Core;
use std::sync::Arc;

pub use config::HttpConfig;
pub use error::ApiError;
pub use metrics::Metrics;
pub use proxies::{ProxyNet, TrustedProxies};

/// What every handler can reach through `State`. axum clones it for every extractor
/// that asks for it, so it holds only reference-counted parts.
#[derive(Clone)]
pub struct AppState {
    pub core: Arc<Core>,
    pub metrics: Arc<Metrics>,
    openapi_json: Arc<str>,
    docs_html: Arc<str>,
}

impl AppState {
    pub fn new(core: Core) -> Self {
        let doc = document::document();
        let openapi_json = serde_json::to_string(&doc).unwrap_or_else(|_| "{}".to_owned());
        let docs_html = docs_page::render(&doc);
        Self {
            core: Arc::new(core),
            metrics: Arc::new(Metrics::default()),
            openapi_json: openapi_json.into(),
            docs_html: docs_html.into(),
        }
    }
}

/// The whole API.
pub fn router(state: AppState, config: &HttpConfig) -> Router {
    // The document half of this same registration is what `AppState::new` published.
    let (api, _document) = routes::api().split_for_parts();
    let app = api
        .fallback(routes::system::not_found)
        .method_not_allowed_fallback(routes::system::method_not_allowed)
        // Inside `observe`, so a request that times out is counted and logged as its 503.
        .layer(axum::middleware::from_fn_with_state(
            config.request_timeout(),
            timeouts::limit_request_time,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            middleware::observe,
        ))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            config.body_read_timeout(),
            timeouts::limit_body_reads,
        ))
        .layer(axum::middleware::from_fn(middleware::request_id))
        // What the `Client` extractor reads the client's address with.
        .layer(axum::Extension(Arc::new(TrustedProxies(
            config.trusted_proxies.clone(),
        ))))
        .with_state(state);
    security_headers::apply(app)
}
