//! Several nodes (issue 11, item 5): two `gatehouse serve` processes on one PostgreSQL, with
//! one data directory (the same keys), behave as one service with PostgreSQL alone — failed
//! logins counted on one node lock the account on the other, a session ended through one
//! node is refused by the other within a second, and the delivery workers of both never
//! send one message twice. PostgreSQL only: an SQLite file serves one node.

use gatehouse_store::Backend;
use gatehouse_testkit::TestDb;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

struct Node {
    port: u16,
    child: Child,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(dir: &std::path::Path, url: &str) -> Node {
    let port = free_port();
    let child = crate::binary::gatehouse()
        .arg("serve")
        .current_dir(dir)
        .env("GATEHOUSE_LISTEN", format!("127.0.0.1:{port}"))
        .env("GATEHOUSE_DATABASE_URL", url)
        .env("GATEHOUSE_LOGIN__MAX_FAILURES_PER_ACCOUNT", "3")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let node = Node { port, child };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if crate::binary::http_get(port, "/readyz").is_some_and(|r| r.starts_with("HTTP/1.1 200")) {
            return node;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("node on port {port} never became ready");
}

/// One request; the status and the JSON body (Null when there is none).
fn call(
    node: &Node,
    method: &str,
    path: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> (u16, Value) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", node.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let auth = token
        .map(|t| format!("authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{auth}content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let json = response
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

const PASSWORD: &str = "correct horse battery staple";

fn login(node: &Node, email: &str, password: &str, device: &str) -> (u16, Value) {
    call(
        node,
        "POST",
        "/v1/auth/login",
        Some(json!({"login": email, "password": password, "device": {"fingerprint": device}})),
        None,
    )
}

/// The outbox lines (the dev transport's file, shared by both nodes' workers).
fn outbox(dir: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("data/outbox.log"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn wait_for_outbox(dir: &std::path::Path, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let lines = outbox(dir);
        if lines.len() >= n || Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sign up on node A and verify the address through the mailed link.
fn verified_account(a: &Node, dir: &std::path::Path, email: &str) {
    let (status, _) = call(
        a,
        "POST",
        "/v1/auth/register",
        Some(json!({"email": email, "password": PASSWORD})),
        None,
    );
    assert_eq!(status, 202);
    let deadline = Instant::now() + Duration::from_secs(20);
    let text = loop {
        let found = outbox(dir)
            .into_iter()
            .find(|l| l["to"] == email && l["text"].as_str().is_some_and(|t| t.contains("token=")));
        if let Some(line) = found {
            break line["text"].as_str().unwrap().to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "no verification mail for {email}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let token = text
        .split("token=")
        .nth(1)
        .unwrap()
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .next()
        .unwrap();
    let (status, body) = call(
        a,
        "POST",
        "/v1/auth/verify-email",
        Some(json!({"token": token})),
        None,
    );
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_processes_on_one_postgresql_behave_as_one_service() {
    if gatehouse_testkit::skipped(Backend::Postgres) {
        return;
    }
    let db = TestDb::new(Backend::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let a = start(dir.path(), &db.url);
    let b = start(dir.path(), &db.url);

    // Failed logins on A lock the account on B too.
    verified_account(&a, dir.path(), "locked@example.com");
    for _ in 0..3 {
        let (status, _) = login(&a, "locked@example.com", "wrong password here", "dev-1");
        assert_eq!(status, 401);
    }
    let (status, body) = login(&b, "locked@example.com", PASSWORD, "dev-1");
    assert_eq!(status, 429, "{body}");

    // A session ended through A is refused by B within a second.
    verified_account(&a, dir.path(), "ends@example.com");
    let (status, tokens) = login(&a, "ends@example.com", PASSWORD, "dev-2");
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let (status, _) = call(&b, "GET", "/v1/me", None, Some(&access));
    assert_eq!(status, 200);
    let (status, _) = call(&a, "POST", "/v1/auth/logout", None, Some(&access));
    assert_eq!(status, 204);
    let ended = Instant::now();
    loop {
        let (status, _) = call(&b, "GET", "/v1/me", None, Some(&access));
        if status == 401 {
            break;
        }
        assert!(
            ended.elapsed() < Duration::from_secs(1),
            "B still accepts the ended session"
        );
        std::thread::sleep(Duration::from_millis(10));
    }

    // New-device alerts queued through both nodes are each delivered once, by either
    // node's worker.
    let before = outbox(dir.path()).len();
    const LOGINS: usize = 12;
    for i in 0..LOGINS {
        let node = if i % 2 == 0 { &a } else { &b };
        let (status, body) = login(node, "ends@example.com", PASSWORD, &format!("laptop-{i}"));
        assert_eq!(status, 200, "{body}");
    }
    let lines = wait_for_outbox(dir.path(), before + LOGINS);
    std::thread::sleep(Duration::from_millis(500));
    let lines = if outbox(dir.path()).len() > lines.len() {
        outbox(dir.path())
    } else {
        lines
    };
    let mut ids: Vec<String> = lines.iter().map(|l| l["id"].to_string()).collect();
    let all = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all, "a message was delivered twice");
    assert!(
        all >= before + LOGINS,
        "{all} lines, expected at least {}",
        before + LOGINS
    );
}
