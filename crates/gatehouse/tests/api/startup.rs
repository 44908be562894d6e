//! What the real binary says while it starts (issue 7, item 3): `--version`, a first log
//! line naming what is starting and where, a busy port or an unreachable database failing
//! at once with one line and exit code 1, an unknown log level refused with exit code 2,
//! plain text logs on a pipe, probes logged at DEBUG, and `migrate status` naming the
//! database it read without creating one.

use crate::binary::{gatehouse, http_get};
use gatehouse_store::{Backend, Location};
use gatehouse_testkit::{both_backends, postgres_admin_url, TcpProxy, TestDb};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// Every start-up failure below must come within this (the issue's bound).
const FAIL_BOUND: Duration = Duration::from_secs(5);
const PASSWORD_IN_URL: &str = "hunter2-in-the-url";

/// A `gatehouse serve` whose stderr is read line by line as it comes; killed when dropped.
struct Running {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(mut cmd: Command) -> Running {
        let mut child = cmd
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The first line containing `text`, waiting up to 30 s for it.
    fn wait_for(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!(
            "no line with {text:?}; stderr so far:\n{}",
            self.seen.join("\n")
        );
    }

    /// Stop the server and return every line it wrote.
    fn stop(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.seen.extend(self.lines.try_iter());
        // The reader thread may still hold the last lines: it ends at EOF.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.seen.push(line);
        }
        std::mem::take(&mut self.seen)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `serve` on port 0 over `url` (or the default SQLite file when `None`), data in `dir`.
fn serve_command(dir: &Path, url: Option<&str>, format: &str) -> Command {
    let mut cmd = gatehouse();
    cmd.current_dir(dir)
        .env("GATEHOUSE_HTTP__LISTEN", "127.0.0.1:0")
        .env("GATEHOUSE_LOG__FORMAT", format)
        .env("GATEHOUSE_LOG__LEVEL", "info");
    if let Some(url) = url {
        cmd.env("GATEHOUSE_DATABASE_URL", url);
    }
    cmd
}

/// `url` with a password in it, so a test can check that nothing prints it. Only the kit's
/// default form (`postgres://user@host...`, no password) gets one; the server trusts the
/// test user, so the password is never asked for.
fn with_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((user, host)) if !user.contains(':') => {
            format!("{scheme}://{user}:{PASSWORD_IN_URL}@{host}")
        }
        _ => url.to_owned(),
    }
}

/// Run `cmd` to its end, no longer than [`FAIL_BOUND`]: exit code, stderr, time taken.
fn run_to_failure(mut cmd: Command) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > FAIL_BOUND + Duration::from_secs(5) {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let took = started.elapsed();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        took,
    )
}

/// The lines of `stderr` that are the binary's own `gatehouse: ...` messages (not logs).
fn own_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("gatehouse: "))
        .collect()
}

#[test]
fn version_flags_print_the_version_without_reading_settings() {
    let expected = format!("gatehouse {}\n", env!("CARGO_PKG_VERSION"));
    for args in [&["--version"][..], &["-V"], &["version"]] {
        // A setting that would stop `serve` (exit 2) is not even read.
        let out = gatehouse()
            .args(args)
            .env("GATEHOUSE_LOG__LEVEL", "verbose")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "{args:?}");
    }
}

/// The first line says what is starting: version, backend, database without its password,
/// data directory and the port the system gave for port 0 — and the server answers there.
async fn first_line_names_what_is_starting(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let url = match backend {
        Backend::Postgres => Some(with_password(&test_db.url)),
        Backend::Sqlite => None,
    };
    let expected_database = match &url {
        Some(url) => Location::parse(url).unwrap().to_string(),
        None => "sqlite:./data/gatehouse.db".to_owned(),
    };
    let dir_path = dir.path().to_owned();
    tokio::task::spawn_blocking(move || {
        let mut server = Running::start(serve_command(&dir_path, url.as_deref(), "json"));
        server.wait_for("gatehouse ready");
        let first: serde_json::Value = serde_json::from_str(&server.seen[0])
            .unwrap_or_else(|e| panic!("{e}: {}", server.seen[0]));
        assert_eq!(first["level"], "INFO", "{first}");
        assert!(
            first["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("gatehouse ") && m.contains("starting")),
            "{first}"
        );
        assert_eq!(first["version"], env!("CARGO_PKG_VERSION"), "{first}");
        let backend_name = match backend {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        };
        assert_eq!(first["backend"], backend_name, "{first}");
        assert_eq!(first["database"], expected_database.as_str(), "{first}");
        assert_eq!(first["data_dir"], "./data", "{first}");
        let listen = first["listen"].as_str().unwrap();
        let port: u16 = listen.strip_prefix("127.0.0.1:").unwrap().parse().unwrap();
        assert_ne!(port, 0, "the bound port, not the configured 0");
        let ready = http_get(port, "/readyz").unwrap();
        assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
        let lines = server.stop();
        assert!(
            lines.iter().all(|l| !l.contains(PASSWORD_IN_URL)),
            "the password reached the logs:\n{}",
            lines.join("\n")
        );
    })
    .await
    .unwrap();
}
both_backends!(first_line_names_what_is_starting);

/// `text` logs on a pipe (a file, journald, `docker logs`) carry no ANSI colour codes.
#[test]
fn text_logs_to_a_pipe_have_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Running::start(serve_command(dir.path(), None, "text"));
    server.wait_for("gatehouse ready");
    let lines = server.stop();
    let first = &lines[0];
    assert!(
        first.contains("INFO") && first.contains("starting") && first.contains("listen="),
        "{first}"
    );
    assert!(
        lines.iter().all(|l| !l.contains('\u{1b}')),
        "colour codes in:\n{}",
        lines.join("\n")
    );
}

