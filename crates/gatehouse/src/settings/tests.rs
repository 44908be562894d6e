//! Unit tests of settings loading: sections from the file, the checks, the keys. The
//! environment's rules are tested in [`environment`], the old flat names in [`old_names`].

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod environment;
mod example_file;
mod old_names;

use super::*;
use gatehouse_core::keys::SigningKeyPair;
use std::time::Duration;

fn vars(env: &[(&str, &str)]) -> Vec<(String, String)> {
    env.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn load(env: &[(&str, &str)]) -> Result<Loaded, SettingError> {
    Settings::load_from(None, vars(env))
}

fn refused(env: &[(&str, &str)]) -> String {
    match load(env) {
        Ok(_) => panic!("{env:?} was accepted"),
        Err(e) => e.to_string(),
    }
}

/// Loads `toml` as the configuration file, with `env` over it.
fn load_file(toml: &str, env: &[(&str, &str)]) -> Result<Loaded, SettingError> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gatehouse.toml");
    std::fs::write(&file, toml).unwrap();
    Settings::load_from(Some(&file), vars(env))
}

fn refused_file(toml: &str) -> String {
    match load_file(toml, &[]) {
        Ok(_) => panic!("{toml} was accepted"),
        Err(e) => e.to_string(),
    }
}

/// Base64 of 32 zero bytes.
fn secret32() -> String {
    format!("{}=", "A".repeat(43))
}

fn write_signing_key(dir: &Path) -> PathBuf {
    let (_, pem) = SigningKeyPair::generate().unwrap();
    let path = dir.join("signing.pem");
    std::fs::write(&path, pem).unwrap();
    path
}

#[test]
fn known_keys_come_from_the_sections() {
    let known = known_keys().unwrap();
    assert!(known["data_dir"].is_string());
    assert!(known["http"]["listen"].is_string());
    assert!(known["keys"]
        .as_object()
        .unwrap()
        .contains_key("signing_key_file"));
    assert!(known["database"]["max_connections"].is_number());
    assert_eq!(known["database"]["acquire_timeout_ms"], 1500);
    assert!(known["tokens"]["access_token_ttl_secs"].is_number());
    assert!(known["tokens"]["issuer"].is_string());
}

#[test]
fn sections_are_read_from_the_file_and_keep_their_other_defaults() {
    let loaded = load_file(
        r#"
data_dir = "/var/lib/gatehouse"

[http]
listen = "0.0.0.0:9000"

[database]
max_connections = 4
acquire_timeout_ms = 2500

[log]
format = "json"

[tokens]
issuer = "https://id.example.com"
access_token_ttl_secs = 300

[argon2]
memory_kib = 65536
hash_concurrency = 3

[password]
min_length = 12

[login]
lockout_secs = 60
"#,
        &[],
    )
    .unwrap();
    assert_eq!(loaded.deprecations, []);
    let s = loaded.settings;
    assert_eq!(s.data_dir, PathBuf::from("/var/lib/gatehouse"));
    assert_eq!(s.http.listen, "0.0.0.0:9000");
    assert_eq!(s.http.max_body_bytes, HttpConfig::default().max_body_bytes);
    assert_eq!(s.database.options().max_connections, 4);
    assert_eq!(
        s.database.options().acquire_timeout,
        Duration::from_millis(2500)
    );
    assert_eq!(s.log.format, "json");
    assert_eq!(s.log.level, "info");

    let core = s.core_config();
    assert_eq!(core.issuer, "https://id.example.com");
    assert_eq!(core.access_token_ttl.as_secs(), 300);
    assert_eq!(core.session_ttl, CoreConfig::default().session_ttl);
    assert_eq!(core.argon2.memory_kib, 65536);
    assert_eq!(core.argon2.iterations, 2);
    assert_eq!(core.hash_concurrency, 3);
    assert_eq!(core.password_policy.min_length, 12);
    assert_eq!(core.password_policy.max_length, 128);
    assert_eq!(core.throttle.lockout.as_secs(), 60);
    assert_eq!(core.throttle.account_max_failures, 10);
}

#[test]
fn the_environment_overrides_the_file() {
    let loaded = load_file(
        "[tokens]\nissuer = \"file\"\naccess_token_ttl_secs = 300\n",
        &[("GATEHOUSE_TOKENS__ISSUER", "env")],
    )
    .unwrap();
    assert_eq!(loaded.settings.tokens.issuer, "env");
    assert_eq!(loaded.settings.tokens.access_token_ttl_secs, 300);
}

