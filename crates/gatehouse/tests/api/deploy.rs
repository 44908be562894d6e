//! What a deployment starts from (issue 7, item 6): `gatehouse.example.toml` at the
//! repository root starts the service as it is, and `gatehouse healthcheck` — the
//! container's health check — says whether the server at `http.listen` answers.

use crate::binary::{gatehouse, http_get};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn example_file() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../gatehouse.example.toml"
    ))
}

/// `gatehouse --config gatehouse.example.toml ARGS` run from `dir`, on `port` (the only
/// setting changed: the file's 8080 may be taken on a shared machine).
fn with_example(dir: &std::path::Path, port: u16, args: &[&str]) -> Command {
    let mut cmd = gatehouse();
    cmd.current_dir(dir)
        .arg("--config")
        .arg(example_file())
        .args(args)
        .env("GATEHOUSE_LISTEN", format!("127.0.0.1:{port}"));
    cmd
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits up to 30 s for `/readyz` to answer 200.
fn wait_ready(port: u16, server: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if http_get(port, "/readyz").is_some_and(|r| r.starts_with("HTTP/1.1 200")) {
            return true;
        }
        if let Ok(Some(_)) = server.try_wait() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn the_example_file_starts_the_service_and_healthcheck_follows_it() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = with_example(dir.path(), port, &["serve"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ready = wait_ready(port, &mut server);
    let healthy = with_example(dir.path(), port, &["healthcheck"])
        .output()
        .unwrap();
    let _ = server.kill();
    let served = server.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&served.stderr);
    assert!(ready, "never ready: {log}");
    // The file's data_dir, ./data, is under the working directory.
    for file in [
        "data/gatehouse.db",
        "data/signing-key.pem",
        "data/pepper.key",
    ] {
        assert!(dir.path().join(file).exists(), "{file} not created");
    }
    assert_eq!(
        healthy.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&healthy.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&healthy.stdout).trim(), "ok");

    // Nothing listens now: exit 1 and one line saying so.
    let down = with_example(dir.path(), port, &["healthcheck"])
        .output()
        .unwrap();
    assert_eq!(down.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&down.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("healthcheck: cannot connect to 127.0.0.1:{port}")),
        "{stderr}"
    );
}

/// Something that is not gatehouse answers on the port, with an error: unhealthy.
#[test]
fn healthcheck_fails_on_an_answer_other_than_200() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let answer = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut conn, _) = listener.accept().unwrap();
        // The whole request head, as a real server reads it before answering.
        let mut request = Vec::new();
        let mut buf = [0u8; 256];
        while !request.ends_with(b"\r\n\r\n") {
            match conn.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
        }
        conn.write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n")
            .unwrap();
    });
    let dir = tempfile::tempdir().unwrap();
    let out = with_example(dir.path(), port, &["healthcheck"])
        .output()
        .unwrap();
    answer.join().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("503 Service Unavailable"), "{stderr}");
    assert!(
        !dir.path().join("data").exists(),
        "a health check creates nothing"
    );
}
