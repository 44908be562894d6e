//! The consent ledger (each grant and withdrawal with its source, IP address and user
//! agent) and the in-app feed (pages, newest first; read once).

use super::{feed, mark_read, one, person, refused};
use axum::body::Body;
use axum::http::{Method, StatusCode};
use chrono::Duration;
use gatehouse_core::Clock;
use gatehouse_store::Backend;
use gatehouse_testkit::both_backends;
use gatehouse_testkit::TestApp;
use serde_json::json;
use uuid::Uuid;

async fn the_consent_ledger_keeps_each_grant_and_withdrawal(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let gus = person(&app, "gus@example.com").await;
    let token = gus.tokens.access.as_str();

    let none = app.get("/v1/me/consents", Some(token)).await;
    assert_eq!(none.status, StatusCode::OK, "{}", none.text);
    let states = none.body["consents"].as_array().unwrap();
    let kinds: Vec<&str> = states.iter().map(|c| c["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["marketing", "product_updates", "sms_marketing", "analytics"]
    );
    assert!(states
        .iter()
        .all(|c| c["granted"] == false && c["source"].is_null()));
    assert_eq!(none.body["history"], json!([]));

    let granted_at = app.clock.now();
    let grant = app
        .post(
            "/v1/me/consents/marketing",
            json!({ "granted": true, "source": "web" }),
            Some(token),
        )
        .await;
    assert_eq!(grant.status, StatusCode::OK, "{}", grant.text);
    assert_eq!(grant.body["granted"], true);
    assert_eq!(grant.body["source"], "web");
    assert!(grant.body["withdrawn_at"].is_null());
    let granted_at_text = grant.body["consented_at"].as_str().unwrap().to_owned();
    assert_eq!(
        granted_at_text
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        granted_at
    );

    app.advance(Duration::minutes(5));
    let phone = "Gatehouse-Mobile/2.1 (Android 14)";
    let body = Some(Body::from(json!({ "granted": false }).to_string()));
    let withdraw = app
        .request_as(
            phone,
            Method::POST,
            "/v1/me/consents/marketing",
            Some(token),
            body,
            Some("application/json"),
        )
        .await;
    assert_eq!(withdraw.status, StatusCode::OK, "{}", withdraw.text);
    assert_eq!(withdraw.body["granted"], false);
    assert_eq!(withdraw.body["source"], "api", "the default source");
    assert_eq!(
        withdraw.body["consented_at"],
        granted_at_text.as_str(),
        "when it was granted stays known"
    );
    assert!(withdraw.body["withdrawn_at"].is_string());

    // Refusals: an unknown type, a bad source; neither adds to the ledger.
    let r = app
        .post(
            "/v1/me/consents/newsletter",
            json!({ "granted": true }),
            Some(token),
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));
    for source in ["Web Form", "", &"s".repeat(51)] {
        let r = app
            .post(
                "/v1/me/consents/analytics",
                json!({ "granted": true, "source": source }),
                Some(token),
            )
            .await;
        assert_eq!(refused(&r), one("source", "invalid_source"), "{source:?}");
    }
    assert_eq!(app.count("notification_consent_events").await, 2);

    let all = app.get("/v1/me/consents", Some(token)).await.body;
    let marketing = &all["consents"][0];
    assert_eq!(
        (marketing["type"].clone(), marketing["granted"].clone()),
        (json!("marketing"), json!(false))
    );
    assert_eq!(
        all["consents"][3]["granted"], false,
        "analytics was never recorded"
    );
    let history = all["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    let (newest, oldest) = (&history[0], &history[1]);
    assert_eq!(
        (newest["granted"].clone(), newest["source"].clone()),
        (json!(false), json!("api"))
    );
    assert_eq!(newest["user_agent"], phone);
    assert_eq!(
        (oldest["granted"].clone(), oldest["source"].clone()),
        (json!(true), json!("web"))
    );
    assert!(oldest["user_agent"].as_str().unwrap().contains("Chrome"));
    assert_eq!(oldest["at"], granted_at_text.as_str());
    for line in history {
        assert_eq!(line["type"], "marketing");
        assert_eq!(line["ip"], "203.0.113.7");
    }
}
both_backends!(the_consent_ledger_keeps_each_grant_and_withdrawal);

async fn the_in_app_feed_pages_newest_first_and_marks_read_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hal = person(&app, "hal@example.com").await;
    let ivy = person(&app, "ivy@example.com").await;
    let token = hal.tokens.access.as_str();
    let ids = feed(&app, hal.id, 5).await;
    feed(&app, ivy.id, 2).await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for expected_len in [2, 2, 1] {
        let query = cursor
            .as_ref()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
        let page = app
            .get(&format!("/v1/me/notifications?limit=2{query}"), Some(token))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        let items = page.body["items"].as_array().unwrap();
        assert_eq!(items.len(), expected_len);
        seen.extend(
            items
                .iter()
                .map(|n| n["id"].as_str().unwrap().parse::<Uuid>().unwrap()),
        );
        cursor = page.body["next_cursor"].as_str().map(str::to_owned);
    }
    assert!(cursor.is_none(), "the last page says so");
    let newest_first: Vec<Uuid> = ids.iter().rev().copied().collect();
    assert_eq!(seen, newest_first);
    let first = app
        .get("/v1/me/notifications?limit=1", Some(token))
        .await
        .body;
    let item = &first["items"][0];
    assert_eq!(
        (item["type"].clone(), item["priority"].clone()),
        (json!("login_new_device"), json!("high"))
    );
    assert_eq!(item["title"], "New sign-in 4");
    assert!(item["read_at"].is_null());

    let read_at = app.clock.now();
    let r = mark_read(&app, ids[4], token).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    app.advance(Duration::minutes(5));
    assert_eq!(
        mark_read(&app, ids[4], token).await.status,
        StatusCode::NO_CONTENT
    );
    let first = app
        .get("/v1/me/notifications?limit=1", Some(token))
        .await
        .body;
    let stamped = first["items"][0]["read_at"].as_str().unwrap();
    assert_eq!(
        stamped.parse::<chrono::DateTime<chrono::Utc>>().unwrap(),
        read_at,
        "the first read counts"
    );
    let second = app
        .get("/v1/me/notifications?limit=2", Some(token))
        .await
        .body;
    assert!(second["items"][1]["read_at"].is_null(), "only that one");

    for cursor in ["bm90IG91cnM", "%00"] {
        let page = format!("/v1/me/notifications?cursor={cursor}");
        let r = app.get(&page, Some(token)).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::BAD_REQUEST, "invalid_cursor")
        );
    }
    let r = app
        .request(
            Method::POST,
            "/v1/me/notifications/%00/read",
            Some(token),
            None,
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "invalid_path")
    );
}
both_backends!(the_in_app_feed_pages_newest_first_and_marks_read_once);
