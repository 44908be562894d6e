//! Trusted proxies (`[http] trusted_proxies`): which TCP peers may tell us, in
//! `X-Forwarded-For`, who the client is. Anyone can send the header, so it is read only
//! when the peer is on the list, and then from the right: each trusted proxy appends the
//! address it received from, so the right-most address that is not itself a trusted proxy
//! is the client. Entries further left were written by the client and are never believed.

use axum::http::HeaderMap;
use gatehouse_core::throttle::client_address;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// One trusted address or network: `10.0.0.5`, `10.0.0.0/8`, `fd00::/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProxyNet {
    network: IpAddr,
    prefix: u8,
}

impl ProxyNet {
    /// Whether `ip` is in this network. An IPv4 address matches IPv4 networks only (an
    /// IPv4-mapped IPv6 peer is made IPv4 before it is asked about).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for ProxyNet {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network = client_address(
            address
                .parse::<IpAddr>()
                .map_err(|_| format!("{text:?} is not an IP address or network"))?,
        );
        let width = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => width,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= width)
                .ok_or_else(|| format!("{text:?} has a prefix length that is not 0 to {width}"))?,
        };
        Ok(Self { network, prefix })
    }
}

impl TryFrom<String> for ProxyNet {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<ProxyNet> for String {
    fn from(net: ProxyNet) -> Self {
        net.to_string()
    }
}

impl fmt::Display for ProxyNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The configured list, as the router hands it to the [`Client`](crate::extract::Client)
/// extractor.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<ProxyNet>);

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }

    /// The client's address for a request from `peer` carrying `headers`: the peer itself
    /// unless it is a trusted proxy with a well-formed `X-Forwarded-For`.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = client_address(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let Some(chain) = forwarded_chain(headers) else {
            return peer;
        };
        // From the right: skip our own proxies; the first address that is not one is the
        // client. If every hop is trusted, the left-most is as far back as we can see.
        let mut client = peer;
        for hop in chain.into_iter().rev() {
            client = hop;
            if !self.trusts(hop) {
                break;
            }
        }
        client
    }
}

/// Every `X-Forwarded-For` header, in order, as one list of addresses; `None` when there
/// is none or any entry is not an address (a header we cannot read tells us nothing).
fn forwarded_chain(headers: &HeaderMap) -> Option<Vec<IpAddr>> {
    let mut chain = Vec::new();
    for value in headers.get_all(X_FORWARDED_FOR) {
        for entry in value.to_str().ok()?.split(',') {
            chain.push(client_address(parse_hop(entry.trim())?));
        }
    }
    (!chain.is_empty()).then_some(chain)
}

/// `1.2.3.4`, `2001:db8::1`, or with a port (`1.2.3.4:5678`, `[2001:db8::1]:80`), which
/// some proxies write.
fn parse_hop(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn list(nets: &[&str]) -> TrustedProxies {
        TrustedProxies(nets.iter().map(|n| n.parse().unwrap()).collect())
    }

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(X_FORWARDED_FOR, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_match() {
        let net: ProxyNet = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains(ip("10.1.200.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(!net.contains(ip("::1")));
        let single: ProxyNet = "192.0.2.1".parse().unwrap();
        assert_eq!(single.to_string(), "192.0.2.1/32");
        assert!(single.contains(ip("192.0.2.1")) && !single.contains(ip("192.0.2.2")));
        let v6: ProxyNet = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        let all: ProxyNet = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("198.51.100.1")));
        for bad in ["", "10.0.0.0/33", "::/129", "example.com", "10.0.0.0/x"] {
            assert!(bad.parse::<ProxyNet>().is_err(), "{bad}");
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let trusted = list(&["10.0.0.0/8"]);
        let h = headers(&["203.0.113.7"]);
        assert_eq!(
            trusted.client_ip(ip("198.51.100.4"), &h),
            ip("198.51.100.4")
        );
        assert_eq!(
            TrustedProxies::default().client_ip(ip("10.0.0.1"), &h),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn a_trusted_peer_is_read_from_the_right() {
        let trusted = list(&["10.0.0.0/8", "192.0.2.1"]);
        let peer = ip("10.0.0.2");
        let cases: &[(&[&str], &str)] = &[
            (&["203.0.113.7"], "203.0.113.7"),
            // A client's forged left-most entry is not believed.
            (&["1.2.3.4, 203.0.113.7"], "203.0.113.7"),
            // Our own hops are skipped; several headers are one list.
            (
                &["1.2.3.4, 203.0.113.7", "192.0.2.1, 10.9.9.9"],
                "203.0.113.7",
            ),
            (&["203.0.113.7:5555"], "203.0.113.7"),
            (&["[2001:db8::7]:443"], "2001:db8::7"),
            (&["::ffff:203.0.113.7"], "203.0.113.7"),
            // Every hop trusted: the farthest one.
            (&["10.1.1.1, 10.2.2.2"], "10.1.1.1"),
            // Unreadable or empty: the peer.
            (&["1.2.3.4, nonsense"], "10.0.0.2"),
            (&["nonsense, 203.0.113.7"], "10.0.0.2"),
            (&[""], "10.0.0.2"),
            (&[], "10.0.0.2"),
        ];
        for (values, expected) in cases {
            assert_eq!(
                trusted.client_ip(peer, &headers(values)),
                ip(expected),
                "{values:?}"
            );
        }
    }

    #[test]
    fn a_mapped_peer_is_matched_as_ipv4() {
        let trusted = list(&["127.0.0.1"]);
        assert_eq!(
            trusted.client_ip(ip("::ffff:127.0.0.1"), &headers(&["203.0.113.7"])),
            ip("203.0.113.7")
        );
    }
}
