//! The relay URL: `smtp://` (STARTTLS), `smtps://` (implicit TLS) or `smtp://…?tls=none`,
//! with optional percent-encoded credentials. Read here rather than by lettre's `from_url`,
//! which treats `smtp://` as plaintext.

use super::SmtpSecurity;
use crate::notify::transport::TransportConfigError;
use percent_encoding::percent_decode_str;
use secrecy::SecretString;

/// The relay a URL names.
pub(super) struct Endpoint {
    pub(super) security: SmtpSecurity,
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) credentials: Option<(String, SecretString)>,
}

/// Read the relay URL. Errors name the part that is wrong, never the URL (it can hold the
/// password).
pub(super) fn parse_url(raw: &str) -> Result<Endpoint, TransportConfigError> {
    let invalid = |why: String| TransportConfigError::SmtpUrl(why);
    let url = url::Url::parse(raw).map_err(|e| invalid(e.to_string()))?;
    let mut tls_none = false;
    for (key, value) in url.query_pairs() {
        match (key.as_ref(), value.as_ref()) {
            ("tls", "none") => tls_none = true,
            ("tls", other) => {
                return Err(invalid(format!(
                    "tls={other} is not known; the only option is tls=none (plaintext)"
                )))
            }
            (other, _) => return Err(invalid(format!("unknown option {other:?}"))),
        }
    }
    let (security, default_port) = match (url.scheme(), tls_none) {
        ("smtp", false) => (SmtpSecurity::StartTls, 587),
        ("smtp", true) => (SmtpSecurity::Plaintext, 25),
        ("smtps", false) => (SmtpSecurity::ImplicitTls, 465),
        ("smtps", true) => {
            return Err(invalid(
                "smtps:// is TLS from the start; use smtp://…?tls=none for plaintext".into(),
            ))
        }
        (other, _) => {
            return Err(invalid(format!(
                "scheme {other}:// is not known; use smtp:// (STARTTLS) or smtps:// (TLS)"
            )))
        }
    };
    let host = match url.host() {
        Some(url::Host::Domain(domain)) if !domain.is_empty() => domain.to_owned(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        _ => return Err(invalid("no host".into())),
    };
    if !matches!(url.path(), "" | "/") || url.fragment().is_some() {
        return Err(invalid("a relay URL has no path".into()));
    }
    Ok(Endpoint {
        security,
        host,
        port: url.port().unwrap_or(default_port),
        credentials: credentials(&url)?,
    })
}

/// `user:pass@`, percent-decoded (a password may hold `@`, `:` or `/`).
fn credentials(url: &url::Url) -> Result<Option<(String, SecretString)>, TransportConfigError> {
    let decode = |part: &str, what: &str| {
        percent_decode_str(part)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| TransportConfigError::SmtpUrl(format!("the {what} is not UTF-8")))
    };
    match (url.username(), url.password()) {
        ("", None) => Ok(None),
        ("", Some(_)) => Err(TransportConfigError::SmtpUrl(
            "a password without a user name".into(),
        )),
        (_, None) => Err(TransportConfigError::SmtpUrl(
            "a user name without a password".into(),
        )),
        (user, Some(password)) => Ok(Some((
            decode(user, "user name")?,
            SecretString::from(decode(password, "password")?),
        ))),
    }
}

pub(super) fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn parsed(url: &str) -> Endpoint {
        match parse_url(url) {
            Ok(endpoint) => endpoint,
            Err(e) => panic!("{url}: {e}"),
        }
    }

    fn refused(url: &str) -> String {
        match parse_url(url) {
            Ok(_) => panic!("{url} was accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn smtp_means_starttls_on_587_with_decoded_credentials() {
        let endpoint = parsed("smtp://mailer%40example.com:p%40ss%3Aw%2Frd@relay.example.com");
        assert_eq!(endpoint.security, SmtpSecurity::StartTls);
        assert_eq!(endpoint.host, "relay.example.com");
        assert_eq!(endpoint.port, 587);
        let (user, password) = endpoint.credentials.expect("credentials");
        assert_eq!(user, "mailer@example.com");
        assert_eq!(password.expose_secret(), "p@ss:w/rd");
    }

    #[test]
    fn smtps_means_implicit_tls_on_465() {
        let endpoint = parsed("smtps://relay.example.com");
        assert_eq!(endpoint.security, SmtpSecurity::ImplicitTls);
        assert_eq!(endpoint.port, 465);
        assert!(endpoint.credentials.is_none());
        assert_eq!(parsed("smtps://relay.example.com:2465").port, 2465);
    }

    #[test]
    fn tls_none_is_plaintext_and_keeps_the_port() {
        let endpoint = parsed("smtp://127.0.0.1:2525?tls=none");
        assert_eq!(endpoint.security, SmtpSecurity::Plaintext);
        assert_eq!((endpoint.host.as_str(), endpoint.port), ("127.0.0.1", 2525));
        assert_eq!(parsed("smtp://[::1]?tls=none").host, "::1");
        assert_eq!(parsed("smtp://localhost?tls=none").port, 25);
    }

    #[test]
    fn unknown_schemes_options_and_half_credentials_are_refused() {
        assert!(refused("http://relay.example.com").contains("scheme http"));
        assert!(refused("smtp://relay.example.com?tls=maybe").contains("tls=maybe"));
        assert!(refused("smtp://relay.example.com?port=25").contains("\"port\""));
        assert!(refused("smtps://relay.example.com?tls=none").contains("smtps"));
        assert!(refused("smtp://user@relay.example.com").contains("without a password"));
        assert!(refused("smtp://relay.example.com/inbox").contains("no path"));
        assert!(refused("smtp://?tls=none").contains("no host"));
    }

    #[test]
    fn a_refused_url_never_echoes_its_password() {
        let error = refused("smtp://user:s3cret-pw@relay.example.com?tls=bogus");
        assert!(!error.contains("s3cret-pw"), "{error}");
    }

    #[test]
    fn loopback_hosts() {
        for host in ["localhost", "127.0.0.1", "127.8.9.10", "::1"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["relay.example.com", "10.0.0.1", "::2"] {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
