//! `gatehouse healthcheck`: ask the running server's `GET /healthz` (at `http.listen`, from
//! the same settings as `serve`) and exit 0 if it answers 200 within a few seconds, else 1.
//! For container health checks: slim and distroless images have no curl or wget, and an
//! exec-form `HEALTHCHECK` runs without a shell, so the binary asks itself. HTTP/1.1 over
//! a blocking socket (no runtime), through TLS when `http.tls_cert_file` is set
//! ([`healthcheck_tls`](crate::healthcheck_tls)).

use anyhow::{bail, Context};
use gatehouse_http::HttpConfig;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// Each of connecting, sending and reading gets this long.
const TIMEOUT: Duration = Duration::from_secs(3);

pub fn run(http: &HttpConfig) -> anyhow::Result<()> {
    let addr = target(&http.listen)?;
    let stream = TcpStream::connect_timeout(&addr, TIMEOUT)
        .with_context(|| format!("healthcheck: cannot connect to {addr}"))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    match &http.tls_cert_file {
        Some(cert_file) => ask(crate::healthcheck_tls::wrap(stream, addr, cert_file)?, addr),
        None => ask(stream, addr),
    }
}

/// Send `GET /healthz` and read the status line.
fn ask(mut stream: impl Read + Write, addr: SocketAddr) -> anyhow::Result<()> {
    // One write: the request leaves in one segment, not piece by piece as `write!` would.
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .with_context(|| format!("healthcheck: cannot send to {addr}"))?;
    // The status line is all that matters; the answer is a few hundred bytes.
    let mut head = [0u8; 64];
    let n = stream
        .read(&mut head)
        .with_context(|| format!("healthcheck: no answer from {addr}"))?;
    let status = String::from_utf8_lossy(&head[..n]);
    let status = status.lines().next().unwrap_or_default();
    if status.starts_with("HTTP/1.1 200") {
        println!("ok");
        Ok(())
    } else {
        bail!("healthcheck: {addr}/healthz answered {status:?}")
    }
}

/// Where to reach a server listening on `listen`: an unspecified address (all interfaces)
/// is reached on loopback.
fn target(listen: &str) -> anyhow::Result<SocketAddr> {
    let mut addr: SocketAddr = listen
        .parse()
        .with_context(|| format!("http.listen is not an address:port: {listen}"))?;
    if addr.port() == 0 {
        bail!("http.listen has port 0: the server's port cannot be known");
    }
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => addr.set_ip(Ipv4Addr::LOCALHOST.into()),
        IpAddr::V6(ip) if ip.is_unspecified() => addr.set_ip(Ipv6Addr::LOCALHOST.into()),
        _ => {}
    }
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_interfaces_are_reached_on_loopback() {
        let t = |listen: &str| target(listen).map(|a| a.to_string()).ok();
        assert_eq!(t("0.0.0.0:8080").as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(t("[::]:8080").as_deref(), Some("[::1]:8080"));
        assert_eq!(t("10.0.0.5:9000").as_deref(), Some("10.0.0.5:9000"));
        assert_eq!(t("127.0.0.1:0"), None);
        assert_eq!(t("nonsense"), None);
    }
}
