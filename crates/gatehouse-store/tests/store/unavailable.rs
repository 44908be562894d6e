//! `StoreError::Unavailable`: a database out of reach is told apart from a statement that
//! failed, so callers can answer "try again shortly" instead of "internal error".

use gatehouse_store::{Backend, Db, DbOptions, StoreError};
use gatehouse_testkit::{both_backends, TestDb};
use std::time::{Duration, Instant};

async fn unreachable_is_unavailable_and_a_failed_statement_is_not(backend: Backend) {
    let test = TestDb::new(backend).await;
    let db = test.connect().await;
    const BAD: &str = "SELECT * FROM no_such_table";
    let failed = match &db {
        Db::Postgres { pool, .. } => sqlx::query(BAD).execute(pool).await.map(drop),
        Db::Sqlite { reader, .. } => sqlx::query(BAD).execute(reader).await.map(drop),
    };
    assert!(!StoreError::from(failed.unwrap_err()).is_unavailable());

    if let Db::Postgres { pool, .. } = &db {
        // The server ends the session (FATAL 57P01, as on shutdown).
        let ended = sqlx::query("SELECT pg_terminate_backend(pg_backend_pid())")
            .execute(pool)
            .await
            .unwrap_err();
        let text = ended.to_string();
        assert!(StoreError::from(ended).is_unavailable(), "{text}");

        // Nothing listens: the first attempt is refused, and says so at once (the pool
        // alone would retry until its acquire timeout and report only a timeout).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let options = DbOptions {
            max_connections: 1,
            acquire_timeout: Duration::from_millis(300),
        };
        let started = Instant::now();
        let refused = Db::connect(&format!("postgres://postgres@127.0.0.1:{port}/x"), &options)
            .await
            .unwrap_err();
        assert!(refused.is_unavailable(), "{refused:?}");
        assert_eq!(refused.connect_cause(), "connection refused");
        assert!(started.elapsed() < Duration::from_millis(300));
    }

    db.close().await;
    let closed = db
        .reader()
        .await
        .err()
        .expect("a closed pool gives no connection");
    assert!(closed.is_unavailable(), "{closed:?}");
}
both_backends!(unreachable_is_unavailable_and_a_failed_statement_is_not);
