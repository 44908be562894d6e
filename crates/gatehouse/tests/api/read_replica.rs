//! Read replicas (issue 11, item 4) against a real streaming replica: a throwaway primary
//! cluster and a hot standby made from it with `pg_basebackup`, each on its own port. With
//! the standby's replay paused, the staff audit list and the daily summaries (reports) do not
//! yet see a row the primary has, while the connections session checks and writes use do;
//! once replay resumes the reports catch up. PostgreSQL only, and needs the server binaries
//! (`initdb`, `pg_ctl`, `pg_basebackup`) of the local installation.

use gatehouse_core::audit_review::{self, AuditFilter, AuditPage};
use gatehouse_core::keys::Keys;
use gatehouse_core::{Clock, Core, FakeClock};
use gatehouse_domain::audit::{AuditKind, SessionAction};
use gatehouse_domain::ids::UserId;
use gatehouse_domain::risk::RiskLevel;
use gatehouse_store::audit::{insert_session, SessionAuditEntry};
use gatehouse_store::{migrate, Backend, Db, DbOptions, Executor};
use gatehouse_testkit::queries::{run_sql, scalar_i64};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Two local clusters: a primary and its streaming standby; stopped and removed on drop.
struct StreamingPair {
    dir: tempfile::TempDir,
    bin: PathBuf,
    primary_port: u16,
    standby_port: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `program args` as the `postgres` user when run as root (PostgreSQL refuses root).
fn as_postgres(program: &Path, args: &[&str]) {
    let root = std::env::var("USER").is_ok_and(|u| u == "root")
        || Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout == b"0\n");
    let status = if root {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(program)
            .args(args)
            .status()
    } else {
        Command::new(program).args(args).status()
    }
    .unwrap();
    assert!(status.success(), "{} {args:?} failed", program.display());
}

impl StreamingPair {
    fn start() -> StreamingPair {
        let versions =
            std::fs::read_dir("/usr/lib/postgresql").expect("PostgreSQL server binaries");
        let newest = versions
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str().and_then(|v| v.parse::<u32>().ok()))
            .max()
            .expect("a PostgreSQL version");
        let bin = PathBuf::from(format!("/usr/lib/postgresql/{newest}/bin"));
        let dir = tempfile::tempdir().unwrap();
        Command::new("chown")
            .args(["postgres"])
            .arg(dir.path())
            .status()
            .ok();
        let pair = StreamingPair {
            primary_port: free_port(),
            standby_port: free_port(),
            bin,
            dir,
        };
        let primary = pair.dir.path().join("primary");
        let standby = pair.dir.path().join("standby");
        let p = |path: &Path| path.to_str().unwrap().to_owned();
        as_postgres(
            &pair.bin.join("initdb"),
            &["-D", &p(&primary), "-U", "postgres", "--auth=trust", "-N"],
        );
        let conf = format!(
            "port = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nwal_level = replica\nfsync = off\n",
            pair.primary_port,
            p(pair.dir.path())
        );
        append_as_postgres(&primary.join("postgresql.conf"), &conf);
        as_postgres(
            &pair.bin.join("pg_ctl"),
            &[
                "-D",
                &p(&primary),
                "-l",
                &p(&pair.dir.path().join("primary.log")),
                "-w",
                "start",
            ],
        );
        as_postgres(
            &pair.bin.join("pg_basebackup"),
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &pair.primary_port.to_string(),
                "-U",
                "postgres",
                "-D",
                &p(&standby),
                "-R",
                "-X",
                "stream",
            ],
        );
        append_as_postgres(
            &standby.join("postgresql.conf"),
            &format!("port = {}\n", pair.standby_port),
        );
        as_postgres(
            &pair.bin.join("pg_ctl"),
            &[
                "-D",
                &p(&standby),
                "-l",
                &p(&pair.dir.path().join("standby.log")),
                "-w",
                "start",
            ],
        );
        pair
    }

    fn url(&self, port: u16) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/postgres")
    }
}

fn append_as_postgres(file: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(file).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

impl Drop for StreamingPair {
    fn drop(&mut self) {
        for cluster in ["standby", "primary"] {
            let data = self.dir.path().join(cluster);
            let _ = Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(self.bin.join("pg_ctl"))
                .args(["-D", data.to_str().unwrap(), "-m", "immediate", "stop"])
                .status();
        }
    }
}

async fn staff_list(core: &Core, user: UserId) -> usize {
    let filter = AuditFilter {
        user_id: Some(user),
        ..AuditFilter::default()
    };
    let page = AuditPage {
        before: None,
        limit: 50,
    };
    audit_review::list(core, AuditKind::Sessions, &filter, page)
        .await
        .unwrap()
        .len()
}

async fn wait_until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{what}: not within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn reports_read_the_replica_and_everything_else_the_primary() {
    if gatehouse_testkit::skipped(Backend::Postgres) {
        return;
    }
    let pair = StreamingPair::start();
    let options = DbOptions::default();
    let primary = Db::connect(&pair.url(pair.primary_port), &options)
        .await
        .unwrap();
    migrate::up(&primary).await.unwrap();
    let standby = Db::connect(&pair.url(pair.standby_port), &options)
        .await
        .unwrap();
    let db = primary
        .clone()
        .with_replica(&pair.url(pair.standby_port), &options)
        .await
        .unwrap();
    let clock = FakeClock::new(chrono::Utc::now());
    let core = Core::new(
        db,
        std::sync::Arc::new(clock.clone()),
        Keys::ephemeral().unwrap(),
        gatehouse_testkit::test_config(),
    )
    .unwrap();
    let user = UserId::from(Uuid::now_v7());
    let write_row = async || {
        let entry =
            SessionAuditEntry::new(user, SessionAction::LoginSucceeded, RiskLevel::Low, None);
        let mut conn = core.db.writer().await.unwrap();
        insert_session(conn.exec(), Uuid::now_v7(), &entry, clock.now())
            .await
            .unwrap();
    };

    // Streaming works: a row written on the primary reaches the staff list.
    write_row().await;
    wait_until("the replica replays the first row", async || {
        staff_list(&core, user).await == 1
    })
    .await;

    // Replay paused: the report stays behind, what session checks and writes use does not.
    run_sql(&standby, "SELECT pg_wal_replay_pause()").await;
    wait_until("replay pauses", async || {
        scalar_i64(
            &standby,
            "SELECT CASE WHEN pg_get_wal_replay_pause_state() = 'paused' THEN 1::bigint ELSE 0::bigint END",
        )
        .await
            == 1
    })
    .await;
    write_row().await;
    let on_primary = format!(
        "SELECT COUNT(*) FROM session_audit_log WHERE user_id = '{}'",
        user.as_uuid()
    );
    assert_eq!(
        scalar_i64(&core.db, &on_primary).await,
        2,
        "reader() is the primary"
    );
    assert_eq!(
        staff_list(&core, user).await,
        1,
        "the report reads the paused replica"
    );

    run_sql(&standby, "SELECT pg_wal_replay_resume()").await;
    wait_until("the report catches up", async || {
        staff_list(&core, user).await == 2
    })
    .await;
    let stats: Vec<String> = core
        .db
        .pool_stats()
        .into_iter()
        .map(|s| s.pool.to_owned())
        .collect();
    assert!(stats.contains(&"postgres_replica".to_owned()), "{stats:?}");
    standby.close().await;
    core.db.close().await;
}
