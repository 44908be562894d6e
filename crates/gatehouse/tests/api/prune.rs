//! Pruning (issue 13): what goes and what stays, in batches, while refreshes run.
//! Windows are short here (a day to reuse, three to retain) and the batch is 2, so every
//! sweep loops several times.

use axum::http::StatusCode;
use chrono::Duration;
use gatehouse_core::config::CoreConfig;
use gatehouse_core::maintenance::{self, MaintenanceConfig, PruneReport};
use gatehouse_core::Clock;
use gatehouse_store::Backend;
use gatehouse_testkit::{both_backends, test_config, TestApp, Tokens, PASSWORD};
use serde_json::json;
use std::sync::Arc;

fn prune_config() -> MaintenanceConfig {
    MaintenanceConfig {
        reuse_window_secs: 24 * 60 * 60,
        session_retention_secs: 3 * 24 * 60 * 60,
        batch_size: 2,
        ..MaintenanceConfig::default()
    }
}

/// Sessions that stay alive across the days these tests step over.
fn long_sessions() -> CoreConfig {
    CoreConfig {
        idle_timeout: std::time::Duration::from_secs(2 * 24 * 60 * 60),
        session_ttl: std::time::Duration::from_secs(30 * 24 * 60 * 60),
        ..test_config()
    }
}

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, long_sessions()).await
}

async fn prune(app: &TestApp) -> PruneReport {
    maintenance::prune(&app.core, &prune_config())
        .await
        .expect("prune")
}

/// Log `email` in, refresh `refreshes` times, and return every token pair in order.
async fn chain(app: &TestApp, email: &str, refreshes: usize) -> Vec<Tokens> {
    let mut tokens = vec![app.login(email).await];
    for _ in 0..refreshes {
        let r = app.refresh(&tokens.last().unwrap().refresh).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        tokens.push(Tokens::from(&r));
    }
    tokens
}

async fn logout(app: &TestApp, tokens: &Tokens) {
    let r = app
        .post("/v1/auth/logout", json!({}), Some(&tokens.access))
        .await;
    assert!(r.status.is_success(), "logout: {}", r.text);
}

async fn an_ended_family_is_kept_for_the_reuse_window_then_pruned(backend: Backend) {
    let app = spawn(backend).await;
    let reg = app.register("gone@example.com").await;
    let gone_id = reg.id;
    app.register("live@example.com").await;
    let gone = chain(&app, "gone@example.com", 2).await;
    logout(&app, gone.last().unwrap()).await;
    let live = chain(&app, "live@example.com", 1).await;
    assert_eq!(app.count("refresh_tokens").await, 5);

    // Inside the window nothing goes, and a replay of the rotated first token is still
    // recognised as reuse.
    app.advance(Duration::hours(12));
    let report = prune(&app).await;
    assert_eq!((report.refresh_tokens, report.sessions), (0, 0));
    assert_eq!(app.count("refresh_tokens").await, 5);
    let replay = app.refresh(&gone[0].refresh).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(replay.code(), "refresh_token_reused");
    let audit_before = app.audit_counts(gone_id).await;

    // Past the window the ended family's three tokens go; the live family keeps both of
    // its rows (the rotated one included) and refreshes on; the audit rows all stay.
    app.advance(Duration::hours(13));
    let report = prune(&app).await;
    assert_eq!(report.refresh_tokens, 3);
    assert_eq!(report.sessions, 0);
    assert_eq!(app.count("refresh_tokens").await, 2);
    assert_eq!(app.count("sessions").await, 2);
    let replay = app.refresh(&gone[0].refresh).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(replay.code(), "invalid_refresh_token");
    assert_eq!(app.audit_counts(gone_id).await, audit_before);
    let r = app.refresh(&live[1].refresh).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // The live family's rotated tokens are still there: replaying one is reuse.
    let r = app.refresh(&live[0].refresh).await;
    assert_eq!(r.code(), "refresh_token_reused");

    // Past the retention both sessions have ended (the live one by that reuse): the one
    // that ended first goes now; the other is kept until its own retention is over.
    app.advance(Duration::days(2));
    let report = prune(&app).await;
    assert_eq!(report.sessions, 1);
    assert_eq!(app.count("sessions").await, 1);
    assert_eq!(app.audit_counts(gone_id).await, audit_before);
}
both_backends!(an_ended_family_is_kept_for_the_reuse_window_then_pruned);

