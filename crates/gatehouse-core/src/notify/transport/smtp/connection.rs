//! One SMTP connection, opened by gatehouse rather than by lettre's pooled transport:
//! a Tokio `TcpStream` with `TCP_NODELAY`, then TLS (implicit or STARTTLS), EHLO and AUTH
//! by lettre's `AsyncSmtpConnection`, and the mail transaction (RFC 5321 3.3) command by
//! command, every step under a time limit.
//!
//! Why not lettre's `AsyncSmtpTransport`: lettre 0.11.23 never sets `TCP_NODELAY` and
//! writes a message's body and its closing `\r\n.\r\n` as two writes, so with Nagle's
//! algorithm on every message waits for the relay's delayed ACK (40 ms on Linux). The fix
//! (lettre#1159) is not released, and lettre's `Executor` is sealed, so its pool cannot be
//! handed a socket with the option set (docs/performance.md, Notifications, note 2).

use super::endpoint::Endpoint;
use super::SmtpSecurity;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use secrecy::ExposeSecret;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpStream;

mod tls_first;

/// Bound on connecting and on each command and its reply. Not on the send as a whole: a
/// large message may take longer to write than a command, and each step that answers
/// shows the relay is alive.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Bound on writing the message and reading the relay's reply to its final dot. RFC 5321
/// 4.5.3.2.6 lets a relay take up to 10 minutes here (it may scan the message first), but a
/// worker stuck that long holds up the whole batch; the message is retried instead.
const MESSAGE_TIMEOUT: Duration = Duration::from_secs(60);

/// The time limits of the steps with a relay (a field so tests can shorten them).
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// Connecting, TLS, each command and its reply.
    io: Duration,
    /// The message and the reply to its final dot.
    message: Duration,
}

