//! The real binary on a real socket: a client that stalls in its headers or its body is
//! cut off after the configured time, and the files `serve` creates are private.

use crate::binary::{gatehouse, http_get, without_settings};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `gatehouse serve`, killed when dropped (also when a test fails).
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `cmd` (a `serve` command) on a free port and wait until it is ready.
fn start(mut cmd: Command, data_dir: &Path, env: &[(&str, &str)]) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = cmd
        .env("GATEHOUSE_DATA_DIR", data_dir)
        .env("GATEHOUSE_LISTEN", format!("127.0.0.1:{port}"))
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(30);
    while http_get(port, "/readyz").is_none() {
        assert!(Instant::now() < deadline, "the server never became ready");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// Send `bytes` and then nothing more; read until the server closes the connection.
/// Returns what it answered and how long after the last byte it closed.
fn send_and_stall(port: u16, bytes: &[u8]) -> (String, Duration) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(bytes).unwrap();
    let sent = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!("the server kept the stalled connection open: {e}"),
        }
    }
    (
        String::from_utf8_lossy(&answer).into_owned(),
        sent.elapsed(),
    )
}

/// Closed after the one-second limit, not before and not much later.
fn assert_cut_off_after_a_second(after: Duration) {
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_secs(5),
        "closed after {after:?}"
    );
}

#[test]
fn clients_that_stall_are_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = gatehouse();
    cmd.arg("serve");
    let server = start(
        cmd,
        dir.path(),
        &[
            ("GATEHOUSE_HTTP__HEADER_READ_TIMEOUT_SECS", "1"),
            ("GATEHOUSE_HTTP__BODY_READ_TIMEOUT_SECS", "1"),
        ],
    );

    // Half a header block: the connection is closed (hyper sends nothing).
    let (answer, after) = send_and_stall(
        server.port,
        b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nUser-Agent: slo",
    );
    assert_cut_off_after_a_second(after);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );

    // Headers, then half the declared body: 408 problem+json, then the connection closes.
    let (answer, after) = send_and_stall(
        server.port,
        b"POST /v1/auth/login HTTP/1.1\r\nHost: localhost\r\n\
          Content-Type: application/json\r\nContent-Length: 64\r\n\r\n{\"login\":\"someone",
    );
    assert_cut_off_after_a_second(after);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let lower = answer.to_ascii_lowercase();
    assert!(
        lower.contains("content-type: application/problem+json"),
        "{answer}"
    );
    assert!(lower.contains("connection: close"), "{answer}");
    assert!(answer.contains(r#""code":"body_timeout""#), "{answer}");

    // Prompt clients are served as before, including a 100 KB User-Agent (hyper reads
    // headers up to ~400 KB; what is stored of it is cut to 1 KiB, see `limits`).
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let huge = "x".repeat(100 * 1024);
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nUser-Agent: {huge}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Under a permissive umask (022), `serve` still creates its data directory 0700 and the
/// SQLite database with its `-wal` and `-shm` files 0600.
#[cfg(unix)]
#[test]
fn the_data_directory_and_database_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut cmd = without_settings(Command::new("sh"));
    cmd.args(["-c", r#"umask 022 && exec "$0" serve"#])
        .arg(env!("CARGO_BIN_EXE_gatehouse"));
    let server = start(cmd, &data, &[]);
    assert_eq!(mode(&data), 0o700, "data directory");
    for file in [
        "gatehouse.db",
        "gatehouse.db-wal",
        "gatehouse.db-shm",
        "signing-key.pem",
        "pepper.key",
        "encryption.key",
    ] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    drop(server);
}

/// A data directory the operator made is not changed, but a warning says it is open to
/// others; the database gatehouse creates in it is private all the same.
#[cfg(unix)]
#[test]
fn an_existing_shared_data_directory_is_warned_about_not_changed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shared");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    // `migrate up`, which creates the database (`status` only looks).
    let out = gatehouse()
        .args(["migrate", "up"])
        .env("GATEHOUSE_DATA_DIR", &data)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("data directory is accessible to other users"),
        "{stderr}"
    );
    assert_eq!(mode(&data), 0o755);
    assert_eq!(mode(&data.join("gatehouse.db")), 0o600);
}

/// SIGTERM stops accepting but lets a request in flight finish: a login whose body is
/// half sent when the signal arrives still gets its answer, then the server exits 0.
#[cfg(unix)]
#[test]
fn sigterm_lets_requests_in_flight_finish() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = gatehouse();
    cmd.arg("serve");
    let mut server = start(cmd, dir.path(), &[]);
    let body = br#"{"login":"nobody@example.com","password":"not the password"}"#;
    let (first, rest) = body.split_at(20);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST /v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(first).unwrap();
    // Let the server read the headers and start on the body before the signal.
    std::thread::sleep(Duration::from_millis(300));
    let killed = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server exited with a request in flight"
    );

    stream.write_all(rest).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(
        answer.contains(r#""code":"invalid_credentials""#),
        "{answer}"
    );

    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
}
