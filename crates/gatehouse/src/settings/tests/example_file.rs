//! `gatehouse.example.toml` at the repository root stays in step with the code: it loads
//! with the real loader, every value in it is the default, and it names every setting the
//! code knows — the list comes from the sections' serialized defaults, so a new setting
//! fails here until the file has it. A setting whose default is "unset" appears as a
//! comment (`# key = ...`); each setting has a one-line comment just above it.

use super::*;
use std::collections::BTreeSet;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../gatehouse.example.toml");

/// The dotted path of every setting in `known`, and whether its default is unset.
fn settings(known: &Map<String, Value>, prefix: &str, out: &mut BTreeSet<(String, bool)>) {
    for (key, value) in known {
        let path = format!("{prefix}{key}");
        match value {
            Value::Object(section) => settings(section, &format!("{path}."), out),
            _ => {
                out.insert((path, value.is_null()));
            }
        }
    }
}

/// The settings the file writes: (dotted path, written as a comment), each checked to
/// have a comment line just above it.
fn written(text: &str) -> BTreeSet<(String, bool)> {
    let mut section = String::new();
    let mut previous = "";
    let mut out = BTreeSet::new();
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = format!("{name}.");
        } else if let Some((key, commented)) = setting_line(line) {
            assert!(
                previous.starts_with('#') && setting_line(previous).is_none(),
                "{section}{key} has no comment line above it"
            );
            out.insert((format!("{section}{key}"), commented));
        }
        previous = line;
    }
    out
}

/// `key = value` or `# key = value`: the key and whether it is commented out.
fn setting_line(line: &str) -> Option<(&str, bool)> {
    let (body, commented) = match line.strip_prefix("# ") {
        Some(rest) => (rest, true),
        None => (line, false),
    };
    let (key, _) = body.split_once(" = ")?;
    let is_key = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    is_key.then_some((key, commented))
}

#[test]
fn the_example_file_loads_with_every_value_at_its_default() {
    let loaded = Settings::load_from(Some(Path::new(EXAMPLE)), vec![]).unwrap();
    assert_eq!(loaded.deprecations, []);
    assert_eq!(
        serde_json::to_value(&loaded.settings).unwrap(),
        serde_json::to_value(Settings::default()).unwrap()
    );
}

#[test]
fn the_example_file_names_every_setting_with_a_comment() {
    let mut known = BTreeSet::new();
    settings(&known_keys().unwrap(), "", &mut known);
    assert!(known.len() > 30, "{known:?}");
    let text = std::fs::read_to_string(EXAMPLE).unwrap();
    // A setting with a default is written out; one that is unset by default is a comment.
    assert_eq!(written(&text), known);
}

#[test]
fn a_setting_missing_from_the_file_is_found() {
    let text = std::fs::read_to_string(EXAMPLE).unwrap();
    let without: String = text
        .lines()
        .filter(|l| !l.starts_with("lockout_secs = "))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut known = BTreeSet::new();
    settings(&known_keys().unwrap(), "", &mut known);
    let written = written(&without);
    let missing: Vec<_> = known.difference(&written).collect();
    assert_eq!(missing, [&("login.lockout_secs".to_owned(), false)]);
}
