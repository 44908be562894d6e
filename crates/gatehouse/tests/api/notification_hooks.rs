//! Delivery webhooks: signed receipts move a sent message forward (delivered, opened,
//! clicked, bounced); a bad, stale or missing signature is refused with 401 and changes
//! nothing; a receipt never moves a message backwards.

use crate::notifications::{transports, CHROME, FIREFOX};
use axum::http::StatusCode;
use gatehouse_core::notify::receipts::sign;
use gatehouse_store::Backend;
use gatehouse_testkit::queries::{notification_history, outbox};
use gatehouse_testkit::{both_backends, SmsProvider, SmsScript, SmtpSink, TestApp};
use serde_json::json;

const SECRET: &str = "webhook-secret-for-tests";

async fn signed_receipts_move_a_message_and_bad_signatures_change_nothing(backend: Backend) {
    let mut config = gatehouse_testkit::test_config();
    config.notifications.webhook_secret = SECRET.to_owned();
    let app = TestApp::spawn_with(backend, config).await;
    let smtp = SmtpSink::start().await;
    let sms = SmsProvider::start(SmsScript::accepting()).await;
    let transports = transports(&smtp, &sms);
    app.register("eve@example.com").await;
    app.login_from("eve@example.com", FIREFOX).await;
    app.login_from("eve@example.com", CHROME).await;
    assert_eq!(app.deliver(&transports).await.sent, 1);
    let row = outbox(&app.core.db).await.remove(0);
    let message_id = row.provider_message_id.clone().expect("the Message-ID");
    let now = app.core.clock.now().timestamp();
    let status = |app: &TestApp| {
        let db = app.core.db.clone();
        async move { outbox(&db).await.remove(0).status }
    };

    let body = json!({"receipts": [{"message_id": message_id, "event": "delivered"}]}).to_string();
    // Refused: no signature, another secret, a stale or future time, a changed body.
    let changed = body.replace("delivered", "bounced");
    let refused = [
        vec![],
        vec![(
            "gatehouse-signature",
            sign("another secret", now, body.as_bytes()),
        )],
        vec![(
            "gatehouse-signature",
            sign(SECRET, now - 301, body.as_bytes()),
        )],
        vec![(
            "gatehouse-signature",
            sign(SECRET, now + 301, body.as_bytes()),
        )],
        vec![("gatehouse-signature", "t=1,v1=00".to_owned())],
    ];
    for headers in refused {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = app
            .post_with_headers("/v1/hooks/email/smtp", &headers, &body)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "{headers:?}: {}",
            r.text
        );
        assert_eq!(r.code(), "invalid_signature");
    }
    let signature = sign(SECRET, now, body.as_bytes());
    let r = app
        .post_with_headers(
            "/v1/hooks/email/smtp",
            &[("gatehouse-signature", &signature)],
            &changed,
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "a signature covers its body"
    );
    assert_eq!(
        status(&app).await,
        "sent",
        "refused receipts changed nothing"
    );

    // Signed: delivered, then opened; a late "delivered" changes nothing.
    let post = |body: String| {
        let signature = sign(SECRET, now, body.as_bytes());
        let app = &app;
        async move {
            app.post_with_headers(
                "/v1/hooks/email/smtp",
                &[("gatehouse-signature", &signature)],
                &body,
            )
            .await
        }
    };
    let r = post(body.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.body["applied"].as_u64(), r.body["ignored"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(status(&app).await, "delivered");
    let opened = json!({"receipts": [{"message_id": message_id, "event": "opened"}]}).to_string();
    assert_eq!(post(opened).await.body["applied"], 1);
    let late = post(body.clone()).await;
    assert_eq!(
        (late.body["applied"].as_u64(), late.body["ignored"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(status(&app).await, "opened");
    assert_eq!(
        notification_history(&app.core.db, row.id).await,
        ["pending", "sent", "delivered", "opened"]
    );

    // Another provider's name, or an unknown message, matches nothing.
    let signature = sign(SECRET, now, body.as_bytes());
    let r = app
        .post_with_headers(
            "/v1/hooks/email/othermail",
            &[("gatehouse-signature", &signature)],
            &body,
        )
        .await;
    assert_eq!(r.body["ignored"], 1);
    // NUL (which PostgreSQL cannot store) and an event the channel does not have: 422.
    for bad in [
        json!({"receipts": [{"message_id": "x\u{0}y", "event": "delivered"}]}).to_string(),
        json!({"receipts": [{"message_id": message_id, "event": "undelivered"}]}).to_string(),
        json!({"receipts": []}).to_string(),
        "not json".to_owned(),
    ] {
        let r = post(bad.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
    }
    assert_eq!(status(&app).await, "opened");
}
both_backends!(signed_receipts_move_a_message_and_bad_signatures_change_nothing);
