//! The service's own metrics beside the HTTP ones: core's [`Snapshot`] (logins by outcome,
//! lockouts, refresh-token reuse, tokens issued, sessions active, the database pools, the
//! Argon2 queue) in the Prometheus text format. docs/operations.md lists each with an alert.

use gatehouse_core::metrics::Snapshot;
use std::fmt::Write;

/// `# HELP` and `# TYPE` lines of one metric.
fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// One metric with one label: a sample per (label value, number).
fn labelled<N: std::fmt::Display>(
    out: &mut String,
    name: &str,
    kind: &str,
    help: &str,
    label: &str,
    samples: impl IntoIterator<Item = (impl std::fmt::Display, N)>,
) {
    header(out, name, kind, help);
    for (value, n) in samples {
        let _ = writeln!(out, "{name}{{{label}=\"{value}\"}} {n}");
    }
}

pub fn render(s: &Snapshot) -> String {
    let mut out = String::new();
    labelled(
        &mut out,
        "gatehouse_logins_total",
        "counter",
        "Password login attempts by outcome.",
        "outcome",
        s.logins.iter().copied(),
    );
    labelled(
        &mut out,
        "gatehouse_lockouts_total",
        "counter",
        "Locks set because an attempt went past a failure limit, by what was locked.",
        "kind",
        s.lockouts.iter().copied(),
    );
    header(
        &mut out,
        "gatehouse_refresh_token_reuse_total",
        "counter",
        "Rotated refresh tokens presented again (their family and session were revoked).",
    );
    let _ = writeln!(
        out,
        "gatehouse_refresh_token_reuse_total {}",
        s.refresh_token_reuse
    );
    header(
        &mut out,
        "gatehouse_sessions_expired_total",
        "counter",
        "Sessions the maintenance sweep ended as expired (idle past their timeout or past their lifetime).",
    );
    let _ = writeln!(
        out,
        "gatehouse_sessions_expired_total {}",
        s.sessions_expired
    );
    labelled(
        &mut out,
        "gatehouse_rows_pruned_total",
        "counter",
        "Rows removed by pruning in this process, by kind.",
        "kind",
        s.pruned.iter().copied(),
    );
    labelled(
        &mut out,
        "gatehouse_tokens_issued_total",
        "counter",
        "Tokens issued by login and refresh, by type.",
        "type",
        s.tokens_issued.iter().copied(),
    );
    header(
        &mut out,
        "gatehouse_sessions_active",
        "gauge",
        "Live sessions: active, within their lifetime and idle timeout (absent if the count timed out).",
    );
    if let Some(n) = s.sessions_active {
        let _ = writeln!(out, "gatehouse_sessions_active {n}");
    }
    render_pools(&mut out, s);
    render_hashing(&mut out, s);
    out
}

fn render_pools(out: &mut String, s: &Snapshot) {
    header(
        out,
        "gatehouse_db_pool_connections",
        "gauge",
        "Open database connections by pool and state (in_use, idle).",
    );
    for p in &s.pools {
        for (state, n) in [("in_use", p.in_use), ("idle", p.idle)] {
            let _ = writeln!(
                out,
                "gatehouse_db_pool_connections{{pool=\"{}\",state=\"{state}\"}} {n}",
                p.pool
            );
        }
    }
    labelled(
        out,
        "gatehouse_db_pool_max_connections",
        "gauge",
        "The most connections each pool opens.",
        "pool",
        s.pools.iter().map(|p| (p.pool, p.max_connections)),
    );
    labelled(
        out,
        "gatehouse_db_pool_waits_total",
        "counter",
        "Connection requests that found no idle connection and waited for one.",
        "pool",
        s.pools.iter().map(|p| (p.pool, p.waits)),
    );
    labelled(
        out,
        "gatehouse_db_pool_wait_seconds_total",
        "counter",
        "Time those connection requests waited, in total.",
        "pool",
        s.pools.iter().map(|p| (p.pool, p.wait_seconds)),
    );
    labelled(
        out,
        "gatehouse_db_pool_timeouts_total",
        "counter",
        "Connection requests that got no connection within the acquire timeout (answered 503).",
        "pool",
        s.pools.iter().map(|p| (p.pool, p.timeouts)),
    );
}

fn render_hashing(out: &mut String, s: &Snapshot) {
    let h = &s.hashing;
    header(
        out,
        "gatehouse_password_hash_workers",
        "gauge",
        "Argon2id threads: the most hashes or verifications running at once.",
    );
    let _ = writeln!(out, "gatehouse_password_hash_workers {}", h.workers);
    header(
        out,
        "gatehouse_password_hash_queue_depth",
        "gauge",
        "Argon2id hashes and verifications waiting for a thread.",
    );
    let _ = writeln!(out, "gatehouse_password_hash_queue_depth {}", h.queued);
    let name = "gatehouse_password_hash_duration_seconds";
    header(
        out,
        name,
        "histogram",
        "Time one Argon2id hash or verification took on its thread (queueing excluded).",
    );
    for (bound, n) in &h.buckets {
        let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {n}");
    }
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", h.count);
    let _ = writeln!(out, "{name}_sum {}", h.sum_seconds);
    let _ = writeln!(out, "{name}_count {}", h.count);
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_core::metrics::HashingStats;

    fn snapshot(sessions: Option<i64>) -> Snapshot {
        Snapshot {
            logins: vec![("success", 2), ("wrong_password", 1)],
            lockouts: vec![("account", 1)],
            refresh_token_reuse: 1,
            sessions_expired: 2,
            pruned: vec![("session", 4)],
            tokens_issued: vec![("access", 3), ("refresh", 3)],
            sessions_active: sessions,
            pools: vec![],
            hashing: HashingStats {
                workers: 2,
                queued: 0,
                buckets: vec![(0.01, 1), (0.1, 3)],
                count: 4,
                sum_seconds: 0.5,
            },
        }
    }

    #[test]
    fn renders_every_metric_with_help_and_type() {
        let text = render(&snapshot(Some(7)));
        for line in [
            "gatehouse_logins_total{outcome=\"success\"} 2",
            "gatehouse_logins_total{outcome=\"wrong_password\"} 1",
            "gatehouse_lockouts_total{kind=\"account\"} 1",
            "gatehouse_refresh_token_reuse_total 1",
            "gatehouse_sessions_expired_total 2",
            "gatehouse_rows_pruned_total{kind=\"session\"} 4",
            "gatehouse_tokens_issued_total{type=\"refresh\"} 3",
            "gatehouse_sessions_active 7",
            "gatehouse_password_hash_workers 2",
            "gatehouse_password_hash_duration_seconds_bucket{le=\"0.1\"} 3",
            "gatehouse_password_hash_duration_seconds_bucket{le=\"+Inf\"} 4",
            "gatehouse_password_hash_duration_seconds_count 4",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in:\n{text}");
        }
        // Every sample follows its metric's TYPE line.
        let typed: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split(' ').next())
            .collect();
        for sample in text.lines().filter(|l| !l.starts_with('#')) {
            let name = sample.split(['{', ' ']).next().unwrap_or_default();
            assert!(
                typed.iter().any(|t| name.starts_with(t)),
                "{sample} has no TYPE"
            );
        }
    }

    #[test]
    fn a_sessions_count_that_timed_out_is_left_out() {
        let text = render(&snapshot(None));
        assert!(text.contains("# TYPE gatehouse_sessions_active gauge"));
        assert!(!text
            .lines()
            .any(|l| l.starts_with("gatehouse_sessions_active ")));
    }
}
