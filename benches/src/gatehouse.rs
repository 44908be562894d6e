//! The gatehouse side of a round: start the release binary on a fresh database (first start,
//! migrations included), restart it on the migrated database, read idle memory, register users,
//! time logins, refreshes and `GET /v1/me` (one call each, so the round can put the references
//! between them), and read peak memory.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use rand::distributions::Alphanumeric;
use rand::Rng;
use reqwest::{Client, StatusCode};
use serde::Deserialize;
use serde_json::json;

use crate::load::{run_phase, PhaseConfig, Throughput};
use crate::process::{free_port, ServerProcess};
use crate::{http, MAX_ERROR_RATIO};

/// Settle time between readiness and the idle RSS reading.
const IDLE_SETTLE: Duration = Duration::from_millis(500);

/// How to run gatehouse.
#[derive(Clone)]
pub struct GatehouseOptions {
    pub bin: PathBuf,
    pub extra_env: Vec<(String, String)>,
    /// A TOML settings file (`gatehouse --config`), for what the environment cannot say.
    pub config_file: Option<PathBuf>,
    pub users: usize,
    pub ready_timeout: Duration,
}

/// Everything one round measures on gatehouse.
#[derive(Debug, Clone, Copy)]
pub struct GatehouseFigures {
    pub first_start_ms: f64,
    pub restart_ms: f64,
    pub idle_rss_mib: f64,
    pub peak_rss_mib: f64,
    pub login: Throughput,
    pub refresh: Throughput,
    pub me: Throughput,
}

/// A registered account and its password.
pub struct BenchUser {
    pub email: String,
    pub password: String,
}

/// The part of the login and refresh responses the harness needs (same shape for both).
#[derive(Deserialize)]
struct TokenResponse {
    status: Option<String>,
    access_token: String,
    refresh_token: String,
}

/// What a refresh or `/me` worker carries from call to call.
struct Session {
    user: usize,
    access_token: String,
    refresh_token: String,
}

/// A started gatehouse with registered users, between phases. The round interleaves the
/// references with these phases so that each ratio's two sides run back to back.
pub struct Gatehouse {
    server: ServerProcess,
    log: PathBuf,
    client: Client,
    base: String,
    users: Arc<Vec<BenchUser>>,
    first_start_ms: f64,
    restart_ms: f64,
    idle_rss_mib: f64,
    login: Option<Throughput>,
    refresh: Option<Throughput>,
    me: Option<Throughput>,
    /// Each worker's newest token pair, handed from the refresh phase to the `/me` phase.
    sessions: Vec<Session>,
}

impl Gatehouse {
    /// First start on the empty database (migrations, key creation), stop, restart on the
    /// migrated database, idle RSS, then registration of `options.users` accounts.
    pub async fn start(
        options: &GatehouseOptions,
        database_url: &str,
        work_dir: &Path,
        concurrency: usize,
    ) -> anyhow::Result<Self> {
        let data_dir = work_dir.join("gatehouse-data");
        std::fs::create_dir_all(&data_dir)?;
        let probe = http::probe_client()?;

        let first_log = work_dir.join("gatehouse-first-start.log");
        let mut first = spawn(options, database_url, &data_dir, &first_log)?;
        let first_ready = first
            .wait_ready(&probe, "/readyz", options.ready_timeout)
            .await?;
        first.stop().await?;

        // The restart is what a deploy or a crash restart sees; the load runs on this one.
        let log = work_dir.join("gatehouse.log");
        let mut server = spawn(options, database_url, &data_dir, &log)?;
        let restart_ready = server
            .wait_ready(&probe, "/readyz", options.ready_timeout)
            .await?;
        tokio::time::sleep(IDLE_SETTLE).await;
        let idle = server.memory()?;

        let client = http::client(concurrency)?;
        let base = server.base_url.clone();
        eprintln!("  registering {} users", options.users);
        let users = register(&client, &base, "bench", options.users, concurrency).await;
        let mut gatehouse = Self {
            server,
            log,
            client,
            base,
            users: Arc::new(Vec::new()),
            first_start_ms: first_ready.as_secs_f64() * 1000.0,
            restart_ms: restart_ready.as_secs_f64() * 1000.0,
            idle_rss_mib: idle.rss_mib(),
            login: None,
            refresh: None,
            me: None,
            sessions: Vec::new(),
        };
        gatehouse.users = Arc::new(gatehouse.with_log(users)?);
        gatehouse.print_memory("after registration");
        Ok(gatehouse)
    }

    pub async fn run_logins(&mut self, config: PhaseConfig) -> anyhow::Result<()> {
        eprintln!("  logins for {:?}", config.duration);
        let login = login_phase(&self.client, &self.base, &self.users, config).await;
        self.login = Some(self.with_log(login)?);
        self.print_memory("after logins");
        Ok(())
    }

