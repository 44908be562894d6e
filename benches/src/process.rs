//! Server processes under test (gatehouse, the bare lookup reference): spawn with output to a log
//! file, poll a readiness path, read memory from /proc/<pid>/status, stop with SIGTERM then SIGKILL.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// How often readiness is polled (the issue asks for 5 ms).
const READY_POLL: Duration = Duration::from_millis(5);
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Resident memory of a process, from `VmRSS` and `VmHWM` (peak RSS since start).
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    pub rss_kib: u64,
    pub peak_kib: u64,
}

impl Memory {
    pub fn rss_mib(&self) -> f64 {
        self.rss_kib as f64 / 1024.0
    }

    pub fn peak_mib(&self) -> f64 {
        self.peak_kib as f64 / 1024.0
    }
}

/// A running child server; killed on drop if it was not stopped.
pub struct ServerProcess {
    name: String,
    child: Child,
    spawned_at: Instant,
    log_path: PathBuf,
    pub base_url: String,
}

/// Asks the kernel for a free loopback port. The port is released before the child binds it, a
/// small race that is acceptable on a bench machine.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding a probe socket")?;
    Ok(listener.local_addr()?.port())
}

impl ServerProcess {
    /// Spawns `command` with stdout and stderr appended to `log_path`; the clock for
    /// start-to-ready starts just before the spawn.
    pub fn spawn(
        name: &str,
        mut command: Command,
        port: u16,
        log_path: &Path,
    ) -> anyhow::Result<Self> {
        let log = File::create(log_path)
            .with_context(|| format!("creating log file {}", log_path.display()))?;
        command
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let spawned_at = Instant::now();
        let child = command
            .spawn()
            .with_context(|| format!("spawning {name} ({:?})", command.get_program()))?;
        Ok(Self {
            name: name.to_owned(),
            child,
            spawned_at,
            log_path: log_path.to_owned(),
            base_url: format!("http://127.0.0.1:{port}"),
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Polls `GET <path>` every 5 ms until it answers 200; returns the time since spawn.
    pub async fn wait_ready(
        &mut self,
        client: &reqwest::Client,
        path: &str,
        timeout: Duration,
    ) -> anyhow::Result<Duration> {
        let url = format!("{}{path}", self.base_url);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "{} exited with {status} before it was ready; log {}:\n{}",
                    self.name,
                    self.log_path.display(),
                    self.log_tail()
                );
            }
            if let Ok(response) = client.get(&url).send().await {
                if response.status() == reqwest::StatusCode::OK {
                    return Ok(self.spawned_at.elapsed());
                }
            }
            if self.spawned_at.elapsed() > timeout {
                bail!(
                    "{} not ready at {url} after {timeout:?}; log {}:\n{}",
                    self.name,
                    self.log_path.display(),
                    self.log_tail()
                );
            }
            tokio::time::sleep(READY_POLL).await;
        }
    }

    /// Reads `VmRSS` and `VmHWM` of the child from /proc.
    pub fn memory(&self) -> anyhow::Result<Memory> {
        let path = format!("/proc/{}/status", self.pid());
        let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        let field = |name: &str| -> anyhow::Result<u64> {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
                .with_context(|| format!("no {name} in {path}"))
        };
        Ok(Memory {
            rss_kib: field("VmRSS:")?,
            peak_kib: field("VmHWM:")?,
        })
    }

    /// Sends SIGTERM (via `kill`, since this crate forbids unsafe code) and waits for a graceful
    /// exit, then SIGKILLs.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if self.child.try_wait()?.is_some() {
            return Ok(());
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let asked = Instant::now();
        while asked.elapsed() < STOP_GRACE {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        eprintln!(
            "  {} ignored SIGTERM for {STOP_GRACE:?}; killing",
            self.name
        );
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// The last lines of the child's log, for error messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
