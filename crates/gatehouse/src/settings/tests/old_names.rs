//! The flat names of earlier releases: the three quick-start variables stay, every other
//! one works with a deprecation naming its new key, and old plus new at once is refused.

use super::*;
use crate::settings::env::variable_name;
use crate::settings::legacy::{find, RENAMED};

#[test]
fn every_renamed_setting_points_at_a_known_key() {
    let known = known_keys().unwrap();
    for renamed in RENAMED {
        let path: Vec<&str> = renamed.new.split('.').collect();
        assert!(
            leaf_at(&known, &path).is_some(),
            "{} -> {}",
            renamed.old,
            renamed.new
        );
        assert!(
            leaf_at(&known, &[renamed.old]).is_none(),
            "{} is still a key of its own",
            renamed.old
        );
    }
    assert!(find("data_dir").is_none(), "data_dir kept its name");
}

#[test]
fn the_quick_start_names_work_without_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let url_file = dir.path().join("db-url");
    std::fs::write(&url_file, "postgres://db.internal/gatehouse\n").unwrap();
    let loaded = load(&[
        ("GATEHOUSE_DATABASE_URL", "sqlite://gh.db"),
        ("GATEHOUSE_LISTEN", "0.0.0.0:9000"),
        ("GATEHOUSE_DATA_DIR", "/srv/gatehouse"),
    ])
    .unwrap();
    assert_eq!(loaded.deprecations, []);
    assert_eq!(loaded.settings.database.url, "sqlite://gh.db");
    assert_eq!(loaded.settings.http.listen, "0.0.0.0:9000");
    assert_eq!(loaded.settings.data_dir, PathBuf::from("/srv/gatehouse"));

    let loaded = load(&[("GATEHOUSE_DATABASE_URL_FILE", url_file.to_str().unwrap())]).unwrap();
    assert_eq!(loaded.deprecations, []);
    assert_eq!(
        loaded.settings.database.url,
        "postgres://db.internal/gatehouse"
    );

    // A bad value names the variable the user set.
    let e = refused(&[("GATEHOUSE_LISTEN", "nowhere")]);
    assert!(
        e.starts_with("GATEHOUSE_LISTEN (http.listen): not an address:port"),
        "{e}"
    );
}

/// Each old variable sets its new key and is reported with the new variable's name.
#[test]
fn every_other_old_variable_works_with_a_deprecation() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = write_signing_key(dir.path());
    let known = known_keys().unwrap();
    for renamed in RENAMED.iter().filter(|r| !r.kept_in_environment) {
        let path: Vec<&str> = renamed.new.split('.').collect();
        let value = match (renamed.old, leaf_at(&known, &path)) {
            ("signing_key_file", _) => key_file.display().to_string(),
            ("pepper" | "encryption_key", _) => secret32(),
            (_, Some(Value::String(text))) => text.clone(),
            (_, Some(Value::Number(n))) => (n.as_u64().unwrap() + 1).to_string(),
            (old, default) => panic!("{old}: no test value for {default:?}"),
        };
        let old = format!("GATEHOUSE_{}", renamed.old.to_uppercase());
        let loaded = load(&[(&old, &value)]).unwrap();
        assert_eq!(
            loaded.deprecations,
            [Deprecation {
                old: old.clone(),
                new: variable_name(&path),
            }]
        );
        let set = serde_json::to_value(&loaded.settings).unwrap();
        let set = leaf_at(set.as_object().unwrap(), &path).unwrap();
        let set = set.as_str().map_or_else(|| set.to_string(), str::to_owned);
        assert_eq!(set, value, "{old} sets {}", renamed.new);
    }
}