/// Why a step with the relay failed.
#[derive(Debug)]
pub(super) enum Failure {
    /// lettre's error: a 4xx/5xx reply, a network or TLS error, or something lettre
    /// refused on this side (no STARTTLS offered, no common AUTH mechanism).
    Smtp(lettre::transport::smtp::Error),
    /// The TCP connection could not be made (refused, unreachable, name not found).
    Connect(std::io::Error),
    /// A step got no answer within its limit.
    Timeout { step: &'static str, after: Duration },
    /// What this side will not send to this relay.
    Refused(&'static str),
}

impl Failure {
    /// The relay closed the connection while it sat in the pool: the first command gets
    /// no reply at all, or 421 "closing transmission channel" (RFC 5321 3.8), which
    /// relays send to clients they drop for idling. Nothing of the message was sent yet,
    /// so a new connection may carry it.
    pub(super) fn is_closed_connection(&self) -> bool {
        match self {
            Failure::Smtp(error) if error.is_client() || error.is_tls() => false,
            Failure::Smtp(error) => error.status().is_none_or(|code| code.to_string() == "421"),
            Failure::Connect(_) | Failure::Timeout { .. } | Failure::Refused(_) => false,
        }
    }
}

/// Opens connections to one relay; what every connection needs is worked out once.
pub(super) struct Connector {
    endpoint: Endpoint,
    /// Built once: rustls' configuration with the webpki roots (lettre's defaults:
    /// certificate and host name checked, TLS 1.2 at least). `None` for plaintext.
    tls: Option<TlsParameters>,
    /// The EHLO name: this host's name, as lettre's transport says it.
    hello: ClientId,
    limits: Limits,
}

impl Connector {
    pub(super) fn new(endpoint: Endpoint) -> Result<Self, lettre::transport::smtp::Error> {
        let tls = match endpoint.security {
            SmtpSecurity::Plaintext => None,
            SmtpSecurity::StartTls | SmtpSecurity::ImplicitTls => {
                Some(TlsParameters::new(endpoint.host.clone())?)
            }
        };
        Ok(Self {
            endpoint,
            tls,
            hello: ClientId::default(),
            limits: Limits {
                io: IO_TIMEOUT,
                message: MESSAGE_TIMEOUT,
            },
        })
    }

    pub(super) fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// A new connection, greeted, protected as the URL says and logged in, ready for a
    /// mail transaction.
    pub(super) async fn open(&self) -> Result<AsyncSmtpConnection, Failure> {
        let endpoint = &self.endpoint;
        let tcp = match tokio::time::timeout(
            self.limits.io,
            TcpStream::connect((endpoint.host.as_str(), endpoint.port)),
        )
        .await
        {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(error)) => return Err(Failure::Connect(error)),
            Err(_) => return Err(timeout("connecting", self.limits.io)),
        };
        // The reason this module exists (see the module docs): each write goes out at
        // once instead of waiting for the relay to acknowledge the one before.
        tcp.set_nodelay(true).map_err(Failure::Connect)?;

        let mut connection = match (&self.tls, endpoint.security) {
            (Some(tls), SmtpSecurity::ImplicitTls) => {
                let stream =
                    step("TLS handshake", self.limits.io, tls_first::wrap(tcp, tls)).await?;
                step(
                    "greeting and EHLO",
                    self.limits.io,
                    AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello),
                )
                .await?
            }
            _ => {
                step(
                    "greeting and EHLO",
                    self.limits.io,
                    AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello),
                )
                .await?
            }
        };
        if let Err(failure) = self.secure_and_log_in(&mut connection).await {
            discard(connection);
            return Err(failure);
        }
        Ok(connection)
    }

    async fn secure_and_log_in(&self, connection: &mut AsyncSmtpConnection) -> Result<(), Failure> {
        if let (Some(tls), SmtpSecurity::StartTls) = (&self.tls, self.endpoint.security) {
            // lettre's starttls refuses (a client error) when the relay's EHLO does not
            // offer STARTTLS: `smtp://` never falls back to plaintext.
            step(
                "STARTTLS",
                self.limits.io,
                connection.starttls(tls.clone(), &self.hello),
            )
            .await?;
        }
        if let Some((user, password)) = &self.endpoint.credentials {
            let credentials = Credentials::new(user.clone(), password.expose_secret().to_owned());
            step(
                "AUTH",
                self.limits.io,
                connection.auth(&[Mechanism::Plain, Mechanism::Login], &credentials),
            )
            .await?;
        }
        Ok(())
    }

    /// `MAIL FROM`, the first command of a transaction. On a connection from the pool it is
    /// also where a connection the relay has closed shows ([`Failure::is_closed_connection`]).
    pub(super) async fn mail_from(
        &self,
        connection: &mut AsyncSmtpConnection,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<(), Failure> {
        // As lettre's own send does: SMTPUTF8 (RFC 6531) for addresses beyond ASCII,
        // 8BITMIME (RFC 6152) for a message beyond ASCII, and nothing the relay cannot take.
        let info = connection.server_info();
        let mut parameters = Vec::new();
        let addresses_ascii = envelope
            .from()
            .into_iter()
            .chain(envelope.to())
            .all(|address| AsRef::<str>::as_ref(address).is_ascii());
        if !addresses_ascii {
            if !info.supports_feature(Extension::SmtpUtfEight) {
                return Err(Failure::Refused(
                    "an address is not ASCII and the relay does not offer SMTPUTF8",
                ));
            }
            parameters.push(MailParameter::SmtpUtfEight);
        }
        if !message.is_ascii() {
            if !info.supports_feature(Extension::EightBitMime) {
                return Err(Failure::Refused(
                    "the message is not ASCII and the relay does not offer 8BITMIME",
                ));
            }
            parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let command = Mail::new(envelope.from().cloned(), parameters);
        step("MAIL FROM", self.limits.io, connection.command(command)).await?;
        Ok(())
    }

    /// The rest of the transaction: `RCPT TO` for each recipient, `DATA`, the message.
    pub(super) async fn rest_of_transaction(
        &self,
        connection: &mut AsyncSmtpConnection,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<(), Failure> {
        for recipient in envelope.to() {
            let command = Rcpt::new(recipient.clone(), Vec::new());
            step("RCPT TO", self.limits.io, connection.command(command)).await?;
        }
        step("DATA", self.limits.io, connection.command(Data)).await?;
        step("message", self.limits.message, connection.message(message)).await?;
        Ok(())
    }
}

/// Close `connection` in the background (`QUIT` if it still answers, then the socket), so
/// the send that failed reports at once. A connection that failed once is never reused:
/// it may be half-way through a command.
pub(super) fn discard(mut connection: AsyncSmtpConnection) {
    tokio::spawn(async move {
        // Bounded: a relay that stopped reading must not keep the task forever.
        let _ = tokio::time::timeout(IO_TIMEOUT, connection.abort()).await;
    });
}

/// `future` under `limit`; `step` names it in the error.
async fn step<T>(
    step: &'static str,
    limit: Duration,
    future: impl Future<Output = Result<T, lettre::transport::smtp::Error>>,
) -> Result<T, Failure> {
    match tokio::time::timeout(limit, future).await {
        Ok(result) => result.map_err(Failure::Smtp),
        Err(_) => Err(timeout(step, limit)),
    }
}

fn timeout(step: &'static str, after: Duration) -> Failure {
    Failure::Timeout { step, after }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    const SHORT: Limits = Limits {
        io: Duration::from_millis(200),
        message: Duration::from_millis(300),
    };

    /// A relay on loopback that greets (if `greet`) and answers commands, but once given
    /// DATA takes the message and never replies, holding the connection open: a relay
    /// that hangs.
    async fn hanging_relay(greet: bool) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        tokio::spawn(async move {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let (read, mut write) = socket.into_split();
            let mut lines = BufReader::new(read).lines();
            if greet {
                let _ = write.write_all(b"220 relay.test ESMTP\r\n").await;
            }
            let mut in_data = false;
            while let Ok(Some(line)) = lines.next_line().await {
                let reply: &[u8] = match line.get(..4).map(str::to_ascii_uppercase) {
                    _ if in_data || !greet => continue,
                    Some(verb) if verb == "EHLO" => b"250-relay.test\r\n250 8BITMIME\r\n",
                    Some(verb) if verb == "DATA" => {
                        in_data = true;
                        b"354 go ahead\r\n"
                    }
                    _ => b"250 OK\r\n",
                };
                let _ = write.write_all(reply).await;
            }
        });
        port
    }

    fn connector(port: u16) -> Connector {
        let endpoint = Endpoint {
            security: SmtpSecurity::Plaintext,
            host: "127.0.0.1".to_owned(),
            port,
            credentials: None,
        };
        let mut connector = Connector::new(endpoint).expect("plaintext needs no TLS setup");
        connector.limits = SHORT;
        connector
    }

    fn envelope() -> Envelope {
        let address: lettre::Address = "user@example.com".parse().expect("an address");
        Envelope::new(Some(address.clone()), vec![address]).expect("an envelope")
    }

    #[tokio::test]
    async fn a_relay_that_never_greets_times_out_on_the_greeting() {
        let connector = connector(hanging_relay(false).await);
        match connector.open().await {
            Err(Failure::Timeout { step, after }) => {
                assert_eq!(step, "greeting and EHLO");
                assert_eq!(after, SHORT.io);
            }
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("a connection without a greeting"),
        }
    }

    #[tokio::test]
    async fn a_relay_that_hangs_after_the_message_times_out_on_it() {
        let connector = connector(hanging_relay(true).await);
        let mut connection = connector.open().await.expect("greeted");
        let envelope = envelope();
        let message = b"Subject: hi\r\n\r\nHello\r\n";
        connector
            .mail_from(&mut connection, &envelope, message)
            .await
            .expect("MAIL FROM answered");
        match connector
            .rest_of_transaction(&mut connection, &envelope, message)
            .await
        {
            Err(failure @ Failure::Timeout { .. }) => {
                assert!(!failure.is_closed_connection());
                let Failure::Timeout { step, after } = failure else {
                    unreachable!()
                };
                assert_eq!((step, after), ("message", SHORT.message));
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn an_address_beyond_ascii_is_refused_where_the_relay_lacks_smtputf8() {
        let connector = connector(hanging_relay(true).await);
        let mut connection = connector.open().await.expect("greeted");
        // The relay offers 8BITMIME but not SMTPUTF8 (RFC 6531), which this address needs.
        let address: lettre::Address = "jörg@example.com".parse().expect("an address");
        let envelope = Envelope::new(Some(address.clone()), vec![address]).expect("envelope");
        match connector.mail_from(&mut connection, &envelope, b"Hi").await {
            Err(Failure::Refused(why)) => assert!(why.contains("SMTPUTF8"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
}
