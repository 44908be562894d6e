//! `--only mfa-login`: logins with a TOTP second step against password-only logins and the
//! Argon2id rate. Each round starts the release gatehouse on a fresh database with `--users`
//! password-only accounts and `--mfa-users` accounts that set up an authenticator over the
//! API (`POST /v1/me/mfa/totp`, then `/totp/confirm` with a code the harness computes from
//! the returned secret).
//!
//! One "login with TOTP" is the whole sign-in a person does: `POST /v1/auth/login` (answered
//! `mfa_required` with a challenge) and `POST /v1/auth/mfa/verify` with the code, answered
//! `authenticated`. The phases run A-B-B-A (TOTP logins, password logins), after the Argon2id
//! reference. A code works once per account and 30 s step (the replay guard), so the harness
//! goes round-robin over enough accounts that none signs in twice in a round, and answers with
//! the code of the step after the clock's, which the ±1-step window accepts and which is
//! always later than the step the enrolment used.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context};
use chrono::Utc;
use gatehouse_domain::mfa::{base32, TotpParams};
use reqwest::{Client, StatusCode};
use serde::Deserialize;
use serde_json::json;

use crate::gatehouse::{register, BenchUser, Gatehouse, GatehouseOptions};
use crate::load::{run_phase, PhaseConfig, PhaseStats, Throughput};
use crate::pgdb::BenchDatabase;
use crate::report::{ratio, Figure, Target};
use crate::{http, references, MAX_ERROR_RATIO};

/// Everything one round measures.
#[derive(Debug, Default, Clone, Copy)]
pub struct MfaLoginRound {
    pub with_totp: Option<Throughput>,
    pub password_only: Option<Throughput>,
    pub argon2_per_sec: Option<f64>,
}

#[rustfmt::skip]
pub const FIGURES: &[Figure<MfaLoginRound>] = &[
    Figure { name: "Logins with TOTP/s (login + verify)", unit: "", decimals: 1, target: None, value: |r| r.with_totp.map(|t| t.per_sec) },
    Figure { name: "Login with TOTP p50 / p99 latency", unit: " ms", decimals: 1, target: None, value: |r| r.with_totp.map(|t| t.p50_ms) },
    Figure { name: "", unit: " ms", decimals: 1, target: None, value: |r| r.with_totp.map(|t| t.p99_ms) },
    Figure { name: "Logins/s, password only", unit: "", decimals: 1, target: None, value: |r| r.password_only.map(|t| t.per_sec) },
    Figure { name: "Argon2id hashes/s, all cores (reference)", unit: "", decimals: 1, target: None, value: |r| r.argon2_per_sec },
    Figure { name: "Logins with TOTP ÷ password-only logins", unit: "", decimals: 3, target: None, value: |r| ratio(r.with_totp.map(|t| t.per_sec), r.password_only.map(|t| t.per_sec)) },
    Figure { name: "Logins with TOTP ÷ Argon2id rate", unit: "", decimals: 3, target: Some(Target::AtLeast(0.90)), value: |r| ratio(r.with_totp.map(|t| t.per_sec), r.argon2_per_sec) },
];

/// An account with an authenticator: its credentials and decoded secret.
struct MfaUser {
    user: BenchUser,
    secret: Vec<u8>,
}

#[derive(Deserialize)]
struct LoginAnswer {
    status: String,
    access_token: Option<String>,
    challenge_id: Option<String>,
}

#[derive(Deserialize)]
struct Enrolment {
    secret: String,
}

/// One round on a fresh database, dropped whatever happens.
pub async fn run_round(
    admin_url: &str,
    options: &GatehouseOptions,
    mfa_users: usize,
    config: PhaseConfig,
) -> anyhow::Result<MfaLoginRound> {
    let db = BenchDatabase::create(admin_url).await?;
    let work_dir = std::env::temp_dir().join(&db.name);
    std::fs::create_dir_all(&work_dir)?;
    let outcome = measure_round(options, &db.url, &work_dir, mfa_users, config).await;
    let dropped = db.drop_database().await;
    match &outcome {
        Ok(_) => {
            let _ = std::fs::remove_dir_all(&work_dir);
        }
        Err(_) => eprintln!("  logs kept in {}", work_dir.display()),
    }
    let round = outcome?;
    dropped?;
    Ok(round)
}

