//! Connection pools for both backends and the executor handles the query macros take.
//!
//! SQLite allows one writer at a time, so it gets two pools over the same file: a
//! single-connection writer pool for transactions (writes queue in-process instead of
//! failing with SQLITE_BUSY) and a reader pool for plain reads (WAL lets them run beside
//! the writer). PostgreSQL uses one pool for both.

use crate::error::StoreResult;
use crate::location::{is_in_memory, is_postgres_url, Backend};
use crate::pool_stats::{DbCounters, PoolCounters, PoolStats};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{
    ConnectOptions, Connection, PgConnection, PgPool, Postgres, Sqlite, SqliteConnection,
    SqlitePool, Transaction,
};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// How long a call waits for a pooled connection by default, opening one included.
///
/// While the database is down every call waits this long and then fails as
/// [`StoreError::Unavailable`](crate::StoreError::Unavailable) (HTTP 503), so it is what a
/// client waits during an outage: 1.5 s keeps the whole answer within 2 s. A healthy
/// PostgreSQL connection opens in milliseconds (TCP, TLS and SCRAM on a LAN), and a request
/// queued longer than this behind a busy pool is better told to retry than kept waiting.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_millis(1500);

/// Pool sizing and timeouts.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Maximum PostgreSQL connections (or SQLite reader connections).
    pub max_connections: u32,
    /// The longest a call waits for a connection (see [`DEFAULT_ACQUIRE_TIMEOUT`]).
    pub acquire_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: DEFAULT_ACQUIRE_TIMEOUT,
        }
    }
}

/// The database: cheap to clone (pools and counters are reference-counted). Every
/// connection a use case takes ([`Db::begin`], [`Db::reader`], [`Db::writer`]) is counted
/// for the pool metrics ([`Db::pool_stats`]).
#[derive(Clone, Debug)]
pub enum Db {
    Postgres {
        pool: PgPool,
        /// A streaming replica for reports ([`Db::report_reader`]); `None` without one.
        replica: Option<PgPool>,
        counters: Arc<DbCounters>,
    },
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
        counters: Arc<DbCounters>,
    },
}

impl Db {
    /// Connect to `url` (`postgres://…` or `sqlite:…`). SQLite files are created if missing,
    /// readable by their owner only.
    ///
    /// PostgreSQL is tried once first, within `options.acquire_timeout`: the pool retries
    /// a refused connection until its timeout and then reports only that it timed out, so
    /// a server that is down would look like one that is slow. The first attempt fails at
    /// once with the real cause ([`StoreError::connect_cause`](crate::StoreError::connect_cause)).
    pub async fn connect(url: &str, options: &DbOptions) -> StoreResult<Db> {
        if is_postgres_url(url) {
            return Ok(Db::Postgres {
                pool: connect_pg(url, options).await?,
                replica: None,
                counters: Arc::default(),
            });
        }
        let connect = SqliteConnectOptions::from_str(url)?;
        let in_memory = is_in_memory(url);
        if !in_memory {
            create_private_file(connect.get_filename()).map_err(sqlx::Error::Io)?;
        }
        let connect = connect
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect.clone())
            .await?;
        // An in-memory database exists once per connection: share the writer.
        let reader = if in_memory {
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(options.max_connections.clamp(1, 8))
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect.read_only(true))
                .await?
        };
        Ok(Db::Sqlite {
            writer,
            reader,
            counters: Arc::default(),
        })
    }

    /// Send reports (staff audit lists, summaries, exports) to the streaming replica at
    /// `url`. Session checks and every write stay on the primary. PostgreSQL only.
    pub async fn with_replica(self, url: &str, options: &DbOptions) -> StoreResult<Db> {
        match self {
            Db::Postgres { pool, counters, .. } => Ok(Db::Postgres {
                pool,
                replica: Some(connect_pg(url, options).await?),
                counters,
            }),
            sqlite @ Db::Sqlite { .. } => Ok(sqlite),
        }
    }

    /// A connection for reports that may lag the primary by the replica's delay: the
    /// replica when there is one, else the same as [`Db::reader`].
    pub async fn report_reader(&self) -> StoreResult<Conn> {
        match self {
            Db::Postgres {
                replica: Some(replica),
                counters,
                ..
            } => Ok(Conn::Pg(
                counters.reader.acquire(replica, replica.acquire()).await?,
            )),
            _ => self.reader().await,
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Postgres { .. } => Backend::Postgres,
            Db::Sqlite { .. } => Backend::Sqlite,
        }
    }

    /// Begin a read-write transaction.
    pub async fn begin(&self) -> StoreResult<Tx> {
        Ok(match self {
            Db::Postgres { pool, counters, .. } => {
                Tx::Pg(counters.primary.acquire(pool, pool.begin()).await?)
            }
            Db::Sqlite {
                writer, counters, ..
            } => Tx::Sqlite(counters.primary.acquire(writer, writer.begin()).await?),
        })
    }

    /// A connection for single statements that read (autocommit).
    pub async fn reader(&self) -> StoreResult<Conn> {
        Ok(match self {
            Db::Postgres { pool, counters, .. } => {
                Conn::Pg(counters.primary.acquire(pool, pool.acquire()).await?)
            }
            Db::Sqlite {
                reader, counters, ..
            } => Conn::Sqlite(counters.reader.acquire(reader, reader.acquire()).await?),
        })
    }

    /// A connection for single statements that write (autocommit).
    pub async fn writer(&self) -> StoreResult<Conn> {
        Ok(match self {
            Db::Postgres { pool, counters, .. } => {
                Conn::Pg(counters.primary.acquire(pool, pool.acquire()).await?)
            }
            Db::Sqlite {
                writer, counters, ..
            } => Conn::Sqlite(counters.primary.acquire(writer, writer.acquire()).await?),
        })
    }

    /// The counters of the pool that writes (PostgreSQL's only pool, SQLite's writer), for
    /// steps that take a connection through the pool's own API.
    pub(crate) fn primary_counters(&self) -> &PoolCounters {
        match self {
            Db::Postgres { counters, .. } | Db::Sqlite { counters, .. } => &counters.primary,
        }
    }

    /// Each pool's connections and waits now, for the metrics.
    pub fn pool_stats(&self) -> Vec<PoolStats> {
        match self {
            Db::Postgres {
                pool,
                replica,
                counters,
            } => {
                let mut stats = vec![counters.primary.read("postgres", pool)];
                if let Some(replica) = replica {
                    stats.push(counters.reader.read("postgres_replica", replica));
                }
                stats
            }
            Db::Sqlite {
                writer,
                reader,
                counters,
            } => vec![
                counters.primary.read("sqlite_writer", writer),
                counters.reader.read("sqlite_reader", reader),
            ],
        }
    }

    /// Is the database reachable? (`SELECT 1`)
    pub async fn ping(&self) -> StoreResult<()> {
        let mut conn = self.reader().await?;
        execute!(conn.exec(), "SELECT 1")?;
        Ok(())
    }

    /// Close every pool, waiting for connections to be returned.
    pub async fn close(&self) {
        match self {
            Db::Postgres { pool, replica, .. } => {
                if let Some(replica) = replica {
                    replica.close().await;
                }
                pool.close().await;
            }
            Db::Sqlite { writer, reader, .. } => {
                reader.close().await;
                writer.close().await;
            }
        }
    }
}

