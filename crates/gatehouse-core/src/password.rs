//! Argon2id password hashing off the async threads, on a fixed pool of worker threads:
//! at most `hash_concurrency` hashes run at once (each takes ~19 MiB and tens of
//! milliseconds), so a login burst queues instead of exhausting memory or starving the
//! runtime. Fixed threads (rather than `spawn_blocking`, which may use a different thread
//! each time) keep the 19 MiB buffers in a few malloc arenas: measured RSS under login
//! load went from ~800 MB to tens of MB.

use crate::config::Argon2Params;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Hashing failed (bad parameters or a worker that panicked): an internal error.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// The bounded Argon2id pool.
#[derive(Clone)]
pub struct PasswordHasher {
    argon: Argon2<'static>,
    /// Work queue of the hashing threads; they exit when the last hasher is dropped.
    jobs: mpsc::Sender<Job>,
    /// A hash of a random password, verified for unknown accounts so that their answer
    /// takes as long as a real one (DESIGN §5).
    dummy_hash: Arc<str>,
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
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..concurrency.max(1) {
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
            jobs,
            dummy_hash: dummy.into(),
        })
    }

    /// Hash a new password (PHC string).
    pub async fn hash(&self, password: SecretString) -> Result<String, HashError> {
        let argon = self.argon.clone();
        self.run(move || {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            argon
                .hash_password(password.expose_secret().as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| HashError(e.to_string()))
        })
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
        let argon = self.argon.clone();
        let matches = self
            .run(move || match PasswordHash::new(&hash) {
                Ok(parsed) => argon
                    .verify_password(password.expose_secret().as_bytes(), &parsed)
                    .is_ok(),
                Err(_) => false,
            })
            .await?;
        Ok(known && matches)
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
        let job: Job = Box::new(move || {
            let _ = reply.send(work());
        });
        self.jobs
            .send(job)
            .map_err(|_| HashError("the hashing threads have stopped".into()))?;
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
    async fn unknown_account_never_verifies() {
        let h = cheap();
        assert!(!h
            .verify(SecretString::from("anything"), None)
            .await
            .unwrap());
    }

    #[test]
    fn production_parameters_are_owasp() {
        let p = Argon2Params::default();
        assert_eq!((p.memory_kib, p.iterations, p.parallelism), (19_456, 2, 1));
    }
}
