//! The two references measured in the same round as gatehouse: raw Argon2id hashes/s at the
//! service's parameters on all cores, and req/s of the bare axum + sqlx primary-key lookup.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use argon2::{Algorithm, Argon2, Params, Version};

use crate::bare_server::BARE_USERS;
use crate::load::{run_phase, PhaseConfig, Throughput};
use crate::process::{free_port, ServerProcess};
use crate::{http, MAX_ERROR_RATIO};

/// OWASP's Argon2id minimum, which gatehouse uses: m = 19 MiB, t = 2, p = 1.
const ARGON2_M_KIB: u32 = 19_456;
const ARGON2_T: u32 = 2;
const ARGON2_P: u32 = 1;
const ARGON2_OUTPUT: usize = 32;

/// Argon2id hashes per second with one hashing thread per core, counted like the HTTP phases
/// (only hashes finished inside the measured window).
pub async fn argon2_hashes_per_sec(config: PhaseConfig, threads: usize) -> anyhow::Result<f64> {
    tokio::task::spawn_blocking(move || argon2_blocking(config, threads)).await?
}

fn argon2_blocking(config: PhaseConfig, threads: usize) -> anyhow::Result<f64> {
    let params = Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, Some(ARGON2_OUTPUT))
        .map_err(|error| anyhow::anyhow!("argon2 params: {error}"))?;
    let measure_start = Instant::now() + config.warmup;
    let deadline = measure_start + config.duration;
    let counts = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|thread| {
                let params = params.clone();
                scope.spawn(move || hash_until(params, thread, measure_start, deadline))
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                worker
                    .join()
                    .map_err(|_| anyhow::anyhow!("argon2 thread panicked"))?
            })
            .collect::<anyhow::Result<Vec<u64>>>()
    })?;
    Ok(counts.iter().sum::<u64>() as f64 / config.duration.as_secs_f64())
}

fn hash_until(
    params: Params,
    thread: usize,
    measure_start: Instant,
    deadline: Instant,
) -> anyhow::Result<u64> {
    // One working buffer per thread, reused for every hash, as gatehouse's hashing workers
    // do: the reference measures the hash itself, not page faults of a fresh 19 MiB buffer.
    let mut blocks = vec![argon2::Block::default(); params.block_count()];
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let password = b"correct horse battery staple, but longer";
    let mut salt = [0_u8; 16];
    salt[8..].copy_from_slice(&(thread as u64).to_le_bytes());
    let mut output = [0_u8; ARGON2_OUTPUT];
    let mut counted = 0_u64;
    let mut attempt = 0_u64;
    while Instant::now() < deadline {
        attempt += 1;
        salt[..8].copy_from_slice(&attempt.to_le_bytes());
        argon2
            .hash_password_into_with_memory(password, &salt, &mut output, &mut blocks)
            .map_err(|error| anyhow::anyhow!("argon2: {error}"))?;
        let done = Instant::now();
        if done >= measure_start && done <= deadline {
            counted += 1;
        }
    }
    Ok(counted)
}

/// Starts the bare lookup server (this binary's hidden subcommand) on `database_url` and drives
/// `GET /users/{id}` with the same generator and concurrency as the gatehouse phases.
pub async fn bare_lookup(
    database_url: &str,
    pool_size: u32,
    work_dir: &Path,
    config: PhaseConfig,
) -> anyhow::Result<Throughput> {
    let port = free_port()?;
    let exe = std::env::current_exe().context("locating the harness binary")?;
    let mut command = Command::new(exe);
    command
        .arg("serve-bare-lookup")
        .args(["--database-url", database_url])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--pool-size", &pool_size.to_string()]);
    let log = work_dir.join("bare-lookup.log");
    let mut server = ServerProcess::spawn("bare lookup", command, port, &log)?;
    server
        .wait_ready(&http::probe_client()?, "/readyz", Duration::from_secs(60))
        .await?;

    let client = http::client(config.concurrency)?;
    let next_id = Arc::new(AtomicU64::new(0));
    let base_url = server.base_url.clone();
    let (stats, _) = run_phase(config, vec![(); config.concurrency], move |()| {
        let client = client.clone();
        let id = next_id.fetch_add(1, Ordering::Relaxed) % BARE_USERS as u64 + 1;
        let url = format!("{base_url}/users/{id}");
        async move { ((), http::get_ok(&client, &url, None).await) }
    })
    .await?;
    server.stop().await?;
    stats.check("bare lookup", MAX_ERROR_RATIO)?;
    Ok(stats.throughput())
}
