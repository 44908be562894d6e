//! Turns the rounds into one markdown table: each figure is the median over rounds, ratios are
//! taken within a round first (so a noisy round moves both sides) and then the median is taken.
//! The table code is generic over the round type, so the notification modes reuse it.

use crate::gatehouse::GatehouseFigures;
use crate::load::Throughput;

/// Everything measured in one round; `None` where `--only` skipped that part.
#[derive(Debug, Default, Clone, Copy)]
pub struct RoundResult {
    pub argon2_per_sec: Option<f64>,
    pub bare: Option<Throughput>,
    pub gatehouse: Option<GatehouseFigures>,
}

#[derive(Clone, Copy)]
pub enum Target {
    AtLeast(f64),
    AtMost(f64),
}

impl Target {
    fn describe(self, unit: &str) -> String {
        match self {
            Target::AtLeast(value) => format!("≥ {}{unit}", trim(value)),
            Target::AtMost(value) => format!("≤ {}{unit}", trim(value)),
        }
    }

    fn is_met(self, value: f64) -> bool {
        match self {
            Target::AtLeast(limit) => value >= limit,
            Target::AtMost(limit) => value <= limit,
        }
    }
}

/// One row of a table: how to read the figure from a round of type `R`, and its target.
pub struct Figure<R> {
    pub name: &'static str,
    pub unit: &'static str,
    pub decimals: usize,
    pub target: Option<Target>,
    pub value: fn(&R) -> Option<f64>,
}

fn gh(round: &RoundResult) -> Option<GatehouseFigures> {
    round.gatehouse
}

pub fn ratio(numerator: Option<f64>, denominator: Option<f64>) -> Option<f64> {
    match (numerator, denominator) {
        (Some(n), Some(d)) if d > 0.0 => Some(n / d),
        _ => None,
    }
}

#[rustfmt::skip]
const FIGURES: &[Figure<RoundResult>] = &[
    Figure { name: "Logins/s (password only)", unit: "", decimals: 1, target: None, value: |r| gh(r).map(|g| g.login.per_sec) },
    Figure { name: "Login p50 / p99 latency", unit: " ms", decimals: 1, target: None, value: |r| gh(r).map(|g| g.login.p50_ms) },
    Figure { name: "", unit: " ms", decimals: 1, target: None, value: |r| gh(r).map(|g| g.login.p99_ms) },
    Figure { name: "Argon2id hashes/s, all cores (reference)", unit: "", decimals: 1, target: None, value: |r| r.argon2_per_sec },
    Figure { name: "Logins ÷ Argon2id rate", unit: "", decimals: 2, target: Some(Target::AtLeast(0.90)), value: |r| ratio(gh(r).map(|g| g.login.per_sec), r.argon2_per_sec) },
    Figure { name: "Refreshes/s", unit: "", decimals: 0, target: Some(Target::AtLeast(2000.0)), value: |r| gh(r).map(|g| g.refresh.per_sec) },
    Figure { name: "Refresh p50 / p99 latency", unit: " ms", decimals: 2, target: None, value: |r| gh(r).map(|g| g.refresh.p50_ms) },
    Figure { name: "", unit: " ms", decimals: 2, target: None, value: |r| gh(r).map(|g| g.refresh.p99_ms) },
    Figure { name: "GET /v1/me per s", unit: "", decimals: 0, target: None, value: |r| gh(r).map(|g| g.me.per_sec) },
    Figure { name: "GET /v1/me p50 / p99 latency", unit: " ms", decimals: 2, target: None, value: |r| gh(r).map(|g| g.me.p50_ms) },
    Figure { name: "", unit: " ms", decimals: 2, target: None, value: |r| gh(r).map(|g| g.me.p99_ms) },
    Figure { name: "Bare axum + sqlx lookup req/s (reference)", unit: "", decimals: 0, target: None, value: |r| r.bare.map(|b| b.per_sec) },
    Figure { name: "Bare lookup p50 / p99 latency", unit: " ms", decimals: 2, target: None, value: |r| r.bare.map(|b| b.p50_ms) },
    Figure { name: "", unit: " ms", decimals: 2, target: None, value: |r| r.bare.map(|b| b.p99_ms) },
    Figure { name: "GET /v1/me ÷ bare lookup", unit: "", decimals: 2, target: Some(Target::AtLeast(0.80)), value: |r| ratio(gh(r).map(|g| g.me.per_sec), r.bare.map(|b| b.per_sec)) },
    Figure { name: "Idle RSS", unit: " MiB", decimals: 1, target: Some(Target::AtMost(30.0)), value: |r| gh(r).map(|g| g.idle_rss_mib) },
    Figure { name: "Peak RSS under load (VmHWM)", unit: " MiB", decimals: 1, target: Some(Target::AtMost(150.0)), value: |r| gh(r).map(|g| g.peak_rss_mib) },
    Figure { name: "Start to ready, first start (migrations)", unit: " ms", decimals: 0, target: Some(Target::AtMost(200.0)), value: |r| gh(r).map(|g| g.first_start_ms) },
    Figure { name: "Start to ready, restart", unit: " ms", decimals: 0, target: Some(Target::AtMost(200.0)), value: |r| gh(r).map(|g| g.restart_ms) },
];

