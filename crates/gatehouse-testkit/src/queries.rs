//! Queries only tests need: row counts, what the audit logs and the stored user agents
//! hold, changes no use case makes yet (disabling an account, ending database sessions),
//! and a lock held on a user's row (to make a request wait). They run their own SQL here
//! so production code keeps only the queries it uses.

use gatehouse_store::{Db, Exec, Executor, Tx};
use uuid::Uuid;

/// Run `$body` with `$c` bound to the connection of whichever backend `$conn` is on; the
/// body is written once and compiled for each backend.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn.exec() {
            Exec::Pg($c) => $body,
            Exec::Sqlite($c) => $body,
        }
    };
}

/// How many rows `table` holds, e.g. `count_rows(db, "users")`.
pub async fn count_rows(db: &Db, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    let mut conn = db.reader().await.expect("connection");
    on_backend!(conn, |c| sqlx::query_scalar::<_, i64>(&sql)
        .fetch_one(c)
        .await
        .expect("count rows"))
}

/// How many rows of each audit table mention a user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditCounts {
    pub session: i64,
    pub device: i64,
    pub link: i64,
    pub account: i64,
}

pub async fn audit_counts(db: &Db, user_id: Uuid) -> AuditCounts {
    const SQL: &str = "SELECT
            (SELECT COUNT(*) FROM session_audit_log WHERE user_id = $1),
            (SELECT COUNT(*) FROM device_audit_log WHERE user_id = $1),
            (SELECT COUNT(*) FROM session_device_link_audit_log WHERE user_id = $1),
            (SELECT COUNT(*) FROM account_audit_log WHERE user_id = $1)";
    let mut conn = db.reader().await.expect("connection");
    let (session, device, link, account) =
        on_backend!(conn, |c| sqlx::query_as::<_, (i64, i64, i64, i64)>(SQL)
            .bind(user_id)
            .fetch_one(c)
            .await
            .expect("audit counts"));
    AuditCounts {
        session,
        device,
        link,
        account,
    }
}

/// One `session_audit_log` row of a user: what happened, how risky, whether to review.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionAuditSummary {
    pub action: String,
    pub risk_level: String,
    pub requires_review: bool,
}

/// The user's `session_audit_log` rows, oldest first.
pub async fn session_audit_actions(db: &Db, user_id: Uuid) -> Vec<SessionAuditSummary> {
    const SQL: &str = "SELECT action, risk_level, requires_review FROM session_audit_log
         WHERE user_id = $1 ORDER BY created_at, id";
    let mut conn = db.reader().await.expect("connection");
    on_backend!(conn, |c| sqlx::query_as::<_, SessionAuditSummary>(SQL)
        .bind(user_id)
        .fetch_all(c)
        .await
        .expect("session audit rows"))
}

/// Every `account_audit_log` row as (user id, action), oldest first.
pub async fn account_audit_actions(db: &Db) -> Vec<(Option<Uuid>, String)> {
    const SQL: &str = "SELECT user_id, action FROM account_audit_log ORDER BY created_at, id";
    let mut conn = db.reader().await.expect("connection");
    on_backend!(conn, |c| sqlx::query_as::<_, (Option<Uuid>, String)>(SQL)
        .fetch_all(c)
        .await
        .expect("account audit rows"))
}

/// Replace an account's stored password hash, as a migration from another system would.
pub async fn set_password_hash(db: &Db, user_id: Uuid, hash: &str) {
    const SQL: &str = "UPDATE users SET password_hash = $2 WHERE id = $1";
    let mut conn = db.writer().await.expect("connection");
    on_backend!(conn, |c| sqlx::query(SQL)
        .bind(user_id)
        .bind(hash)
        .execute(c)
        .await
        .expect("update users")
        .rows_affected());
}

