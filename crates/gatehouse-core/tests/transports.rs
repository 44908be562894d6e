//! The delivery transports against real counterparts: SMTP to a real SMTP server on
//! loopback (aiosmtpd, from the test kit), SMS to a local HTTP server playing Twilio, and
//! the dev outbox file under concurrent sends.

// Helpers outside the test functions set up or fail the test, as the tests themselves do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use gatehouse_core::notify::transport::{
    DevTransport, EmailMessage, EmailTransport, SendError, SmsCost, SmsMessage, SmsTransport,
    SmtpSecurity, SmtpTransport, TwilioTransport,
};
use gatehouse_testkit::{SmsProvider, SmsReply, SmsScript, SmtpLogin, SmtpSink};
use secrecy::SecretString;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use uuid::Uuid;

const FROM: &str = "Gatehouse <noreply@gatehouse.test>";
const WAIT: Duration = Duration::from_secs(30);

fn email(to: &str, subject: &str, text: &str, html: Option<&str>) -> EmailMessage {
    EmailMessage {
        id: Uuid::now_v7(),
        to: to.to_owned(),
        subject: subject.to_owned(),
        text: text.to_owned(),
        html: html.map(str::to_owned),
    }
}

fn smtp(url: &str) -> EmailTransport {
    EmailTransport::Smtp(SmtpTransport::from_url(url, FROM).expect("SMTP transport"))
}