async fn pruning_runs_in_batches_and_clears_stale_throttle_counters(backend: Backend) {
    let app = spawn(backend).await;
    for n in 0..3 {
        let email = format!("u{n}@example.com");
        app.register(&email).await;
        let tokens = chain(&app, &email, 2).await;
        logout(&app, tokens.last().unwrap()).await;
    }
    // Sign-ups and logins (a failed one too) are counted per address and per account.
    let r = app.login_as("u0@example.com", "not the password").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let counters = app.count("auth_throttle").await;
    assert!(counters >= 4, "{counters}");
    assert_eq!(prune(&app).await, PruneReport::default());
    assert_eq!(
        app.count("auth_throttle").await,
        counters,
        "windows not over"
    );

    // Nine tokens at two per statement: five statements, the last removing one.
    app.advance(Duration::hours(25));
    let report = prune(&app).await;
    assert_eq!(
        report,
        PruneReport {
            sessions_expired: 0,
            refresh_tokens: 9,
            sessions: 0,
            throttle_counters: counters as u64,
            notifications: 0,
            mfa_codes: 0,
        }
    );
    assert_eq!(app.count("refresh_tokens").await, 0);
    assert_eq!(app.count("auth_throttle").await, 0);
    app.advance(Duration::days(2));
    assert_eq!(prune(&app).await.sessions, 3);
    assert_eq!(app.count("sessions").await, 0);
    // A fresh start after the sweep: the account logs in as before.
    let r = app.login_as("u0@example.com", PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // And the metrics counted each kind.
    let metrics = app.get("/metrics", None).await.text;
    let throttle = format!("gatehouse_rows_pruned_total{{kind=\"throttle_counter\"}} {counters}");
    assert!(
        metrics.lines().any(|l| l == throttle),
        "{throttle} in:\n{metrics}"
    );
    for line in [
        "gatehouse_rows_pruned_total{kind=\"refresh_token\"} 9",
        "gatehouse_rows_pruned_total{kind=\"session\"} 3",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in:\n{metrics}");
    }
}
both_backends!(pruning_runs_in_batches_and_clears_stale_throttle_counters);

async fn pruning_while_live_sessions_refresh_deletes_no_live_token(backend: Backend) {
    let app = Arc::new(spawn(backend).await);
    for n in 0..6 {
        let email = format!("old{n}@example.com");
        app.register(&email).await;
        let tokens = chain(&app, &email, 1).await;
        logout(&app, tokens.last().unwrap()).await;
    }
    app.advance(Duration::hours(25));
    let mut live = Vec::new();
    for n in 0..3 {
        let email = format!("live{n}@example.com");
        app.register(&email).await;
        live.push(app.login(&email).await.refresh);
    }
    assert_eq!(app.count("refresh_tokens").await, 12 + 3);

    const REFRESHES: usize = 8;
    let mut set = tokio::task::JoinSet::new();
    for first in live {
        let app = app.clone();
        set.spawn(async move {
            let mut token = first;
            for _ in 0..REFRESHES {
                let r = app.refresh(&token).await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.text);
                token = Tokens::from(&r).refresh;
            }
            token
        });
    }
    let pruner = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut removed = 0;
            for _ in 0..5 {
                removed += prune(&app).await.refresh_tokens;
                tokio::task::yield_now().await;
            }
            removed
        })
    };
    let mut last = Vec::new();
    while let Some(token) = set.join_next().await {
        last.push(token.unwrap());
    }
    assert_eq!(pruner.await.unwrap(), 12, "only the ended families' tokens");
    // Every live family kept every row: its first token and each one rotated since.
    assert_eq!(
        app.count("refresh_tokens").await,
        3 * (1 + REFRESHES as i64)
    );
    for token in last {
        let r = app.refresh(&token).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
}
both_backends!(pruning_while_live_sessions_refresh_deletes_no_live_token);

