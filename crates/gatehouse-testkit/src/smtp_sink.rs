//! [`SmtpSink`]: a real SMTP server on loopback for tests — Python's aiosmtpd running
//! `scripts/smtp_sink.py` in a child process — that records every message, connection
//! and login it sees. Messages are parsed with `mail-parser`, not lettre, so a test of
//! the lettre transport checks its output with an independent reader. Recipients whose
//! local part starts with `reject` are refused with 550, with `defer` with 451.

use base64::Engine;
use mail_parser::{HeaderForm, HeaderValue, MessageParser, PartType};
use serde_json::Value;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::watch;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/smtp_sink.py");

/// How long the server may take to start (Python and aiosmtpd load in well under this).
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The envelope sender (`MAIL FROM`).
    pub from: String,
    /// The envelope recipients (`RCPT TO`).
    pub to: Vec<String>,
    pub headers: Headers,
    /// The first text/plain part (or the body of a text/plain message).
    pub text_body: String,
    /// The first text/html part, if the message has one.
    pub html_body: Option<String>,
    /// The message as it crossed the wire.
    pub raw: Vec<u8>,
}

/// A message's top-level headers in order, values unfolded and RFC 2047 words decoded.
#[derive(Debug, Clone, Default)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    /// The first header called `name`, in any case.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_all(name).into_iter().next()
    }

    /// Every header called `name`, in any case, in order.
    pub fn get_all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

/// An `AUTH` the server accepted (it accepts any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpLogin {
    pub login: String,
    pub password: String,
}

#[derive(Debug, Default)]
struct Recorded {
    mails: Vec<ReceivedMail>,
    connections: usize,
    logins: Vec<SmtpLogin>,
}

/// The running server; killed when dropped.
pub struct SmtpSink {
    port: u16,
    recorded: watch::Receiver<Recorded>,
    // Held open: the script exits when its stdin closes, should the kill ever miss.
    _stdin: ChildStdin,
    _child: Child,
}

impl SmtpSink {
    /// Start the server on a free port of 127.0.0.1 and wait until it accepts
    /// connections. Needs `python3` with aiosmtpd (`python3 -m pip install aiosmtpd`).
    pub async fn start() -> SmtpSink {
        Self::launch(None).await
    }

    /// Start the server on `port` (a test that makes the mail server reachable only
    /// later, say after a crash).
    pub async fn start_on(port: u16) -> SmtpSink {
        Self::launch(Some(port)).await
    }

    async fn launch(port: Option<u16>) -> SmtpSink {
        let mut command = Command::new("python3");
        command.arg("-u").arg(SCRIPT);
        if let Some(port) = port {
            command.arg(port.to_string());
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("run python3 for the SMTP sink");
        let stdin = child.stdin.take().expect("sink stdin");
        let mut lines = BufReader::new(child.stdout.take().expect("sink stdout")).lines();
        let first = tokio::time::timeout(START_TIMEOUT, lines.next_line())
            .await
            .expect("the SMTP sink did not start in time");
        let ready: Value = match first {
            Ok(Some(line)) => serde_json::from_str(&line).expect("the sink's ready line"),
            _ => panic!(
                "the SMTP sink exited at start (see its error above); it needs aiosmtpd: \
                 python3 -m pip install aiosmtpd"
            ),
        };
        let port = ready["port"]
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .expect("the sink's port");
        let (sender, recorded) = watch::channel(Recorded::default());
        tokio::spawn(record(lines, sender));
        SmtpSink {
            port,
            recorded,
            _stdin: stdin,
            _child: child,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL for gatehouse's SMTP setting: plaintext to this server.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    /// Wait until at least `n` messages have arrived and return all that have; fail the
    /// test if they do not within `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let mut recorded = self.recorded.clone();
        let waited = tokio::time::timeout(timeout, recorded.wait_for(|r| r.mails.len() >= n)).await;
        match waited {
            Ok(Ok(r)) => r.mails.clone(),
            _ => panic!(
                "the SMTP sink got {} of {n} messages within {timeout:?}",
                self.received().len()
            ),
        }
    }

    /// The messages received so far.
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.recorded.borrow().mails.clone()
    }

    /// How many client connections the server has accepted so far.
    pub fn connections(&self) -> usize {
        self.recorded.borrow().connections
    }

    /// The logins clients have sent so far.
    pub fn logins(&self) -> Vec<SmtpLogin> {
        self.recorded.borrow().logins.clone()
    }
}

/// Read the script's event lines into `recorded` until it exits.
async fn record(
    mut lines: tokio::io::Lines<BufReader<ChildStdout>>,
    recorded: watch::Sender<Recorded>,
) {
    while let Ok(Some(line)) = lines.next_line().await {
        let Ok(event) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        match event["event"].as_str() {
            Some("connect") => recorded.send_modify(|r| r.connections += 1),
            Some("auth") => {
                let login = SmtpLogin {
                    login: text(&event["login"]),
                    password: text(&event["password"]),
                };
                recorded.send_modify(|r| r.logins.push(login));
            }
            Some("mail") => {
                let mail = received_mail(&event);
                recorded.send_modify(|r| r.mails.push(mail));
            }
            _ => {}
        }
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

fn received_mail(event: &Value) -> ReceivedMail {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(event["data"].as_str().unwrap_or_default())
        .unwrap_or_default();
    let to = event["rcpt_tos"]
        .as_array()
        .map(|list| list.iter().map(text).collect())
        .unwrap_or_default();
    let mut mail = ReceivedMail {
        from: text(&event["mail_from"]),
        to,
        headers: Headers::default(),
        text_body: String::new(),
        html_body: None,
        raw,
    };
    // A message mail-parser cannot read keeps empty fields; the raw bytes stay for
    // the failing test to show.
    let Some(parsed) = MessageParser::default().parse(&mail.raw) else {
        return mail;
    };
    let mut headers = Vec::new();
    for header in parsed.headers() {
        let name = header.name.as_str().to_owned();
        // Read as unstructured text: unfolded, encoded words decoded, and otherwise as
        // sent (a Message-ID keeps its angle brackets, a Date its original form).
        let index = headers
            .iter()
            .filter(|(n, _): &&(String, String)| n.eq_ignore_ascii_case(&name))
            .count();
        let value = parsed
            .header_as(header.name.clone(), HeaderForm::Text)
            .into_iter()
            .nth(index)
            .and_then(|value| match value {
                HeaderValue::Text(text) => Some(text.into_owned()),
                _ => None,
            })
            .unwrap_or_default();
        headers.push((name, value));
    }
    mail.headers = Headers(headers);
    for part in &parsed.parts {
        match &part.body {
            PartType::Text(text) if mail.text_body.is_empty() => {
                mail.text_body = text.to_string();
            }
            PartType::Html(html) if mail.html_body.is_none() => {
                mail.html_body = Some(html.to_string());
            }
            _ => {}
        }
    }
    mail
}