/// Enable or disable an account (`users.is_active`), as an administrator would.
pub async fn set_user_active(db: &Db, user_id: Uuid, active: bool) {
    const SQL: &str = "UPDATE users SET is_active = $2 WHERE id = $1";
    let mut conn = db.writer().await.expect("connection");
    let changed = on_backend!(conn, |c| sqlx::query(SQL)
        .bind(user_id)
        .bind(active)
        .execute(c)
        .await
        .expect("update users")
        .rows_affected());
    assert_eq!(changed, 1, "no user {user_id}");
}

/// End every other session on this PostgreSQL database as a server shutdown does (FATAL
/// 57P01, then the connection closes); how many were ended. Only this test database's
/// sessions are touched, never the server. PostgreSQL only.
pub async fn terminate_other_sessions(db: &Db) -> usize {
    // In the select list, not the WHERE clause: there it could be evaluated before the
    // filter that spares this session.
    const SQL: &str = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                       WHERE datname = current_database() AND pid <> pg_backend_pid()";
    let mut conn = db.writer().await.expect("connection");
    let ended = match conn.exec() {
        Exec::Pg(c) => sqlx::query_scalar::<_, bool>(SQL)
            .fetch_all(c)
            .await
            .expect("terminate sessions"),
        Exec::Sqlite(_) => panic!("terminate_other_sessions is for PostgreSQL"),
    };
    ended.into_iter().filter(|ended| *ended).count()
}

/// The user agents stored for a user: on each of its sessions and each of its devices.
#[derive(Debug, Clone, Default)]
pub struct StoredUserAgents {
    pub sessions: Vec<String>,
    pub devices: Vec<String>,
}

pub async fn stored_user_agents(db: &Db, user_id: Uuid) -> StoredUserAgents {
    const SQL: &str = "SELECT 'session', COALESCE(user_agent, '') FROM sessions WHERE user_id = $1
         UNION ALL
         SELECT 'device', COALESCE(user_agent, '') FROM devices WHERE user_id = $1";
    let mut conn = db.reader().await.expect("connection");
    let rows = on_backend!(conn, |c| sqlx::query_as::<_, (String, String)>(SQL)
        .bind(user_id)
        .fetch_all(c)
        .await
        .expect("stored user agents"));
    let mut stored = StoredUserAgents::default();
    for (table, user_agent) in rows {
        match table.as_str() {
            "session" => stored.sessions.push(user_agent),
            _ => stored.devices.push(user_agent),
        }
    }
    stored
}

/// The longest text (in characters) any audit row of the user holds, counting the
/// client-derived columns of each row together: its JSON and, for devices, the parsed
/// browser, OS and type.
pub async fn longest_audit_text(db: &Db, user_id: Uuid) -> i64 {
    const SQL: &str = "SELECT CAST(COALESCE(MAX(n), 0) AS BIGINT) FROM (
            SELECT COALESCE(LENGTH(CAST(metadata AS TEXT)), 0) AS n
            FROM session_audit_log WHERE user_id = $1
            UNION ALL
            SELECT COALESCE(LENGTH(browser), 0) + COALESCE(LENGTH(os), 0)
                + COALESCE(LENGTH(device_type), 0) + COALESCE(LENGTH(CAST(metadata AS TEXT)), 0)
            FROM device_audit_log WHERE user_id = $1
            UNION ALL
            SELECT COALESCE(LENGTH(CAST(context AS TEXT)), 0)
                + COALESCE(LENGTH(CAST(metadata AS TEXT)), 0)
            FROM session_device_link_audit_log WHERE user_id = $1
            UNION ALL
            SELECT COALESCE(LENGTH(CAST(details AS TEXT)), 0)
            FROM account_audit_log WHERE user_id = $1
        ) texts";
    let mut conn = db.reader().await.expect("connection");
    on_backend!(conn, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(user_id)
        .fetch_one(c)
        .await
        .expect("longest audit text"))
}

/// A `session_audit_log` row about one session: what happened, and its metadata (JSON
/// text; session ends record their `reason` there).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionAudit {
    pub session_id: Uuid,
    pub action: String,
    pub metadata: Option<String>,
}

