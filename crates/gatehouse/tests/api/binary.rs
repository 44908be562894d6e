//! The `gatehouse` binary itself: configuration errors, `migrate`, and `serve` with no
//! configuration at all. (Its limits on slow clients and its file modes: `binary_limits`.)

use gatehouse_core::keys::SigningKeyPair;
use gatehouse_store::Backend;
use gatehouse_testkit::TestDb;
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) fn gatehouse() -> Command {
    without_settings(Command::new(env!("CARGO_BIN_EXE_gatehouse")))
}

/// Run `gatehouse ARGS` to its end against the database at `url`, with `data_dir` as its
/// data directory: its exit code, stdout and stderr.
pub(crate) fn run_against(
    url: &str,
    data_dir: &std::path::Path,
    args: &[&str],
) -> (Option<i32>, String, String) {
    let out = gatehouse()
        .env("GATEHOUSE_DATA_DIR", data_dir)
        .env("GATEHOUSE_DATABASE_URL", url)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// `cmd` started from a clean slate: no inherited GATEHOUSE_* settings.
pub(crate) fn without_settings(mut cmd: Command) -> Command {
    for (k, _) in std::env::vars() {
        if k.starts_with("GATEHOUSE_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

#[test]
fn bad_or_unknown_settings_stop_startup_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, &str, &str)> = vec![
        // The quick-start names, kept as they were.
        (
            "GATEHOUSE_LISTEN",
            "not-an-address",
            "GATEHOUSE_LISTEN (http.listen)",
        ),
        ("GATEHOUSE_LISTN", "127.0.0.1:1", "GATEHOUSE_LISTN"),
        // SMTP chosen without a server to send to.
        (
            "GATEHOUSE_NOTIFICATIONS__EMAIL_TRANSPORT",
            "smtp",
            "notifications.smtp_url",
        ),
        (
            "GATEHOUSE_NOTIFICATIONS__BATCH_SIZE",
            "0",
            "GATEHOUSE_NOTIFICATIONS__BATCH_SIZE (notifications.batch_size)",
        ),
        (
            "GATEHOUSE_DATABASE_URL",
            "mysql://x",
            "GATEHOUSE_DATABASE_URL (database.url)",
        ),
        (
            "GATEHOUSE_HTTP__LISTEN",
            "not-an-address",
            "GATEHOUSE_HTTP__LISTEN (http.listen)",
        ),
        ("GATEHOUSE_HTTP__MYSTERY", "1", "GATEHOUSE_HTTP__MYSTERY"),
        // HTTPS needs the key as well as the certificate.
        (
            "GATEHOUSE_HTTP__TLS_CERT_FILE",
            "/etc/gatehouse/cert.pem",
            "http.tls_key_file",
        ),
        (
            "GATEHOUSE_PASSWORD__MIN_LENGTH",
            "4",
            "GATEHOUSE_PASSWORD__MIN_LENGTH (password.min_length)",
        ),
        (
            "GATEHOUSE_TOKENS__ACCESS_TOKEN_TTL_SECS",
            "soon",
            "tokens.access_token_ttl_secs",
        ),
        // Checked with the other settings, not later when the keys load (exit 1).
        (
            "GATEHOUSE_KEYS__PEPPER",
            "not-base64!",
            "GATEHOUSE_KEYS__PEPPER",
        ),
        (
            "GATEHOUSE_KEYS__PEPPER",
            "c2hvcnQ=",
            "GATEHOUSE_KEYS__PEPPER",
        ),
        (
            "GATEHOUSE_KEYS__ENCRYPTION_KEY",
            "c2hvcnQ=",
            "GATEHOUSE_KEYS__ENCRYPTION_KEY",
        ),
        (
            "GATEHOUSE_KEYS__SIGNING_KEY_FILE",
            "/nonexistent/signing-key.pem",
            "GATEHOUSE_KEYS__SIGNING_KEY_FILE",
        ),
        (
            "GATEHOUSE_MYSTERY_FILE",
            "/etc/hostname",
            "GATEHOUSE_MYSTERY_FILE",
        ),
        // Range checks.
        (
            "GATEHOUSE_LOGIN__MAX_FAILURES_PER_IP",
            "0",
            "GATEHOUSE_LOGIN__MAX_FAILURES_PER_IP",
        ),
        (
            "GATEHOUSE_LOGIN__IP_WINDOW_SECS",
            "0",
            "GATEHOUSE_LOGIN__IP_WINDOW_SECS",
        ),
        (
            "GATEHOUSE_LOGIN__ACCOUNT_WINDOW_SECS",
            "0",
            "GATEHOUSE_LOGIN__ACCOUNT_WINDOW_SECS",
        ),
        (
            "GATEHOUSE_ARGON2__HASH_CONCURRENCY",
            "257",
            "GATEHOUSE_ARGON2__HASH_CONCURRENCY",
        ),
        (
            "GATEHOUSE_PASSWORD__HISTORY",
            "0",
            "GATEHOUSE_PASSWORD__HISTORY",
        ),
        // An old name with a bad value: the one line is the error, naming both.
        (
            "GATEHOUSE_LOGIN_LOCKOUT_SECS",
            "0",
            "GATEHOUSE_LOGIN_LOCKOUT_SECS (login.lockout_secs)",
        ),
    ];
    for (key, value, named) in cases {
        let out = gatehouse()
            .arg("serve")
            .env("GATEHOUSE_DATA_DIR", dir.path())
            .env(key, value)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{key}={value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains(named), "{key}: {stderr}");
    }
    // A bad key in the TOML file is named too, with its section.
    let file = dir.path().join("gatehouse.toml");
    for (toml, named) in [
        ("mystery = 1\n", "mystery: unknown setting"),
        (
            "[http]\nlisten = \"127.0.0.1:0\"\nmystery = 1\n",
            "http.mystery: unknown setting",
        ),
    ] {
        std::fs::write(&file, toml).unwrap();
        let out = gatehouse()
            .args(["--config", file.to_str().unwrap(), "serve"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{toml}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(named), "{toml}: {stderr}");
    }
}

#[test]
fn file_secrets_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("listen.txt");
    std::fs::write(&secret, "nonsense\n").unwrap();
    let out = gatehouse()
        .arg("serve")
        .env("GATEHOUSE_DATA_DIR", dir.path())
        .env("GATEHOUSE_HTTP__LISTEN_FILE", &secret)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "the file's content was used as the setting"
    );
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("GATEHOUSE_HTTP__LISTEN_FILE (http.listen): not an address:port"));
}