/// A PostgreSQL pool for `url`. It is tried once first, within `options.acquire_timeout`:
/// the pool retries a refused connection until its timeout and then reports only that it
/// timed out, so a server that is down would look like one that is slow. The first
/// attempt fails at once with the real cause.
async fn connect_pg(url: &str, options: &DbOptions) -> StoreResult<PgPool> {
    let connect = PgConnectOptions::from_str(url)?.application_name("gatehouse");
    match tokio::time::timeout(options.acquire_timeout, connect.connect()).await {
        Ok(Ok(first)) => first.close().await?,
        // Too many connections (53300) or a server still starting (57P03): the pool
        // waits those out, as it would have without this attempt.
        Ok(Err(sqlx::Error::Database(e)))
            if e.code().is_some_and(|c| c == "53300" || c == "57P03") => {}
        Ok(Err(e)) => return Err(e.into()),
        Err(_) => return Err(sqlx::Error::PoolTimedOut.into()),
    }
    Ok(PgPoolOptions::new()
        .max_connections(options.max_connections)
        .acquire_timeout(options.acquire_timeout)
        .connect_with(connect)
        .await?)
}

/// A pooled connection outside any explicit transaction.
pub enum Conn {
    Pg(PoolConnection<Postgres>),
    Sqlite(PoolConnection<Sqlite>),
}

/// An open transaction; dropped without [`Tx::commit`] it rolls back.
pub enum Tx {
    Pg(Transaction<'static, Postgres>),
    Sqlite(Transaction<'static, Sqlite>),
}

impl Tx {
    pub async fn commit(self) -> StoreResult<()> {
        match self {
            Tx::Pg(tx) => tx.commit().await?,
            Tx::Sqlite(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// A borrowed connection on one backend: what store functions take. Get one from
/// [`Executor::exec`] for each call.
pub enum Exec<'c> {
    Pg(&'c mut PgConnection),
    Sqlite(&'c mut SqliteConnection),
}

impl Exec<'_> {
    /// Borrow again, so one function can run several statements on one executor.
    pub fn reborrow(&mut self) -> Exec<'_> {
        match self {
            Exec::Pg(c) => Exec::Pg(c),
            Exec::Sqlite(c) => Exec::Sqlite(c),
        }
    }
}

/// Anything store functions can run on: a [`Tx`] or a [`Conn`].
pub trait Executor {
    fn exec(&mut self) -> Exec<'_>;
}

impl Executor for Tx {
    fn exec(&mut self) -> Exec<'_> {
        match self {
            Tx::Pg(tx) => Exec::Pg(tx),
            Tx::Sqlite(tx) => Exec::Sqlite(tx),
        }
    }
}

impl Executor for Conn {
    fn exec(&mut self) -> Exec<'_> {
        match self {
            Conn::Pg(c) => Exec::Pg(c),
            Conn::Sqlite(c) => Exec::Sqlite(c),
        }
    }
}

/// Create an SQLite database file readable and writable by its owner only (0600), before
/// SQLite creates it with the process umask (often world-readable 0644). SQLite gives its
/// `-wal` and `-shm` files the mode of the database file, so they are private too. An
/// existing file is left as it is (the binary warns if it is readable by others).
fn create_private_file(path: &std::path::Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        // An empty file is an empty SQLite database.
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}