async fn measure_round(
    options: &GatehouseOptions,
    database_url: &str,
    work_dir: &std::path::Path,
    mfa_users: usize,
    config: PhaseConfig,
) -> anyhow::Result<MfaLoginRound> {
    let gatehouse = Gatehouse::start(options, database_url, work_dir, config.concurrency).await?;
    let (client, base) = (gatehouse.client().clone(), gatehouse.base_url().to_owned());
    eprintln!("  registering and enrolling {mfa_users} TOTP accounts");
    let registered = register(&client, &base, "mfa", mfa_users, config.concurrency).await;
    let registered = gatehouse.with_log(registered)?;
    let enrolled = enrol_all(&client, &base, registered, config.concurrency).await;
    let enrolled = Arc::new(gatehouse.with_log(enrolled)?);
    let plain = gatehouse.users().clone();

    eprintln!("  Argon2id reference");
    let mut round = MfaLoginRound {
        argon2_per_sec: Some(references::argon2_hashes_per_sec(config, crate::cores()).await?),
        ..MfaLoginRound::default()
    };
    let next_mfa = Arc::new(AtomicUsize::new(0));
    let next_plain = Arc::new(AtomicUsize::new(0));
    let mut with_totp = PhaseStats::default();
    let mut password_only = PhaseStats::default();
    for totp_side in [true, false, false, true] {
        let stats = if totp_side {
            totp_phase(&client, &base, &enrolled, &next_mfa, config).await
        } else {
            password_phase(&client, &base, &plain, &next_plain, config).await
        };
        let stats = gatehouse.with_log(stats)?;
        let side = if totp_side {
            "with TOTP"
        } else {
            "password only"
        };
        stats.check(&format!("login {side}"), MAX_ERROR_RATIO)?;
        eprintln!("  logins {side}: {:.1}/s", stats.per_sec());
        if totp_side {
            with_totp.absorb(stats);
        } else {
            password_only.absorb(stats);
        }
    }
    if next_mfa.load(Ordering::Relaxed) > enrolled.len() {
        bail!(
            "{} TOTP logins for {} accounts: some account signed in twice, raise --mfa-users",
            next_mfa.load(Ordering::Relaxed),
            enrolled.len()
        );
    }
    gatehouse.stop().await?;
    round.with_totp = Some(with_totp.throughput());
    round.password_only = Some(password_only.throughput());
    Ok(round)
}

/// Sign each account in and set up its authenticator, `concurrency` at a time.
async fn enrol_all(
    client: &Client,
    base: &str,
    users: Vec<BenchUser>,
    concurrency: usize,
) -> anyhow::Result<Vec<MfaUser>> {
    let users = Arc::new(users);
    let mut tasks = Vec::new();
    for worker in 0..concurrency.min(users.len()).max(1) {
        let (client, base, users) = (client.clone(), base.to_owned(), users.clone());
        tasks.push(tokio::spawn(async move {
            let mut secrets = Vec::new();
            for index in (worker..users.len()).step_by(concurrency.max(1)) {
                let secret = enrol(&client, &base, &users[index])
                    .await
                    .with_context(|| format!("enrolling {}", users[index].email))?;
                secrets.push((index, secret));
            }
            anyhow::Ok(secrets)
        }));
    }
    let mut secrets = vec![Vec::new(); users.len()];
    for task in tasks {
        for (index, secret) in task.await?? {
            secrets[index] = secret;
        }
    }
    let users = Arc::try_unwrap(users).map_err(|_| anyhow::anyhow!("users still shared"))?;
    Ok(users
        .into_iter()
        .zip(secrets)
        .map(|(user, secret)| MfaUser { user, secret })
        .collect())
}

