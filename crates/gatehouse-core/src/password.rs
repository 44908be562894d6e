//! Argon2id password hashing off the async threads, on a fixed pool of worker threads:
//! at most `hash_concurrency` hashes run at once (each takes ~19 MiB and tens of
//! milliseconds), so a login burst queues instead of exhausting memory or starving the
//! runtime. Each worker thread owns one Argon2 working buffer and reuses it for every
//! hash (`hash_password_into_with_memory`), so memory stays at workers x 19 MiB instead
//! of growing with the allocator's per-thread arenas (measured: ~800 MB peak RSS under
//! login load with a fresh 19 MiB allocation per hash on `spawn_blocking`).
//!
//! For the metrics it keeps the queue's depth (work sent, not yet taken by a thread) and
//! how long each run took, measured on the hashing thread ([`PasswordHasher::stats`]).

use crate::config::Argon2Params;
use crate::metrics::{HashingStats, Histogram};
use argon2::password_hash::{Output, ParamsString, PasswordHash, PasswordHasher as _, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use gatehouse_domain::accounts::normalize_password;
use secrecy::{ExposeSecret, SecretString};
use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send + 'static>;

thread_local! {
    /// This hashing thread's Argon2 working memory, grown once and reused.
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Run Argon2 `params` for `password` and `salt` into `out`, on this thread's buffer.
fn argon2_into(
    argon: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> argon2::Result<()> {
    BLOCKS.with(|cell| {
        let mut blocks = cell.borrow_mut();
        let needed = params.block_count();
        if blocks.len() < needed {
            blocks.resize(needed, Block::default());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut blocks[..needed])
    })
}

/// Hash a new password into a PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`).
fn hash_phc(argon: &Argon2<'_>, params: &Params, password: &[u8]) -> Result<String, HashError> {
    let err = |e: &dyn std::fmt::Display| HashError(e.to_string());
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_buf)
        .map_err(|e| err(&e))?;
    let mut out = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
    argon2_into(argon, params, password, salt_bytes, &mut out).map_err(|e| err(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|e| err(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| err(&e))?),
    };
    Ok(phc.to_string())
}

/// Check `password` against a stored PHC string, with the parameters recorded in it
/// (older hashes keep verifying after the cost settings change). Constant-time compare.
fn verify_phc(password: &[u8], phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    if argon2_into(&argon, &params, password, salt_bytes, &mut out).is_err() {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&out).is_ok_and(|computed| computed == expected)
}

/// Hashing failed (bad parameters or a worker that panicked): an internal error.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// The outcome of [`PasswordHasher::verify_typed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub matches: bool,
    /// It matched only as typed: the stored hash predates normalisation (rehash it).
    pub stored_unnormalized: bool,
}

/// A password in the form it is checked and hashed in (NFKC); see
/// [`normalize_password`].
pub fn normalized(password: &SecretString) -> SecretString {
    SecretString::from(normalize_password(password.expose_secret()).into_owned())
}

/// Upper bounds of the hashing-time buckets, in seconds (a production hash takes tens of
/// milliseconds; a queue shows as the upper buckets filling).
const HASH_SECONDS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// The pool's queue and timings.
#[derive(Debug)]
struct HashCounters {
    workers: u64,
    queued: AtomicU64,
    durations: Histogram,
}

/// The bounded Argon2id pool.
#[derive(Clone)]
pub struct PasswordHasher {
    argon: Argon2<'static>,
    params: Params,
    /// Work queue of the hashing threads; they exit when the last hasher is dropped.
    jobs: mpsc::Sender<Job>,
    /// A hash of a random password, verified for unknown accounts so that their answer
    /// takes as long as a real one (DESIGN §5).
    dummy_hash: Arc<str>,
    counters: Arc<HashCounters>,
}

impl PasswordHasher {
    pub fn new(params: Argon2Params, concurrency: usize) -> Result<Self, HashError> {
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| HashError(e.to_string()))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let workers = concurrency.max(1);
        for i in 0..workers {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || loop {
                    // Hold the lock only to take the next job, not while running it.
                    let next = queue
                        .lock()
                        .map_err(|_| ())
                        .and_then(|q| q.recv().map_err(|_| ()));
                    match next {
                        Ok(job) => job(),
                        Err(()) => return,
                    }
                })
                .map_err(|e| HashError(e.to_string()))?;
        }
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let dummy = argon
            .hash_password(crate::tokens::new_refresh_token().as_bytes(), &salt)
            .map_err(|e| HashError(e.to_string()))?
            .to_string();
        Ok(Self {
            argon,
            params,
            jobs,
            dummy_hash: dummy.into(),
            counters: Arc::new(HashCounters {
                workers: workers as u64,
                queued: AtomicU64::new(0),
                durations: Histogram::new(&HASH_SECONDS),
            }),
        })
    }

    /// The queue's depth now and the time runs have taken.
    pub fn stats(&self) -> HashingStats {
        let (buckets, count, sum_seconds) = self.counters.durations.read();
        HashingStats {
            workers: self.counters.workers,
            queued: self.counters.queued.load(Relaxed),
            buckets,
            count,
            sum_seconds,
        }
    }

    /// Hash a new password (PHC string).
    pub async fn hash(&self, password: SecretString) -> Result<String, HashError> {
        let argon = self.argon.clone();
        let params = self.params.clone();
        self.run(move || hash_phc(&argon, &params, password.expose_secret().as_bytes()))
            .await?
    }

    /// Check `password` against `hash`; with `None` (no such account) check against the
    /// dummy hash and answer false, taking the same time.
    pub async fn verify(
        &self,
        password: SecretString,
        hash: Option<&str>,
    ) -> Result<bool, HashError> {
        let known = hash.is_some();
        let hash: Arc<str> = hash
            .map(Arc::from)
            .unwrap_or_else(|| self.dummy_hash.clone());
        let matches = self
            .run(move || verify_phc(password.expose_secret().as_bytes(), &hash))
            .await?;
        Ok(known && matches)
    }

    /// Check a password as the person typed it. It is verified in its NFKC form (what
    /// every hash since normalisation was made from); if that fails and the typed text was
    /// not already NFKC, it is verified as typed too, because hashes made before
    /// normalisation hold the text as it was. A match of that kind says so, and the caller
    /// stores a normalised hash. Unknown accounts (`None`) take the same steps.
    pub async fn verify_typed(
        &self,
        password: SecretString,
        hash: Option<&str>,
    ) -> Result<Verified, HashError> {
        let normalized = match normalize_password(password.expose_secret()) {
            Cow::Borrowed(_) => None,
            Cow::Owned(n) => Some(SecretString::from(n)),
        };
        let Some(normalized) = normalized else {
            let matches = self.verify(password, hash).await?;
            return Ok(Verified {
                matches,
                stored_unnormalized: false,
            });
        };
        if self.verify(normalized, hash).await? {
            return Ok(Verified {
                matches: true,
                stored_unnormalized: false,
            });
        }
        let matches = self.verify(password, hash).await?;
        Ok(Verified {
            matches,
            stored_unnormalized: matches,
        })
    }

    /// Verify against several hashes (password history); true if any matches.
    pub async fn matches_any(
        &self,
        password: &SecretString,
        hashes: Vec<String>,
    ) -> Result<bool, HashError> {
        for hash in hashes {
            let candidate = SecretString::from(password.expose_secret().to_owned());
            if self.verify(candidate, Some(&hash)).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let (reply, answer) = oneshot::channel();
        let counters = self.counters.clone();
        let job: Job = Box::new(move || {
            counters.queued.fetch_sub(1, Relaxed);
            let started = Instant::now();
            let result = work();
            counters.durations.observe(started.elapsed());
            let _ = reply.send(result);
        });
        self.counters.queued.fetch_add(1, Relaxed);
        if self.jobs.send(job).is_err() {
            self.counters.queued.fetch_sub(1, Relaxed);
            return Err(HashError("the hashing threads have stopped".into()));
        }
        answer
            .await
            .map_err(|_| HashError("a hashing thread failed".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(
            Argon2Params {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            2,
        )
        .unwrap()
    }

    #[tokio::test]
    async fn hash_then_verify() {
        let h = cheap();
        let hash = h.hash(SecretString::from("correct horse")).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(h
            .verify(SecretString::from("correct horse"), Some(&hash))
            .await
            .unwrap());
        assert!(!h
            .verify(SecretString::from("wrong horse"), Some(&hash))
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn hashes_are_standard_phc_and_interoperate() {
        use argon2::password_hash::PasswordVerifier;
        let h = cheap();
        // Ours verifies with the reference implementation...
        let ours = h.hash(SecretString::from("interop")).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"interop", &parsed)
            .is_ok());
        // ...and a reference hash with other parameters verifies with ours.
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let other = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(128, 2, 1, None).unwrap(),
        )
        .hash_password(b"interop", &salt)
        .unwrap()
        .to_string();
        assert!(h
            .verify(SecretString::from("interop"), Some(&other))
            .await
            .unwrap());
        assert!(!h
            .verify(SecretString::from("Interop"), Some(&other))
            .await
            .unwrap());
        assert!(!h
            .verify(SecretString::from("interop"), Some("$argon2id$garbage"))
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn unknown_account_never_verifies() {
        let h = cheap();
        assert!(!h
            .verify(SecretString::from("anything"), None)
            .await
            .unwrap());
    }

    /// Work waits in the queue while every thread is busy, and is timed once it runs.
    #[tokio::test]
    async fn the_queue_depth_counts_waiting_work_and_each_run_is_timed() {
        let h = PasswordHasher::new(
            Argon2Params {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            1,
        )
        .unwrap();
        assert_eq!((h.stats().workers, h.stats().queued), (1, 0));
        // Hold the only thread until told to go on.
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let (started_tx, started) = oneshot::channel();
        let busy = tokio::spawn({
            let h = h.clone();
            async move {
                h.run(move || {
                    let _ = started_tx.send(());
                    let _ = gate.recv();
                })
                .await
            }
        });
        started.await.unwrap();
        let waiting: Vec<_> = (0..2)
            .map(|_| {
                tokio::spawn({
                    let h = h.clone();
                    async move { h.hash(SecretString::from("queued")).await }
                })
            })
            .collect();
        let deadline = Instant::now() + std::time::Duration::from_secs(5);
        while h.stats().queued < 2 && Instant::now() < deadline {
            tokio::task::yield_now().await;
        }
        assert_eq!(h.stats().queued, 2, "both wait behind the busy thread");
        release.send(()).unwrap();
        busy.await.unwrap().unwrap();
        for w in waiting {
            assert!(w.await.unwrap().unwrap().starts_with("$argon2id$"));
        }
        let stats = h.stats();
        assert_eq!(stats.queued, 0);
        assert_eq!(stats.count, 3, "the blocked run and both hashes");
        assert_eq!(stats.buckets.last().map(|b| b.1), Some(3));
        assert!(stats.sum_seconds > 0.0);
    }

    #[test]
    fn production_parameters_are_owasp() {
        let p = Argon2Params::default();
        assert_eq!((p.memory_kib, p.iterations, p.parallelism), (19_456, 2, 1));
    }
}