    pub async fn run_refreshes(&mut self, config: PhaseConfig) -> anyhow::Result<()> {
        eprintln!("  refreshes for {:?}", config.duration);
        let sessions = login_workers(&self.client, &self.base, &self.users, config.concurrency);
        let sessions = self.with_log(sessions.await)?;
        let outcome = refresh_phase(&self.client, &self.base, &self.users, sessions, config);
        let (refresh, sessions) = self.with_log(outcome.await)?;
        self.refresh = Some(refresh);
        self.sessions = sessions;
        self.print_memory("after refreshes");
        Ok(())
    }

    /// Needs `run_refreshes` first: it uses the newest access token of each refresh worker.
    pub async fn run_me(&mut self, config: PhaseConfig) -> anyhow::Result<()> {
        eprintln!("  GET /v1/me for {:?}", config.duration);
        let sessions = std::mem::take(&mut self.sessions);
        if sessions.is_empty() {
            bail!("GET /v1/me needs the sessions of the refresh phase");
        }
        let me = me_phase(&self.client, &self.base, sessions, config).await;
        self.me = Some(self.with_log(me)?);
        Ok(())
    }

    /// Reads peak RSS, stops the server and returns the round's figures.
    pub async fn finish(mut self) -> anyhow::Result<GatehouseFigures> {
        let peak = self.server.memory()?;
        self.server.stop().await?;
        let (Some(login), Some(refresh), Some(me)) = (self.login, self.refresh, self.me) else {
            bail!("gatehouse phases missing");
        };
        Ok(GatehouseFigures {
            first_start_ms: self.first_start_ms,
            restart_ms: self.restart_ms,
            idle_rss_mib: self.idle_rss_mib,
            peak_rss_mib: peak.peak_mib(),
            login,
            refresh,
            me,
        })
    }

    /// Logins/s and refreshes/s of the phases run so far (modes that skip `GET /v1/me`).
    pub fn login_and_refresh(&self) -> (Option<Throughput>, Option<Throughput>) {
        (self.login, self.refresh)
    }

    /// The accounts registered at start.
    pub fn users(&self) -> &Arc<Vec<BenchUser>> {
        &self.users
    }

    /// The keep-alive client the phases use.
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn pid(&self) -> u32 {
        self.server.pid()
    }

    /// Stops the server without reading figures (modes that measure other things).
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.server.stop().await
    }

    /// Progress line showing where memory grows (the table keeps only idle and peak).
    fn print_memory(&self, when: &str) {
        if let Ok(memory) = self.server.memory() {
            eprintln!(
                "  gatehouse RSS {when}: {:.1} MiB (peak {:.1} MiB)",
                memory.rss_mib(),
                memory.peak_mib()
            );
        }
    }

    /// Adds the tail of the gatehouse log to an error.
    pub fn with_log<T>(&self, result: anyhow::Result<T>) -> anyhow::Result<T> {
        result.with_context(|| {
            format!(
                "gatehouse log {}:\n{}",
                self.log.display(),
                self.server.log_tail()
            )
        })
    }
}

fn spawn(
    options: &GatehouseOptions,
    database_url: &str,
    data_dir: &Path,
    log: &Path,
) -> anyhow::Result<ServerProcess> {
    let port = free_port()?;
    let mut command = Command::new(&options.bin);
    if let Some(config) = &options.config_file {
        command.arg("--config").arg(config);
    }
    command
        .arg("serve")
        .env("GATEHOUSE_DATABASE_URL", database_url)
        .env("GATEHOUSE_LISTEN", format!("127.0.0.1:{port}"))
        .env("GATEHOUSE_DATA_DIR", data_dir)
        // Every benchmark account is registered from 127.0.0.1: lift the per-address
        // sign-up limit (the default, 20 an hour, is for real clients).
        .env("GATEHOUSE_SIGNUP__MAX_PER_ADDRESS_PER_HOUR", "100000")
        .envs(options.extra_env.iter().map(|(key, value)| (key, value)));
    ServerProcess::spawn("gatehouse", command, port, log)
}

