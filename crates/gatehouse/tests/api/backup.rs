//! `gatehouse backup` and `gatehouse restore` (issue 11, item 1): an online SQLite backup
//! holds exactly what was there when it was taken, restores into a new or (with `--replace`)
//! an existing database file, keeps the replaced file, and refuses a damaged file or an
//! existing target without changing anything; PostgreSQL is pointed to its own tools.

use gatehouse_store::{migrate, Backend, Db, DbOptions};
use gatehouse_testkit::queries::count_rows;
use gatehouse_testkit::{both_backends, TestApp};
use std::path::Path;

fn gatehouse(url: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    crate::binary::run_against(url, dir.path(), args)
}

async fn users_in(file: &Path) -> (i64, bool) {
    let db = Db::connect(
        &format!("sqlite://{}", file.display()),
        &DbOptions::default(),
    )
    .await
    .unwrap();
    let users = count_rows(&db, "users").await;
    let current = migrate::is_current(&db).await.unwrap();
    db.close().await;
    (users, current)
}

async fn backup_and_restore(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("kept@example.com").await;
    app.login("kept@example.com").await;
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    let copy_arg = copy.to_str().unwrap();
    let url = app.db.0.url.clone();

    if backend == Backend::Postgres {
        let (code, _, err) = gatehouse(&url, &["backup", "--to", copy_arg]);
        assert_eq!(code, Some(1), "{err}");
        assert!(err.contains("base backups and WAL archiving"), "{err}");
        assert!(!copy.exists());
        let (code, _, err) = gatehouse(&url, &["restore", "--from", copy_arg]);
        assert_eq!(code, Some(1), "{err}");
        return;
    }

    let (code, out, err) = gatehouse(&url, &["backup", "--to", copy_arg]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("written to"), "{out}");
    // Written while the app's pool is open; what follows is not in the copy.
    app.register("later@example.com").await;
    let (code, _, err) = gatehouse(&url, &["backup", "--to", copy_arg]);
    assert_eq!(code, Some(1));
    assert!(err.contains("already exists"), "{err}");

    let restored = dir.path().join("restored.db");
    let restored_url = format!("sqlite://{}", restored.display());
    let (code, out, err) = gatehouse(&restored_url, &["restore", "--from", copy_arg]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("1 users"), "{out}");
    assert_eq!(users_in(&restored).await, (1, true));

    // An existing database is replaced only when asked, and then kept beside it.
    let (code, _, err) = gatehouse(&restored_url, &["restore", "--from", copy_arg]);
    assert_eq!(code, Some(1));
    assert!(err.contains("--replace"), "{err}");
    let (code, out, err) = gatehouse(&restored_url, &["restore", "--from", copy_arg, "--replace"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("previous database kept as"), "{out}");
    let kept = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("restored.db.replaced-"))
        .collect::<Vec<_>>();
    // The old file (its WAL and shared-memory files, if any, moved beside it).
    let main_files = kept
        .iter()
        .filter(|n| !n.ends_with("-wal") && !n.ends_with("-shm"));
    assert_eq!(main_files.count(), 1, "{kept:?}");

    // A damaged or foreign file changes nothing.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all, just text").unwrap();
    let (code, _, err) = gatehouse(
        &restored_url,
        &["restore", "--from", junk.to_str().unwrap(), "--replace"],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("cannot be restored"), "{err}");
    assert_eq!(users_in(&restored).await, (1, true));
    assert_eq!(count_rows(&app.core.db, "users").await, 2);
}
both_backends!(backup_and_restore);
