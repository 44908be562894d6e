//! Email through an SMTP relay (lettre on Tokio, TLS by rustls). The relay is one URL
//! setting: `smtp://user:pass@host:587` (STARTTLS required, RFC 3207), `smtps://host:465`
//! (implicit TLS, RFC 8314) or `smtp://host:25?tls=none` (plaintext, for a loopback relay
//! and tests). gatehouse opens the connections itself ([`connection`], with `TCP_NODELAY`)
//! and keeps the idle ones in a small pool ([`pool`]) for reuse across sends.

mod connection;
mod endpoint;
mod pool;

use super::{error_chain, redact, Accepted, EmailMessage, SendError, TransportConfigError};
use connection::{Connector, Failure};
use endpoint::{is_loopback, parse_url};
use lettre::address::Envelope;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::Message;
use pool::{Pool, MAX_IDLE, POOL_SIZE};
use secrecy::ExposeSecret;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

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
    relay: Arc<Relay>,
    from: Mailbox,
}

/// One relay: how to reach it and its idle connections.
struct Relay {
    connector: Connector,
    pool: Pool<AsyncSmtpConnection>,
}

impl fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let endpoint = self.relay.connector.endpoint();
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
    /// `Gatehouse <noreply@example.com>`). Call inside the Tokio runtime: connections
    /// are closed by tasks spawned there.
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
        let host = endpoint.host.clone();
        let connector = Connector::new(endpoint)
            .map_err(|e| TransportConfigError::SmtpUrl(format!("TLS for {host}: {e}")))?;
        Ok(Self {
            relay: Arc::new(Relay {
                connector,
                pool: Pool::new(POOL_SIZE, MAX_IDLE),
            }),
            from,
        })
    }

    pub fn security(&self) -> SmtpSecurity {
        self.relay.connector.endpoint().security
    }

    /// Hand `message` to the relay. `provider_message_id` is the Message-ID header,
    /// `<{id}@gatehouse>`, which bounce reports and webhooks quote back.
    pub async fn send(&self, message: &EmailMessage) -> Result<Accepted, SendError> {
        let message_id = format!("<{}@gatehouse>", message.id);
        let email = self.build(message, &message_id)?;
        let formatted = email.formatted();
        match self.relay.deliver(email.envelope(), &formatted).await {
            Ok(()) => Ok(Accepted {
                provider: "smtp",
                provider_message_id: Some(message_id),
                cost: None,
            }),
            Err(failure) => Err(self.classify(&failure, message)),
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
    /// replies and on what this side got wrong or will not do. RFC 5321 4.2.1: 4yz is
    /// transient, 5yz permanent.
    fn classify(&self, failure: &Failure, message: &EmailMessage) -> SendError {
        let endpoint = self.relay.connector.endpoint();
        let mut secrets = vec![message.text.as_str(), message.subject.as_str()];
        secrets.extend(message.html.as_deref());
        if let Some((_, password)) = &endpoint.credentials {
            secrets.push(password.expose_secret());
        }
        let (what, code, permanent) = match failure {
            Failure::Smtp(error) => (
                error_chain(error),
                error.status().map(|code| code.to_string()),
                error.is_permanent() || error.is_client(),
            ),
            Failure::Connect(error) => (format!("connecting: {}", error_chain(error)), None, false),
            Failure::Timeout { step, after } => (
                format!("no answer to {step} within {} s", after.as_secs()),
                None,
                false,
            ),
            Failure::Refused(why) => ((*why).to_owned(), None, true),
        };
        let text = redact(
            format!("SMTP {}:{}: {what}", endpoint.host, endpoint.port),
            &secrets,
        );
        if permanent {
            SendError::permanent(text, code)
        } else {
            SendError::transient(text, code)
        }
    }
}

impl Relay {
    /// One mail transaction, on an idle connection when there is one that still works,
    /// else on a new one. The connection goes back to the pool only after a success.
    async fn deliver(&self, envelope: &Envelope, message: &[u8]) -> Result<(), Failure> {
        loop {
            let taken = self.pool.take(Instant::now());
            taken.stale.into_iter().for_each(connection::discard);
            let Some(mut idle) = taken.fresh else { break };
            match self.connector.mail_from(&mut idle, envelope, message).await {
                Ok(()) => return self.finish(idle, envelope, message).await,
                // Closed while idle: nothing was sent, so try the next (or a new) one.
                Err(failure) if failure.is_closed_connection() => connection::discard(idle),
                Err(failure) => {
                    connection::discard(idle);
                    return Err(failure);
                }
            }
        }
        let mut fresh = self.connector.open().await?;
        if let Err(failure) = self
            .connector
            .mail_from(&mut fresh, envelope, message)
            .await
        {
            connection::discard(fresh);
            return Err(failure);
        }
        self.finish(fresh, envelope, message).await
    }

    async fn finish(
        &self,
        mut connection: AsyncSmtpConnection,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<(), Failure> {
        match self
            .connector
            .rest_of_transaction(&mut connection, envelope, message)
            .await
        {
            Ok(()) => {
                if let Some(extra) = self.pool.give_back(connection, Instant::now()) {
                    connection::discard(extra);
                }
                Ok(())
            }
            Err(failure) => {
                connection::discard(connection);
                Err(failure)
            }
        }
    }
}