/// The user's `session_audit_log` rows that name a session, oldest first.
pub async fn session_audits(db: &Db, user_id: Uuid) -> Vec<SessionAudit> {
    const SQL: &str = "SELECT session_id, action, CAST(metadata AS TEXT) AS metadata
         FROM session_audit_log
         WHERE user_id = $1 AND session_id IS NOT NULL ORDER BY created_at, id";
    let mut conn = db.reader().await.expect("connection");
    on_backend!(conn, |c| sqlx::query_as::<_, SessionAudit>(SQL)
        .bind(user_id)
        .fetch_all(c)
        .await
        .expect("session audit rows"))
}

/// Update the user's row in a transaction and keep it open: until the returned
/// transaction is dropped, PostgreSQL keeps the row locked and SQLite's one writer stays
/// busy, so a login of that user waits.
pub async fn hold_user_row(db: &Db, user_id: Uuid) -> Tx {
    const SQL: &str = "UPDATE users SET updated_at = updated_at WHERE id = $1";
    let mut tx = db.begin().await.expect("begin");
    let changed = on_backend!(tx, |c| sqlx::query(SQL)
        .bind(user_id)
        .execute(c)
        .await
        .expect("update users")
        .rows_affected());
    assert_eq!(changed, 1, "no user {user_id}");
    tx
}

/// One outbox row as a test looks at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: Uuid,
    pub channel: &'static str,
    pub kind: String,
    pub recipient: String,
    pub status: String,
    pub retry_count: i32,
    /// Whether the stored text is still there (codes and links are cleared once final).
    pub has_body: bool,
    pub provider_message_id: Option<String>,
}

/// Every email and SMS in the outbox, oldest first within each channel.
pub async fn outbox(db: &Db) -> Vec<OutboxRow> {
    const EMAIL: &str = "SELECT id, email_type, to_email, status, retry_count,
            body IS NOT NULL, provider_message_id FROM email_notifications ORDER BY id";
    const SMS: &str = "SELECT id, sms_type, phone_number, status, retry_count,
            message <> '[redacted]', provider_message_id FROM sms_notifications ORDER BY id";
    type Row = (Uuid, String, String, String, i32, bool, Option<String>);
    let mut conn = db.reader().await.expect("connection");
    let mut rows = Vec::new();
    for (channel, sql) in [("email", EMAIL), ("sms", SMS)] {
        let found: Vec<Row> = on_backend!(conn, |c| sqlx::query_as::<_, Row>(sql)
            .fetch_all(c)
            .await
            .expect("outbox rows"));
        rows.extend(found.into_iter().map(|r| OutboxRow {
            id: r.0,
            channel,
            kind: r.1,
            recipient: r.2,
            status: r.3,
            retry_count: r.4,
            has_body: r.5,
            provider_message_id: r.6,
        }));
    }
    rows
}

/// The states one message went through, in order (`notification_log`).
pub async fn notification_history(db: &Db, id: Uuid) -> Vec<String> {
    const SQL: &str = "SELECT status FROM notification_log WHERE notification_id = $1 ORDER BY id";
    let mut conn = db.reader().await.expect("connection");
    on_backend!(conn, |c| sqlx::query_scalar::<_, String>(SQL)
        .bind(id)
        .fetch_all(c)
        .await
        .expect("notification history"))
}

/// The `(action, trust_state_change)` of each device audit row of one person, oldest first.
pub async fn device_audit_actions(db: &Db, user_id: Uuid) -> Vec<(String, Option<String>)> {
    const SQL: &str = "SELECT action, trust_state_change FROM device_audit_log
                       WHERE user_id = $1 ORDER BY created_at, id";
    let mut conn = db.reader().await.expect("connection");
    on_backend!(conn, |c| sqlx::query_as::<_, (String, Option<String>)>(SQL)
        .bind(user_id)
        .fetch_all(c)
        .await
        .expect("device audit rows"))
}

