//! Logs: human-readable on a terminal, JSON lines otherwise (or as configured by `[log]`).
//! Colour codes only where a person reads them: text written to a file or a pipe (journald,
//! `docker logs`, `> file`) is plain, and `NO_COLOR` turns colour off on a terminal too.

use serde::{Deserialize, Serialize};
use std::io::IsTerminal;
use std::str::FromStr;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::EnvFilter;

/// `[log]`: the format and the filter of the service's logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `auto` (JSON when stderr is not a terminal), `json` or `text`.
    pub format: String,
    /// A tracing filter, e.g. `info` or `gatehouse=debug,info`.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: "auto".to_owned(),
            level: "info".to_owned(),
        }
    }
}

/// Check `[log] level` before start-up goes on. `tracing` reads a bare word that is not a
/// level (`verbose`) as a target name, so the filter would pass only that target's events
/// and start-up would go on in silence: here every directive without `=` must be a level
/// (`trace`, `debug`, `info`, `warn`, `error`, `off`), and every `target=level` a known
/// level. A span filter (`[span]`, `target[span]=level`) is left to `EnvFilter` to judge.
pub fn check_level(level: &str) -> Result<(), String> {
    const LEVELS: &str = "trace, debug, info, warn, error or off";
    if level.trim().is_empty() {
        return Err(format!("must not be empty: use {LEVELS}"));
    }
    for directive in level.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        if directive.contains('[') && !directive.contains('=') {
            continue;
        }
        let (target, level_name) = match directive.rsplit_once('=') {
            Some((target, name)) => (Some(target), name.trim()),
            None => (None, directive),
        };
        // "" would parse as ERROR; a target with no level is a typo, not a request for that.
        if level_name.is_empty() || LevelFilter::from_str(level_name).is_err() {
            return Err(match target {
                Some(target) => format!(
                    "\"{level_name}\" in \"{directive}\" is not a level: use {target}=<{LEVELS}>"
                ),
                None => format!(
                    "\"{directive}\" is not a level: use {LEVELS}, or target=level (e.g. gatehouse=debug,info)"
                ),
            });
        }
    }
    EnvFilter::try_new(level)
        .map(drop)
        .map_err(|e| e.to_string())
}

pub fn init(config: &LogConfig) {
    // `check_level` passed at start-up; the fallback only guards against a future slip.
    let filter = EnvFilter::try_new(&config.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let on_terminal = std::io::stderr().is_terminal();
    let json = match config.format.as_str() {
        "json" => true,
        "text" => false,
        _ => !on_terminal,
    };
    // https://no-color.org: any non-empty NO_COLOR turns colour off.
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(on_terminal && !no_color);
    // A second initialisation (tests) is harmless; ignore the error.
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}

#[cfg(test)]
mod tests {
    use super::check_level;

    #[test]
    fn levels_and_target_directives_are_accepted() {
        for level in [
            "info",
            "DEBUG",
            "warn,gatehouse=debug",
            "gatehouse_http::middleware=trace, info",
            "off",
            "3",
            "[request]=debug",
        ] {
            assert_eq!(check_level(level), Ok(()), "{level}");
        }
    }

    #[test]
    fn words_that_are_not_levels_are_refused() {
        for level in [
            "verbose",
            "",
            " ",
            "info,loud",
            "gatehouse=",
            "gatehouse=chatty",
        ] {
            assert!(check_level(level).is_err(), "{level:?}");
        }
        let message = check_level("verbose").unwrap_err();
        assert!(message.contains("\"verbose\" is not a level"), "{message}");
    }
}
