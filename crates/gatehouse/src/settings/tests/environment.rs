//! `GATEHOUSE_SECTION__KEY` variables: nesting, the `_FILE` rule, value types, reserved
//! prefixes.

use super::*;
use crate::settings::env::collect;
use serde_json::json;

#[test]
fn a_variable_names_a_section_and_a_key() {
    let loaded = load(&[
        ("GATEHOUSE_HTTP__LISTEN", "0.0.0.0:9000"),
        ("GATEHOUSE_TOKENS__ISSUER", "https://id.example.com"),
        ("GATEHOUSE_LOGIN__LOCKOUT_SECS", "60"),
        // Lower case works too.
        ("GATEHOUSE_password__history", "7"),
        ("GATEHOUSE_DATA_DIR", "/srv/gatehouse"),
    ])
    .unwrap();
    assert_eq!(loaded.deprecations, []);
    let s = loaded.settings;
    assert_eq!(s.http.listen, "0.0.0.0:9000");
    assert_eq!(s.tokens.issuer, "https://id.example.com");
    assert_eq!(s.login.lockout_secs, 60);
    assert_eq!(s.password.history, 7);
    assert_eq!(s.data_dir, PathBuf::from("/srv/gatehouse"));

    for name in [
        "GATEHOUSE_HTTP",
        "GATEHOUSE_HTTP__MYSTERY",
        "GATEHOUSE_HTTP__LISTEN__PORT",
        "GATEHOUSE_MYSTERY__LISTEN",
        "GATEHOUSE_LISTN",
    ] {
        assert_eq!(
            refused(&[(name, "127.0.0.1:1")]),
            format!("{name}: unknown setting")
        );
    }
}

/// Sections inside sections (the coming `[notify.smtp]`) map one level per `__`.
#[test]
fn nested_sections_map_one_level_per_double_underscore() {
    let known = json!({
        "data_dir": "./data",
        "notify": { "smtp": { "url": "", "port": 25 }, "enabled": "" },
    });
    let known = known.as_object().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url_file = dir.path().join("smtp-url");
    std::fs::write(&url_file, "smtps://mail.example.com\n").unwrap();
    let env = collect(
        known,
        vars(&[
            ("GATEHOUSE_NOTIFY__SMTP__PORT", "587"),
            (
                "GATEHOUSE_NOTIFY__SMTP__URL_FILE",
                url_file.to_str().unwrap(),
            ),
        ]),
    )
    .unwrap();
    assert_eq!(
        Value::Object(env.values),
        json!({ "notify": { "smtp": { "url": "smtps://mail.example.com", "port": 587 } } })
    );
    assert_eq!(
        env.origins["notify.smtp.url"],
        "GATEHOUSE_NOTIFY__SMTP__URL_FILE"
    );

    let e = collect(known, vars(&[("GATEHOUSE_NOTIFY__SMTP", "x")])).unwrap_err();
    assert_eq!(e.to_string(), "GATEHOUSE_NOTIFY__SMTP: unknown setting");
    let e = collect(known, vars(&[("GATEHOUSE_NOTIFY__SMTP__PORT", "many")])).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("GATEHOUSE_NOTIFY__SMTP__PORT (notify.smtp.port): must be a whole number"),
        "{e}"
    );
}

#[test]
fn file_suffix_reads_the_value_and_unknown_stems_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pepper");
    std::fs::write(&file, format!("{}\r\n", secret32())).unwrap();
    let s = load(&[("GATEHOUSE_KEYS__PEPPER_FILE", file.to_str().unwrap())])
        .unwrap()
        .settings;
    assert_eq!(s.keys.pepper, Some(secret32()));

    let e = refused(&[
        ("GATEHOUSE_KEYS__PEPPER", &secret32()),
        ("GATEHOUSE_KEYS__PEPPER_FILE", file.to_str().unwrap()),
    ]);
    assert_eq!(
        e,
        "GATEHOUSE_KEYS__PEPPER_FILE (keys.pepper): also set by GATEHOUSE_KEYS__PEPPER; \
         choose one"
    );

    // Unknown, whether or not the file exists; the file is not read.
    for name in [
        "GATEHOUSE_MYSTERY_FILE",
        "GATEHOUSE_KEYS__MYSTERY_FILE",
        "GATEHOUSE_KEYS__SIGNING_KEY_FILE_FILE_FILE",
    ] {
        assert_eq!(
            refused(&[(name, "/nonexistent")]),
            format!("{name}: unknown setting")
        );
    }
    let e = refused(&[("GATEHOUSE_HTTP__LISTEN_FILE", "/nonexistent/listen")]);
    assert!(
        e.starts_with("GATEHOUSE_HTTP__LISTEN_FILE: cannot read /nonexistent/listen"),
        "{e}"
    );
}

