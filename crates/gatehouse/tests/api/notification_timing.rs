//! When alerts go: held by a quiet-hours window until its end, gathered into an hourly
//! digest, or sent at once when critical and the window lets critical ones through.

use crate::notifications::{transports, CHROME, FIREFOX};
use axum::http::StatusCode;
use chrono::{Duration, Timelike};
use gatehouse_store::Backend;
use gatehouse_testkit::queries::outbox;
use gatehouse_testkit::{both_backends, SmsProvider, SmsScript, SmtpSink, TestApp};
use serde_json::json;

const SAFARI: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 \
                      (KHTML, like Gecko) Version/17.0 Safari/605.1.15";

async fn a_quiet_window_holds_a_high_alert_until_it_ends(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let smtp = SmtpSink::start().await;
    let sms = SmsProvider::start(SmsScript::accepting()).await;
    let transports = transports(&smtp, &sms);
    app.register("fay@example.com").await;
    let first = app.login_from("fay@example.com", FIREFOX).await;
    // A window around "now" on today's weekday, in UTC, ending in two hours.
    let now = app.core.clock.now();
    let start = (now - Duration::hours(1)).format("%H:%M").to_string();
    let end = (now + Duration::hours(2)).format("%H:%M").to_string();
    let day = now.format("%u").to_string().parse::<i64>().unwrap() - 1;
    let day = if now.hour() == 0 { (day + 6) % 7 } else { day };
    let r = app
        .post(
            "/v1/me/quiet-hours",
            json!({"day_of_week": day, "start_time": start, "end_time": end, "timezone": "UTC"}),
            Some(&first.access),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // login_new_device is high, not critical: held.
    app.login_from("fay@example.com", CHROME).await;
    assert_eq!(app.deliver(&transports).await.total(), 0);
    assert_eq!(outbox(&app.core.db).await[0].status, "pending");
    // A password change is critical and the window lets critical ones through.
    let r = app
        .post(
            "/v1/me/password",
            json!({"current_password": gatehouse_testkit::PASSWORD,
                   "new_password": "a brand new passphrase"}),
            Some(&first.access),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(app.deliver(&transports).await.sent, 1);
    let mail = smtp.wait_for(1, std::time::Duration::from_secs(10)).await;
    assert!(mail[0]
        .headers
        .get("Subject")
        .unwrap_or_default()
        .contains("password"));

    // At the window's end the held alert goes.
    app.advance(Duration::hours(2) + Duration::minutes(1));
    assert_eq!(app.deliver(&transports).await.sent, 1);
    let mail = smtp.wait_for(2, std::time::Duration::from_secs(10)).await;
    assert!(mail[1]
        .headers
        .get("Subject")
        .unwrap_or_default()
        .contains("New sign-in"));
}
both_backends!(a_quiet_window_holds_a_high_alert_until_it_ends);

async fn hourly_digests_gather_alerts_into_one_message(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let smtp = SmtpSink::start().await;
    let sms = SmsProvider::start(SmsScript::accepting()).await;
    let transports = transports(&smtp, &sms);
    app.register("gus@example.com").await;
    let first = app.login_from("gus@example.com", FIREFOX).await;
    let r = app
        .put(
            "/v1/me/notification-preferences",
            json!({"email_otp": true, "email_alerts": true, "email_marketing": false,
                   "sms_otp": true, "sms_alerts": true, "push_enabled": false,
                   "quiet_hours_enabled": false, "quiet_start": null, "quiet_end": null,
                   "digest_frequency": "hourly"}),
            &first.access,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.login_from("gus@example.com", CHROME).await;
    app.login_from("gus@example.com", SAFARI).await;
    assert_eq!(
        app.deliver(&transports).await.total(),
        0,
        "gathered, not sent"
    );
    assert!(outbox(&app.core.db).await.is_empty());
    assert_eq!(app.count("notification_digest_items").await, 2);

    app.advance(Duration::hours(1));
    let report = app.deliver(&transports).await;
    assert_eq!(report.sent, 1, "one digest: {report:?}");
    let mail = smtp.wait_for(1, std::time::Duration::from_secs(10)).await;
    assert_eq!(mail.len(), 1);
    let rows = outbox(&app.core.db).await;
    assert_eq!(rows[0].kind, "security_digest");
    assert_eq!(app.count("notification_digest_items").await, 0);
    // Both alerts are in it.
    assert!(
        mail[0].text_body.matches("sign-in").count() >= 2,
        "{}",
        mail[0].text_body
    );
}
both_backends!(hourly_digests_gather_alerts_into_one_message);