/// The `(channel, reason)` of each `skipped` history line of one person, oldest first.
pub async fn skipped_channels(db: &Db, user_id: Uuid) -> Vec<(String, String)> {
    const SQL: &str = "SELECT channel, metadata FROM notification_log
                       WHERE user_id = $1 AND status = 'skipped' ORDER BY id";
    let mut conn = db.reader().await.expect("connection");
    let rows = on_backend!(conn, |c| sqlx::query_as::<
        _,
        (String, sqlx::types::Json<serde_json::Value>),
    >(SQL)
    .bind(user_id)
    .fetch_all(c)
    .await
    .expect("skipped lines"));
    rows.into_iter()
        .map(|(channel, metadata)| {
            let reason = metadata.0["reason"].as_str().unwrap_or_default().to_owned();
            (channel, reason)
        })
        .collect()
}

/// The text of the newest queued email (before it is sent: codes and links are cleared
/// from the outbox once final).
pub async fn latest_email_text(db: &Db) -> String {
    const SQL: &str = "SELECT body FROM email_notifications ORDER BY id DESC LIMIT 1";
    let mut conn = db.reader().await.expect("connection");
    on_backend!(conn, |c| sqlx::query_scalar::<_, Option<String>>(SQL)
        .fetch_one(c)
        .await
        .expect("an email"))
    .expect("its text")
}

/// The user's `mfa_audit_log` actions, oldest first.
pub async fn mfa_audit_actions(db: &Db, user_id: Uuid) -> Vec<String> {
    const SQL: &str = "SELECT action FROM mfa_audit_log WHERE user_id = $1 ORDER BY created_at, id";
    let mut conn = db.reader().await.expect("connection");
    on_backend!(conn, |c| sqlx::query_scalar::<_, String>(SQL)
        .bind(user_id)
        .fetch_all(c)
        .await
        .expect("mfa audit actions"))
}

/// The id of the account with this (lower-cased) address: sign-up answers the same for new
/// and taken addresses, so tests learn a new account's id here.
pub async fn user_id_by_email(db: &Db, email: &str) -> Uuid {
    const SQL: &str = "SELECT id FROM users WHERE email = $1";
    let mut conn = db.reader().await.expect("connection");
    on_backend!(conn, |c| sqlx::query_scalar::<_, Uuid>(SQL)
        .bind(email)
        .fetch_one(c)
        .await
        .expect("the account"))
}

/// Remove what a sign-up queued for `user_id`: the verification email, its history and its
/// link. A fixture step for tests about something else, so they start from an empty outbox
/// (tests/api/email_verification.rs signs up without it).
pub async fn discard_sign_up_mail(db: &Db, user_id: Uuid) {
    const LOG: &str = "DELETE FROM notification_log WHERE notification_id IN
        (SELECT id FROM email_notifications WHERE user_id = $1 AND email_type = 'email_verification')";
    const EMAIL: &str =
        "DELETE FROM email_notifications WHERE user_id = $1 AND email_type = 'email_verification'";
    const LINK: &str =
        "DELETE FROM security_action_tokens WHERE user_id = $1 AND action = 'verify_email'";
    let mut conn = db.writer().await.expect("connection");
    for sql in [LOG, EMAIL, LINK] {
        on_backend!(conn, |c| sqlx::query(sql)
            .bind(user_id)
            .execute(c)
            .await
            .expect("discard the sign-up mail")
            .rows_affected());
    }
}

