//! Daily audit summaries, retention and export (issue 10, items 4 and 5): counters that
//! match what people did through the API, a rerun that leaves identical rows, the staff
//! list (403 for others, the high-risk filter), partitions made ahead and dropped past the
//! retention on PostgreSQL, batch deletion of expired rows only on SQLite, and exports
//! that hold exactly the rows of their range.

use crate::mfa_login::{challenge, code_now, verify, with_totp};
use axum::http::StatusCode;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use gatehouse_core::accounts::Page;
use gatehouse_core::audit_ops::export::{self, AuditLog, ExportFormat, ExportRequest};
use gatehouse_core::audit_ops::summaries::{self, DailySummaryRow};
use gatehouse_core::audit_ops::{retention, AuditConfig};
use gatehouse_store::Backend;
use gatehouse_testkit::queries::{mfa_audit_actions, run_sql, scalar_i64};
use gatehouse_testkit::{both_backends, Resp, TestApp, Tokens};
use serde_json::{json, Value};

/// The fake clock's first day (the kit starts every clock at 2026-11-26 12:00 UTC).
fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

/// A signed-in staff member (TOTP on, as staff sign-ins need).
async fn staff(app: &TestApp, email: &str) -> Tokens {
    let secret = with_totp(app, email).await;
    gatehouse_core::accounts::promote_existing(&app.core, email)
        .await
        .unwrap();
    mfa_sign_in(app, email, &secret).await
}

async fn mfa_sign_in(app: &TestApp, email: &str, secret: &[u8]) -> Tokens {
    app.advance(Duration::seconds(30));
    let id = challenge(app, email).await;
    let r = verify(app, &id, "totp", &code_now(app, secret)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    Tokens::from(&r)
}

async fn all_rows(app: &TestApp) -> Vec<DailySummaryRow> {
    let page = Page {
        before: None,
        limit: 1000,
    };
    summaries::list(&app.core, None, 0, page).await.unwrap()
}

fn row_of(rows: &[DailySummaryRow], user: uuid::Uuid) -> &DailySummaryRow {
    rows.iter().find(|r| r.user_id == user).expect("a row")
}

/// Someone whose refresh token is replayed: a high-risk event.
async fn with_reused_token(app: &TestApp, email: &str) {
    app.register(email).await;
    let t = app.login(email).await;
    let r = app.refresh(&t.refresh).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.refresh(&t.refresh).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
}

async fn list(app: &TestApp, access: &str, query: &str) -> Resp {
    app.get(&format!("/v1/admin/audit/summaries{query}"), Some(access))
        .await
}

fn users_listed(r: &Resp) -> Vec<String> {
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["user_id"].as_str().unwrap().to_owned())
        .collect()
}

/// What a person did through the API is what their row counts; a second run, later,
/// leaves every column of every row as it was.
async fn summaries_count_real_actions_and_a_rerun_leaves_identical_rows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let secret = with_totp(&app, "ann@example.com").await;
    let ann = app.user_id("ann@example.com").await;
    let r = app
        .login_as("ann@example.com", "not the password at all")
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    let t = mfa_sign_in(&app, "ann@example.com", &secret).await;
    let r = app
        .post("/v1/me/mfa/backup-codes", json!({}), Some(&t.access))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    assert_eq!(
        summaries::summarize(&app.core, first_day()).await.unwrap(),
        1
    );
    let first = all_rows(&app).await;
    assert_eq!(first.len(), 1);
    let row = row_of(&first, ann);
    assert_eq!(row.date, first_day());
    assert_eq!(row.total_failed_logins, 1);
    assert_eq!(row.total_mfa_challenges, 1);
    assert_eq!(row.mfa_enabled_count, 1);
    assert_eq!(row.mfa_disabled_count, 0);
    assert_eq!(row.backup_codes_generated, 1);
    assert_eq!(row.unique_ips, 1);
    assert_eq!(row.unique_devices, 1);
    assert_eq!(row.total_devices, 1);
    let sessions = app.audit_actions(ann).await;
    let created = sessions
        .iter()
        .filter(|a| a.action == "login_succeeded" || a.action == "session_created")
        .count();
    assert_eq!(row.total_sessions as usize, created);
    assert!(created >= 2, "{sessions:?}");
    let counts = app.audit_counts(ann).await;
    let mfa = mfa_audit_actions(&app.core.db, ann).await;
    assert_eq!(
        row.total_api_calls as usize,
        (counts.session + counts.device + counts.link) as usize + mfa.len()
    );
    let levels = row.low_risk_events
        + row.medium_risk_events
        + row.high_risk_events
        + row.critical_risk_events;
    assert_eq!(
        levels as usize,
        (counts.session + counts.device) as usize + mfa.len()
    );

    // Later the same day's rows are summarised again: nothing changes, not even the
    // row's id or creation time.
    app.advance(Duration::days(1));
    assert_eq!(
        summaries::summarize(&app.core, first_day()).await.unwrap(),
        1
    );
    assert_eq!(all_rows(&app).await, first);
    // A day without events writes nothing.
    let empty = first_day().succ_opt().unwrap().succ_opt().unwrap();
    assert_eq!(summaries::summarize(&app.core, empty).await.unwrap(), 0);
    assert_eq!(all_rows(&app).await, first);
}
both_backends!(summaries_count_real_actions_and_a_rerun_leaves_identical_rows);

