//! Which backends a test run covers, and a PostgreSQL that is down failing fast.
//!
//! `GATEHOUSE_TEST_BACKENDS` (`sqlite`, `postgres`, or both comma-separated; unset means
//! both) lets a contributor without PostgreSQL run the SQLite half. A test on a backend left
//! out does not pretend to have run: it writes `skipped: GATEHOUSE_TEST_BACKENDS=sqlite
//! (<test>)` straight to stderr (past the harness's capture, so it shows) and returns.
//! `.ci/run` sets both, so CI never skips.
//!
//! When PostgreSQL is selected but unreachable, the first test that needs it tries once
//! (a refused connection fails at once, a silent server after the pool's acquire timeout)
//! and every PostgreSQL test in the process then fails at once with the same one line,
//! naming `GATEHOUSE_TEST_POSTGRES_URL` — instead of each test waiting on its own.

use gatehouse_store::{Backend, Db, DbOptions, Location};
use std::io::Write;
use std::sync::OnceLock;
use tokio::sync::OnceCell;

const VARIABLE: &str = "GATEHOUSE_TEST_BACKENDS";

/// The PostgreSQL server tests create their databases on: `GATEHOUSE_TEST_POSTGRES_URL`,
/// or the local server with trust authentication.
pub fn postgres_admin_url() -> String {
    std::env::var("GATEHOUSE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// True, after saying so on stderr, when `GATEHOUSE_TEST_BACKENDS` leaves `backend` out:
/// the caller returns without testing. Tests that reach PostgreSQL outside
/// [`both_backends!`](crate::both_backends) start with
/// `if gatehouse_testkit::skipped(Backend::Postgres) { return; }`.
pub fn skipped(backend: Backend) -> bool {
    let selection = selection();
    if selection.includes(backend) {
        return false;
    }
    let thread = std::thread::current();
    let test = thread
        .name()
        .filter(|name| *name != "main")
        .unwrap_or("a test");
    // Straight to the process's stderr: the harness captures `eprintln!` of passing tests.
    let _ = writeln!(
        std::io::stderr(),
        "skipped: {VARIABLE}={} ({test})",
        selection.raw
    );
    true
}

/// Panic unless `backend` is selected: a test that asks for PostgreSQL without checking
/// [`skipped`] first would otherwise fail in some less obvious way.
pub(crate) fn require_selected(backend: Backend) {
    let selection = selection();
    assert!(
        selection.includes(backend),
        "{VARIABLE}={} leaves out {backend:?}, but this test asked for it without checking \
         gatehouse_testkit::skipped({backend:?}) first",
        selection.raw
    );
}

/// Fail at once, with one line naming `GATEHOUSE_TEST_POSTGRES_URL`, when the test
/// PostgreSQL server cannot be reached. Only the first call in a process tries to connect;
/// the others repeat its answer.
pub async fn require_postgres() {
    require_selected(Backend::Postgres);
    static REACHABLE: OnceCell<Result<(), String>> = OnceCell::const_new();
    let outcome = REACHABLE.get_or_init(probe_postgres).await;
    if let Err(line) = outcome {
        panic!("{line}");
    }
}

async fn probe_postgres() -> Result<(), String> {
    let url = postgres_admin_url();
    let place = Location::parse(&url)
        .map(|location| location.describe())
        .map_err(|e| format!("GATEHOUSE_TEST_POSTGRES_URL is not a PostgreSQL URL: {e}"))?;
    let options = DbOptions {
        max_connections: 1,
        ..Default::default()
    };
    match Db::connect(&url, &options).await {
        Ok(db) => {
            db.close().await;
            Ok(())
        }
        Err(e) => Err(format!(
            "the PostgreSQL tests cannot reach {place}: {} — start it, point \
             GATEHOUSE_TEST_POSTGRES_URL at a server that is up, or run only the SQLite tests \
             with {VARIABLE}=sqlite",
            e.connect_cause()
        )),
    }
}

/// The backends this run tests, read once.
struct Selection {
    sqlite: bool,
    postgres: bool,
    /// The variable as written, for the skip line.
    raw: String,
}

impl Selection {
    fn includes(&self, backend: Backend) -> bool {
        match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        }
    }
}

fn selection() -> &'static Selection {
    static SELECTION: OnceLock<Selection> = OnceLock::new();
    SELECTION.get_or_init(|| parse(std::env::var(VARIABLE).ok().as_deref()))
}

/// `None` or blank selects both; otherwise a comma-separated list of `sqlite` and
/// `postgres`. Anything else is a typo that would silently skip half the suite: refused.
fn parse(value: Option<&str>) -> Selection {
    let raw = value.unwrap_or_default().trim().to_owned();
    if raw.is_empty() {
        return Selection {
            sqlite: true,
            postgres: true,
            raw,
        };
    }
    let mut selection = Selection {
        sqlite: false,
        postgres: false,
        raw: raw.clone(),
    };
    for name in raw.split(',').map(str::trim) {
        match name.to_ascii_lowercase().as_str() {
            "sqlite" => selection.sqlite = true,
            "postgres" | "postgresql" => selection.postgres = true,
            _ => panic!("{VARIABLE}={raw}: \"{name}\" is not a backend; use sqlite, postgres or both (comma-separated)"),
        }
    }
    selection
}