/// The text of the newest queued one-time code on `channel` (`email` or `sms`) and where
/// it went, before it is sent (the outbox clears codes once final); `None` when none.
pub async fn latest_otp_message(db: &Db, channel: &str) -> Option<(String, String)> {
    const EMAIL: &str = "SELECT body, to_email FROM email_notifications
                         WHERE email_type = 'otp_code' ORDER BY id DESC LIMIT 1";
    const SMS: &str = "SELECT message, phone_number FROM sms_notifications
                       WHERE sms_type = 'otp_code' ORDER BY id DESC LIMIT 1";
    let sql = if channel == "sms" { SMS } else { EMAIL };
    let mut conn = db.reader().await.expect("connection");
    let row = on_backend!(conn, |c| sqlx::query_as::<_, (Option<String>, String)>(sql)
        .fetch_optional(c)
        .await
        .expect("an otp message"));
    row.map(|(text, to)| (text.unwrap_or_default(), to))
}

/// The texts of every message of `kind` on each channel, oldest first: `(channel, text)`
/// for emails, SMS and in-app entries (before sending clears codes and links).
pub async fn message_texts(db: &Db, kind: &str) -> Vec<(&'static str, String)> {
    const EMAIL: &str =
        "SELECT COALESCE(body, '') FROM email_notifications WHERE email_type = $1 ORDER BY id";
    const SMS: &str = "SELECT message FROM sms_notifications WHERE sms_type = $1 ORDER BY id";
    const IN_APP: &str =
        "SELECT body FROM in_app_notifications WHERE notification_type = $1 ORDER BY id";
    let mut conn = db.reader().await.expect("connection");
    let mut texts = Vec::new();
    for (channel, sql) in [("email", EMAIL), ("sms", SMS), ("in_app", IN_APP)] {
        let found: Vec<String> = on_backend!(conn, |c| sqlx::query_scalar::<_, String>(sql)
            .bind(kind)
            .fetch_all(c)
            .await
            .expect("message texts"));
        texts.extend(found.into_iter().map(|text| (channel, text)));
    }
    texts
}

/// Make every email recovery in progress ready now, as if its delay had passed (for tests
/// that cannot move the clock past it without ending their sessions' tokens).
pub async fn make_recoveries_ready(db: &Db) {
    const SQL: &str = "UPDATE mfa_recoveries SET ready_at = created_at WHERE is_successful IS NULL";
    let mut conn = db.writer().await.expect("connection");
    on_backend!(conn, |c| sqlx::query(SQL)
        .execute(c)
        .await
        .expect("recoveries made ready")
        .rows_affected());
}

/// A sign-in's session audit row as the risk engine left it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LoginRisk {
    pub action: String,
    pub risk_level: String,
    /// The anomaly reasons as text (PostgreSQL's `{a,b}` or SQLite's list), for `contains`.
    pub reasons: Option<String>,
    pub requires_review: bool,
    pub country: Option<String>,
    pub city: Option<String>,
}

/// The user's sign-in and suspicious-activity rows, oldest first.
pub async fn login_risks(db: &Db, user_id: Uuid) -> Vec<LoginRisk> {
    const SQL: &str = "SELECT action, risk_level, CAST(anomaly_reasons AS TEXT) AS reasons,
            requires_review, country, city
         FROM session_audit_log
         WHERE user_id = $1 AND action IN ('login_succeeded', 'suspicious_activity')
         ORDER BY created_at, id";
    let mut conn = db.reader().await.expect("connection");
    on_backend!(conn, |c| sqlx::query_as::<_, LoginRisk>(SQL)
        .bind(user_id)
        .fetch_all(c)
        .await
        .expect("login risk rows"))
}

/// The device's `(risk_score, last_risk_assessment is set)`, by the device's id.
pub async fn device_risk(db: &Db, device_id: Uuid) -> (i32, bool) {
    const SQL: &str =
        "SELECT risk_score, last_risk_assessment IS NOT NULL FROM devices WHERE id = $1";
    let mut conn = db.reader().await.expect("connection");
    on_backend!(conn, |c| sqlx::query_as::<_, (i32, bool)>(SQL)
        .bind(device_id)
        .fetch_one(c)
        .await
        .expect("device risk"))
}