/// A loopback port nothing listens on (bound, then released).
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    listener.local_addr().expect("address").port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_sends_multipart_alternative_with_utf8_subject_and_every_header() {
    let sink = SmtpSink::start().await;
    let transport = smtp(&sink.url());
    let subject = "Anmeldung von einem neuen Gerät";
    let text = "Hallo Jörg,\r\njemand hat sich von einem neuen Gerät angemeldet: Zürich, Firefox.";
    let html = "<p>Hallo Jörg,</p><p>jemand hat sich von einem <b>neuen Gerät</b> angemeldet.</p>";
    let message = email("joerg@example.com", subject, text, Some(html));

    let accepted = transport.send(&message).await.expect("sent");

    let message_id = format!("<{}@gatehouse>", message.id);
    assert_eq!(accepted.provider, "smtp");
    assert_eq!(
        accepted.provider_message_id.as_deref(),
        Some(message_id.as_str())
    );
    assert_eq!(accepted.cost, None);

    let mail = sink.wait_for(1, WAIT).await.remove(0);
    assert_eq!(mail.from, "noreply@gatehouse.test");
    assert_eq!(mail.to, ["joerg@example.com"]);
    let header = |name: &str| {
        mail.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(header("from"), FROM);
    assert_eq!(header("TO"), "joerg@example.com");
    assert_eq!(header("Subject"), subject);
    assert_eq!(header("Message-ID"), message_id);
    let date = DateTime::parse_from_rfc2822(header("Date")).expect("an RFC 5322 date");
    let age = Utc::now().signed_duration_since(date);
    assert!(age.num_seconds().abs() < 120, "Date {date} is not now");
    assert!(
        header("Content-Type").starts_with("multipart/alternative;"),
        "{}",
        header("Content-Type")
    );
    // On the wire the header block is 7-bit: the umlaut travels RFC 2047-encoded.
    let header_block_end = mail
        .raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    assert!(mail.raw[..header_block_end].is_ascii());
    assert_eq!(mail.text_body.trim_end(), text);
    assert_eq!(mail.html_body.as_deref().map(str::trim_end), Some(html));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_text_only_is_text_plain_utf8() {
    let sink = SmtpSink::start().await;
    let text = "Ihr Passwort wurde geändert. Waren Sie das nicht? Sperren Sie Ihr Konto.";
    let message = email("user@example.com", "Passwort geändert", text, None);

    smtp(&sink.url()).send(&message).await.expect("sent");

    let mail = sink.wait_for(1, WAIT).await.remove(0);
    let content_type = mail.headers.get("content-type").expect("Content-Type");
    assert_eq!(
        content_type.to_ascii_lowercase(),
        "text/plain; charset=utf-8"
    );
    assert_eq!(mail.text_body.trim_end(), text);
    assert_eq!(mail.html_body, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_reuses_connections_across_200_messages() {
    const SENDERS: usize = 4;
    const EACH: usize = 50;
    let sink = SmtpSink::start().await;
    let transport = smtp(&sink.url());
    let mut sent = BTreeSet::new();
    let mut tasks = tokio::task::JoinSet::new();
    for sender in 0..SENDERS {
        let messages: Vec<EmailMessage> = (0..EACH)
            .map(|n| {
                let to = format!("user{sender}-{n}@example.com");
                email(
                    &to,
                    "Ihr Code",
                    "Ihr Code lautet 123456.",
                    Some("<p>123456</p>"),
                )
            })
            .collect();
        sent.extend(messages.iter().map(|m| format!("<{}@gatehouse>", m.id)));
        let transport = transport.clone();
        // Each sender sends one message after another, as an outbox worker does.
        tasks.spawn(async move {
            for message in &messages {
                transport.send(message).await.expect("sent");
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.expect("sender task");
    }

    let received = sink.wait_for(SENDERS * EACH, WAIT).await;
    let ids: BTreeSet<String> = received
        .iter()
        .map(|m| m.headers.get("message-id").expect("Message-ID").to_owned())
        .collect();
    assert_eq!(received.len(), SENDERS * EACH);
    assert_eq!(ids, sent, "every message arrived exactly once");
    // A connection per message would be 200; the pool hands connections back and
    // reuses them, so a few suffice (one per sender, plus any opened while a just-used
    // connection was still on its way back to the pool).
    let connections = sink.connections();
    eprintln!("{} messages over {connections} connections", received.len());
    assert!(
        connections * 10 <= received.len(),
        "{connections} connections for {} messages",
        received.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_logs_in_with_percent_decoded_credentials() {
    let sink = SmtpSink::start().await;
    let url = format!(
        "smtp://mailer%40gatehouse.test:p%40ss%3Aw%2Frd@127.0.0.1:{}?tls=none",
        sink.port()
    );
    let transport = SmtpTransport::from_url(&url, FROM).expect("SMTP transport");
    assert_eq!(transport.security(), SmtpSecurity::Plaintext);

    EmailTransport::Smtp(transport)
        .send(&email("user@example.com", "Hi", "Hello", None))
        .await
        .expect("sent");

    sink.wait_for(1, WAIT).await;
    assert_eq!(
        sink.logins(),
        [SmtpLogin {
            login: "mailer@gatehouse.test".to_owned(),
            password: "p@ss:w/rd".to_owned(),
        }]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_refusals_are_permanent_for_5xx_and_transient_for_4xx() {
    let sink = SmtpSink::start().await;
    let transport = smtp(&sink.url());
    let body = "Ihr Code lautet 918273.";

    let rejected = transport
        .send(&email("reject-me@example.com", "Code", body, None))
        .await
        .expect_err("550");
    assert!(
        matches!(rejected, SendError::Permanent { .. }),
        "{rejected}"
    );
    assert_eq!(rejected.code(), Some("550"));

    let deferred = transport
        .send(&email("defer-me@example.com", "Code", body, None))
        .await
        .expect_err("451");
    assert!(deferred.is_transient(), "{deferred}");
    assert_eq!(deferred.code(), Some("451"));

    for error in [&rejected, &deferred] {
        assert!(!error.message().contains("918273"), "{error}");
    }
    // The pool recovers: the next message on the same transport goes through.
    transport
        .send(&email("ok@example.com", "Code", body, None))
        .await
        .expect("sent after refusals");
    assert_eq!(sink.wait_for(1, WAIT).await[0].to, ["ok@example.com"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_to_a_closed_port_is_transient_and_quick() {
    let port = closed_port().await;
    let url = format!("smtp://user:hunter2-secret@127.0.0.1:{port}?tls=none");
    let transport = smtp(&url);
    let started = Instant::now();

    let error = transport
        .send(&email(
            "user@example.com",
            "Code",
            "Ihr Code lautet 55501.",
            None,
        ))
        .await
        .expect_err("nothing listens");

    assert!(error.is_transient(), "{error}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(!error.message().contains("55501"), "{error}");
    assert!(!error.message().contains("hunter2-secret"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_refuses_a_malformed_recipient_without_sending() {
    let sink = SmtpSink::start().await;
    let error = smtp(&sink.url())
        .send(&email("not an address", "Code", "Hello", None))
        .await
        .expect_err("bad address");
    assert!(matches!(error, SendError::Permanent { .. }), "{error}");
    assert_eq!(sink.connections(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_settings_that_cannot_work_are_refused() {
    assert!(SmtpTransport::from_url("smtp://127.0.0.1:25?tls=none", "no mailbox").is_err());
    assert!(SmtpTransport::from_url("smtp://127.0.0.1:25?tls=nope", FROM).is_err());
    let starttls = SmtpTransport::from_url("smtp://u:p@relay.example.com", FROM).expect("ok");
    assert_eq!(starttls.security(), SmtpSecurity::StartTls);
    let tls = SmtpTransport::from_url("smtps://relay.example.com", FROM).expect("ok");
    assert_eq!(tls.security(), SmtpSecurity::ImplicitTls);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_concurrent_senders_never_open_more_connections_than_senders() {
    // The outbox worker's default concurrency. A connection goes back to the pool the
    // moment its send ends, so a sender only opens one when all others are in use.
    const SENDERS: usize = 8;
    const EACH: usize = 25;
    let sink = SmtpSink::start().await;
    let transport = smtp(&sink.url());
    let mut tasks = tokio::task::JoinSet::new();
    for sender in 0..SENDERS {
        let transport = transport.clone();
        tasks.spawn(async move {
            for n in 0..EACH {
                let to = format!("user{sender}-{n}@example.com");
                let message = email(&to, "Ihr Code", "Ihr Code lautet 123456.", None);
                transport.send(&message).await.expect("sent");
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.expect("sender task");
    }

    let received = sink.wait_for(SENDERS * EACH, WAIT).await;
    assert_eq!(received.len(), SENDERS * EACH);
    let connections = sink.connections();
    assert!(
        (1..=SENDERS).contains(&connections),
        "{connections} connections for {SENDERS} concurrent senders"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_replaces_a_pooled_connection_the_relay_closed() {
    let first = SmtpSink::start().await;
    let port = first.port();
    let transport = smtp(&first.url());
    transport
        .send(&email("before@example.com", "Code", "Hello", None))
        .await
        .expect("sent to the first relay");
    first.wait_for(1, WAIT).await;
    // The relay goes away (its process is killed, the kernel closes its connections)
    // while the transport's connection to it sits in the pool; another comes up on the
    // same port.
    drop(first);
    let second = SmtpSink::start_on(port).await;

    transport
        .send(&email("after@example.com", "Code", "Hello", None))
        .await
        .expect("the closed connection is replaced, not reported");

    assert_eq!(second.wait_for(1, WAIT).await[0].to, ["after@example.com"]);
    assert_eq!(second.connections(), 1);
    // And the new connection is pooled in turn.
    transport
        .send(&email("again@example.com", "Code", "Hello", None))
        .await
        .expect("sent again");
    assert_eq!(second.wait_for(2, WAIT).await.len(), 2);
    assert_eq!(second.connections(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_refuses_a_relay_without_starttls_rather_than_send_in_the_clear() {
    let sink = SmtpSink::start().await;
    // `smtp://` without `tls=none` requires STARTTLS; the sink does not offer it.
    let url = format!("smtp://user:hunter2-secret@127.0.0.1:{}", sink.port());
    let transport = smtp(&url);

    let error = transport
        .send(&email(
            "user@example.com",
            "Code",
            "Ihr Code lautet 4711.",
            None,
        ))
        .await
        .expect_err("no STARTTLS");

    // As with lettre's pooled transport before: a relay that lacks STARTTLS will not
    // gain it on a retry.
    assert!(matches!(error, SendError::Permanent { .. }), "{error}");
    assert!(error.message().contains("STARTTLS"), "{error}");
    assert!(!error.message().contains("4711"), "{error}");
    assert!(!error.message().contains("hunter2-secret"), "{error}");
    assert_eq!(sink.connections(), 1);
    assert!(sink.logins().is_empty(), "no credentials in the clear");
    assert!(sink.received().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtps_to_a_relay_that_speaks_plaintext_fails_transient_and_quick() {
    let sink = SmtpSink::start().await;
    let url = format!("smtps://user:hunter2-secret@127.0.0.1:{}", sink.port());
    let transport = smtp(&url);
    let started = Instant::now();

    let error = transport
        .send(&email(
            "user@example.com",
            "Code",
            "Ihr Code lautet 4711.",
            None,
        ))
        .await
        .expect_err("no TLS");

    assert!(error.is_transient(), "{error}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(!error.message().contains("hunter2-secret"), "{error}");
    assert!(sink.logins().is_empty());
    assert!(sink.received().is_empty());
}

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "auth-token-0123456789";

fn twilio(provider: &SmsProvider, callback: Option<&str>) -> SmsTransport {
    SmsTransport::Twilio(
        TwilioTransport::new(
            &provider.url(),
            SID,
            SecretString::from(TOKEN),
            "+15005550006",
            callback.map(str::to_owned),
        )
        .expect("Twilio transport"),
    )
}

fn sms(body: &str) -> SmsMessage {
    SmsMessage {
        id: Uuid::now_v7(),
        to: "+4915112345678".to_owned(),
        body: body.to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_posts_the_form_with_basic_auth_and_reads_sid_and_cost() {
    let provider = SmsProvider::start(SmsScript::accepting()).await;
    let callback = "https://gatehouse.test/v1/hooks/sms/twilio";
    let transport = twilio(&provider, Some(callback));

    let accepted = transport
        .send(&sms("Ihr Gatehouse-Code: 123456"))
        .await
        .expect("sent");

    let requests = provider.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.path,
        format!("/2010-04-01/Accounts/{SID}/Messages.json")
    );
    assert_eq!(request.basic_user.as_deref(), Some(SID));
    assert_eq!(request.basic_password.as_deref(), Some(TOKEN));
    assert_eq!(
        request.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(request.field("To"), Some("+4915112345678"));
    assert_eq!(request.field("From"), Some("+15005550006"));
    assert_eq!(request.field("Body"), Some("Ihr Gatehouse-Code: 123456"));
    assert_eq!(request.field("StatusCallback"), Some(callback));

    assert_eq!(accepted.provider, "twilio");
    let sid = request.sid.as_deref().expect("a sid was answered");
    assert!(sid.starts_with("SM") && sid.len() == 34, "{sid}");
    assert_eq!(accepted.provider_message_id.as_deref(), Some(sid));
    assert_eq!(
        accepted.cost,
        Some(SmsCost {
            micros: 7500,
            currency: "USD".to_owned()
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_without_a_callback_sends_no_callback_field() {
    let provider = SmsProvider::start(SmsScript::accepting()).await;
    twilio(&provider, None)
        .send(&sms("Code 1"))
        .await
        .expect("sent");
    let request = &provider.requests()[0];
    assert_eq!(request.field("StatusCallback"), None);
    assert_eq!(request.form.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_5xx_and_429_are_transient_then_the_retry_goes_through() {
    let script = SmsScript::new(
        vec![
            SmsReply::plain(503),
            SmsReply::error(429, 20429, "Too Many Requests"),
        ],
        SmsReply::created(),
    );
    let provider = SmsProvider::start(script).await;
    let transport = twilio(&provider, None);
    let message = sms("Ihr Code: 246810");

    let unavailable = transport.send(&message).await.expect_err("503");
    assert!(unavailable.is_transient(), "{unavailable}");
    assert!(unavailable.message().contains("503"), "{unavailable}");

    let throttled = transport.send(&message).await.expect_err("429");
    assert!(throttled.is_transient(), "{throttled}");
    assert_eq!(throttled.code(), Some("20429"));

    let accepted = transport.send(&message).await.expect("third try");
    assert_eq!(
        accepted.provider_message_id,
        provider.requests()[2].sid,
        "the sid of the answer that created it"
    );
    for error in [&unavailable, &throttled] {
        assert!(!error.message().contains("246810"), "{error}");
        assert!(!error.message().contains(TOKEN), "{error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_400_with_an_error_body_is_permanent_with_its_code() {
    let reply = SmsReply::error(400, 21211, "The 'To' number +4915112345678 is not valid.");
    let provider = SmsProvider::start(SmsScript::always(reply)).await;

    let error = twilio(&provider, None)
        .send(&sms("Ihr Code: 135791"))
        .await
        .expect_err("400");

    assert!(matches!(error, SendError::Permanent { .. }), "{error}");
    assert_eq!(error.code(), Some("21211"));
    assert!(error.message().contains("is not valid"), "{error}");
    assert!(!error.message().contains("135791"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_unreachable_is_transient() {
    let port = closed_port().await;
    let transport = SmsTransport::Twilio(
        TwilioTransport::new(
            &format!("http://127.0.0.1:{port}"),
            SID,
            SecretString::from(TOKEN),
            "+15005550006",
            None,
        )
        .expect("Twilio transport"),
    );
    let error = transport
        .send(&sms("Ihr Code: 864200"))
        .await
        .expect_err("nothing listens");
    assert!(error.is_transient(), "{error}");
    assert!(!error.message().contains("864200"), "{error}");
    assert!(!error.message().contains(TOKEN), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_outbox_keeps_every_line_whole_under_concurrent_sends() {
    const EACH: usize = 100;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("data/nested/outbox.log");
    let dev = DevTransport::new(path.clone());
    let (email_transport, sms_transport) = (
        EmailTransport::Dev(dev.clone()),
        SmsTransport::Dev(dev.clone()),
    );
    // Large bodies: a line split by another write would show as broken JSON.
    let long_text = "Ihr Code lautet 123456. ".repeat(2_000);
    let mut tasks = tokio::task::JoinSet::new();
    let mut sent = BTreeSet::new();
    for n in 0..EACH {
        let message = email(
            &format!("u{n}@example.com"),
            "Ihr Code",
            &long_text,
            Some("<p>x</p>"),
        );
        sent.insert(message.id);
        let transport = email_transport.clone();
        tasks.spawn(async move {
            let accepted = transport.send(&message).await.expect("email written");
            (message.id, accepted)
        });
        let message = sms(&format!("Ihr Code: {n:06} {long_text}"));
        sent.insert(message.id);
        let transport = sms_transport.clone();
        tasks.spawn(async move {
            let accepted = transport.send(&message).await.expect("sms written");
            (message.id, accepted)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let (id, accepted) = joined.expect("send task");
        assert_eq!(accepted.provider, "dev");
        assert_eq!(accepted.provider_message_id, Some(id.to_string()));
    }

    let written = std::fs::read_to_string(&path).expect("outbox file");
    let lines: Vec<serde_json::Value> = written
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is one whole JSON object"))
        .collect();
    assert_eq!(lines.len(), 2 * EACH);
    let ids: BTreeSet<Uuid> = lines
        .iter()
        .map(|line| line["id"].as_str().expect("id").parse().expect("a uuid"))
        .collect();
    assert_eq!(ids, sent);
    for line in &lines {
        assert!(
            DateTime::parse_from_rfc3339(line["at"].as_str().expect("at")).is_ok(),
            "{}",
            line["at"]
        );
        match line["channel"].as_str() {
            Some("email") => {
                assert_eq!(line["subject"], "Ihr Code");
                assert_eq!(line["text"], long_text.as_str());
                assert_eq!(line["html"], "<p>x</p>");
                assert!(line["to"]
                    .as_str()
                    .is_some_and(|to| to.ends_with("@example.com")));
            }
            Some("sms") => {
                assert_eq!(line["to"], "+4915112345678");
                assert!(line["body"]
                    .as_str()
                    .is_some_and(|b| b.starts_with("Ihr Code: ")));
            }
            other => panic!("channel {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_outbox_that_cannot_be_written_is_a_transient_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A file where the outbox's folder should be.
    let blocker = dir.path().join("data");
    std::fs::write(&blocker, b"not a folder").expect("write");
    let dev = EmailTransport::Dev(DevTransport::new(blocker.join("outbox.log")));
    let error = dev
        .send(&email(
            "u@example.com",
            "Code",
            "Ihr Code lautet 777.",
            None,
        ))
        .await
        .expect_err("no folder");
    assert!(error.is_transient(), "{error}");
    assert!(!error.message().contains("777"), "{error}");
}
