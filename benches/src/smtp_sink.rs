//! SMTP servers on loopback for the worker benchmark: a small Rust sink that accepts every
//! message and discards it (counting connections and messages), and the test kit's
//! `SmtpSink` (Python's aiosmtpd, which also parses and keeps every message). The Rust sink
//! answers each command a lettre client sends (RFC 5321: EHLO/HELO, NOOP, MAIL, RCPT, DATA,
//! RSET, QUIT) with a fixed reply, so what it costs per message is a few reads and writes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::ValueEnum;
use gatehouse_testkit::SmtpSink;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How long the aiosmtpd sink's reports may lag behind the last message it answered.
const AIOSMTPD_WAIT: Duration = Duration::from_secs(60);

/// Which SMTP server receives the benchmark's mail.
#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum SinkKind {
    /// The Rust sink in this process: accepts and discards.
    Rust,
    /// The test kit's aiosmtpd server (needs `python3 -m pip install aiosmtpd`).
    Aiosmtpd,
}

/// A running SMTP server of either kind; stopped when dropped.
pub enum Sink {
    Rust(RustSink),
    // Boxed: the test kit's sink is large and this enum is moved around.
    Aiosmtpd(Box<SmtpSink>),
}

impl Sink {
    pub async fn start(kind: SinkKind) -> anyhow::Result<Sink> {
        Ok(match kind {
            SinkKind::Rust => Sink::Rust(RustSink::start().await?),
            SinkKind::Aiosmtpd => Sink::Aiosmtpd(Box::new(SmtpSink::start().await)),
        })
    }

    pub fn port(&self) -> u16 {
        match self {
            Sink::Rust(sink) => sink.port,
            Sink::Aiosmtpd(sink) => sink.port(),
        }
    }

    /// gatehouse's `notifications.smtp_url` for this server: plaintext on loopback.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port())
    }

    /// Client connections accepted so far.
    pub fn connections(&self) -> u64 {
        match self {
            Sink::Rust(sink) => sink.counters.connections.load(Ordering::Relaxed),
            Sink::Aiosmtpd(sink) => sink.connections() as u64,
        }
    }

    /// Messages accepted so far. The Rust sink counts a message before it answers 250; the
    /// aiosmtpd sink reports through a pipe, so its count is awaited until `expected`
    /// arrive (the test kit fails after `AIOSMTPD_WAIT` if they do not).
    pub async fn messages(&self, expected: u64) -> u64 {
        match self {
            Sink::Rust(sink) => sink.counters.messages.load(Ordering::Relaxed),
            Sink::Aiosmtpd(sink) => {
                let expected = usize::try_from(expected).unwrap_or(usize::MAX);
                sink.wait_for(expected, AIOSMTPD_WAIT).await.len() as u64
            }
        }
    }
}

#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    messages: AtomicU64,
}

/// The Rust sink: an accept loop on a free port of 127.0.0.1, one task per connection.
pub struct RustSink {
    port: u16,
    counters: Arc<Counters>,
    accept: JoinHandle<()>,
}

impl RustSink {
    pub async fn start() -> anyhow::Result<RustSink> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the SMTP sink")?;
        let port = listener.local_addr()?.port();
        let counters = Arc::new(Counters::default());
        let accept = tokio::spawn(accept_loop(listener, counters.clone()));
        Ok(RustSink {
            port,
            counters,
            accept,
        })
    }
}

impl Drop for RustSink {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn accept_loop(listener: TcpListener, counters: Arc<Counters>) {
    while let Ok((stream, _)) = listener.accept().await {
        counters.connections.fetch_add(1, Ordering::Relaxed);
        let counters = counters.clone();
        tokio::spawn(async move {
            if let Err(error) = converse(stream, &counters).await {
                eprintln!("  SMTP sink: connection ended: {error}");
            }
        });
    }
}

/// One SMTP conversation, command by command, until QUIT or the client hangs up.
async fn converse(stream: TcpStream, counters: &Counters) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 sink.bench ESMTP\r\n").await?;
    let mut line = Vec::with_capacity(256);
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let verb = line
            .get(..4)
            .map(|v| v.to_ascii_uppercase())
            .unwrap_or_default();
        let reply: &[u8] = match verb.as_slice() {
            b"EHLO" => b"250-sink.bench\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 HELP\r\n",
            b"HELO" => b"250 sink.bench\r\n",
            b"MAIL" | b"RCPT" | b"RSET" | b"NOOP" => b"250 OK\r\n",
            b"DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                skip_message(&mut read, &mut line).await?;
                counters.messages.fetch_add(1, Ordering::Relaxed);
                b"250 OK queued\r\n"
            }
            b"QUIT" => {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 Command not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// Reads a message up to and including the line holding only "." (RFC 5321 4.1.1.4).
async fn skip_message<R: AsyncBufReadExt + Unpin>(
    read: &mut R,
    line: &mut Vec<u8>,
) -> std::io::Result<()> {
    loop {
        line.clear();
        if read.read_until(b'\n', line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line.as_slice() == b".\r\n" {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn reply(read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> String {
        let mut text = String::new();
        loop {
            let mut line = String::new();
            read.read_line(&mut line).await.unwrap();
            text.push_str(&line);
            // A multi-line reply continues while the fourth character is '-'.
            if line.as_bytes().get(3) != Some(&b'-') {
                return text;
            }
        }
    }

    #[tokio::test]
    async fn the_rust_sink_takes_a_message_and_counts_it() {
        let sink = Sink::start(SinkKind::Rust).await.unwrap();
        let stream = TcpStream::connect(("127.0.0.1", sink.port()))
            .await
            .unwrap();
        let (read, mut write) = stream.into_split();
        let mut read = BufReader::new(read);
        assert!(reply(&mut read).await.starts_with("220 "));
        let conversation: [(&[u8], &str); 6] = [
            (b"EHLO client\r\n", "250 HELP"),
            (b"NOOP\r\n", "250 OK"),
            (b"MAIL FROM:<a@example.com> BODY=8BITMIME\r\n", "250 OK"),
            (b"RCPT TO:<b@example.com>\r\n", "250 OK"),
            (b"DATA\r\n", "354 "),
            (
                b"Subject: hi\r\n\r\n..a dot-stuffed line\r\n.\r\n",
                "250 OK queued",
            ),
        ];
        for (command, expected) in conversation {
            write.write_all(command).await.unwrap();
            let answer = reply(&mut read).await;
            assert!(answer.contains(expected), "{answer:?} for {command:?}");
        }
        write.write_all(b"QUIT\r\n").await.unwrap();
        assert!(reply(&mut read).await.starts_with("221 "));
        assert_eq!((sink.connections(), sink.messages(1).await), (1, 1));
    }
}