/// The risk level a login challenge was opened with.
pub async fn challenge_risk_level(db: &Db, challenge_id: Uuid) -> String {
    const SQL: &str = "SELECT risk_level FROM mfa_challenges WHERE challenge_id = $1";
    let mut conn = db.reader().await.expect("connection");
    on_backend!(conn, |c| sqlx::query_scalar::<_, String>(SQL)
        .bind(challenge_id)
        .fetch_one(c)
        .await
        .expect("challenge risk level"))
}

/// Every column of the row of `table` with this `id`, by name, as the bytes the database
/// returns (NULL as `None`): two reads compare equal only if no column changed.
pub async fn raw_row(db: &Db, table: &str, id: Uuid) -> Vec<(String, Option<Vec<u8>>)> {
    use sqlx::{Column, Row, ValueRef};
    let sql = format!("SELECT * FROM {table} WHERE id = $1");
    let mut conn = db.reader().await.expect("connection");
    on_backend!(conn, |c| {
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_one(c)
            .await
            .expect("audit row");
        row.columns()
            .iter()
            .map(|col| {
                let null = row.try_get_raw(col.ordinal()).expect("column").is_null();
                let value = (!null).then(|| {
                    row.try_get_unchecked::<Vec<u8>, _>(col.ordinal())
                        .expect("bytes")
                });
                (col.name().to_owned(), value)
            })
            .collect()
    })
}

/// Run one statement the tests need and no use case makes (an old audit partition, a row
/// written in the past); returns the rows affected.
pub async fn run_sql(db: &Db, sql: &str) -> u64 {
    let mut conn = db.writer().await.expect("connection");
    on_backend!(conn, |c| sqlx::query(sql)
        .execute(c)
        .await
        .expect(sql)
        .rows_affected())
}

/// The single integer `sql` answers, e.g. a count.
pub async fn scalar_i64(db: &Db, sql: &str) -> i64 {
    let mut conn = db.reader().await.expect("connection");
    on_backend!(conn, |c| sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(c)
        .await
        .expect(sql))
}

/// Run `sql`, answering the database's refusal instead of panicking (for the checks that
/// the database itself refuses a change).
pub async fn try_sql(db: &Db, sql: &str) -> Result<u64, String> {
    let mut conn = db.writer().await.expect("connection");
    on_backend!(conn, |c| sqlx::query(sql)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
        .map_err(|e| e.to_string()))
}

/// Run `sql` as an attacker with full access to the database would: past the append-only
/// triggers of the audit logs (migration 0018). On PostgreSQL a superuser session skips
/// triggers (`session_replication_role = replica`); on SQLite the triggers are dropped.
pub async fn tamper_sql(db: &Db, sql: &str) -> u64 {
    let mut conn = db.writer().await.expect("connection");
    match conn.exec() {
        Exec::Pg(c) => {
            sqlx::raw_sql("SET session_replication_role = replica")
                .execute(&mut *c)
                .await
                .expect("replica role");
            let changed = sqlx::query(sql)
                .execute(&mut *c)
                .await
                .expect(sql)
                .rows_affected();
            sqlx::raw_sql("SET session_replication_role = DEFAULT")
                .execute(&mut *c)
                .await
                .expect("default role");
            changed
        }
        Exec::Sqlite(c) => {
            sqlx::raw_sql(
                "DROP TRIGGER IF EXISTS session_audit_log_append_only;
                 DROP TRIGGER IF EXISTS device_audit_log_append_only;
                 DROP TRIGGER IF EXISTS mfa_audit_log_append_only;
                 DROP TRIGGER IF EXISTS session_device_link_audit_log_append_only;
                 DROP TRIGGER IF EXISTS audit_seals_append_only_update;
                 DROP TRIGGER IF EXISTS audit_seals_append_only_delete;",
            )
            .execute(&mut *c)
            .await
            .expect("drop triggers");
            sqlx::query(sql)
                .execute(&mut *c)
                .await
                .expect(sql)
                .rows_affected()
        }
    }
}