/// Registers `count` users (`{prefix}-{i}@example.com`) with long random passwords,
/// `concurrency` at a time.
pub async fn register(
    client: &Client,
    base: &str,
    prefix: &str,
    count: usize,
    concurrency: usize,
) -> anyhow::Result<Vec<BenchUser>> {
    let users: Arc<Vec<BenchUser>> = Arc::new(
        (0..count)
            .map(|i| BenchUser {
                email: format!("{prefix}-{i}@example.com"),
                password: random_password(),
            })
            .collect(),
    );
    let url = format!("{base}/v1/auth/register");
    let mut tasks = Vec::new();
    for worker in 0..concurrency.min(count).max(1) {
        let (client, url, users) = (client.clone(), url.clone(), users.clone());
        tasks.push(tokio::spawn(async move {
            for user in users.iter().skip(worker).step_by(concurrency.max(1)) {
                let body = json!({ "email": user.email, "password": user.password });
                http::post_expect(&client, &url, &body, StatusCode::ACCEPTED)
                    .await
                    .map_err(|error| anyhow::anyhow!("register {}: {error}", user.email))?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Arc::try_unwrap(users).map_err(|_| anyhow::anyhow!("users still shared after registration"))
}

fn random_password() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

async fn login(client: &Client, base: &str, user: &BenchUser) -> Result<TokenResponse, String> {
    let body = json!({ "login": user.email, "password": user.password });
    login_with(client, base, &body).await
}

/// A password login from the device `fingerprint` (a device the account has not used is
/// registered by the login, and raises a `login_new_device` alert unless it is the first).
pub async fn login_on_device(
    client: &Client,
    base: &str,
    user: &BenchUser,
    fingerprint: &str,
) -> Result<(), String> {
    let body = json!({
        "login": user.email,
        "password": user.password,
        "device": { "fingerprint": fingerprint },
    });
    login_with(client, base, &body).await.map(drop)
}

async fn login_with(
    client: &Client,
    base: &str,
    body: &serde_json::Value,
) -> Result<TokenResponse, String> {
    let tokens: TokenResponse =
        http::post_json(client, &format!("{base}/v1/auth/login"), body).await?;
    match tokens.status.as_deref() {
        Some("authenticated") => Ok(tokens),
        other => Err(format!(
            "login status {other:?}, expected \"authenticated\""
        )),
    }
}

/// Password logins, round-robin over the registered users.
async fn login_phase(
    client: &Client,
    base: &str,
    users: &Arc<Vec<BenchUser>>,
    config: PhaseConfig,
) -> anyhow::Result<Throughput> {
    let next = Arc::new(AtomicUsize::new(0));
    let (client, base, users) = (client.clone(), base.to_owned(), users.clone());
    let (stats, _) = run_phase(config, vec![(); config.concurrency], move |()| {
        let (client, base, users) = (client.clone(), base.clone(), users.clone());
        let user = next.fetch_add(1, Ordering::Relaxed) % users.len();
        async move { ((), login(&client, &base, &users[user]).await.map(drop)) }
    })
    .await?;
    stats.check("login", MAX_ERROR_RATIO)?;
    Ok(stats.throughput())
}

/// One login per worker before the refresh phase, so every worker owns its own session.
async fn login_workers(
    client: &Client,
    base: &str,
    users: &Arc<Vec<BenchUser>>,
    workers: usize,
) -> anyhow::Result<Vec<Session>> {
    let mut tasks = Vec::with_capacity(workers);
    for worker in 0..workers {
        let (client, base, users) = (client.clone(), base.to_owned(), users.clone());
        tasks.push(tokio::spawn(async move {
            let user = worker % users.len();
            let tokens = login(&client, &base, &users[user]).await;
            tokens.map(|tokens| Session {
                user,
                access_token: tokens.access_token,
                refresh_token: tokens.refresh_token,
            })
        }));
    }
    let mut sessions = Vec::with_capacity(workers);
    for task in tasks {
        sessions.push(
            task.await?
                .map_err(|error| anyhow::anyhow!("login: {error}"))?,
        );
    }
    if sessions.is_empty() {
        bail!("no sessions");
    }
    Ok(sessions)
}

/// Each worker rotates its own refresh token, always presenting the newest one. After a failure
/// the worker logs in again, since a rejected token may have revoked its session.
async fn refresh_phase(
    client: &Client,
    base: &str,
    users: &Arc<Vec<BenchUser>>,
    sessions: Vec<Session>,
    config: PhaseConfig,
) -> anyhow::Result<(Throughput, Vec<Session>)> {
    let url = format!("{base}/v1/auth/refresh");
    let (client, base, users) = (client.clone(), base.to_owned(), users.clone());
    let (stats, sessions) = run_phase(config, sessions, move |session: Session| {
        let (client, base, users, url) = (client.clone(), base.clone(), users.clone(), url.clone());
        async move {
            let body = json!({ "refresh_token": session.refresh_token });
            match http::post_json::<_, TokenResponse>(&client, &url, &body).await {
                Ok(tokens) => {
                    let session = Session {
                        user: session.user,
                        access_token: tokens.access_token,
                        refresh_token: tokens.refresh_token,
                    };
                    (session, Ok(()))
                }
                Err(error) => match login(&client, &base, &users[session.user]).await {
                    Ok(tokens) => {
                        let session = Session {
                            user: session.user,
                            access_token: tokens.access_token,
                            refresh_token: tokens.refresh_token,
                        };
                        (session, Err(error))
                    }
                    Err(_) => (session, Err(error)),
                },
            }
        }
    })
    .await?;
    stats.check("refresh", MAX_ERROR_RATIO)?;
    Ok((stats.throughput(), sessions))
}

/// Authenticated `GET /v1/me`, each worker with the access token of its newest pair.
async fn me_phase(
    client: &Client,
    base: &str,
    sessions: Vec<Session>,
    config: PhaseConfig,
) -> anyhow::Result<Throughput> {
    let url = format!("{base}/v1/me");
    let client = client.clone();
    let (stats, _) = run_phase(config, sessions, move |session: Session| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let result = http::get_ok(&client, &url, Some(&session.access_token)).await;
            (session, result)
        }
    })
    .await?;
    stats.check("GET /v1/me", MAX_ERROR_RATIO)?;
    Ok(stats.throughput())
}
