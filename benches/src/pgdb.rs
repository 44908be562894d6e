//! Throw-away PostgreSQL databases: one `gh_bench_<uuid>` per round, created through the admin
//! URL and dropped (WITH FORCE, PostgreSQL 13+) when the round ends, also on failure.

use anyhow::Context;
use sqlx::{Connection, PgConnection};
use url::Url;

/// A database created for one round.
pub struct BenchDatabase {
    admin_url: String,
    pub name: String,
    pub url: String,
}

impl BenchDatabase {
    pub async fn create(admin_url: &str) -> anyhow::Result<Self> {
        let name = format!("gh_bench_{}", uuid::Uuid::now_v7().simple());
        let mut url = Url::parse(admin_url).context("parsing --postgres-url")?;
        url.set_path(&format!("/{name}"));
        // gatehouse and the bare reference must talk to PostgreSQL the same way: the bench
        // machine's server offers TLS, which gatehouse would take (it is built with TLS) and
        // the reference might not. Loopback needs none, so both run without it unless the
        // URL already says otherwise.
        if !url.query_pairs().any(|(k, _)| k == "sslmode") {
            url.query_pairs_mut().append_pair("sslmode", "disable");
        }
        let mut admin = PgConnection::connect(admin_url)
            .await
            .with_context(|| format!("connecting to {}", redact(admin_url)))?;
        // The name is generated above (hex only), so formatting it into DDL is safe.
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .with_context(|| format!("creating database {name}"))?;
        admin.close().await?;
        Ok(Self {
            admin_url: admin_url.to_owned(),
            name,
            url: url.to_string(),
        })
    }

    pub async fn drop_database(self) -> anyhow::Result<()> {
        let mut admin = PgConnection::connect(&self.admin_url).await?;
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin)
        .await
        .with_context(|| format!("dropping database {}", self.name))?;
        admin.close().await?;
        Ok(())
    }
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// An account row for benchmarks that seed users straight into the store (no password is
/// ever checked: the hash is a placeholder).
pub fn bench_user(
    id: gatehouse_domain::ids::UserId,
    email: String,
    now: chrono::DateTime<chrono::Utc>,
) -> gatehouse_store::accounts::users::UserRow {
    gatehouse_store::accounts::users::UserRow {
        id,
        email,
        username: None,
        password_hash: "not used by this benchmark".to_owned(),
        is_active: true,
        is_staff: false,
        is_superuser: false,
        last_login_at: None,
        locked_until: None,
        email_verified_at: None,
        created_at: now,
        updated_at: now,
    }
}
