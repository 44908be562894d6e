//! Email through an SMTP relay (lettre on Tokio, TLS by rustls). The relay is one URL
//! setting: `smtp://user:pass@host:587` (STARTTLS required, RFC 3207), `smtps://host:465`
//! (implicit TLS, RFC 8314) or `smtp://host:25?tls=none` (plaintext, for a loopback relay
//! and tests). Connections are pooled and reused across sends.

use super::{error_chain, redact, Accepted, EmailMessage, SendError, TransportConfigError};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use percent_encoding::percent_decode_str;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Bound on connecting and on each read or write of a send. Not on the send as a whole:
/// cutting a send short mid-command would hand its pooled connection on half-way through
/// a conversation.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections kept open for reuse (lettre's default, said here on purpose): one per
/// concurrent sender is plenty, and a relay limits connections per client.
const POOL_SIZE: u32 = 10;

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtp://`: plaintext greeting, then STARTTLS; a relay that does not offer it is
    /// refused (no silent downgrade).
    StartTls,
    /// `smtps://`: TLS from the first byte.
    ImplicitTls,
    /// `smtp://…?tls=none`: no TLS at all.
    Plaintext,
}

/// Sends email through one relay; clones share the connection pool.
#[derive(Clone)]
pub struct SmtpTransport {
    mailer: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    endpoint: Arc<Endpoint>,
}

/// The relay a URL names.
struct Endpoint {
    security: SmtpSecurity,
    host: String,
    port: u16,
    credentials: Option<(String, SecretString)>,
}

impl fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let endpoint = &self.endpoint;
        f.debug_struct("SmtpTransport")
            .field("security", &endpoint.security)
            .field("host", &endpoint.host)
            .field("port", &endpoint.port)
            .field("user", &endpoint.credentials.as_ref().map(|(user, _)| user))
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl SmtpTransport {
    /// The transport for the relay `url`, sending as `from` (a mailbox such as
    /// `Gatehouse <noreply@example.com>`). Call inside the Tokio runtime: the connection
    /// pool runs a clean-up task there.
    pub fn from_url(url: &str, from: &str) -> Result<Self, TransportConfigError> {
        let endpoint = parse_url(url)?;
        let from: Mailbox = from
            .parse()
            .map_err(|_| TransportConfigError::Sender(from.to_owned()))?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(TransportConfigError::NoRuntime);
        }
        if endpoint.security == SmtpSecurity::Plaintext && !is_loopback(&endpoint.host) {
            tracing::warn!(
                host = %endpoint.host,
                port = endpoint.port,
                "SMTP without TLS to a host that is not loopback: mail and credentials cross \
                 the network in the clear"
            );
        }
        let host = endpoint.host.as_str();
        let tls_error = |e: lettre::transport::smtp::Error| {
            TransportConfigError::SmtpUrl(format!("TLS for {host}: {e}"))
        };
        let builder = match endpoint.security {
            SmtpSecurity::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(tls_error)?
            }
            SmtpSecurity::ImplicitTls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(tls_error)?
            }
            SmtpSecurity::Plaintext => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            }
        };
        let mut builder = builder
            .port(endpoint.port)
            .timeout(Some(IO_TIMEOUT))
            .pool_config(PoolConfig::new().max_size(POOL_SIZE));
        if let Some((user, password)) = &endpoint.credentials {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            ));
        }
        Ok(Self {
            mailer: builder.build(),
            from,
            endpoint: Arc::new(endpoint),
        })
    }

    pub fn security(&self) -> SmtpSecurity {
        self.endpoint.security
    }

    /// Hand `message` to the relay. `provider_message_id` is the Message-ID header,
    /// `<{id}@gatehouse>`, which bounce reports and webhooks quote back.
    pub async fn send(&self, message: &EmailMessage) -> Result<Accepted, SendError> {
        let message_id = format!("<{}@gatehouse>", message.id);
        let email = self.build(message, &message_id)?;
        match self.mailer.send(email).await {
            Ok(_) => Ok(Accepted {
                provider: "smtp",
                provider_message_id: Some(message_id),
                cost: None,
            }),
            Err(error) => Err(self.classify(&error, message)),
        }
    }

    /// From, To, Subject, Date (added by lettre), Message-ID; text/plain UTF-8, or
    /// multipart/alternative (RFC 2046 5.1.4) with the HTML last, as the preferred form.
    fn build(&self, message: &EmailMessage, message_id: &str) -> Result<Message, SendError> {
        let to: Mailbox = message
            .to
            .parse()
            .map_err(|_| SendError::permanent("recipient is not a valid email address", None))?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.as_str())
            .message_id(Some(message_id.to_owned()));
        let built = match &message.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                message.text.clone(),
                html.clone(),
            )),
            None => builder.singlepart(SinglePart::plain(message.text.clone())),
        };
        built.map_err(|e| SendError::permanent(format!("message not built: {e}"), None))
    }

    /// Retry what may pass later (4xx replies, network, TLS, timeouts); give up on 5xx
    /// replies and on what this side got wrong. RFC 5321 4.2.1: 4yz is transient, 5yz
    /// permanent.
    fn classify(
        &self,
        error: &lettre::transport::smtp::Error,
        message: &EmailMessage,
    ) -> SendError {
        let endpoint = &self.endpoint;
        let mut secrets = vec![message.text.as_str(), message.subject.as_str()];
        secrets.extend(message.html.as_deref());
        if let Some((_, password)) = &endpoint.credentials {
            secrets.push(password.expose_secret());
        }
        let text = redact(
            format!(
                "SMTP {}:{}: {}",
                endpoint.host,
                endpoint.port,
                error_chain(error)
            ),
            &secrets,
        );
        let code = error.status().map(|code| code.to_string());
        if error.is_permanent() || error.is_client() {
            SendError::permanent(text, code)
        } else {
            SendError::transient(text, code)
        }
    }
}

/// Read the relay URL. Errors name the part that is wrong, never the URL (it can hold the
/// password).
fn parse_url(raw: &str) -> Result<Endpoint, TransportConfigError> {
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

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

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