/// Staff list a day's rows and filter by high-risk events; others get 403; bad filters 400.
async fn staff_list_summaries_and_filter_by_high_risk(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let boss = staff(&app, "boss@example.com").await;
    with_reused_token(&app, "bob@example.com").await;
    let bob = app.user_id("bob@example.com").await;
    app.register("cat@example.com").await;
    let cat = app.login("cat@example.com").await;
    summaries::summarize(&app.core, first_day()).await.unwrap();

    let r = list(&app, &boss.access, "?date=2026-11-26").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(users_listed(&r).len(), 3, "{}", r.text);
    let r = list(&app, &boss.access, "?date=2026-11-26&min_high_risk=1").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(users_listed(&r), vec![bob.to_string()], "{}", r.text);
    assert!(r.body["items"][0]["high_risk_events"].as_i64().unwrap() >= 1);
    let r = list(&app, &boss.access, "?date=2026-11-25").await;
    assert_eq!(r.body["items"], json!([]), "{}", r.text);

    // Pages of one, newest first, cover the three rows once each.
    let mut seen = Vec::new();
    let mut query = "?date=2026-11-26&limit=1".to_owned();
    loop {
        let r = list(&app, &boss.access, &query).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        seen.extend(users_listed(&r));
        match r.body["next_cursor"].as_str() {
            Some(cursor) => query = format!("?date=2026-11-26&limit=1&cursor={cursor}"),
            None => break,
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 3);

    let r = list(&app, &cat.access, "?date=2026-11-26").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.body["code"], "staff_only");
    let r = app.get("/v1/admin/audit/summaries", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    for bad in [
        "?date=2026-13-01",
        "?date=26-11-2026",
        "?date=2026-11-26T00:00:00Z",
        "?min_high_risk=-1",
        "?min_high_risk=1000001",
        "?limit=0",
        "?cursor=nonsense",
        "?colour=red",
    ] {
        let r = list(&app, &boss.access, bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.text);
    }
}
both_backends!(staff_list_summaries_and_filter_by_high_risk);

fn retention_config() -> AuditConfig {
    AuditConfig {
        retention_days: 400,
        batch_size: 2,
        partitions_ahead: 3,
        ..AuditConfig::default()
    }
}

/// The first of next month (UTC, by the real clock: partitions follow the calendar).
fn next_month_suffix() -> String {
    let today = Utc::now().date_naive();
    let (y, m) = if today.month() == 12 {
        (today.year() + 1, 1)
    } else {
        (today.year(), today.month() + 1)
    };
    format!("{y:04}{m:02}")
}

/// PostgreSQL: `maintain` creates next month's partitions and drops a partition wholly
/// past the retention with its rows; current rows stay. SQLite: expired rows are deleted
/// in batches and only they.
async fn maintain_makes_partitions_ahead_and_removes_only_expired_rows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("old@example.com").await;
    app.login("old@example.com").await;
    let db = &app.core.db;
    match backend {
        Backend::Postgres => {
            let next = next_month_suffix();
            let drop_next = format!("DROP TABLE session_audit_log_p{next}, mfa_audit_log_p{next}");
            run_sql(db, &drop_next).await;
            run_sql(
                db,
                "SELECT gatehouse_ensure_audit_partitions('2020-01-01', 1)",
            )
            .await;
            run_sql(
                db,
                "INSERT INTO session_audit_log (id, user_id, action, created_at)
                 VALUES (gen_random_uuid(), gen_random_uuid(), 'login_succeeded', '2020-01-15T10:00:00Z')",
            )
            .await;
            let current = app.count("session_audit_log").await;
            let report = retention::maintain(&app.core, &retention_config())
                .await
                .unwrap();
            assert!(report.partitions_created >= 2, "{report:?}");
            assert_eq!(report.partitions_dropped, 4, "{report:?}");
            let exists = format!(
                "SELECT COUNT(*) FROM pg_class WHERE relname IN
                 ('session_audit_log_p{next}', 'mfa_audit_log_p{next}')"
            );
            assert_eq!(scalar_i64(db, &exists).await, 2);
            assert_eq!(
                scalar_i64(
                    db,
                    "SELECT COUNT(*) FROM pg_class WHERE relname LIKE '%audit_log_p202001'"
                )
                .await,
                0
            );
            assert_eq!(app.count("session_audit_log").await, current - 1);
            assert_eq!(
                scalar_i64(
                    db,
                    "SELECT COUNT(*) FROM session_audit_log WHERE created_at < '2026-01-01T00:00:00Z'"
                )
                .await,
                0
            );
            // A second run finds nothing to do.
            let again = retention::maintain(&app.core, &retention_config())
                .await
                .unwrap();
            assert_eq!(again, Default::default());
        }
        Backend::Sqlite => {
            let old_rows = app.count("session_audit_log").await
                + app.count("device_audit_log").await
                + app.count("session_device_link_audit_log").await
                + app.count("mfa_audit_log").await;
            assert!(old_rows > 2, "enough rows for several batches: {old_rows}");
            // 399 days later someone else signs in; a day after, the first rows expire.
            app.advance(Duration::days(399));
            app.register("new@example.com").await;
            app.login("new@example.com").await;
            let report = retention::maintain(&app.core, &retention_config())
                .await
                .unwrap();
            assert_eq!(report.rows_deleted, 0, "nothing is 400 days old yet");
            // The cutoff is the UTC midnight before "400 days ago": two days on, the
            // first rows (written at noon) are past it.
            app.advance(Duration::days(2));
            let before_run = app.count("session_audit_log").await;
            let report = retention::maintain(&app.core, &retention_config())
                .await
                .unwrap();
            assert_eq!(report.rows_deleted as i64, old_rows);
            assert_eq!(report.partitions_created, 0);
            let new = app.user_id("new@example.com").await;
            let kept = app.audit_counts(new).await;
            assert!(kept.session > 0);
            assert_eq!(app.count("session_audit_log").await, kept.session);
            assert!(before_run > kept.session);
            assert_eq!(app.count("device_audit_log").await, kept.device);
            assert_eq!(app.count("session_device_link_audit_log").await, kept.link);
        }
    }
}
both_backends!(maintain_makes_partitions_ahead_and_removes_only_expired_rows);

