//! Extractors. Each one rejects with a problem+json 4xx, so handlers only see parsed
//! input: [`ApiJson`] (JSON bodies, holding no string a backend cannot store),
//! [`AuthSession`] / [`BearerToken`] / [`StaffSession`] (the caller's access token), [`Client`] (peer
//! address and user agent), [`Pagination`] (`limit` and `cursor` from the query) and
//! [`PathId`] (an id in the path).

mod auth;
mod characters;
mod json;
mod page;
mod path;

pub use auth::{AuthSession, BearerToken, StaffSession};
pub use json::ApiJson;
pub use page::Pagination;
pub use path::PathId;

use crate::{AppState, TrustedProxies};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use gatehouse_core::ClientInfo;
use gatehouse_domain::accounts::truncate_user_agent;
use std::net::SocketAddr;
use std::sync::Arc;

/// The caller's address (the TCP peer, or what a trusted proxy forwarded for it: see
/// [`TrustedProxies`]), its place (GeoIP) and user agent (its first 1 KiB). Every use of the
/// client's address (throttles, risk, audit rows, devices) takes it from here.
pub struct Client(pub ClientInfo);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            // An IPv4 client of a dual-stack listener arrives as `::ffff:a.b.c.d`: record
            // (and throttle) the address it really has (`client_ip` normalises it).
            .map(
                |ConnectInfo(addr)| match parts.extensions.get::<Arc<TrustedProxies>>() {
                    Some(trusted) => trusted.client_ip(addr.ip(), &parts.headers),
                    None => gatehouse_core::throttle::client_address(addr.ip()),
                },
            );
        // Only the first KiB is ever kept (a client picks the header's length); cut it here
        // so no use case carries more.
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| truncate_user_agent(ua).to_owned());
        // Where the address is, for the audit rows and the risk engine (an in-memory
        // lookup; nothing without a GeoIP database).
        let geo = ip.and_then(|ip| state.core.geoip.locate(ip));
        Ok(Client(ClientInfo {
            ip,
            user_agent,
            geo,
        }))
    }
}
