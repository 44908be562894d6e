//! The bare reference server: a minimal axum 0.8 app on a sqlx 0.8 `PgPool` answering
//! `GET /users/{id}` with one primary-key lookup as JSON. It is what `GET /v1/me` costs without
//! tokens, sessions or middleware; the harness runs it as a child process like gatehouse.

use std::net::SocketAddr;

use anyhow::Context;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

/// Rows in `bench_users`; the load generator spreads ids over 1..=BARE_USERS.
pub const BARE_USERS: i64 = 10_000;

#[derive(Serialize)]
struct UserRow {
    id: i64,
    email: String,
}

/// Creates and fills `bench_users`, then serves until killed.
pub async fn serve(database_url: &str, listen: SocketAddr, pool_size: u32) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(pool_size)
        .connect(database_url)
        .await
        .context("connecting the bare lookup pool")?;
    fill_table(&pool).await?;
    let app = Router::new()
        .route("/readyz", get(|| async { StatusCode::OK }))
        .route("/users/{id}", get(find_user))
        .with_state(pool);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    axum::serve(listener, app).await?;
    Ok(())
}

async fn fill_table(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS bench_users (id BIGINT PRIMARY KEY, email TEXT NOT NULL)",
    )
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO bench_users (id, email) \
         SELECT g, 'bench-' || g || '@example.com' FROM generate_series(1, $1::BIGINT) AS g \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(BARE_USERS)
    .execute(pool)
    .await?;
    sqlx::query("ANALYZE bench_users").execute(pool).await?;
    Ok(())
}

async fn find_user(
    State(pool): State<PgPool>,
    Path(id): Path<i64>,
) -> Result<Json<UserRow>, StatusCode> {
    sqlx::query_as::<_, (i64, String)>("SELECT id, email FROM bench_users WHERE id = $1")
        .bind(id)
        .fetch_optional(&pool)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .map(|(id, email)| Json(UserRow { id, email }))
        .ok_or(StatusCode::NOT_FOUND)
}