#[test]
fn signing_key_file_is_a_setting_not_a_file_suffix() {
    let dir = tempfile::tempdir().unwrap();
    let key = write_signing_key(dir.path());
    let s = load(&[("GATEHOUSE_KEYS__SIGNING_KEY_FILE", key.to_str().unwrap())])
        .unwrap()
        .settings;
    assert_eq!(s.keys.signing_key_file.as_deref(), Some(key.as_path()));

    // ..._FILE_FILE reads the path from a file.
    let holder = dir.path().join("path.txt");
    std::fs::write(&holder, format!("{}\n", key.display())).unwrap();
    let s = load(&[(
        "GATEHOUSE_KEYS__SIGNING_KEY_FILE_FILE",
        holder.to_str().unwrap(),
    )])
    .unwrap()
    .settings;
    assert_eq!(s.keys.signing_key_file.as_deref(), Some(key.as_path()));

    let e = refused(&[
        ("GATEHOUSE_KEYS__SIGNING_KEY_FILE", key.to_str().unwrap()),
        (
            "GATEHOUSE_KEYS__SIGNING_KEY_FILE_FILE",
            holder.to_str().unwrap(),
        ),
    ]);
    assert!(e.contains("GATEHOUSE_KEYS__SIGNING_KEY_FILE"), "{e}");
    assert!(e.contains("choose one"), "{e}");
}

#[test]
fn digits_stay_text_for_text_settings() {
    let s = load(&[
        ("GATEHOUSE_TOKENS__ISSUER", "12345"),
        ("GATEHOUSE_TOKENS__ACCESS_TOKEN_TTL_SECS", " 60 "),
    ])
    .unwrap()
    .settings;
    assert_eq!(s.tokens.issuer, "12345");
    assert_eq!(s.tokens.access_token_ttl_secs, 60);
}

#[test]
fn reserved_and_foreign_variables_are_ignored() {
    let s = load(&[
        ("GATEHOUSE_TEST_DATABASE_URL", "nonsense"),
        ("GATEHOUSE_BENCH_ANYTHING_FILE", "/nonexistent"),
        ("GATEHOUSE_TEST__HTTP__LISTEN", "nonsense"),
        ("PATH", "/bin"),
    ])
    .unwrap()
    .settings;
    assert_eq!(s.database.url, "");
    assert_eq!(s.http.listen, HttpConfig::default().listen);
}

/// Yes/no settings read `true` or `false` from the environment; anything else is refused.
#[test]
fn boolean_settings_read_true_and_false() {
    let s = load(&[
        ("GATEHOUSE_NOTIFICATIONS__ALERTS", "false"),
        ("GATEHOUSE_NOTIFICATIONS__WORKERS_IN_SERVE", "false"),
    ])
    .unwrap()
    .settings;
    assert!(!s.notifications.alerts);
    assert!(!s.notifications.workers_in_serve);
    assert!(
        load(&[("GATEHOUSE_NOTIFICATIONS__ALERTS", "true")])
            .unwrap()
            .settings
            .notifications
            .alerts
    );
    let refusal = refused(&[("GATEHOUSE_NOTIFICATIONS__ALERTS", "no")]);
    assert!(
        refusal.starts_with("GATEHOUSE_NOTIFICATIONS__ALERTS") && refusal.contains("true or false"),
        "{refusal}"
    );
}

/// A list setting (`[http] trusted_proxies`) is comma-separated in a variable, a TOML array
/// in the file; an entry that is not an address or network is refused at start-up.
#[test]
fn list_settings_read_comma_separated_items() {
    let s = load(&[(
        "GATEHOUSE_HTTP__TRUSTED_PROXIES",
        "10.0.0.0/8, 192.0.2.1,,fd00::/8",
    )])
    .unwrap()
    .settings;
    let names: Vec<String> = s
        .http
        .trusted_proxies
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(names, ["10.0.0.0/8", "192.0.2.1/32", "fd00::/8"]);
    let empty = load(&[("GATEHOUSE_HTTP__TRUSTED_PROXIES", "")]).unwrap();
    assert!(empty.settings.http.trusted_proxies.is_empty());

    let from_file = load_file("[http]\ntrusted_proxies = [\"127.0.0.1\"]\n", &[]).unwrap();
    assert_eq!(
        from_file.settings.http.trusted_proxies[0].to_string(),
        "127.0.0.1/32"
    );
    let message = refused(&[("GATEHOUSE_HTTP__TRUSTED_PROXIES", "10.0.0.0/8, proxy.local")]);
    assert!(
        message.contains("\"proxy.local\" is not an IP address or network"),
        "{message}"
    );
}
