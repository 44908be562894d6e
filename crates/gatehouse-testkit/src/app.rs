//! [`TestApp`]: one gatehouse "process" — the real router over a fresh database, a fake
//! clock, cheap Argon2 parameters — with typed helpers for the common requests.

use crate::queries::{self, AuditCounts, SessionAuditSummary};
use crate::request::{Resp, Tokens};
use crate::{TcpProxy, TestDb};
use axum::http::StatusCode;
use axum::Router;
use chrono::{DateTime, Duration, TimeZone, Utc};
use gatehouse_core::config::{Argon2Params, CoreConfig};
use gatehouse_core::keys::Keys;
use gatehouse_core::notify::worker::{PassReport, Transports, Worker};
use gatehouse_core::{Core, FakeClock};
use gatehouse_http::{router, AppState, HttpConfig};
use gatehouse_store::{Backend, Db, DbOptions};
use serde_json::json;
use std::net::IpAddr;
use std::sync::Arc;
use uuid::Uuid;

/// The password every helper registers and logs in with.
pub const PASSWORD: &str = "correct horse battery staple";

/// Cheap hashing for tests; production uses OWASP parameters.
pub fn test_config() -> CoreConfig {
    CoreConfig {
        argon2: Argon2Params {
            memory_kib: 256,
            iterations: 1,
            parallelism: 1,
        },
        ..CoreConfig::default()
    }
}

/// One gatehouse "process": a router over a database.
pub struct TestApp {
    pub router: Router,
    pub core: Core,
    pub clock: FakeClock,
    /// The client address every request comes from.
    pub ip: IpAddr,
    pub db: TestDbHandle,
}

