//! The one query code path: each macro takes an [`crate::Exec`], the SQL text (written
//! once, portable between SQLite and PostgreSQL) and the values to bind, and runs the same
//! statement on whichever backend the executor belongs to.

/// Run a query returning at most one row, decoded as `$T` (`sqlx::FromRow`).
macro_rules! fetch_optional {
    ($ex:expr, $T:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        match $ex {
            $crate::db::Exec::Pg(c) => sqlx::query_as::<_, $T>($sql)$(.bind($arg))*.fetch_optional(c).await,
            $crate::db::Exec::Sqlite(c) => sqlx::query_as::<_, $T>($sql)$(.bind($arg))*.fetch_optional(c).await,
        }
    };
}

/// Run a query returning exactly one row, decoded as `$T`.
macro_rules! fetch_one {
    ($ex:expr, $T:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        match $ex {
            $crate::db::Exec::Pg(c) => sqlx::query_as::<_, $T>($sql)$(.bind($arg))*.fetch_one(c).await,
            $crate::db::Exec::Sqlite(c) => sqlx::query_as::<_, $T>($sql)$(.bind($arg))*.fetch_one(c).await,
        }
    };
}

/// Run a query returning any number of rows, decoded as `$T`.
macro_rules! fetch_all {
    ($ex:expr, $T:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        match $ex {
            $crate::db::Exec::Pg(c) => sqlx::query_as::<_, $T>($sql)$(.bind($arg))*.fetch_all(c).await,
            $crate::db::Exec::Sqlite(c) => sqlx::query_as::<_, $T>($sql)$(.bind($arg))*.fetch_all(c).await,
        }
    };
}

/// Run a statement; evaluates to `Result<u64 /* rows affected */, sqlx::Error>`.
macro_rules! execute {
    ($ex:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        match $ex {
            $crate::db::Exec::Pg(c) => sqlx::query($sql)$(.bind($arg))*.execute(c).await.map(|r| r.rows_affected()),
            $crate::db::Exec::Sqlite(c) => sqlx::query($sql)$(.bind($arg))*.execute(c).await.map(|r| r.rows_affected()),
        }
    };
}
