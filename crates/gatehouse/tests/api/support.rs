//! `TestApp`: the real router over a fresh database (SQLite file or PostgreSQL database
//! per test), a fake clock, cheap Argon2 parameters, and typed request helpers.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use chrono::{Duration, TimeZone, Utc};
use gatehouse_core::config::{Argon2Params, CoreConfig};
use gatehouse_core::keys::Keys;
use gatehouse_core::{Core, FakeClock};
use gatehouse_http::{router, AppState, HttpConfig};
use gatehouse_store::{migrate, Backend, Db, DbOptions};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tower::ServiceExt;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery staple";

/// Run a test body once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(gatehouse_store::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(gatehouse_store::Backend::Postgres).await
            }
        }
    };
}

pub fn postgres_admin_url() -> String {
    std::env::var("GATEHOUSE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A fresh database; dropped (PostgreSQL) or deleted (SQLite) when this is dropped.
pub struct TestDb {
    pub url: String,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                TestDb {
                    url,
                    pg_name: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("gh_test_{}", Uuid::new_v4().simple());
                let db = Db::connect(
                    &admin,
                    &DbOptions {
                        max_connections: 1,
                        ..Default::default()
                    },
                )
                .await
                .expect("PostgreSQL reachable (set GATEHOUSE_TEST_POSTGRES_URL)");
                let Db::Postgres(pool) = &db else {
                    unreachable!()
                };
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(pool)
                    .await
                    .expect("create database");
                db.close().await;
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_owned())
                    .unwrap_or(admin.clone());
                TestDb {
                    url: format!("{base}/{name}"),
                    pg_name: Some(name),
                    _dir: None,
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            // Drop runs outside async: use a small runtime on a helper thread.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async {
                    if let Ok(Db::Postgres(pool)) =
                        Db::connect(&postgres_admin_url(), &DbOptions::default()).await
                    {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&pool)
                                .await;
                        pool.close().await;
                    }
                });
            })
            .join();
        }
    }
}

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
    pub ip: IpAddr,
    pub db: TestDbHandle,
}

/// Shares the database between apps acting as separate processes.
#[derive(Clone)]
pub struct TestDbHandle(pub Arc<TestDb>);

/// A response, decoded.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    /// The problem `code` (for problem+json answers).
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
    pub fn is_problem(&self) -> bool {
        self.headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v == "application/problem+json")
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, test_config()).await
    }

    pub async fn spawn_with(backend: Backend, config: CoreConfig) -> TestApp {
        let db = TestDbHandle(Arc::new(TestDb::new(backend).await));
        Self::on(
            db,
            config,
            Keys::ephemeral().expect("keys"),
            FakeClock::new(start_time()),
        )
        .await
    }

    /// Another "process" on the same database (own pools, own keys unless given).
    pub async fn on(db: TestDbHandle, config: CoreConfig, keys: Keys, clock: FakeClock) -> TestApp {
        let conn = Db::connect(
            &db.0.url,
            &DbOptions {
                max_connections: 8,
                ..Default::default()
            },
        )
        .await
        .expect("connect");
        migrate::up(&conn).await.expect("migrate");
        let core = Core::new(conn, Arc::new(clock.clone()), keys, config).expect("core");
        let router = router(AppState::new(core.clone()), &HttpConfig::default());
        TestApp {
            router,
            core,
            clock,
            ip: "203.0.113.7".parse().expect("ip"),
            db,
        }
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Body>,
        content_type: Option<&str>,
    ) -> Resp {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::USER_AGENT, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36");
        if let Some(t) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if let Some(ct) = content_type {
            builder = builder.header(header::CONTENT_TYPE, ct);
        }
        let mut request = builder
            .body(body.unwrap_or_else(Body::empty))
            .expect("request");
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(self.ip, 40000)));
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn post(&self, path: &str, body: Value, token: Option<&str>) -> Resp {
        self.request(
            Method::POST,
            path,
            token,
            Some(Body::from(body.to_string())),
            Some("application/json"),
        )
        .await
    }

    pub async fn patch(&self, path: &str, body: Value, token: &str) -> Resp {
        self.request(
            Method::PATCH,
            path,
            Some(token),
            Some(Body::from(body.to_string())),
            Some("application/json"),
        )
        .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.request(Method::GET, path, token, None, None).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.request(Method::DELETE, path, Some(token), None, None)
            .await
    }

    pub async fn register(&self, email: &str) -> Resp {
        let r = self
            .post(
                "/v1/auth/register",
                json!({ "email": email, "password": PASSWORD }),
                None,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "register {email}: {}",
            r.text
        );
        r
    }

    pub async fn login_as(&self, login: &str, password: &str) -> Resp {
        self.post(
            "/v1/auth/login",
            json!({ "login": login, "password": password }),
            None,
        )
        .await
    }

    /// Log in and return (access token, refresh token, session id).
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

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// A count from the database, e.g. `count("users")`.
    pub async fn count(&self, table: &str) -> i64 {
        use gatehouse_store::Executor;
        let mut conn = self.core.db.reader().await.expect("conn");
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let sql: &'static str = Box::leak(sql.into_boxed_str());
        match conn.exec() {
            gatehouse_store::Exec::Pg(c) => sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(c)
                .await
                .expect("count"),
            gatehouse_store::Exec::Sqlite(c) => sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(c)
                .await
                .expect("count"),
        }
    }

    pub async fn audit_actions(
        &self,
        user_id: Uuid,
    ) -> Vec<gatehouse_store::audit::SessionAuditSummary> {
        use gatehouse_store::Executor;
        let mut conn = self.core.db.reader().await.expect("conn");
        gatehouse_store::audit::session_actions_for_user(conn.exec(), user_id)
            .await
            .expect("audit")
    }

    pub async fn audit_counts(&self, user_id: Uuid) -> gatehouse_store::audit::AuditCounts {
        use gatehouse_store::Executor;
        let mut conn = self.core.db.reader().await.expect("conn");
        gatehouse_store::audit::count_for_user(conn.exec(), user_id)
            .await
            .expect("audit")
    }
}

fn start_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0)
        .single()
        .expect("time")
}

/// Tokens from a login or refresh answer.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub session_id: String,
}

impl From<&Resp> for Tokens {
    fn from(r: &Resp) -> Self {
        Tokens {
            access: r.body["access_token"]
                .as_str()
                .expect("access_token")
                .to_owned(),
            refresh: r.body["refresh_token"]
                .as_str()
                .expect("refresh_token")
                .to_owned(),
            session_id: r.body["session_id"]
                .as_str()
                .expect("session_id")
                .to_owned(),
        }
    }
}
