//! Migrations in production (issue 11, item 7): `serve` and `migrate up` refuse a database
//! a newer gatehouse migrated, with a message that says what to do; with
//! `database.migrate_on_start = false` `serve` refuses to start while migrations are pending
//! and starts once `migrate up` has run.

use gatehouse_store::{Db, DbOptions};
use gatehouse_testkit::queries::run_sql;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Run `cmd` to its end (at most 30 s); its exit code and stderr.
fn finish(mut cmd: Command) -> (Option<i32>, String) {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("still running after 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn gatehouse_in(dir: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = crate::binary::gatehouse();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    cmd.current_dir(dir)
        .env("GATEHOUSE_LISTEN", format!("127.0.0.1:{port}"))
        .args(args);
    cmd
}

#[tokio::test]
async fn a_schema_from_a_newer_gatehouse_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = finish(gatehouse_in(dir.path(), &["migrate", "up"]));
    assert_eq!(code, Some(0), "{err}");
    let url = format!(
        "sqlite://{}",
        dir.path().join("data/gatehouse.db").display()
    );
    let db = Db::connect(&url, &DbOptions::default()).await.unwrap();
    run_sql(
        &db,
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (9999, 'from the future', 1, X'00', 0)",
    )
    .await;
    db.close().await;

    for args in [&["serve"][..], &["migrate", "up"][..]] {
        let (code, err) = finish(gatehouse_in(dir.path(), args));
        assert_eq!(code, Some(1), "{args:?}: {err}");
        assert!(err.contains("newer schema than gatehouse"), "{err}");
        assert!(err.contains("migration(s) 9999 are applied"), "{err}");
        assert!(err.contains("gatehouse migrate down --to"), "{err}");
    }
}

#[test]
fn with_migrate_on_start_off_serve_waits_for_migrate_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut serve = gatehouse_in(dir.path(), &["serve"]);
    serve.env("GATEHOUSE_DATABASE__MIGRATE_ON_START", "false");
    let (code, err) = finish(serve);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("pending migration(s)"), "{err}");
    assert!(err.contains("1 accounts"), "{err}");
    assert!(err.contains("run `gatehouse migrate up` first"), "{err}");

    let (code, err) = finish(gatehouse_in(dir.path(), &["migrate", "up"]));
    assert_eq!(code, Some(0), "{err}");
    let mut cmd = crate::binary::gatehouse();
    cmd.current_dir(dir.path())
        .env("GATEHOUSE_DATABASE__MIGRATE_ON_START", "false");
    let (ready, stderr) = crate::binary::serve_and_get(cmd, "/readyz");
    let ready = ready.unwrap_or_else(|| panic!("never ready: {stderr}"));
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
}
