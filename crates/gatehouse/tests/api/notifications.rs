//! Notifications end to end: an event queues its alert in the outbox, a worker pass sends it
//! through a real SMTP server on loopback (Python's aiosmtpd) or a stand-in SMS provider,
//! retries with backoff, and records each state; the alert's "this wasn't me" link locks
//! the account once.

use axum::http::StatusCode;
use chrono::Duration;
use gatehouse_core::notify::transport::{
    EmailTransport, SmsTransport, SmtpTransport, TwilioTransport,
};
use gatehouse_core::notify::worker::Transports;
use gatehouse_store::Backend;
use gatehouse_testkit::queries::{notification_history, outbox, skipped_channels, OutboxRow};
use gatehouse_testkit::{both_backends, SmsProvider, SmsReply, SmsScript, SmtpSink, TestApp};
use secrecy::SecretString;
use serde_json::json;
use std::sync::Arc;

pub const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
pub const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                          (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const EDGE: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                    (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0";
const SAFARI: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 \
                      (KHTML, like Gecko) Version/17.0 Safari/605.1.15";
pub const FROM: &str = "Example Security <security@example.com>";

/// SMTP to the sink, SMS to the stand-in provider.
pub fn transports(smtp: &SmtpSink, sms: &SmsProvider) -> Arc<Transports> {
    Arc::new(Transports {
        email: EmailTransport::Smtp(SmtpTransport::from_url(&smtp.url(), FROM).unwrap()),
        sms: SmsTransport::Twilio(
            TwilioTransport::new(
                &sms.url(),
                "AC0123456789abcdef",
                SecretString::from("auth-token"),
                "+15005550006",
                None,
            )
            .unwrap(),
        ),
    })
}

fn the_one(rows: &[OutboxRow], channel: &str) -> OutboxRow {
    let found: Vec<_> = rows.iter().filter(|r| r.channel == channel).collect();
    assert_eq!(found.len(), 1, "one {channel} message: {rows:?}");
    found[0].clone()
}

pub fn not_me_token(text: &str) -> String {
    let start = text.find("/not-me#token=").expect("a not-me link") + "/not-me#token=".len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

async fn a_new_device_is_mailed_and_its_not_me_link_locks_the_account_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let smtp = SmtpSink::start().await;
    let sms = SmsProvider::start(SmsScript::accepting()).await;
    let transports = transports(&smtp, &sms);
    let registered = app.register("ann@example.com").await;
    let user_id = registered.id;

    // The first device is the one the account was made on: nothing to warn about.
    let first = app.login_from("ann@example.com", FIREFOX).await;
    assert_eq!(app.deliver(&transports).await.total(), 0);
    assert!(outbox(&app.core.db).await.is_empty());

    let second = app.login_from("ann@example.com", CHROME).await;
    let report = app.deliver(&transports).await;
    assert_eq!((report.sent, report.failed), (1, 0), "{report:?}");
    let mail = smtp.wait_for(1, std::time::Duration::from_secs(10)).await;
    assert_eq!(mail.len(), 1);
    let mail = &mail[0];
    assert_eq!(mail.to, vec!["ann@example.com".to_owned()]);
    let from = mail.headers.get("From").unwrap_or_default();
    assert!(
        from.contains("Example Security") && from.ends_with("<security@example.com>"),
        "{from}"
    );
    let subject = mail.headers.get("Subject").unwrap_or_default();
    assert!(subject.contains("New sign-in"), "subject: {subject}");
    assert!(mail.text_body.contains("Chrome"), "{}", mail.text_body);
    assert!(mail.text_body.contains("203.0.113.7"), "{}", mail.text_body);
    assert!(mail
        .html_body
        .as_deref()
        .unwrap_or("")
        .contains("not-me#token="));

    let row = the_one(&outbox(&app.core.db).await, "email");
    assert_eq!(row.status, "sent");
    assert_eq!(row.kind, "login_new_device");
    let message_id = mail.headers.get("Message-ID").unwrap_or_default();
    assert_eq!(message_id, format!("<{}@gatehouse>", row.id));
    assert_eq!(
        notification_history(&app.core.db, row.id).await,
        ["pending", "sent"]
    );
    // No phone number on the profile: no SMS.
    assert!(sms.requests().is_empty());

    let token = not_me_token(&mail.text_body);
    let r = app
        .post("/v1/auth/not-me", json!({ "token": token }), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["sessions_ended"], 2);
    for tokens in [&first, &second] {
        let me = app.get("/v1/me", Some(&tokens.access)).await;
        assert_eq!(me.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            app.refresh(&tokens.refresh).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // Locked for every client, including one that signed in before (device token).
    let refused = app
        .login_as("ann@example.com", gatehouse_testkit::PASSWORD)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.code(), "account_locked");
    // The link works once.
    let again = app
        .post("/v1/auth/not-me", json!({ "token": token }), None)
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.code(), "invalid_link");
    let forged = app
        .post("/v1/auth/not-me", json!({ "token": "A".repeat(43) }), None)
        .await;
    assert_eq!(forged.code(), "invalid_link");
    // Reported for review in the audit trail.
    let audit = app.audit_actions(user_id).await;
    assert!(
        audit
            .iter()
            .any(|a| a.action == "suspicious_activity" && a.requires_review),
        "{audit:?}"
    );

    // The lock ends on its own (notifications.not_me_lock_secs, a day by default).
    app.advance(Duration::hours(24) + Duration::seconds(1));
    app.login("ann@example.com").await;
}
both_backends!(a_new_device_is_mailed_and_its_not_me_link_locks_the_account_once);

async fn provider_errors_are_retried_with_backoff_then_the_sms_fails(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let smtp = SmtpSink::start().await;
    let sms = SmsProvider::start(SmsScript::always(SmsReply::plain(503))).await;
    let transports = transports(&smtp, &sms);
    app.register("bob@example.com").await;
    let first = app.login_from("bob@example.com", FIREFOX).await;
    let r = app
        .patch(
            "/v1/me/profile",
            json!({ "phone_number": "+14155552671" }),
            &first.access,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.login_from("bob@example.com", CHROME).await;

    let report = app.deliver(&transports).await;
    assert_eq!((report.sent, report.retried), (1, 1), "{report:?}");
    let row = the_one(&outbox(&app.core.db).await, "sms");
    assert_eq!((row.status.as_str(), row.retry_count), ("pending", 1));
    assert_eq!(sms.requests().len(), 1);
    // The backoff holds it: nothing is due now.
    assert_eq!(app.deliver(&transports).await.total(), 0);
    assert_eq!(sms.requests().len(), 1);

    // Each retry waits at most retry_max (an hour by default); the seed's 3 retries.
    for _ in 0..3 {
        app.advance(Duration::hours(1));
        assert_eq!(app.deliver(&transports).await.total(), 1);
    }
    let row = the_one(&outbox(&app.core.db).await, "sms");
    assert_eq!(row.status, "failed");
    assert_eq!(row.retry_count, 3);
    assert_eq!(sms.requests().len(), 4, "one try and three retries");
    let request = &sms.requests()[0];
    assert_eq!(request.field("To"), Some("+14155552671"));
    assert!(!request.field("Body").unwrap_or("").is_empty());
    assert_eq!(
        notification_history(&app.core.db, row.id).await,
        ["pending", "retrying", "retrying", "retrying", "failed"]
    );
    app.advance(Duration::hours(2));
    assert_eq!(
        app.deliver(&transports).await.total(),
        0,
        "a failed message stays failed"
    );
    // The email of the same alert went out on the first pass.
    assert_eq!(
        smtp.wait_for(1, std::time::Duration::from_secs(10))
            .await
            .len(),
        1
    );
}
both_backends!(provider_errors_are_retried_with_backoff_then_the_sms_fails);

async fn sms_over_the_daily_cap_per_number_is_not_queued_and_is_audited(backend: Backend) {
    let mut config = gatehouse_testkit::test_config();
    config.notifications.sms_max_per_number_per_day = 1;
    let app = TestApp::spawn_with(backend, config).await;
    let registered = app.register("dan@example.com").await;
    let user_id = registered.id;
    let first = app.login_from("dan@example.com", FIREFOX).await;
    let r = app
        .patch(
            "/v1/me/profile",
            json!({ "phone_number": "+14155552671" }),
            &first.access,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.login_from("dan@example.com", CHROME).await;
    app.login_from("dan@example.com", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1").await;

    let rows = outbox(&app.core.db).await;
    let sms: Vec<_> = rows.iter().filter(|r| r.channel == "sms").collect();
    let email: Vec<_> = rows.iter().filter(|r| r.channel == "email").collect();
    assert_eq!(
        sms.len(),
        1,
        "the cap is one SMS a day to this number: {rows:?}"
    );
    assert_eq!(email.len(), 2, "email is not capped by it");
    assert!(
        app.account_audit()
            .await
            .iter()
            .any(|(user, action)| *user == Some(user_id) && action == "sms_cap_reached"),
        "the cap is audited"
    );
    // A new UTC day: the number may receive again.
    app.advance(Duration::days(1));
    app.login_from("dan@example.com", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15").await;
    let sms = outbox(&app.core.db)
        .await
        .into_iter()
        .filter(|r| r.channel == "sms")
        .count();
    assert_eq!(sms, 2);
}
both_backends!(sms_over_the_daily_cap_per_number_is_not_queued_and_is_audited);

async fn two_workers_on_one_database_send_each_message_once(backend: Backend) {
    use gatehouse_core::keys::Keys;
    use gatehouse_store::notify::outbox::{insert_email, NewEmail};
    use gatehouse_store::Executor;
    // Small batches, so the two workers take turns claiming.
    let mut config = gatehouse_testkit::test_config();
    config.notifications.batch_size = 4;
    let a = TestApp::spawn_with(backend, config.clone()).await;
    let b = TestApp::on(
        a.db.clone(),
        config,
        Keys::ephemeral().unwrap(),
        a.clock.clone(),
    )
    .await;
    let smtp = SmtpSink::start().await;
    let sms = SmsProvider::start(SmsScript::accepting()).await;
    let transports = transports(&smtp, &sms);
    let registered = a.register("hal@example.com").await;
    let user_id: uuid::Uuid = registered.id;
    const N: usize = 60;
    {
        let mut conn = a.core.db.writer().await.unwrap();
        let now = a.core.clock.now();
        for i in 0..N {
            let subject = format!("message {i}");
            insert_email(
                conn.exec(),
                &NewEmail {
                    id: uuid::Uuid::now_v7(),
                    user_id: gatehouse_domain::ids::UserId(user_id),
                    to_email: "hal@example.com",
                    subject: &subject,
                    email_type: "login_new_device",
                    template_name: "login_new_device",
                    text: "text",
                    html: None,
                    max_retries: 3,
                    not_before: now,
                    created_at: now,
                },
            )
            .await
            .unwrap();
        }
    }
    // Both "processes" drain the outbox at the same time, in small batches.
    let (ra, rb) = tokio::join!(a.deliver(&transports), b.deliver(&transports));
    assert_eq!(ra.sent + rb.sent, N as u64, "{ra:?} {rb:?}");
    if backend == Backend::Postgres {
        // SKIP LOCKED lets both work at once (SQLite has one writer: they take turns).
        assert!(
            ra.sent > 0 && rb.sent > 0,
            "both workers sent: {ra:?} {rb:?}"
        );
    }
    let mail = smtp.wait_for(N, std::time::Duration::from_secs(20)).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mail = if smtp.received().len() > mail.len() {
        smtp.received()
    } else {
        mail
    };
    let mut ids: Vec<&str> = mail
        .iter()
        .filter_map(|m| m.headers.get("Message-ID"))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!((mail.len(), ids.len()), (N, N), "each message once");
    assert!(outbox(&a.core.db).await.iter().all(|r| r.status == "sent"));
}
both_backends!(two_workers_on_one_database_send_each_message_once);

async fn a_locked_account_is_told_how_long_the_lock_lasts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("ivy@example.com").await;
    app.login("ivy@example.com").await;
    // After login.max_failures_per_account (10) wrong passwords, an attempt finds the
    // account locked for 15 minutes.
    let mut attempts = 0;
    loop {
        attempts += 1;
        let r = app
            .login_as("ivy@example.com", "not the password at all")
            .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(attempts <= 10, "no lock after {attempts} attempts");
    }
    let rows = outbox(&app.core.db).await;
    assert_eq!(rows.len(), 1, "one alert for one lock: {rows:?}");
    assert_eq!(rows[0].kind, "account_locked");
    let text = gatehouse_testkit::queries::latest_email_text(&app.core.db).await;
    assert!(text.contains("for 15 minutes"), "{text}");
    // Refusals while the lock holds write nothing more.
    app.login_as("ivy@example.com", "not the password at all")
        .await;
    assert_eq!(outbox(&app.core.db).await.len(), 1);
}
both_backends!(a_locked_account_is_told_how_long_the_lock_lasts);

/// A per-type daily cap and a blocked address stop the email and say why in its history;
/// a channel with no address (no phone) and push (no transport) leave no line.
async fn the_daily_cap_and_the_blocklist_say_why_nothing_was_sent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let registered = app.register("cap@example.com").await;
    let id: uuid::Uuid = registered.id;
    let tokens = app.login_from("cap@example.com", FIREFOX).await;
    let token = tokens.access.as_str();
    let path = "/v1/me/notification-preferences/login_new_device";
    let mut settings = app.get(path, Some(token)).await.body;
    let fields = settings.as_object_mut().unwrap();
    fields.remove("type");
    fields.remove("transactional");
    fields.insert("max_per_day".to_owned(), json!(1));
    let r = app.put(path, settings, token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    app.login_from("cap@example.com", CHROME).await;
    assert_eq!(
        outbox(&app.core.db).await.len(),
        1,
        "the first alert is queued"
    );
    assert!(skipped_channels(&app.core.db, id).await.is_empty());
    app.login_from("cap@example.com", EDGE).await;
    assert_eq!(outbox(&app.core.db).await.len(), 1, "the cap holds");
    assert_eq!(
        skipped_channels(&app.core.db, id).await,
        [("email".to_owned(), "daily_cap_reached".to_owned())]
    );

    // The next day the cap starts over, but the address is now blocked.
    app.advance(Duration::days(1));
    let tokens = app.login_from("cap@example.com", FIREFOX).await;
    let r = app
        .post(
            "/v1/me/blocklist",
            json!({"block_type": "email", "value": "cap@example.com"}),
            Some(&tokens.access),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    app.login_from("cap@example.com", SAFARI).await;
    assert_eq!(outbox(&app.core.db).await.len(), 1);
    assert_eq!(
        skipped_channels(&app.core.db, id).await.last(),
        Some(&("email".to_owned(), "blocked".to_owned()))
    );
}
both_backends!(the_daily_cap_and_the_blocklist_say_why_nothing_was_sent);