/// `gatehouse maintain` against `url`: (exit success, stdout, stderr).
fn maintain(url: &str) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = crate::binary::gatehouse()
        .arg("maintain")
        .env("GATEHOUSE_DATA_DIR", dir.path())
        .env("GATEHOUSE_DATABASE__URL", url)
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

async fn the_maintain_command_prunes_once_and_prints_the_counts(backend: Backend) {
    let db = gatehouse_testkit::TestDb::new(backend).await;
    let url = db.url.clone();
    let (ok, _, err) = tokio::task::spawn_blocking(move || maintain(&url))
        .await
        .unwrap();
    assert!(!ok, "an unmigrated database is refused");
    assert!(err.contains("pending migrations"), "{err}");

    let url = db.url.clone();
    let (ok, out, err) = tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        let migrated = crate::binary::gatehouse()
            .args(["migrate", "up"])
            .env("GATEHOUSE_DATA_DIR", dir.path())
            .env("GATEHOUSE_DATABASE__URL", &url)
            .output()
            .unwrap();
        assert!(migrated.status.success());
        maintain(&url)
    })
    .await
    .unwrap();
    assert!(ok, "{err}");
    for line in [
        "sessions expired: 0",
        "refresh tokens pruned: 0",
        "sessions pruned: 0",
        "throttle counters pruned: 0",
    ] {
        assert!(out.lines().any(|l| l == line), "{line} in:\n{out}");
    }
}
both_backends!(the_maintain_command_prunes_once_and_prints_the_counts);

/// Sessions nobody presents again are ended by the sweep once their idle timeout (or
/// lifetime) has passed: no longer listed or counted as active, audited `session_expired`
/// once, their token answering `session_expired`; a remembered session idle as long is not.
async fn the_sweep_ends_sessions_idle_past_their_timeout(backend: Backend) {
    // The default timeouts: 30 idle minutes, 7 days when remembered.
    let app = TestApp::spawn(backend).await;
    let reg = app.register("sid@example.com").await;
    let user_id: uuid::Uuid = reg.id;
    let idle = app.login("sid@example.com").await;
    let remembered = app
        .post(
            "/v1/auth/login",
            json!({ "login": "sid@example.com", "password": PASSWORD, "remember_me": true }),
            None,
        )
        .await;
    assert_eq!(remembered.status, StatusCode::OK);
    let remembered = Tokens::from(&remembered);

    app.advance(Duration::minutes(29));
    assert_eq!(prune(&app).await.sessions_expired, 0);
    app.advance(Duration::minutes(2));
    assert_eq!(prune(&app).await.sessions_expired, 1);
    assert_eq!(prune(&app).await.sessions_expired, 0, "once only");

    let expired_rows = |rows: &[gatehouse_testkit::queries::SessionAuditSummary]| {
        rows.iter()
            .filter(|r| r.action == "session_expired")
            .count()
    };
    assert_eq!(expired_rows(&app.audit_actions(user_id).await), 1);
    let r = app.refresh(&idle.refresh).await;
    assert_eq!(r.code(), "session_expired");
    assert_eq!(expired_rows(&app.audit_actions(user_id).await), 1);
    // The remembered session goes on (a fresh access token: the first one ran out).
    let r = app.refresh(&remembered.refresh).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let ids = app.session_ids(&Tokens::from(&r).access).await;
    assert_eq!(ids, vec![remembered.session_id.clone()]);
    let metrics = app.get("/metrics", None).await.text;
    assert!(
        metrics
            .lines()
            .any(|l| l == "gatehouse_sessions_expired_total 1"),
        "{metrics}"
    );
}
both_backends!(the_sweep_ends_sessions_idle_past_their_timeout);

