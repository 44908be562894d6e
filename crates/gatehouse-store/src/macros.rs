//! The one query code path: each macro takes an [`crate::Exec`], the SQL text and the values
//! to bind, and runs the statement on whichever backend the executor belongs to.
//!
//! The SQL must be a string literal or a `concat!` of literals (so no statement is ever built
//! from runtime text), written once in the subset both databases speak. Where the two
//! dialects must differ, the SQL is written as `per_backend! { pg: "...", sqlite: "..." }`;
//! where the steps themselves differ, code uses the statement form
//! `per_backend!(db, pg => ..., sqlite => ...)`. Searching for `per_backend!` therefore finds
//! every dialect difference in the store.

/// Expand one query-macro invocation: normalise the SQL forms into a PostgreSQL text and an
/// SQLite text, then call `$run` (one of the `@run` arms below) with both.
macro_rules! sql_forms {
    ($run:ident, $ex:expr, [$($T:ty)?], per_backend! { pg: $pg:literal, sqlite: $sq:literal $(,)? } $(, $arg:expr)* $(,)?) => {
        $run!(@run $ex, [$($T)?], $pg, $sq $(, $arg)*)
    };
    ($run:ident, $ex:expr, [$($T:ty)?], concat!($($sql:tt)+) $(, $arg:expr)* $(,)?) => {
        $run!(@run $ex, [$($T)?], concat!($($sql)+), concat!($($sql)+) $(, $arg)*)
    };
    ($run:ident, $ex:expr, [$($T:ty)?], $sql:literal $(, $arg:expr)* $(,)?) => {
        $run!(@run $ex, [$($T)?], $sql, $sql $(, $arg)*)
    };
}

/// Run a query returning at most one row, decoded as `$T` (`sqlx::FromRow`).
macro_rules! fetch_optional {
    (@run $ex:expr, [$T:ty], $pg:expr, $sq:expr $(, $arg:expr)*) => {
        match $ex {
            $crate::db::Exec::Pg(c) => sqlx::query_as::<_, $T>($pg)$(.bind($arg))*.fetch_optional(c).await,
            $crate::db::Exec::Sqlite(c) => sqlx::query_as::<_, $T>($sq)$(.bind($arg))*.fetch_optional(c).await,
        }
    };
    ($ex:expr, $T:ty, $($rest:tt)+) => {
        sql_forms!(fetch_optional, $ex, [$T], $($rest)+)
    };
}

/// Run a query returning exactly one row, decoded as `$T`.
macro_rules! fetch_one {
    (@run $ex:expr, [$T:ty], $pg:expr, $sq:expr $(, $arg:expr)*) => {
        match $ex {
            $crate::db::Exec::Pg(c) => sqlx::query_as::<_, $T>($pg)$(.bind($arg))*.fetch_one(c).await,
            $crate::db::Exec::Sqlite(c) => sqlx::query_as::<_, $T>($sq)$(.bind($arg))*.fetch_one(c).await,
        }
    };
    ($ex:expr, $T:ty, $($rest:tt)+) => {
        sql_forms!(fetch_one, $ex, [$T], $($rest)+)
    };
}

/// Run a query returning any number of rows, decoded as `$T`.
macro_rules! fetch_all {
    (@run $ex:expr, [$T:ty], $pg:expr, $sq:expr $(, $arg:expr)*) => {
        match $ex {
            $crate::db::Exec::Pg(c) => sqlx::query_as::<_, $T>($pg)$(.bind($arg))*.fetch_all(c).await,
            $crate::db::Exec::Sqlite(c) => sqlx::query_as::<_, $T>($sq)$(.bind($arg))*.fetch_all(c).await,
        }
    };
    ($ex:expr, $T:ty, $($rest:tt)+) => {
        sql_forms!(fetch_all, $ex, [$T], $($rest)+)
    };
}

/// Run a statement; evaluates to `Result<u64 /* rows affected */, sqlx::Error>`.
macro_rules! execute {
    (@run $ex:expr, [], $pg:expr, $sq:expr $(, $arg:expr)*) => {
        match $ex {
            $crate::db::Exec::Pg(c) => sqlx::query($pg)$(.bind($arg))*.execute(c).await.map(|r| r.rows_affected()),
            $crate::db::Exec::Sqlite(c) => sqlx::query($sq)$(.bind($arg))*.execute(c).await.map(|r| r.rows_affected()),
        }
    };
    ($ex:expr, $($rest:tt)+) => {
        sql_forms!(execute, $ex, [], $($rest)+)
    };
}

/// Steps that differ per backend, as one visible form:
/// `per_backend!(db, pg => { .. }, sqlite => { .. })` where `db` is a [`crate::Db`].
/// `pg(pool) => ..` binds the PostgreSQL pool, `sqlite(writer) => ..` SQLite's writer pool,
/// for code that runs on that backend's own API.
macro_rules! per_backend {
    ($db:expr, pg => $pg:expr, sqlite => $sq:expr $(,)?) => {
        per_backend!($db, pg(_) => $pg, sqlite(_) => $sq)
    };
    ($db:expr, pg($pool:pat) => $pg:expr, sqlite => $sq:expr $(,)?) => {
        per_backend!($db, pg($pool) => $pg, sqlite(_) => $sq)
    };
    ($db:expr, pg($pool:pat) => $pg:expr, sqlite($writer:pat) => $sq:expr $(,)?) => {
        match $db {
            $crate::db::Db::Postgres { pool: $pool, .. } => $pg,
            $crate::db::Db::Sqlite { writer: $writer, .. } => $sq,
        }
    };
}
