//! [`ClientInfo`]: who is calling, as far as the request tells. Its own module because the
//! event recorder and the use cases both take it, and neither should need `Core` for it.

use crate::risk::GeoInfo;
use std::net::IpAddr;

/// The peer address and user agent of a request, and where the address is (GeoIP, when a
/// database is configured).
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub geo: Option<GeoInfo>,
}
