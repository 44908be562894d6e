//! A crash loses no message: `gatehouse serve` queues an alert while its mail server is
//! down, its worker keeps retrying, the process is killed (SIGKILL, no shutdown), the mail
//! server comes up, and after a restart the message arrives exactly once.

use crate::binary::{gatehouse, http_get};
use gatehouse_store::Backend;
use gatehouse_testkit::queries::outbox;
use gatehouse_testkit::{both_backends, SmtpSink, TestDb, PASSWORD};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                      (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(dir: &Path, database_url: &str, http_port: u16, smtp_port: u16) -> Child {
    let mut cmd = gatehouse();
    cmd.current_dir(dir)
        .arg("serve")
        .env("GATEHOUSE_LISTEN", format!("127.0.0.1:{http_port}"))
        .env("GATEHOUSE_DATABASE_URL", database_url)
        .env("GATEHOUSE_ARGON2__MEMORY_KIB", "1024")
        .env("GATEHOUSE_ARGON2__ITERATIONS", "1")
        .env("GATEHOUSE_NOTIFICATIONS__EMAIL_TRANSPORT", "smtp")
        .env(
            "GATEHOUSE_NOTIFICATIONS__SMTP_URL",
            format!("smtp://127.0.0.1:{smtp_port}?tls=none"),
        )
        .env("GATEHOUSE_NOTIFICATIONS__RETRY_BASE_MS", "100")
        .env("GATEHOUSE_NOTIFICATIONS__RETRY_MAX_MS", "200")
        .env("GATEHOUSE_NOTIFICATIONS__MAX_RETRIES", "100")
        .env("GATEHOUSE_NOTIFICATIONS__POLL_INTERVAL_MS", "50")
        .env("GATEHOUSE_NOTIFICATIONS__LEASE_SECS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if http_get(http_port, "/readyz").is_some_and(|r| r.starts_with("HTTP/1.1 200")) {
            return child;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("serve exited at start: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("serve did not become ready");
}

fn post(port: u16, path: &str, body: &str, user_agent: &str) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: {user_agent}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

/// `(status, retry_count)` of every queued email.
async fn emails(db: &gatehouse_store::Db) -> Vec<(String, i32)> {
    outbox(db)
        .await
        .into_iter()
        .filter(|r| r.channel == "email")
        .map(|r| (r.status, r.retry_count))
        .collect()
}

async fn a_message_queued_before_a_crash_arrives_exactly_once_after_restart(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let (http_port, smtp_port) = (free_port(), free_port());
    let mut server = serve(dir.path(), &db.url, http_port, smtp_port);

    let credentials = format!(r#"{{"login":"cat@example.com","password":"{PASSWORD}"}}"#);
    let register = format!(r#"{{"email":"cat@example.com","password":"{PASSWORD}"}}"#);
    assert!(post(http_port, "/v1/auth/register", &register, FIREFOX).starts_with("HTTP/1.1 202"));
    assert!(post(http_port, "/v1/auth/login", &credentials, FIREFOX).starts_with("HTTP/1.1 200"));
    // A second device: its alert is queued in the login's transaction.
    assert!(post(http_port, "/v1/auth/login", &credentials, CHROME).starts_with("HTTP/1.1 200"));

    // The worker tries, the mail server is down, it schedules retries.
    let reader = db.connect().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = emails(&reader).await;
        if rows
            .iter()
            .any(|(status, retries)| status == "pending" && *retries >= 2)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no failed attempts seen: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    // The sign-up's verification link and the new device's alert.
    let queued = emails(&reader).await;
    assert_eq!(queued.len(), 2);
    assert!(
        queued.iter().all(|(status, _)| status == "pending"),
        "not sent before the crash: {queued:?}"
    );

    let sink = SmtpSink::start_on(smtp_port).await;
    let mut server = serve(dir.path(), &db.url, http_port, smtp_port);
    let mail = sink.wait_for(2, Duration::from_secs(30)).await;
    let subject = |needle: &str| {
        mail.iter()
            .filter(|m| m.headers.get("Subject").is_some_and(|s| s.contains(needle)))
            .count()
    };
    assert_eq!(subject("New sign-in"), 1);
    assert_eq!(subject("Confirm your email"), 1);
    // Several polls and a lease later, still two.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sink.received().len(), 2, "each delivered exactly once");
    assert!(emails(&reader)
        .await
        .iter()
        .all(|(status, _)| status == "sent"));
    server.kill().unwrap();
    server.wait().unwrap();
}
both_backends!(a_message_queued_before_a_crash_arrives_exactly_once_after_restart);