#[test]
fn an_old_file_variable_reads_the_file_and_names_the_new_file_variable() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pepper");
    std::fs::write(&file, secret32()).unwrap();
    let loaded = load(&[("GATEHOUSE_PEPPER_FILE", file.to_str().unwrap())]).unwrap();
    assert_eq!(loaded.settings.keys.pepper, Some(secret32()));
    assert_eq!(
        loaded.deprecations,
        [Deprecation {
            old: "GATEHOUSE_PEPPER_FILE".to_owned(),
            new: "GATEHOUSE_KEYS__PEPPER_FILE".to_owned(),
        }]
    );
    let warning = loaded.deprecations[0].to_string();
    assert!(
        warning.contains("GATEHOUSE_PEPPER_FILE is deprecated")
            && warning.ends_with("use GATEHOUSE_KEYS__PEPPER_FILE"),
        "{warning}"
    );
}

#[test]
fn an_old_and_a_new_name_together_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pepper");
    std::fs::write(&file, secret32()).unwrap();
    let pairs = [
        ("GATEHOUSE_ISSUER", "GATEHOUSE_TOKENS__ISSUER", "a"),
        ("GATEHOUSE_LISTEN", "GATEHOUSE_HTTP__LISTEN", "127.0.0.1:1"),
        (
            "GATEHOUSE_DATABASE_URL",
            "GATEHOUSE_DATABASE__URL",
            "sqlite://x",
        ),
        (
            "GATEHOUSE_LOGIN_LOCKOUT_SECS",
            "GATEHOUSE_LOGIN__LOCKOUT_SECS",
            "60",
        ),
    ];
    for (old, new, value) in pairs {
        let e = refused(&[(old, value), (new, value)]);
        assert!(e.contains(old) && e.contains(new), "{e}");
        assert!(e.ends_with("choose one"), "{e}");
    }
    let e = refused(&[
        ("GATEHOUSE_PEPPER_FILE", file.to_str().unwrap()),
        ("GATEHOUSE_KEYS__PEPPER", &secret32()),
    ]);
    assert!(
        e.contains("(keys.pepper)") && e.ends_with("choose one"),
        "{e}"
    );
}

#[test]
fn a_bad_value_under_an_old_name_names_both() {
    let e = refused(&[("GATEHOUSE_LOGIN_LOCKOUT_SECS", "0")]);
    assert_eq!(
        e,
        "GATEHOUSE_LOGIN_LOCKOUT_SECS (login.lockout_secs): must be greater than 0"
    );
    let e = refused(&[("GATEHOUSE_ARGON2_MEMORY_KIB", "lots")]);
    assert!(
        e.starts_with("GATEHOUSE_ARGON2_MEMORY_KIB (argon2.memory_kib): must be a whole number"),
        "{e}"
    );
}

#[test]
fn old_names_in_the_file_move_to_their_sections_with_a_deprecation() {
    let loaded = load_file(
        "data_dir = \"/srv/gh\"\nlisten = \"0.0.0.0:9000\"\nissuer = \"old\"\n\
         [argon2]\niterations = 3\n",
        &[],
    )
    .unwrap();
    let s = &loaded.settings;
    assert_eq!(s.data_dir, PathBuf::from("/srv/gh"));
    assert_eq!(s.http.listen, "0.0.0.0:9000");
    assert_eq!(s.tokens.issuer, "old");
    assert_eq!(s.argon2.iterations, 3);
    let moved: Vec<(&str, &str)> = loaded
        .deprecations
        .iter()
        .map(|d| (d.old.split(' ').next().unwrap(), d.new.as_str()))
        .collect();
    assert_eq!(
        moved,
        [("listen", "[http] listen"), ("issuer", "[tokens] issuer")]
    );
    assert!(loaded.deprecations[0].old.contains("gatehouse.toml"));

    let e = refused_file("issuer = \"old\"\n[tokens]\nissuer = \"new\"\n");
    assert!(
        e.starts_with("issuer (tokens.issuer): also set as [tokens] issuer in ")
            && e.ends_with("choose one"),
        "{e}"
    );
    // A moved value is checked like any other.
    let e = refused_file("login_lockout_secs = 0\n");
    assert!(
        e.starts_with("login.lockout_secs: must be greater than 0"),
        "{e}"
    );
}