#[test]
fn an_unknown_key_in_the_file_is_refused_with_its_path() {
    assert_eq!(
        refused_file("[http]\nlisten_port = 8080\n"),
        "http.listen_port: unknown setting"
    );
    assert_eq!(
        refused_file("[mystery]\nx = 1\n"),
        "mystery: unknown setting"
    );
    assert_eq!(refused_file("mystery = 1\n"), "mystery: unknown setting");
}

#[test]
fn a_bad_value_names_its_key() {
    let e = refused_file("[tokens]\naccess_token_ttl_secs = \"soon\"\n");
    assert!(e.starts_with("tokens.access_token_ttl_secs: "), "{e}");
    let e = refused_file("[http]\nlisten = \"nowhere\"\n");
    assert!(e.starts_with("http.listen: not an address:port"), "{e}");
    let e = refused_file("[password]\nmin_length = 4\n");
    assert!(e.starts_with("password.min_length: must be 8 to 64"), "{e}");

    // From the environment, the variable is named too.
    let e = refused(&[("GATEHOUSE_TOKENS__ACCESS_TOKEN_TTL_SECS", "soon")]);
    assert_eq!(
        e,
        "GATEHOUSE_TOKENS__ACCESS_TOKEN_TTL_SECS (tokens.access_token_ttl_secs): \
         must be a whole number, not \"soon\""
    );
    let e = refused(&[("GATEHOUSE_DATABASE__MAX_CONNECTIONS", "-1")]);
    assert!(e.contains("database.max_connections"), "{e}");

    // Too large for the field's type is refused by extraction, still naming the key.
    let e = refused(&[("GATEHOUSE_ARGON2__ITERATIONS", "99999999999")]);
    assert!(
        e.starts_with("GATEHOUSE_ARGON2__ITERATIONS (argon2.iterations): "),
        "{e}"
    );
}

#[test]
fn a_missing_or_broken_file_is_refused() {
    let e = Settings::load_from(Some(Path::new("/nonexistent/gatehouse.toml")), vec![])
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("--config: /nonexistent/gatehouse.toml does not exist"),
        "{e}"
    );
    let e = refused_file("[http\n");
    assert!(e.starts_with("--config: "), "{e}");
}

