//! CPU time spent by a phase: the gatehouse process (all its threads, those that ended
//! included: `utime + stime` of /proc/<pid>/stat) and the PostgreSQL backends serving its
//! database (one process each, found in `pg_stat_activity`). Unlike logins/s, CPU per
//! login says where an added cost lies even when the two cores are shared.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::Context;
use sqlx::PgConnection;

/// CPU time of the gatehouse process and of each of its database's backends at one moment.
#[derive(Debug, Default, Clone)]
pub struct CpuSnapshot {
    pub process: Duration,
    pub backends: HashMap<i32, Duration>,
}

/// CPU used between two snapshots.
#[derive(Debug, Default, Clone, Copy)]
pub struct CpuSpent {
    pub process: Duration,
    pub backends: Duration,
}

impl CpuSpent {
    pub fn add(&mut self, other: CpuSpent) {
        self.process += other.process;
        self.backends += other.backends;
    }
}

/// Reads the process's and the backends' CPU time. `conn` is a connection to the server
/// (its own backend is left out).
pub async fn snapshot(
    pid: u32,
    conn: &mut PgConnection,
    database: &str,
) -> anyhow::Result<CpuSnapshot> {
    let pids: Vec<(i32,)> = sqlx::query_as(
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(database)
    .fetch_all(&mut *conn)
    .await
    .context("listing the database's backends")?;
    let backends = pids
        .into_iter()
        // A backend that ended since the query has nothing left to count.
        .filter_map(|(pid,)| Some((pid, cpu_time(u32::try_from(pid).ok()?).ok()?)))
        .collect();
    Ok(CpuSnapshot {
        process: cpu_time(pid)?,
        backends,
    })
}

/// CPU used from `before` to `after`. A backend that started in between counts whole; one
/// that ended in between is lost (gatehouse's pool keeps its connections through a phase).
pub fn spent(before: &CpuSnapshot, after: &CpuSnapshot) -> CpuSpent {
    let backends = after
        .backends
        .iter()
        .map(|(pid, now)| now.saturating_sub(before.backends.get(pid).copied().unwrap_or_default()))
        .sum();
    CpuSpent {
        process: after.process.saturating_sub(before.process),
        backends,
    }
}

/// `utime + stime` of a process from /proc/<pid>/stat.
pub fn cpu_time(pid: u32) -> anyhow::Result<Duration> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_stat(&stat).with_context(|| format!("parsing {path}"))
}

fn parse_stat(stat: &str) -> Option<Duration> {
    // The command name (field 2) is in parentheses and may hold spaces: count fields from
    // the last ')'. After it come state (field 3) ... utime (14) and stime (15).
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let ticks = utime + stime;
    Some(Duration::from_secs_f64(
        ticks as f64 / clock_ticks_per_sec() as f64,
    ))
}

/// The kernel's USER_HZ (`getconf CLK_TCK`), 100 on every common Linux.
fn clock_ticks_per_sec() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .filter(|&ticks| ticks > 0)
            .unwrap_or(100)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        let stat = "4242 (gate house) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 9";
        let ticks = clock_ticks_per_sec() as f64;
        assert_eq!(
            parse_stat(stat),
            Some(Duration::from_secs_f64(300.0 / ticks))
        );
        assert_eq!(parse_stat("4242 (x) S 1"), None);
    }

    #[test]
    fn backends_that_started_during_the_phase_count_whole() {
        let before = CpuSnapshot {
            process: Duration::from_millis(100),
            backends: HashMap::from([(1, Duration::from_millis(40))]),
        };
        let after = CpuSnapshot {
            process: Duration::from_millis(350),
            backends: HashMap::from([
                (1, Duration::from_millis(90)),
                (2, Duration::from_millis(30)),
            ]),
        };
        let used = spent(&before, &after);
        assert_eq!(used.process, Duration::from_millis(250));
        assert_eq!(used.backends, Duration::from_millis(80));
    }
}
