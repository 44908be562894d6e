//! Unit tests of settings loading: the `_FILE` rule, value types, validation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn load(env: &[(&str, &str)]) -> Result<Settings, SettingError> {
    let env = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Settings::load_from(None, env)
}

fn refused(env: &[(&str, &str)]) -> String {
    match load(env) {
        Ok(_) => panic!("{env:?} was accepted"),
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
fn known_keys_come_from_the_struct() {
    let defaults = default_values().unwrap();
    assert!(defaults.contains_key("signing_key_file"));
    assert!(defaults.contains_key("db_max_connections"));
    assert!(defaults["access_token_ttl_secs"].is_number());
    assert!(defaults["issuer"].is_string());
}

#[test]
fn signing_key_file_is_a_setting_not_a_file_suffix() {
    let dir = tempfile::tempdir().unwrap();
    let key = write_signing_key(dir.path());
    let s = load(&[("GATEHOUSE_SIGNING_KEY_FILE", key.to_str().unwrap())]).unwrap();
    assert_eq!(s.signing_key_file.as_deref(), Some(key.as_path()));

    // ..._FILE_FILE reads the path from a file.
    let holder = dir.path().join("path.txt");
    std::fs::write(&holder, format!("{}\n", key.display())).unwrap();
    let s = load(&[("GATEHOUSE_SIGNING_KEY_FILE_FILE", holder.to_str().unwrap())]).unwrap();
    assert_eq!(s.signing_key_file.as_deref(), Some(key.as_path()));

    let e = refused(&[
        ("GATEHOUSE_SIGNING_KEY_FILE", key.to_str().unwrap()),
        ("GATEHOUSE_SIGNING_KEY_FILE_FILE", holder.to_str().unwrap()),
    ]);
    assert!(e.contains("GATEHOUSE_SIGNING_KEY_FILE"), "{e}");
    assert!(e.contains("choose one"), "{e}");
}

#[test]
fn a_bad_signing_key_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let e = refused(&[("GATEHOUSE_SIGNING_KEY_FILE", missing.to_str().unwrap())]);
    assert!(
        e.starts_with("GATEHOUSE_SIGNING_KEY_FILE (signing_key_file)"),
        "{e}"
    );
    assert!(e.contains("cannot read"), "{e}");

    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a key").unwrap();
    let e = refused(&[("GATEHOUSE_SIGNING_KEY_FILE", garbage.to_str().unwrap())]);
    assert!(
        e.starts_with("GATEHOUSE_SIGNING_KEY_FILE (signing_key_file)"),
        "{e}"
    );
    assert!(e.contains("not an Ed25519"), "{e}");
}

#[test]
fn file_suffix_reads_the_stem_and_unknown_stems_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("issuer.txt");
    std::fs::write(&file, "from-a-file\r\n").unwrap();
    let s = load(&[("GATEHOUSE_ISSUER_FILE", file.to_str().unwrap())]).unwrap();
    assert_eq!(s.issuer, "from-a-file");

    let e = refused(&[
        ("GATEHOUSE_ISSUER", "x"),
        ("GATEHOUSE_ISSUER_FILE", file.to_str().unwrap()),
    ]);
    assert!(
        e.contains("GATEHOUSE_ISSUER (issuer)") && e.contains("choose one"),
        "{e}"
    );

    // Unknown, whether or not the file exists; the file is not read.
    for name in [
        "GATEHOUSE_MYSTERY_FILE",
        "GATEHOUSE_SIGNING_KEY_FILE_FILE_FILE",
    ] {
        let e = refused(&[(name, "/nonexistent")]);
        assert_eq!(e, format!("{name}: unknown setting"));
    }
    let e = refused(&[("GATEHOUSE_LISTN", "127.0.0.1:1")]);
    assert_eq!(e, "GATEHOUSE_LISTN: unknown setting");

    let e = refused(&[("GATEHOUSE_LISTEN_FILE", "/nonexistent/listen")]);
    assert!(e.starts_with("GATEHOUSE_LISTEN_FILE: cannot read"), "{e}");
}

#[test]
fn digits_stay_text_for_text_settings() {
    let s = load(&[
        ("GATEHOUSE_ISSUER", "12345"),
        ("GATEHOUSE_LOG_LEVEL", "info"),
    ])
    .unwrap();
    assert_eq!(s.issuer, "12345");
    let s = load(&[("GATEHOUSE_ACCESS_TOKEN_TTL_SECS", "60")]).unwrap();
    assert_eq!(s.access_token_ttl_secs, 60);

    let e = refused(&[("GATEHOUSE_ACCESS_TOKEN_TTL_SECS", "soon")]);
    assert!(
        e.starts_with("GATEHOUSE_ACCESS_TOKEN_TTL_SECS (access_token_ttl_secs)"),
        "{e}"
    );
    let e = refused(&[("GATEHOUSE_DB_MAX_CONNECTIONS", "-1")]);
    assert!(e.contains("db_max_connections"), "{e}");
    // Too large for the field's type is refused by extraction, still naming the key.
    let e = refused(&[("GATEHOUSE_ARGON2_ITERATIONS", "99999999999")]);
    assert!(e.contains("argon2_iterations"), "{e}");
}

#[test]
fn secrets_must_be_32_bytes_of_base64() {
    let good = secret32();
    let s = load(&[
        ("GATEHOUSE_PEPPER", &good),
        ("GATEHOUSE_ENCRYPTION_KEY", &good),
    ])
    .unwrap();
    assert_eq!(s.pepper.as_deref(), Some(good.as_str()));
    for (name, key) in [
        ("GATEHOUSE_PEPPER", "pepper"),
        ("GATEHOUSE_ENCRYPTION_KEY", "encryption_key"),
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
fn ranges_are_checked() {
    let cases = [
        ("GATEHOUSE_LOGIN_MAX_FAILURES_PER_IP", "0"),
        ("GATEHOUSE_LOGIN_MAX_FAILURES_PER_IP", "100001"),
        ("GATEHOUSE_LOGIN_ACCOUNT_WINDOW_SECS", "0"),
        ("GATEHOUSE_LOGIN_IP_WINDOW_SECS", "0"),
        ("GATEHOUSE_HASH_CONCURRENCY", "257"),
        ("GATEHOUSE_PASSWORD_HISTORY", "0"),
        ("GATEHOUSE_PASSWORD_HISTORY", "25"),
    ];
    for (name, value) in cases {
        let e = refused(&[(name, value)]);
        assert!(e.starts_with(&format!("{name} (")), "{name}={value}: {e}");
    }
    let edges = [
        ("GATEHOUSE_LOGIN_MAX_FAILURES_PER_IP", "1"),
        ("GATEHOUSE_LOGIN_MAX_FAILURES_PER_IP", "100000"),
        ("GATEHOUSE_HASH_CONCURRENCY", "256"),
        ("GATEHOUSE_PASSWORD_HISTORY", "1"),
        ("GATEHOUSE_PASSWORD_HISTORY", "24"),
        ("GATEHOUSE_LOGIN_IP_WINDOW_SECS", "1"),
    ];
    for (name, value) in edges {
        assert!(load(&[(name, value)]).is_ok(), "{name}={value}");
    }
}

#[test]
fn reserved_and_foreign_variables_are_ignored() {
    let s = load(&[
        ("GATEHOUSE_TEST_DATABASE_URL", "nonsense"),
        ("GATEHOUSE_BENCH_ANYTHING_FILE", "/nonexistent"),
        ("PATH", "/bin"),
    ])
    .unwrap();
    assert_eq!(s.database_url, "");
}
