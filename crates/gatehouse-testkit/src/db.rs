//! [`TestDb`]: a fresh, empty database per test — a SQLite file in a temporary directory
//! or a PostgreSQL database `gh_test_<uuid>` — removed again when the test ends. A
//! PostgreSQL that is left out or unreachable stops the test first ([`crate::backends`]).

use crate::backends::postgres_admin_url;
use gatehouse_store::{migrate, Backend, Db, DbOptions};
use uuid::Uuid;

/// A fresh database; dropped (PostgreSQL) or deleted (SQLite) when this is dropped.
pub struct TestDb {
    /// The URL to connect to, as a deployment would write it.
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
                crate::backends::require_postgres().await;
                let admin = postgres_admin_url();
                let name = format!("gh_test_{}", Uuid::now_v7().simple());
                let db = Db::connect(
                    &admin,
                    &DbOptions {
                        max_connections: 1,
                        ..Default::default()
                    },
                )
                .await
                .expect("PostgreSQL reachable (GATEHOUSE_TEST_POSTGRES_URL)");
                let Db::Postgres { pool, .. } = &db else {
                    unreachable!("a postgres:// URL connects to PostgreSQL")
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

    /// Connect with up to 8 connections and apply every migration.
    pub async fn connect(&self) -> Db {
        self.connect_with(&DbOptions {
            max_connections: 8,
            ..Default::default()
        })
        .await
    }

    /// Connect with `options` and apply every migration (idempotent, so several "processes"
    /// may each call it on one database).
    pub async fn connect_with(&self, options: &DbOptions) -> Db {
        self.connect_through(&self.url, options).await
    }

    /// Connect to this database by another `url` (through a [`TcpProxy`](crate::TcpProxy),
    /// say) with `options`, and apply every migration.
    pub async fn connect_through(&self, url: &str, options: &DbOptions) -> Db {
        let db = Db::connect(url, options).await.expect("connect");
        migrate::up(&db).await.expect("migrate");
        db
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
                    if let Ok(Db::Postgres { pool, .. }) =
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
