//! Closed-loop load generator: N tokio tasks each run one operation in a loop until a deadline.
//! Only operations that complete inside the measured window (after the warm-up, before the
//! deadline) count, so throughput is completions / window and latencies come from the same set.

use std::future::Future;
use std::time::{Duration, Instant};

/// How long and how wide one phase runs.
#[derive(Debug, Clone, Copy)]
pub struct PhaseConfig {
    pub concurrency: usize,
    pub warmup: Duration,
    pub duration: Duration,
}

/// Outcome of one operation, as judged by the scenario (2xx and the expected body is `Ok`).
pub type OpResult = Result<(), String>;

/// Counts and latencies of one phase.
#[derive(Debug, Default)]
pub struct PhaseStats {
    pub ok: u64,
    pub errors: u64,
    pub window_secs: f64,
    /// Latencies of the successful operations in microseconds, sorted ascending.
    pub latencies_us: Vec<u32>,
    /// The first few distinct error messages, for the report.
    pub sample_errors: Vec<String>,
}

/// Throughput and latency figures of one phase, as the report keeps them.
#[derive(Debug, Clone, Copy)]
pub struct Throughput {
    pub per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

const MAX_SAMPLE_ERRORS: usize = 5;

impl PhaseStats {
    pub fn per_sec(&self) -> f64 {
        if self.window_secs > 0.0 {
            self.ok as f64 / self.window_secs
        } else {
            0.0
        }
    }

    pub fn error_ratio(&self) -> f64 {
        let total = self.ok + self.errors;
        if total == 0 {
            0.0
        } else {
            self.errors as f64 / total as f64
        }
    }

    /// Latency at quantile `q` (0..=1) in milliseconds, nearest-rank.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let rank = (q * self.latencies_us.len() as f64).ceil() as usize;
        let index = rank.clamp(1, self.latencies_us.len()) - 1;
        f64::from(self.latencies_us[index]) / 1000.0
    }

    pub fn throughput(&self) -> Throughput {
        Throughput {
            per_sec: self.per_sec(),
            p50_ms: self.quantile_ms(0.50),
            p99_ms: self.quantile_ms(0.99),
        }
    }

    /// Fails when no operation succeeded or more than `max_ratio` of them failed.
    pub fn check(&self, phase: &str, max_ratio: f64) -> anyhow::Result<()> {
        if self.ok == 0 || self.error_ratio() > max_ratio {
            anyhow::bail!(
                "{phase}: {} ok, {} errors ({:.2}% > {:.2}% allowed); first errors: {:#?}",
                self.ok,
                self.errors,
                self.error_ratio() * 100.0,
                max_ratio * 100.0,
                self.sample_errors
            );
        }
        Ok(())
    }

    /// Adds another phase of the same scenario (the notify-login mode runs each side in two
    /// phases): counts and windows add up, latencies are pooled.
    pub fn absorb(&mut self, other: PhaseStats) {
        self.window_secs += other.window_secs;
        self.merge(WorkerStats {
            ok: other.ok,
            errors: other.errors,
            latencies_us: other.latencies_us,
            sample_errors: other.sample_errors,
        });
        self.latencies_us.sort_unstable();
    }

    fn merge(&mut self, other: WorkerStats) {
        self.ok += other.ok;
        self.errors += other.errors;
        self.latencies_us.extend(other.latencies_us);
        for error in other.sample_errors {
            if self.sample_errors.len() < MAX_SAMPLE_ERRORS && !self.sample_errors.contains(&error)
            {
                self.sample_errors.push(error);
            }
        }
    }
}

#[derive(Default)]
struct WorkerStats {
    ok: u64,
    errors: u64,
    latencies_us: Vec<u32>,
    sample_errors: Vec<String>,
}