/// Writes a fresh Ed25519 PEM key into `dir`; returns its path and its JWK `x`.
fn write_signing_key(dir: &Path) -> (PathBuf, String) {
    let (pair, pem) = SigningKeyPair::generate().unwrap();
    let path = dir.join("provided-signing-key.pem");
    std::fs::write(&path, pem).unwrap();
    (path, pair.public_x)
}

/// `migrate status` on a fresh SQLite file in `dir`, with extra settings.
fn migrate_status(dir: &Path, env: &[(&str, &OsStr)]) -> std::process::Output {
    let url = format!("sqlite://{}", dir.join("gatehouse.db").display());
    gatehouse()
        .args(["migrate", "status"])
        .env("GATEHOUSE_DATA_DIR", dir)
        .env("GATEHOUSE_DATABASE_URL", url)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// `GATEHOUSE_KEYS__SIGNING_KEY_FILE` is the path setting `signing_key_file` (its own
/// name ends in `_FILE`), and the key it names is the one that signs.
#[test]
fn signing_key_file_from_the_environment_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let (key, public_x) = write_signing_key(dir.path());
    let out = migrate_status(
        dir.path(),
        &[("GATEHOUSE_KEYS__SIGNING_KEY_FILE", key.as_os_str())],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // ..._FILE_FILE reads that path from a file.
    let holder = dir.path().join("signing-key-path.txt");
    std::fs::write(&holder, format!("{}\n", key.display())).unwrap();
    let out = migrate_status(
        dir.path(),
        &[("GATEHOUSE_KEYS__SIGNING_KEY_FILE_FILE", holder.as_os_str())],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut cmd = gatehouse();
    cmd.env("GATEHOUSE_DATA_DIR", dir.path())
        .env("GATEHOUSE_KEYS__SIGNING_KEY_FILE", &key);
    let (jwks, stderr) = serve_and_get(cmd, "/.well-known/jwks.json");
    let jwks = jwks.unwrap_or_else(|| panic!("never ready: {stderr}"));
    assert!(jwks.starts_with("HTTP/1.1 200"), "{jwks}");
    assert!(
        jwks.contains(&public_x),
        "the provided key is published: {jwks}"
    );
    assert!(
        !dir.path().join("signing-key.pem").exists(),
        "no key generated when one is provided"
    );
}

#[test]
fn a_bad_signing_key_file_stops_startup_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a key").unwrap();
    let missing = dir.path().join("missing.pem");
    for path in [&missing, &garbage] {
        let out = migrate_status(
            dir.path(),
            &[("GATEHOUSE_KEYS__SIGNING_KEY_FILE", path.as_os_str())],
        );
        assert_eq!(out.status.code(), Some(2), "{}", path.display());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.contains("GATEHOUSE_KEYS__SIGNING_KEY_FILE"),
            "{stderr}"
        );
    }
}