/// The address is bound before anything else is touched: a busy port fails at once with
/// one line, exit code 1, and neither the data directory nor the database is reached (the
/// database URL here would fail too, with another line).
#[test]
fn a_busy_port_fails_at_once_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut cmd = gatehouse();
    cmd.arg("serve")
        .current_dir(dir.path())
        .env("GATEHOUSE_HTTP__LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "GATEHOUSE_DATABASE_URL",
            "postgres://postgres@127.0.0.1:1/x",
        );
    let (code, stderr, took) = run_to_failure(cmd);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(took < FAIL_BOUND, "took {took:?}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.starts_with(&format!("gatehouse: cannot listen on 127.0.0.1:{port}: "))
            && stderr.to_lowercase().contains("address already in use"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("data").exists(),
        "the data directory was created"
    );
    drop(taken);
}

/// `serve` against `url` fails within [`FAIL_BOUND`], exit code 1, with one line that
/// names `endpoint` and `cause` (once), after the start line and before any key exists.
fn assert_database_failure(url: &str, endpoint: &str, cause: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = serve_command(dir.path(), Some(url), "json");
    cmd.arg("serve");
    let (code, stderr, took) = run_to_failure(cmd);
    assert_eq!(code, Some(1), "{url}: {stderr}");
    assert!(took < FAIL_BOUND, "{url}: took {took:?}");
    let own = own_lines(&stderr);
    assert_eq!(own.len(), 1, "{url}: one line of its own:\n{stderr}");
    let line = own[0];
    assert!(
        line.starts_with(&format!(
            "gatehouse: cannot connect to PostgreSQL at {endpoint} "
        )),
        "{url}: {line}"
    );
    assert!(line.ends_with(&format!(": {cause}")), "{url}: {line}");
    assert_eq!(stderr.matches(cause).count(), 1, "printed once: {stderr}");
    assert!(!stderr.contains(PASSWORD_IN_URL), "{stderr}");
    assert!(
        stderr.lines().next().unwrap().contains("starting"),
        "the start line comes first: {stderr}"
    );
    for key in ["signing-key.pem", "pepper.key", "encryption.key"] {
        assert!(
            !dir.path().join("data").join(key).exists(),
            "{url}: {key} generated before the database was reached"
        );
    }
}

/// Nothing listening (connection refused) and a listener that never answers (a black
/// hole: the TCP handshake completes in the kernel's backlog, nothing more).
#[test]
fn a_database_that_is_not_there_fails_fast_naming_where_and_why() {
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    assert_database_failure(
        &format!("postgres://gatehouse:{PASSWORD_IN_URL}@127.0.0.1:{closed_port}/gatehouse"),
        &format!("127.0.0.1:{closed_port}"),
        "connection refused",
    );

    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    assert_database_failure(
        &format!("postgres://gatehouse@127.0.0.1:{silent_port}/gatehouse"),
        &format!("127.0.0.1:{silent_port}"),
        "no answer in time",
    );
    drop(silent);
}

/// A server that is up but refuses the login or lacks the database. The test server
/// trusts every local connection (no password is ever checked), so the login refused here
/// is a role that does not exist: the same SQLSTATE class (28, invalid authorization) as a
/// wrong password, reported the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_refusing_the_login_or_the_database_fails_fast() {
    if gatehouse_testkit::skipped(Backend::Postgres) {
        return;
    }
    gatehouse_testkit::require_postgres().await;
    let admin = postgres_admin_url();
    let Ok(Location::Postgres { endpoint, user, .. }) = Location::parse(&admin) else {
        panic!("GATEHOUSE_TEST_POSTGRES_URL is not a PostgreSQL URL");
    };
    tokio::task::spawn_blocking(move || {
        assert_database_failure(
            &format!("postgres://gh_no_such_role:{PASSWORD_IN_URL}@{endpoint}/postgres"),
            &endpoint,
            "authentication failed: role \"gh_no_such_role\" does not exist",
        );
        assert_database_failure(
            &format!("postgres://{user}@{endpoint}/gh_no_such_database"),
            &endpoint,
            "database \"gh_no_such_database\" does not exist",
        );
    })
    .await
    .unwrap();
}