/// Password login, `POST /v1/me/mfa/totp`, then `/totp/confirm` with the current code.
async fn enrol(client: &Client, base: &str, user: &BenchUser) -> anyhow::Result<Vec<u8>> {
    let login: LoginAnswer = http::post_json(
        client,
        &format!("{base}/v1/auth/login"),
        &json!({ "login": user.email, "password": user.password }),
    )
    .await
    .map_err(anyhow::Error::msg)?;
    let token = login
        .access_token
        .context("the first login gave no token")?;
    let response = client
        .post(format!("{base}/v1/me/mfa/totp"))
        .bearer_auth(&token)
        .send()
        .await?;
    if response.status() != StatusCode::CREATED {
        bail!("POST /v1/me/mfa/totp: {}", response.status());
    }
    let enrolment: Enrolment = response.json().await?;
    let secret = base32::decode(&enrolment.secret).context("the secret is not base32")?;
    let code = TotpParams::default().code_at(&secret, Utc::now());
    let response = client
        .post(format!("{base}/v1/me/mfa/totp/confirm"))
        .bearer_auth(&token)
        .json(&json!({ "code": code }))
        .send()
        .await?;
    if response.status() != StatusCode::NO_CONTENT {
        bail!("POST /v1/me/mfa/totp/confirm: {}", response.status());
    }
    Ok(secret)
}

/// Logins with TOTP, round-robin over the enrolled accounts.
async fn totp_phase(
    client: &Client,
    base: &str,
    users: &Arc<Vec<MfaUser>>,
    next: &Arc<AtomicUsize>,
    config: PhaseConfig,
) -> anyhow::Result<PhaseStats> {
    let (client, base, users, next) =
        (client.clone(), base.to_owned(), users.clone(), next.clone());
    let (stats, _) = run_phase(config, vec![(); config.concurrency], move |()| {
        let (client, base, users) = (client.clone(), base.clone(), users.clone());
        let index = next.fetch_add(1, Ordering::Relaxed) % users.len();
        async move { ((), login_with_totp(&client, &base, &users[index]).await) }
    })
    .await?;
    Ok(stats)
}

async fn login_with_totp(client: &Client, base: &str, account: &MfaUser) -> Result<(), String> {
    let body = json!({ "login": account.user.email, "password": account.user.password });
    let first: LoginAnswer =
        http::post_json(client, &format!("{base}/v1/auth/login"), &body).await?;
    let challenge_id = match (first.status.as_str(), first.challenge_id) {
        ("mfa_required", Some(id)) => id,
        (status, _) => return Err(format!("login status {status:?}, expected mfa_required")),
    };
    let params = TotpParams::default();
    let code = params.code_for_step(&account.secret, params.step_at(Utc::now()) + 1);
    let body = json!({ "challenge_id": challenge_id, "method": "totp", "code": code });
    let second: LoginAnswer =
        http::post_json(client, &format!("{base}/v1/auth/mfa/verify"), &body).await?;
    match second.status.as_str() {
        "authenticated" => Ok(()),
        other => Err(format!("verify status {other:?}, expected authenticated")),
    }
}

/// Password-only logins, round-robin over the plain accounts.
async fn password_phase(
    client: &Client,
    base: &str,
    users: &Arc<Vec<BenchUser>>,
    next: &Arc<AtomicUsize>,
    config: PhaseConfig,
) -> anyhow::Result<PhaseStats> {
    let (client, base, users, next) =
        (client.clone(), base.to_owned(), users.clone(), next.clone());
    let (stats, _) = run_phase(config, vec![(); config.concurrency], move |()| {
        let (client, base, users) = (client.clone(), base.clone(), users.clone());
        let index = next.fetch_add(1, Ordering::Relaxed) % users.len();
        async move {
            let user = &users[index];
            let body = json!({ "login": user.email, "password": user.password });
            let answer: Result<LoginAnswer, String> =
                http::post_json(&client, &format!("{base}/v1/auth/login"), &body).await;
            let result = match answer {
                Ok(a) if a.status == "authenticated" => Ok(()),
                Ok(a) => Err(format!("login status {:?}", a.status)),
                Err(e) => Err(e),
            };
            ((), result)
        }
    })
    .await?;
    Ok(stats)
}
