//! Settings from environment variables.
//!
//! `GATEHOUSE_` then the key's path in capitals with `__` between levels:
//! `GATEHOUSE_HTTP__LISTEN` is `[http] listen`, `GATEHOUSE_DATA_DIR` the top-level
//! `data_dir`. A variable whose whole name is a setting is that setting, so
//! `GATEHOUSE_KEYS__SIGNING_KEY_FILE` is the path setting `signing_key_file`; only otherwise
//! does a `_FILE` suffix mean "the value of the setting without it, read from this file"
//! (for mounted secrets). Old flat names resolve through [`legacy`](super::legacy).
//! `GATEHOUSE_TEST_*` and `GATEHOUSE_BENCH_*` belong to the test suite and benchmarks.

use super::{insert, leaf_at, legacy, Deprecation, SettingError};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

const PREFIX: &str = "GATEHOUSE_";
const LEVEL_SEPARATOR: &str = "__";

/// The variables that were settings, as a tree of sections like the file's.
#[derive(Debug, Default)]
pub(super) struct EnvSettings {
    pub values: Map<String, Value>,
    /// Dotted key -> the variable that set it.
    pub origins: BTreeMap<String, String>,
    pub deprecations: Vec<Deprecation>,
}

/// The variable name of a key given as a path (`["tokens", "issuer"]`).
pub(super) fn variable_name<S: AsRef<str>>(path: &[S]) -> String {
    let names: Vec<&str> = path.iter().map(AsRef::as_ref).collect();
    format!("{PREFIX}{}", names.join(LEVEL_SEPARATOR).to_uppercase())
}

/// What a variable's name (without the prefix, lower-cased) stands for.
struct Resolved {
    /// The key's path, e.g. `["keys", "pepper"]`.
    path: Vec<String>,
    /// Given by an old flat name that is deprecated.
    deprecated: bool,
}

fn resolve(known: &Map<String, Value>, name: &str) -> Option<Resolved> {
    let path: Vec<&str> = name.split(LEVEL_SEPARATOR).collect();
    if leaf_at(known, &path).is_some() {
        return Some(Resolved {
            path: path.iter().map(|s| (*s).to_owned()).collect(),
            deprecated: false,
        });
    }
    let renamed = legacy::find(name)?;
    Some(Resolved {
        path: renamed.new.split('.').map(str::to_owned).collect(),
        deprecated: !renamed.kept_in_environment,
    })
}

/// Collect every `GATEHOUSE_*` variable that is not reserved; refuse unknown ones.
pub(super) fn collect(
    known: &Map<String, Value>,
    mut env: Vec<(String, String)>,
) -> Result<EnvSettings, SettingError> {
    // Sorted, so a conflict is reported the same way whatever the process's order.
    env.sort();
    let mut out = EnvSettings::default();
    for (variable, value) in env {
        let Some(rest) = variable.strip_prefix(PREFIX) else {
            continue;
        };
        if is_reserved(&variable) {
            continue;
        }
        let name = rest.to_lowercase();
        let (resolved, from_file) = match resolve(known, &name) {
            Some(resolved) => (resolved, false),
            None => match name.strip_suffix("_file").and_then(|s| resolve(known, s)) {
                Some(resolved) => (resolved, true),
                None => {
                    return Err(SettingError {
                        key: variable,
                        message: "unknown setting".to_owned(),
                    })
                }
            },
        };
        let key = resolved.path.join(".");
        if let Some(earlier) = out.origins.get(&key) {
            return Err(SettingError {
                key: format!("{variable} ({key})"),
                message: format!("also set by {earlier}; choose one"),
            });
        }
        if resolved.deprecated {
            let suffix = if from_file { "_FILE" } else { "" };
            out.deprecations.push(Deprecation {
                old: variable.clone(),
                new: format!("{}{suffix}", variable_name(&resolved.path)),
            });
        }
        let text = if from_file {
            read_value_file(&variable, &value)?
        } else {
            value
        };
        let value =
            typed(leaf_at(known, &resolved.path), text).map_err(|message| SettingError {
                key: format!("{variable} ({key})"),
                message,
            })?;
        insert(&mut out.values, &resolved.path, value);
        out.origins.insert(key, variable);
    }
    Ok(out)
}

fn is_reserved(variable: &str) -> bool {
    variable.starts_with("GATEHOUSE_TEST_") || variable.starts_with("GATEHOUSE_BENCH_")
}

/// The file's content without its trailing newlines.
fn read_value_file(variable: &str, path: &str) -> Result<String, SettingError> {
    std::fs::read_to_string(path)
        .map(|contents| contents.trim_end_matches(['\n', '\r']).to_owned())
        .map_err(|e| SettingError {
            key: variable.to_owned(),
            message: format!("cannot read {path}: {e}"),
        })
}

/// Environment values are text. A setting whose default is a number gets a number (or a
/// refusal); a list gets the comma-separated items (`10.0.0.0/8, 192.0.2.1`; empty text is
/// an empty list); every other setting keeps the text as it is, digits or not.
fn typed(default: Option<&Value>, text: String) -> Result<Value, String> {
    match default {
        Some(Value::Number(_)) => text
            .trim()
            .parse::<u64>()
            .map(Value::from)
            .map_err(|_| format!("must be a whole number, not {text:?}")),
        Some(Value::Bool(_)) => match text.trim() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("must be true or false, not {text:?}")),
        },
        Some(Value::Array(_)) => Ok(Value::Array(
            text.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| Value::String(item.to_owned()))
                .collect(),
        )),
        _ => Ok(Value::String(text)),
    }
}