/// Shares the database between apps acting as separate processes.
#[derive(Clone)]
pub struct TestDbHandle(pub Arc<TestDb>);

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, test_config()).await
    }

    pub async fn spawn_with(backend: Backend, config: CoreConfig) -> TestApp {
        Self::spawn_with_keys(backend, config, Keys::ephemeral().expect("keys")).await
    }

    /// A fresh database and an app with the given keys (to share them with another node).
    pub async fn spawn_with_keys(backend: Backend, config: CoreConfig, keys: Keys) -> TestApp {
        let db = TestDbHandle(Arc::new(TestDb::new(backend).await));
        Self::on(db, config, keys, FakeClock::new(start_time())).await
    }

    /// A fresh PostgreSQL database that the app reaches only through a [`TcpProxy`], so the
    /// test can cut it off (the test's own [`TestDb::connect`] still reaches it directly).
    pub async fn spawn_behind_proxy(config: CoreConfig) -> (TestApp, TcpProxy) {
        let db = TestDbHandle(Arc::new(TestDb::new(Backend::Postgres).await));
        let (proxy, url) = TcpProxy::for_postgres_url(&db.0.url).await;
        let keys = Keys::ephemeral().expect("keys");
        let app = Self::on_url(db, &url, config, keys, FakeClock::new(start_time())).await;
        (app, proxy)
    }

    /// Another "process" on the same database (own pools, own keys unless given).
    pub async fn on(db: TestDbHandle, config: CoreConfig, keys: Keys, clock: FakeClock) -> TestApp {
        let conn = db.0.connect().await;
        Self::over(db, conn, config, keys, clock)
    }

    /// A "process" that reaches the database by `url` — the test database behind a
    /// [`TcpProxy`], to break the connection — with the pool options a deployment gets by
    /// default (so its acquire timeout is the one an outage is answered within).
    pub async fn on_url(
        db: TestDbHandle,
        url: &str,
        config: CoreConfig,
        keys: Keys,
        clock: FakeClock,
    ) -> TestApp {
        let conn = db.0.connect_through(url, &DbOptions::default()).await;
        Self::over(db, conn, config, keys, clock)
    }

    fn over(
        db: TestDbHandle,
        conn: Db,
        config: CoreConfig,
        keys: Keys,
        clock: FakeClock,
    ) -> TestApp {
        let core = Core::new(conn, Arc::new(clock.clone()), keys, config).expect("core");
        // As `gatehouse serve` does: on PostgreSQL the session cache follows change notices.
        gatehouse_core::accounts::spawn_session_cache_listener(&core);
        let router = router(AppState::new(core.clone()), &HttpConfig::default());
        TestApp {
            router,
            core,
            clock,
            ip: "203.0.113.7".parse().expect("ip"),
            db,
        }
    }

    /// The same app behind a router built with other `[http]` settings (timeouts, limits).
    pub fn with_http(mut self, config: &HttpConfig) -> TestApp {
        self.router = router(AppState::new(self.core.clone()), config);
        self
    }

    /// One delivery pass through `transports`, as a worker of this process would run it
    /// (at the fake clock's time).
    pub async fn deliver(&self, transports: &Arc<Transports>) -> PassReport {
        Worker::new(
            self.core.db.clone(),
            self.core.clock.clone(),
            transports.clone(),
            self.core.notifier.clone(),
        )
        .deliver_due()
        .await
        .expect("a delivery pass")
    }

    /// Log in with `user_agent` (a different one is a different device).
    pub async fn login_from(&self, login: &str, user_agent: &str) -> Tokens {
        self.login_from_with(login, PASSWORD, user_agent).await
    }

    /// Log in with `password` from a client sending `user_agent`.
    pub async fn login_from_with(&self, login: &str, password: &str, user_agent: &str) -> Tokens {
        let r = self
            .request_as(
                user_agent,
                axum::http::Method::POST,
                "/v1/auth/login",
                None,
                Some(axum::body::Body::from(
                    json!({"login": login, "password": password}).to_string(),
                )),
                Some("application/json"),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "login from {user_agent}: {}",
            r.text
        );
        Tokens::from(&r)
    }

    /// Sign up with [`PASSWORD`] and discard the verification email it queued, so a test
    /// about something else starts from an empty outbox ([`Self::sign_up`] keeps it). The
    /// answer (202) names no account, so the new account's id is read from the store.
    pub async fn register(&self, email: &str) -> Registered {
        let registered = self.sign_up(email).await;
        queries::discard_sign_up_mail(&self.core.db, registered.id).await;
        registered
    }

    /// Sign up with [`PASSWORD`], keeping the verification email in the outbox.
    pub async fn sign_up(&self, email: &str) -> Registered {
        let r = self
            .post(
                "/v1/auth/register",
                json!({ "email": email, "password": PASSWORD }),
                None,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::ACCEPTED,
            "register {email}: {}",
            r.text
        );
        let id = queries::user_id_by_email(&self.core.db, &email.to_lowercase()).await;
        Registered { id, resp: r }
    }

    pub async fn login_as(&self, login: &str, password: &str) -> Resp {
        self.post(
            "/v1/auth/login",
            json!({ "login": login, "password": password }),
            None,
        )
        .await
    }

    /// Log in with [`PASSWORD`] and return the tokens and session id.
    pub async fn login(&self, login: &str) -> Tokens {
        let r = self.login_as(login, PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "login {login}: {}", r.text);
        Tokens::from(&r)
    }

    pub async fn refresh(&self, refresh_token: &str) -> Resp {
        self.post(
            "/v1/auth/refresh",
            json!({ "refresh_token": refresh_token }),
            None,
        )
        .await
    }

    /// The ids of the caller's active sessions, newest first, as `GET /v1/me/sessions`
    /// lists them (first page).
    pub async fn session_ids(&self, access_token: &str) -> Vec<String> {
        let r = self.get("/v1/me/sessions", Some(access_token)).await;
        assert_eq!(r.status, StatusCode::OK, "list sessions: {}", r.text);
        r.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|s| s["id"].as_str().expect("id").to_owned())
            .collect()
    }

    /// Move this app's fake clock forward.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// How many rows `table` holds, e.g. `count("users")`.
    /// The id of the account with this email.
    pub async fn user_id(&self, email: &str) -> Uuid {
        crate::queries::user_id_by_email(&self.core.db, email).await
    }

    pub async fn count(&self, table: &str) -> i64 {
        queries::count_rows(&self.core.db, table).await
    }

    /// The user's `session_audit_log` rows, oldest first.
    pub async fn audit_actions(&self, user_id: Uuid) -> Vec<SessionAuditSummary> {
        queries::session_audit_actions(&self.core.db, user_id).await
    }

    /// Every `account_audit_log` row as (user id, action), oldest first.
    pub async fn account_audit(&self) -> Vec<(Option<Uuid>, String)> {
        queries::account_audit_actions(&self.core.db).await
    }

    /// How many rows of each audit table mention the user.
    pub async fn audit_counts(&self, user_id: Uuid) -> AuditCounts {
        queries::audit_counts(&self.core.db, user_id).await
    }
}

/// A sign-up that created an account.
#[derive(Debug)]
pub struct Registered {
    pub id: Uuid,
    /// The answer itself (202 `{"status": "verification_sent"}`).
    pub resp: Resp,
}

/// Where every test's fake clock starts.
fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0)
        .single()
        .expect("time")
}
