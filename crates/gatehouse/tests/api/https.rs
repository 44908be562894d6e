//! `gatehouse serve` speaking HTTPS itself (`[http] tls_cert_file`, `tls_key_file`): the
//! binary on a free port with a throwaway self-signed certificate, a client that trusts
//! only that certificate, and SIGHUP swapping it (a broken pair keeps the old one).

use crate::binary::{gatehouse, http_get};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A self-signed certificate for `localhost` written to `cert.pem` and `key.pem` in `dir`;
/// returns the certificate's PEM (what a client is told to trust).
fn write_pair(dir: &Path) -> String {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = made.cert.pem();
    std::fs::write(dir.join("cert.pem"), &cert).unwrap();
    std::fs::write(dir.join("key.pem"), made.key_pair.serialize_pem()).unwrap();
    cert
}

/// A new client trusting only `cert_pem`: a new one for every check, so no kept
/// connection or resumable TLS session hides which certificate is served now.
fn client_trusting(cert_pem: &str, port: u16) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap())
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

async fn healthz(client: &reqwest::Client, port: u16) -> Result<reqwest::StatusCode, String> {
    client
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await
        .map(|r| r.status())
        .map_err(|e| format!("{e:?}"))
}

/// Wait (bounded) until the server's log holds `count` lines containing `text`.
fn wait_for_log(log: &Path, text: &str, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let seen = std::fs::read_to_string(log).unwrap_or_default();
        if seen.matches(text).count() >= count {
            return;
        }
        assert!(Instant::now() < deadline, "no {text:?} in the log: {seen}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn hang_up(child: &Child) {
    let status = Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// `gatehouse healthcheck` with the server's settings: whether it said ok.
fn healthcheck(dir: &Path, port: u16) -> (bool, String) {
    let out = gatehouse()
        .current_dir(dir)
        .arg("healthcheck")
        .env("GATEHOUSE_HTTP__LISTEN", format!("127.0.0.1:{port}"))
        .env("GATEHOUSE_HTTP__TLS_CERT_FILE", dir.join("cert.pem"))
        .env("GATEHOUSE_HTTP__TLS_KEY_FILE", dir.join("key.pem"))
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serve_speaks_https_and_reloads_its_certificate_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let first = write_pair(dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = dir.path().join("serve.log");
    let server = Server(
        gatehouse()
            .current_dir(dir.path())
            .arg("serve")
            .env("GATEHOUSE_HTTP__LISTEN", format!("127.0.0.1:{port}"))
            .env("GATEHOUSE_HTTP__TLS_CERT_FILE", dir.path().join("cert.pem"))
            .env("GATEHOUSE_HTTP__TLS_KEY_FILE", dir.path().join("key.pem"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    wait_for_log(&log, "gatehouse ready", 1);
    assert_eq!(
        healthz(&client_trusting(&first, port), port).await,
        Ok(reqwest::StatusCode::OK)
    );
    // The container health check speaks TLS too, accepting the configured certificate.
    let (healthy, stderr) = healthcheck(dir.path(), port);
    assert!(healthy, "{stderr}");
    // Plain HTTP on the same port gets no HTTP answer.
    let plain = http_get(port, "/healthz").unwrap_or_default();
    assert!(!plain.starts_with("HTTP/"), "{plain}");

    // A broken pair (the key file is not a key) is refused; the first one stays.
    std::fs::write(dir.path().join("key.pem"), "not a key\n").unwrap();
    hang_up(&server.0);
    wait_for_log(&log, "not reloaded", 1);
    assert_eq!(
        healthz(&client_trusting(&first, port), port).await,
        Ok(reqwest::StatusCode::OK)
    );

    // A new pair: new connections get it, and the first certificate is no longer served.
    let second = write_pair(dir.path());
    // Before the reload the server still presents the first certificate, which the health
    // check (reading the new file) does not accept.
    let (healthy, stderr) = healthcheck(dir.path(), port);
    assert!(
        !healthy && stderr.contains("another certificate"),
        "{stderr}"
    );
    hang_up(&server.0);
    wait_for_log(&log, "TLS certificate reloaded", 1);
    assert_eq!(
        healthz(&client_trusting(&second, port), port).await,
        Ok(reqwest::StatusCode::OK)
    );
    let refused = healthz(&client_trusting(&first, port), port).await;
    let error = refused.expect_err("the old certificate is still served");
    let (healthy, stderr) = healthcheck(dir.path(), port);
    assert!(healthy, "{stderr}");
    // Both certificates name the same issuer, so the old one fails on its signature.
    assert!(error.contains("InvalidCertificate"), "{error}");
}