/// Runs `op` in `states.len()` concurrent tasks (one per state) for warm-up plus duration.
///
/// Each task owns its state (a token, a worker index) and threads it through every call, so
/// scenarios with rotating credentials keep the newest one. Returns the stats and final states.
pub async fn run_phase<S, F, Fut>(
    config: PhaseConfig,
    states: Vec<S>,
    op: F,
) -> anyhow::Result<(PhaseStats, Vec<S>)>
where
    S: Send + 'static,
    F: Fn(S) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = (S, OpResult)> + Send + 'static,
{
    let start = Instant::now();
    let measure_start = start + config.warmup;
    let deadline = measure_start + config.duration;
    let mut tasks = Vec::with_capacity(states.len());
    for state in states {
        let op = op.clone();
        tasks.push(tokio::spawn(async move {
            let mut state = state;
            let mut stats = WorkerStats::default();
            loop {
                let sent = Instant::now();
                if sent >= deadline {
                    break;
                }
                let (next, result) = op(state).await;
                state = next;
                let done = Instant::now();
                if done < measure_start || done > deadline {
                    continue;
                }
                match result {
                    Ok(()) => {
                        stats.ok += 1;
                        let micros = done.duration_since(sent).as_micros();
                        stats
                            .latencies_us
                            .push(u32::try_from(micros).unwrap_or(u32::MAX));
                    }
                    Err(error) => {
                        stats.errors += 1;
                        if stats.sample_errors.len() < MAX_SAMPLE_ERRORS
                            && !stats.sample_errors.contains(&error)
                        {
                            stats.sample_errors.push(error);
                        }
                    }
                }
            }
            (state, stats)
        }));
    }
    let mut total = PhaseStats {
        window_secs: config.duration.as_secs_f64(),
        ..PhaseStats::default()
    };
    let mut states = Vec::with_capacity(tasks.len());
    for task in tasks {
        let (state, stats) = task.await?;
        total.merge(stats);
        states.push(state);
    }
    total.latencies_us.sort_unstable();
    Ok((total, states))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let stats = PhaseStats {
            latencies_us: (1..=100).map(|ms| ms * 1000).collect(),
            ok: 100,
            window_secs: 2.0,
            ..PhaseStats::default()
        };
        assert_eq!(stats.quantile_ms(0.50), 50.0);
        assert_eq!(stats.quantile_ms(0.99), 99.0);
        assert_eq!(stats.per_sec(), 50.0);
    }

    #[test]
    fn check_rejects_more_than_the_allowed_error_ratio() {
        let stats = PhaseStats {
            ok: 98,
            errors: 2,
            ..PhaseStats::default()
        };
        assert!(stats.check("phase", 0.01).is_err());
        assert!(stats.check("phase", 0.05).is_ok());
    }

    #[test]
    fn absorbed_phases_add_counts_and_windows_and_pool_latencies() {
        let mut first = PhaseStats {
            ok: 2,
            errors: 1,
            window_secs: 10.0,
            latencies_us: vec![1000, 3000],
            sample_errors: vec!["timeout".to_owned()],
        };
        first.absorb(PhaseStats {
            ok: 3,
            errors: 0,
            window_secs: 10.0,
            latencies_us: vec![2000, 4000, 5000],
            sample_errors: vec!["timeout".to_owned()],
        });
        assert_eq!((first.ok, first.errors), (5, 1));
        assert_eq!(first.per_sec(), 0.25);
        assert_eq!(first.latencies_us, vec![1000, 2000, 3000, 4000, 5000]);
        assert_eq!(first.quantile_ms(0.5), 3.0);
        assert_eq!(first.sample_errors, vec!["timeout".to_owned()]);
    }

    #[tokio::test]
    async fn run_phase_threads_state_through_each_call() {
        let config = PhaseConfig {
            concurrency: 2,
            warmup: Duration::from_millis(10),
            duration: Duration::from_millis(50),
        };
        let (stats, states) = run_phase(config, vec![0_u64, 0], |count: u64| async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            (count + 1, Ok(()))
        })
        .await
        .unwrap();
        assert!(stats.ok > 0);
        assert_eq!(stats.errors, 0);
        assert!(states.iter().sum::<u64>() >= stats.ok);
    }
}