#[test]
fn ranges_are_checked() {
    let cases = [
        ("GATEHOUSE_LOGIN__MAX_FAILURES_PER_IP", "0"),
        ("GATEHOUSE_LOGIN__MAX_FAILURES_PER_IP", "100001"),
        ("GATEHOUSE_LOGIN__MAX_FAILURES_PER_ACCOUNT", "101"),
        ("GATEHOUSE_LOGIN__ACCOUNT_WINDOW_SECS", "0"),
        ("GATEHOUSE_LOGIN__IP_WINDOW_SECS", "0"),
        ("GATEHOUSE_LOGIN__LOCKOUT_SECS", "0"),
        ("GATEHOUSE_TOKENS__SESSION_TTL_SECS", "0"),
        ("GATEHOUSE_ARGON2__HASH_CONCURRENCY", "257"),
        ("GATEHOUSE_ARGON2__ITERATIONS", "0"),
        ("GATEHOUSE_ARGON2__PARALLELISM", "0"),
        ("GATEHOUSE_ARGON2__MEMORY_KIB", "7"),
        ("GATEHOUSE_PASSWORD__HISTORY", "0"),
        ("GATEHOUSE_PASSWORD__HISTORY", "25"),
        ("GATEHOUSE_PASSWORD__MAX_LENGTH", "63"),
        ("GATEHOUSE_HTTP__MAX_BODY_BYTES", "1023"),
        ("GATEHOUSE_HTTP__HEADER_READ_TIMEOUT_SECS", "0"),
        ("GATEHOUSE_HTTP__BODY_READ_TIMEOUT_SECS", "0"),
        ("GATEHOUSE_HTTP__REQUEST_TIMEOUT_SECS", "0"),
        ("GATEHOUSE_HTTP__REQUEST_TIMEOUT_SECS", "3601"),
        ("GATEHOUSE_TOKENS__MAX_ACTIVE_SESSIONS_PER_USER", "0"),
        ("GATEHOUSE_TOKENS__MAX_ACTIVE_SESSIONS_PER_USER", "10001"),
        ("GATEHOUSE_DATABASE__MAX_CONNECTIONS", "0"),
        ("GATEHOUSE_DATABASE__ACQUIRE_TIMEOUT_MS", "0"),
        ("GATEHOUSE_DATABASE__ACQUIRE_TIMEOUT_MS", "99"),
        ("GATEHOUSE_DATABASE__ACQUIRE_TIMEOUT_MS", "30001"),
        ("GATEHOUSE_DATABASE__URL", "mysql://x"),
        ("GATEHOUSE_LOG__FORMAT", "xml"),
        ("GATEHOUSE_LOG__LEVEL", "info,[bad"),
        ("GATEHOUSE_MAINTENANCE__INTERVAL_SECS", "59"),
        ("GATEHOUSE_MAINTENANCE__INTERVAL_SECS", "86401"),
        // Shorter than the remember-me idle timeout (7 days by default).
        ("GATEHOUSE_MAINTENANCE__REUSE_WINDOW_SECS", "604799"),
        // Shorter than the reuse window (7 days by default).
        ("GATEHOUSE_MAINTENANCE__SESSION_RETENTION_SECS", "604799"),
        ("GATEHOUSE_MAINTENANCE__BATCH_SIZE", "0"),
        ("GATEHOUSE_MAINTENANCE__BATCH_SIZE", "10001"),
    ];
    for (name, value) in cases {
        let e = refused(&[(name, value)]);
        assert!(e.starts_with(&format!("{name} (")), "{name}={value}: {e}");
    }
    let edges = [
        ("GATEHOUSE_LOGIN__MAX_FAILURES_PER_IP", "1"),
        ("GATEHOUSE_LOGIN__MAX_FAILURES_PER_IP", "100000"),
        ("GATEHOUSE_ARGON2__HASH_CONCURRENCY", "256"),
        ("GATEHOUSE_ARGON2__MEMORY_KIB", "8"),
        ("GATEHOUSE_PASSWORD__HISTORY", "1"),
        ("GATEHOUSE_PASSWORD__HISTORY", "24"),
        ("GATEHOUSE_PASSWORD__MAX_LENGTH", "1024"),
        ("GATEHOUSE_LOGIN__IP_WINDOW_SECS", "1"),
        ("GATEHOUSE_HTTP__MAX_BODY_BYTES", "1024"),
        ("GATEHOUSE_DATABASE__ACQUIRE_TIMEOUT_MS", "100"),
        ("GATEHOUSE_DATABASE__ACQUIRE_TIMEOUT_MS", "30000"),
        ("GATEHOUSE_HTTP__HEADER_READ_TIMEOUT_SECS", "1"),
        ("GATEHOUSE_HTTP__REQUEST_TIMEOUT_SECS", "3600"),
        ("GATEHOUSE_TOKENS__MAX_ACTIVE_SESSIONS_PER_USER", "1"),
        ("GATEHOUSE_TOKENS__MAX_ACTIVE_SESSIONS_PER_USER", "10000"),
    ];
    for (name, value) in edges {
        assert!(load(&[(name, value)]).is_ok(), "{name}={value}");
    }
}

#[test]
fn secrets_must_be_32_bytes_of_base64_and_are_never_shown() {
    let good = secret32();
    let s = load(&[
        ("GATEHOUSE_KEYS__PEPPER", &good),
        ("GATEHOUSE_KEYS__ENCRYPTION_KEY", &good),
    ])
    .unwrap()
    .settings;
    assert_eq!(s.keys.pepper.as_deref(), Some(good.as_str()));
    let debug = format!("{s:?}");
    assert!(!debug.contains(&good), "Debug redacts the keys: {debug}");
    assert!(debug.contains("[redacted]"), "{debug}");
    for (name, key) in [
        ("GATEHOUSE_KEYS__PEPPER", "keys.pepper"),
        ("GATEHOUSE_KEYS__ENCRYPTION_KEY", "keys.encryption_key"),
    ] {
        for bad in ["not base64!", "c2hvcnQ=", ""] {
            let e = refused(&[(name, bad)]);
            assert!(e.starts_with(&format!("{name} ({key}): ")), "{e}");
            if !bad.is_empty() {
                assert!(!e.contains(bad), "the value is not echoed: {e}");
            }
        }
    }
}

#[test]
fn a_bad_signing_key_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let name = "GATEHOUSE_KEYS__SIGNING_KEY_FILE";
    let missing = dir.path().join("missing.pem");
    let e = refused(&[(name, missing.to_str().unwrap())]);
    assert!(
        e.starts_with(&format!("{name} (keys.signing_key_file): cannot read")),
        "{e}"
    );

    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a key").unwrap();
    let e = refused(&[(name, garbage.to_str().unwrap())]);
    assert!(
        e.starts_with(&format!("{name} (keys.signing_key_file): ")),
        "{e}"
    );
    assert!(e.contains("not an Ed25519"), "{e}");
}