async fn export_text(
    app: &TestApp,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    logs: Vec<AuditLog>,
    format: ExportFormat,
) -> (u64, String) {
    let request = ExportRequest::new(from, to, logs, format)
        .unwrap()
        .with_page_size(2);
    let mut out = Vec::new();
    let mut last = 0;
    let written = export::export(&app.core.db, &request, &mut out, &mut |n| last = n)
        .await
        .unwrap();
    assert_eq!(last, written);
    assert_eq!(
        export::count(&app.core.db, &request).await.unwrap(),
        written
    );
    (written, String::from_utf8(out).unwrap())
}

fn time(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// NDJSON and CSV exports hold exactly the rows created in their range, each once,
/// read in pages of two.
async fn exports_hold_exactly_the_rows_in_range(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let secret = with_totp(&app, "exp@example.com").await;
    let day_one = app.count("session_audit_log").await
        + app.count("device_audit_log").await
        + app.count("session_device_link_audit_log").await
        + app.count("mfa_audit_log").await;
    let day_one_sessions = app.count("session_audit_log").await;
    app.advance(Duration::days(2));
    mfa_sign_in(&app, "exp@example.com", &secret).await;
    let all = app.count("session_audit_log").await
        + app.count("device_audit_log").await
        + app.count("session_device_link_audit_log").await
        + app.count("mfa_audit_log").await;
    assert!(all > day_one);

    let (from, to) = (time("2026-11-26T00:00:00Z"), time("2026-11-27T00:00:00Z"));
    let (n, text) = export_text(&app, from, to, vec![], ExportFormat::Ndjson).await;
    assert_eq!(n as i64, day_one);
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as i64, day_one);
    let mut ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as i64, day_one, "each row once");
    for line in &lines {
        let at = time(line["created_at"].as_str().unwrap());
        assert!(at >= from && at < to, "{line}");
        assert!(["sessions", "devices", "mfa", "links"].contains(&line["kind"].as_str().unwrap()));
    }
    let mfa_line = lines.iter().find(|l| l["kind"] == "mfa").unwrap();
    assert!(mfa_line["action"].is_string() && mfa_line["user_id"].is_string());
    // The same types on both backends: booleans, numbers, JSON, null.
    assert!(mfa_line["is_anomalous"].is_boolean(), "{mfa_line}");
    assert!(mfa_line["primary_method"].is_boolean(), "{mfa_line}");
    assert!(mfa_line["max_attempts"].is_number(), "{mfa_line}");
    let session_line = lines.iter().find(|l| l["kind"] == "sessions").unwrap();
    assert!(
        session_line["requires_review"].is_boolean(),
        "{session_line}"
    );
    assert!(session_line["ip_address"].is_string(), "{session_line}");

    let (n, _) = export_text(
        &app,
        from,
        time("2026-12-01T00:00:00Z"),
        vec![],
        ExportFormat::Ndjson,
    )
    .await;
    assert_eq!(n as i64, all);
    let (n, text) = export_text(
        &app,
        time("2026-11-27T00:00:00Z"),
        time("2026-11-28T00:00:00Z"),
        vec![],
        ExportFormat::Ndjson,
    )
    .await;
    assert_eq!((n, text.as_str()), (0, ""));

    let (n, text) = export_text(&app, from, to, vec![AuditLog::Sessions], ExportFormat::Csv).await;
    assert_eq!(n as i64, day_one_sessions);
    let mut records = parse_csv(&text).into_iter();
    let header = records.next().unwrap();
    assert_eq!(&header[..3], ["id", "user_id", "session_id"]);
    let at = header.iter().position(|h| h == "created_at").unwrap();
    let rows: Vec<Vec<String>> = records.collect();
    assert_eq!(rows.len() as i64, day_one_sessions);
    for row in rows {
        assert_eq!(row.len(), header.len(), "{row:?}");
        let created = time(&row[at]);
        assert!(created >= from && created < to, "{row:?}");
    }
}
both_backends!(exports_hold_exactly_the_rows_in_range);