/// Median of the values that are present; `None` if there are none.
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|value| value.is_finite());
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 0 {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

fn trim(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn format_value<R>(figure: &Figure<R>, value: Option<f64>) -> String {
    match value {
        Some(value) => format!("{value:.*}{}", figure.decimals, figure.unit),
        None => "n/a".to_owned(),
    }
}

/// The markdown table: figure, median, target, pass/miss. Latency pairs share a row.
pub fn markdown_table(rounds: &[RoundResult]) -> String {
    figures_table(FIGURES, rounds)
}

/// One line per round and figure, so the spread behind each median is visible.
pub fn rounds_table(rounds: &[RoundResult]) -> String {
    figures_rounds_table(FIGURES, rounds)
}

/// [`markdown_table`] for any round type: a nameless figure continues the row above it.
pub fn figures_table<R>(figures: &[Figure<R>], rounds: &[R]) -> String {
    let mut out = String::from("| Figure | Median | Target | Result |\n|---|---|---|---|\n");
    let medians: Vec<Option<f64>> = figures
        .iter()
        .map(|figure| median(rounds.iter().filter_map(figure.value).collect()))
        .collect();
    let mut index = 0;
    while index < figures.len() {
        let figure = &figures[index];
        let mut shown = format_value(figure, medians[index]);
        // A nameless figure continues the row above it ("p50 / p99").
        if figures
            .get(index + 1)
            .is_some_and(|next| next.name.is_empty())
        {
            shown = format!(
                "{shown} / {}",
                format_value(&figures[index + 1], medians[index + 1])
            );
            index += 1;
        }
        let (target, result) = match (figure.target, medians[index]) {
            (Some(target), Some(value)) => (
                target.describe(figure.unit),
                if target.is_met(value) { "pass" } else { "miss" }.to_owned(),
            ),
            (Some(target), None) => (target.describe(figure.unit), "n/a".to_owned()),
            (None, _) => ("—".to_owned(), "".to_owned()),
        };
        out.push_str(&format!(
            "| {} | {shown} | {target} | {result} |\n",
            figure.name
        ));
        index += 1;
    }
    out
}

/// [`rounds_table`] for any round type.
pub fn figures_rounds_table<R>(figures: &[Figure<R>], rounds: &[R]) -> String {
    let mut out = String::from("| Figure |");
    for round in 1..=rounds.len() {
        out.push_str(&format!(" Round {round} |"));
    }
    out.push_str(&format!("\n|---|{}\n", "---|".repeat(rounds.len())));
    let mut last_name = "";
    for figure in figures {
        // Pairs get a row each here: "... p50 latency", then "... p99 latency".
        let name = if figure.name.is_empty() {
            split_pair(last_name).1
        } else {
            last_name = figure.name;
            split_pair(figure.name).0
        };
        let cells: Vec<String> = rounds
            .iter()
            .map(|round| format_value(figure, (figure.value)(round)))
            .collect();
        out.push_str(&format!("| {name} | {} |\n", cells.join(" | ")));
    }
    out
}

/// The two names a pair row stands for: "Login p50 / p99 latency" is "Login p50 latency"
/// and "Login p99 latency" (the words on either side of " / " take turns). A name without
/// " / " stands for itself twice.
fn split_pair(name: &str) -> (String, String) {
    let Some((left, right)) = name.split_once(" / ") else {
        return (name.to_owned(), name.to_owned());
    };
    let (head, first) = left.rsplit_once(' ').unwrap_or(("", left));
    let (second, tail) = right.split_once(' ').unwrap_or((right, ""));
    let join = |word: &str| {
        [head, word, tail]
            .iter()
            .filter(|part| !part.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    };
    (join(first), join(second))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_names_split_on_the_words_around_the_slash() {
        assert_eq!(
            split_pair("Login p50 / p99 latency"),
            (
                "Login p50 latency".to_owned(),
                "Login p99 latency".to_owned()
            )
        );
        assert_eq!(
            split_pair("Worker CPU per message, SMTP / dev"),
            (
                "Worker CPU per message, SMTP".to_owned(),
                "Worker CPU per message, dev".to_owned()
            )
        );
        assert_eq!(split_pair("Refreshes/s").0, "Refreshes/s");
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }

    #[test]
    fn references_only_rounds_leave_gatehouse_rows_unmeasured() {
        let round = RoundResult {
            argon2_per_sec: Some(40.0),
            bare: Some(Throughput {
                per_sec: 9000.0,
                p50_ms: 1.0,
                p99_ms: 4.0,
            }),
            gatehouse: None,
        };
        let table = markdown_table(&[round]);
        assert!(table.contains("| Argon2id hashes/s, all cores (reference) | 40.0 | — |  |"));
        assert!(table.contains("| Logins ÷ Argon2id rate | n/a | ≥ 0.9 | n/a |"));
        assert!(table.contains("| Bare lookup p50 / p99 latency | 1.00 ms / 4.00 ms | — |  |"));
    }
}