/// A word that is not a level would have made tracing filter for a target of that name
/// and start in silence; it is refused like any bad setting.
#[test]
fn an_unknown_log_level_is_refused_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    for (level, named) in [
        ("verbose", "\"verbose\" is not a level"),
        ("info,chatty", "\"chatty\" is not a level"),
        (
            "gatehouse=loud",
            "\"loud\" in \"gatehouse=loud\" is not a level",
        ),
    ] {
        let out = gatehouse()
            .arg("serve")
            .current_dir(dir.path())
            .env("GATEHOUSE_LOG__LEVEL", level)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{level}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr
                .starts_with("gatehouse: configuration error: GATEHOUSE_LOG__LEVEL (log.level): ")
                && stderr.contains(named),
            "{level}: {stderr}"
        );
    }
    assert!(!dir.path().join("data").exists());
}

/// `POST path` with a JSON body; the status line of the answer.
fn post_status(port: u16, path: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.lines().next().unwrap_or_default().to_owned()
}

/// During an outage a load balancer's `/readyz` answers 503 every few seconds: its access
/// line stays at DEBUG, while an API call's 503 is still logged at INFO.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_log_at_debug_even_when_they_fail() {
    if gatehouse_testkit::skipped(Backend::Postgres) {
        return;
    }
    let test_db = TestDb::new(Backend::Postgres).await;
    let (proxy, url) = TcpProxy::for_postgres_url(&test_db.url).await;
    let dir = tempfile::tempdir().unwrap();
    let cmd = serve_command(dir.path(), Some(&url), "json");
    let (server, port) = tokio::task::spawn_blocking(move || {
        let mut server = Running::start(cmd);
        let ready = server.wait_for("gatehouse ready");
        let ready: serde_json::Value = serde_json::from_str(&ready).unwrap();
        let listen = ready["listen"].as_str().unwrap().to_owned();
        let port: u16 = listen.rsplit_once(':').unwrap().1.parse().unwrap();
        (server, port)
    })
    .await
    .unwrap();

    proxy.cut().await;
    let lines = tokio::task::spawn_blocking(move || {
        let ready = http_get(port, "/readyz").unwrap();
        assert!(ready.starts_with("HTTP/1.1 503"), "{ready}");
        let login = post_status(
            port,
            "/v1/auth/login",
            r#"{"login":"nobody@example.com","password":"not the password"}"#,
        );
        assert!(login.starts_with("HTTP/1.1 503"), "{login}");
        server.stop()
    })
    .await
    .unwrap();
    let access: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("\"message\":\"handled\""))
        .collect();
    assert!(
        access
            .iter()
            .any(|l| l.contains("\"route\":\"/v1/auth/login\"") && l.contains("\"status\":503")),
        "the API call's 503 is at INFO:\n{}",
        lines.join("\n")
    );
    assert!(
        access.iter().all(|l| !l.contains("/readyz")),
        "a probe's access line at INFO:\n{}",
        lines.join("\n")
    );
}

/// `migrate status` says which database it read (without the password), and looking at a
/// SQLite file that is not there creates neither it nor its directory.
async fn migrate_status_names_the_database_it_read(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let url = match backend {
        Backend::Postgres => with_password(&test_db.url),
        Backend::Sqlite => test_db.url.clone(),
    };
    let location = Location::parse(&url).unwrap();
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        let status = |action: &str| {
            let out = gatehouse()
                .args(["migrate", action])
                .env("GATEHOUSE_DATA_DIR", dir.path().join("data"))
                .env("GATEHOUSE_DATABASE_URL", &url)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(out.status.success(), "{stderr}");
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(!stdout.contains(PASSWORD_IN_URL), "{stdout}");
            stdout
        };
        let before = status("status");
        let first = before.lines().next().unwrap();
        match location.sqlite_file() {
            Some(file) => {
                assert_eq!(
                    first,
                    format!("database: sqlite:{} (does not exist yet)", file.display())
                );
                assert!(!file.exists(), "`status` created {}", file.display());
                assert!(!dir.path().join("data").exists());
            }
            None => assert_eq!(first, format!("database: {location}")),
        }
        assert!(
            before.lines().skip(1).all(|l| l.ends_with("pending")),
            "{before}"
        );
        status("up");
        let after = status("status");
        assert_eq!(
            after.lines().next().unwrap(),
            format!("database: {location}")
        );
        assert!(
            after.lines().skip(1).all(|l| l.ends_with("applied")),
            "{after}"
        );
    })
    .await
    .unwrap();
}
both_backends!(migrate_status_names_the_database_it_read);