/// RFC 4180 records: quoted cells may hold commas, doubled quotes and line breaks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut cell) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut cell)),
            (false, '\n') => {
                record.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => cell.push(c),
        }
    }
    records
}

/// `gatehouse audit summarize|export|maintain` against the app's database: what they
/// print, a CSV of all logs refused, an output file private to its owner.
async fn audit_commands_run_from_the_binary(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("cli@example.com").await;
    app.login("cli@example.com").await;
    let rows = app.count("session_audit_log").await
        + app.count("device_audit_log").await
        + app.count("session_device_link_audit_log").await
        + app.count("mfa_audit_log").await;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        crate::binary::run_against(&app.db.0.url, dir.path(), &[&["audit"][..], args].concat())
    };

    let (code, out, err) = run(&["summarize", "--date", "2026-11-26"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "2026-11-26: 1 user summaries written\n");
    assert_eq!(app.count("audit_daily_summaries").await, 1);

    let range = ["--from", "2026-11-26", "--to", "2026-11-27"];
    let (code, out, err) = run(&[&["export"][..], &range, &["--format", "ndjson"]].concat());
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.lines().count() as i64, rows);
    assert!(err.is_empty(), "no progress bar off a terminal: {err}");

    let (code, out, err) = run(&[&["export"][..], &range, &["--format", "csv"]].concat());
    assert_eq!(code, Some(1));
    assert!(out.is_empty());
    assert!(err.contains("CSV holds one log"), "{err}");
    let (code, _, err) = run(&[
        "export",
        "--from",
        "2026-11-27",
        "--to",
        "2026-11-26",
        "--format",
        "ndjson",
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("--from must be before --to"), "{err}");

    let file = dir.path().join("sessions.csv");
    let file_arg = file.to_str().unwrap();
    let extra = [
        "--kind", "sessions", "--format", "csv", "--output", file_arg,
    ];
    let (code, out, err) = run(&[&["export"][..], &range, &extra].concat());
    assert_eq!(code, Some(0), "{err}");
    assert!(out.is_empty());
    let sessions = app.count("session_audit_log").await;
    assert_eq!(err, format!("{sessions} rows written to {file_arg}\n"));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("id,user_id,session_id,"), "{text}");
    assert_eq!(parse_csv(&text).len() as i64, sessions + 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let (code, out, err) = run(&["maintain"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("rows deleted: 0"), "{out}");
    assert_eq!(
        app.count("session_audit_log").await,
        sessions,
        "rows within the retention stay"
    );
}
both_backends!(audit_commands_run_from_the_binary);