/// Digits stay text for a text setting; numeric settings still get numbers.
#[test]
fn all_digit_values_for_text_settings_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let out = migrate_status(
        dir.path(),
        &[
            ("GATEHOUSE_TOKENS__ISSUER", OsStr::new("12345")),
            ("GATEHOUSE_TOKENS__ACCESS_TOKEN_TTL_SECS", OsStr::new("60")),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An old flat name still works for now, with a warning on stderr naming the new one; the
/// quick-start names (`GATEHOUSE_DATABASE_URL`, `GATEHOUSE_DATA_DIR`) get none.
#[test]
fn old_setting_names_work_with_a_deprecation_warning() {
    let dir = tempfile::tempdir().unwrap();
    let out = migrate_status(dir.path(), &[]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("deprecated"), "{stderr}");

    let (key, _) = write_signing_key(dir.path());
    let out = migrate_status(
        dir.path(),
        &[
            ("GATEHOUSE_ISSUER", OsStr::new("old-name")),
            ("GATEHOUSE_SIGNING_KEY_FILE", key.as_os_str()),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    for (old, new) in [
        ("GATEHOUSE_ISSUER", "GATEHOUSE_TOKENS__ISSUER"),
        (
            "GATEHOUSE_SIGNING_KEY_FILE",
            "GATEHOUSE_KEYS__SIGNING_KEY_FILE",
        ),
    ] {
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(&format!("{old} is deprecated")) && l.contains(new)),
            "{old}: {stderr}"
        );
    }

    // Old and new together are refused.
    let out = migrate_status(
        dir.path(),
        &[
            ("GATEHOUSE_ISSUER", OsStr::new("old")),
            ("GATEHOUSE_TOKENS__ISSUER", OsStr::new("new")),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("choose one"));
}

fn migrate(url: &str, args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = gatehouse()
        .arg("migrate")
        .args(args)
        .env("GATEHOUSE_DATA_DIR", dir.path())
        .env("GATEHOUSE_DATABASE_URL", url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "migrate {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `migrate status` without its first line, which names the database it read.
fn migrate_status_rows(url: &str) -> String {
    let out = migrate(url, &["status"]);
    let (database, rows) = out.split_once('\n').unwrap_or((&out, ""));
    assert!(database.starts_with("database: "), "{out}");
    rows.to_owned()
}

async fn migrate_down_to_zero_and_up_again(backend: Backend) {
    let db = TestDb::new(backend).await;
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || {
        let status = migrate_status_rows(&url);
        assert!(status.lines().all(|l| l.ends_with("pending")), "{status}");
        migrate(&url, &["up"]);
        let status = migrate_status_rows(&url);
        assert!(
            status.lines().count() >= 5 && status.lines().all(|l| l.ends_with("applied")),
            "{status}"
        );
        migrate(&url, &["down", "--to", "0"]);
        let status = migrate_status_rows(&url);
        assert!(status.lines().all(|l| l.ends_with("pending")), "{status}");
        migrate(&url, &["up"]);
        migrate(&url, &["down", "--to", "3"]);
        let status = migrate_status_rows(&url);
        let applied = status.lines().filter(|l| l.ends_with("applied")).count();
        assert_eq!(applied, 3, "{status}");
        migrate(&url, &["up"]);
    })
    .await
    .unwrap();
}
gatehouse_testkit::both_backends!(migrate_down_to_zero_and_up_again);

pub(crate) fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

/// Runs `serve` on a free port, waits for /readyz, then GETs `path`. Returns the response
/// (None if the server never became ready) and the server's stderr.
pub(crate) fn serve_and_get(mut cmd: Command, path: &str) -> (Option<String>, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = cmd
        .arg("serve")
        .env("GATEHOUSE_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut response = None;
    while Instant::now() < deadline {
        if http_get(port, "/readyz").is_some() {
            response = http_get(port, path);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    (
        response,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// With nothing but a data directory, `serve` creates its keys and SQLite database,
/// migrates and answers /readyz.
#[test]
fn serve_with_no_configuration_starts_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = gatehouse();
    cmd.current_dir(dir.path());
    let (ready, stderr) = serve_and_get(cmd, "/readyz");
    let ready = ready.unwrap_or_else(|| panic!("never ready: {stderr}"));
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
    for file in [
        "data/gatehouse.db",
        "data/signing-key.pem",
        "data/pepper.key",
        "data/encryption.key",
    ] {
        assert!(dir.path().join(file).exists(), "{file} not created");
    }
    assert!(
        stderr.contains("production must set its own"),
        "a loud warning about generated keys"
    );
}