/// Finished messages, their history and expired alert links go after the retention;
/// a message still pending stays however old.
async fn finished_notifications_and_spent_links_are_pruned(backend: Backend) {
    use gatehouse_core::notify::transport::{DevTransport, EmailTransport, SmsTransport};
    use gatehouse_core::notify::worker::Transports;
    use gatehouse_testkit::queries::outbox;
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let dev = DevTransport::new(dir.path().join("outbox.log"));
    let transports = std::sync::Arc::new(Transports {
        email: EmailTransport::Dev(dev.clone()),
        sms: SmsTransport::Dev(dev),
    });
    app.register("pru@example.com").await;
    app.login_from("pru@example.com", crate::notifications::FIREFOX)
        .await;
    app.login_from("pru@example.com", crate::notifications::CHROME)
        .await;
    assert_eq!(app.deliver(&transports).await.sent, 1);
    // A second alert that no worker sends: it stays pending.
    app.login_from("pru@example.com", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1").await;
    assert_eq!(app.count("security_action_tokens").await, 2);
    // pending and sent, then pending (SMS with no number and push get no `skipped` line).
    assert_eq!(app.count("notification_log").await, 3);

    assert_eq!(prune(&app).await.notifications, 0, "nothing is due yet");
    // The links expire after a week.
    app.advance(Duration::days(8));
    assert_eq!(prune(&app).await.notifications, 2);
    assert_eq!(app.count("security_action_tokens").await, 0);
    // The sent email, every history line and the in-app entries go after 90 days; the
    // pending email stays.
    app.advance(Duration::days(90));
    // (one sent email, three history lines, two in-app entries)
    assert_eq!(prune(&app).await.notifications, 1 + 3 + 2);
    let left = outbox(&app.core.db).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].status, "pending");
    let metrics = app.get("/metrics", None).await.text;
    assert!(
        metrics.contains("gatehouse_rows_pruned_total{kind=\"notification\"} 8"),
        "{metrics}"
    );
}
both_backends!(finished_notifications_and_spent_links_are_pruned);

/// Expired login challenges and one-time codes go at the next run; live ones stay.
async fn expired_challenges_and_codes_are_pruned(backend: Backend) {
    use gatehouse_store::accounts::mfa_challenges::{self, ChallengeBinding, NewChallenge};
    use gatehouse_store::Executor;
    let app = TestApp::spawn(backend).await;
    let registered = app.register("cha@example.com").await;
    let user_id: uuid::Uuid = registered.id;
    let user_id = gatehouse_domain::ids::UserId::from(user_id);
    let now = app.clock.now();
    let binding = ChallengeBinding {
        ip: None,
        device_hash: "d".repeat(64),
        remember_me: false,
        methods: vec!["totp".to_owned()],
        risk_score: 0,
        risk_reasons: Vec::new(),
    };
    {
        let mut tx = app.core.db.begin().await.unwrap();
        for minutes in [1, 10] {
            mfa_challenges::insert(
                tx.exec(),
                &NewChallenge {
                    challenge_id: uuid::Uuid::now_v7(),
                    user_id,
                    expires_at: now + Duration::minutes(minutes),
                    max_attempts: 3,
                    risk_level: "low",
                    binding: &binding,
                    created_at: now,
                },
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
    }
    assert_eq!(prune(&app).await.mfa_codes, 0);
    app.advance(Duration::minutes(5));
    assert_eq!(prune(&app).await.mfa_codes, 1);
    assert_eq!(app.count("mfa_challenges").await, 1);
    let metrics = app.get("/metrics", None).await.text;
    assert!(
        metrics.contains("gatehouse_rows_pruned_total{kind=\"mfa_code\"} 1"),
        "{metrics}"
    );
}
both_backends!(expired_challenges_and_codes_are_pruned);
