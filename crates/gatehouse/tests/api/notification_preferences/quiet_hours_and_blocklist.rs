//! Weekly quiet windows and the blocklist: round trips, conflicts, refusals by field, and
//! other people's ids (windows, entries, feed messages) answered 404.

use super::{feed, mark_read, one, person, refused};
use axum::http::StatusCode;
use gatehouse_store::Backend;
use gatehouse_testkit::both_backends;
use gatehouse_testkit::{Resp, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

fn window(day: i64, start: &str, end: &str) -> Value {
    json!({ "day_of_week": day, "start_time": start, "end_time": end })
}

async fn quiet_hours_round_trip_conflict_and_validation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cy = person(&app, "cy@example.com").await;
    let token = cy.tokens.access.as_str();
    let r = app
        .patch(
            "/v1/me/profile",
            json!({ "timezone": "America/New_York" }),
            token,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let empty = app.get("/v1/me/quiet-hours", Some(token)).await;
    assert_eq!(empty.body, json!({ "items": [] }));

    // Defaults: the profile's zone, critical messages allowed, switched on.
    let friday = app
        .post(
            "/v1/me/quiet-hours",
            window(4, "22:00", "07:00"),
            Some(token),
        )
        .await;
    assert_eq!(friday.status, StatusCode::CREATED, "{}", friday.text);
    let f = &friday.body;
    assert!(f["id"].as_str().unwrap().parse::<Uuid>().is_ok());
    assert_eq!(
        (
            f["day_of_week"].clone(),
            f["start_time"].clone(),
            f["end_time"].clone()
        ),
        (json!(4), json!("22:00"), json!("07:00"))
    );
    assert_eq!(f["timezone"], "America/New_York");
    assert_eq!(
        (f["allow_critical_only"].clone(), f["is_enabled"].clone()),
        (json!(true), json!(true))
    );
    assert!(f["description"].is_null());
    // Everything given; a description of 100 two-byte characters is within the limit on
    // both backends (PostgreSQL counts characters, as the check does).
    let monday = json!({
        "day_of_week": 0, "start_time": "12:00", "end_time": "13:30", "timezone": "Asia/Tokyo",
        "allow_critical_only": false, "is_enabled": false, "description": "é".repeat(100),
    });
    let monday = app.post("/v1/me/quiet-hours", monday, Some(token)).await;
    assert_eq!(monday.status, StatusCode::CREATED, "{}", monday.text);
    assert_eq!(monday.body["timezone"], "Asia/Tokyo");
    assert_eq!(monday.body["allow_critical_only"], false);

    // The same day and start is a conflict; another start on that day is not.
    let again = app
        .post(
            "/v1/me/quiet-hours",
            window(4, "22:00", "06:00"),
            Some(token),
        )
        .await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "conflict"),
        "{}",
        again.text
    );
    let later = app
        .post(
            "/v1/me/quiet-hours",
            window(4, "23:00", "06:00"),
            Some(token),
        )
        .await;
    assert_eq!(later.status, StatusCode::CREATED);

    let cases = [
        (
            window(7, "22:00", "07:00"),
            one("day_of_week", "out_of_range"),
        ),
        (
            window(-1, "22:00", "07:00"),
            one("day_of_week", "out_of_range"),
        ),
        (
            window(1, "22:60", "07:00"),
            one("start_time", "invalid_time"),
        ),
        (window(1, "22:00", "7 am"), one("end_time", "invalid_time")),
        (window(1, "08:00", "08:00"), one("end_time", "empty_window")),
        (
            json!({ "day_of_week": 1, "start_time": "22:00", "end_time": "07:00", "timezone": "Mars/Olympus" }),
            one("timezone", "invalid_time_zone"),
        ),
        (
            json!({ "day_of_week": 1, "start_time": "22:00", "end_time": "07:00", "timezone": "x".repeat(300) }),
            one("timezone", "invalid_time_zone"),
        ),
        (
            json!({ "day_of_week": 1, "start_time": "22:00", "end_time": "07:00", "description": "é".repeat(101) }),
            one("description", "invalid_length"),
        ),
    ];
    for (body, expected) in cases {
        let r = app
            .post("/v1/me/quiet-hours", body.clone(), Some(token))
            .await;
        assert_eq!(refused(&r), expected, "{body}");
    }
    assert_eq!(app.count("quiet_hours").await, 3);

    let list = app.get("/v1/me/quiet-hours", Some(token)).await;
    let starts: Vec<(i64, &str)> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["day_of_week"].as_i64().unwrap(),
                w["start_time"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(starts, [(0, "12:00"), (4, "22:00"), (4, "23:00")]);
    assert_eq!(list.body["items"][1], friday.body);

    let path = format!("/v1/me/quiet-hours/{}", f["id"].as_str().unwrap());
    assert_eq!(
        app.delete(&path, token).await.status,
        StatusCode::NO_CONTENT
    );
    let gone = app.delete(&path, token).await;
    assert_eq!(
        (gone.status, gone.code()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    assert_eq!(app.count("quiet_hours").await, 2);
    // The start is free again.
    let r = app
        .post(
            "/v1/me/quiet-hours",
            window(4, "22:00", "07:00"),
            Some(token),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
}
both_backends!(quiet_hours_round_trip_conflict_and_validation);

async fn blocklist_stores_canonical_values_and_refuses_what_cannot_be_blocked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let di = person(&app, "di@example.com").await;
    let token = di.tokens.access.as_str();
    let block = |block_type: &str, value: &str| json!({ "block_type": block_type, "value": value });

    let email = app
        .post(
            "/v1/me/blocklist",
            json!({ "block_type": "email", "value": " Old@Example.COM ", "reason": "Not mine" }),
            Some(token),
        )
        .await;
    assert_eq!(email.status, StatusCode::CREATED, "{}", email.text);
    assert_eq!(email.body["value"], "old@example.com");
    assert_eq!(email.body["reason"], "Not mine");
    let phone = app
        .post(
            "/v1/me/blocklist",
            block("phone", "+1 415 555 2671"),
            Some(token),
        )
        .await;
    assert_eq!(phone.status, StatusCode::CREATED, "{}", phone.text);
    assert_eq!(phone.body["value"], "+14155552671");
    assert!(phone.body["reason"].is_null());
    let kind = app
        .post(
            "/v1/me/blocklist",
            block("notification_type", "login_new_device"),
            Some(token),
        )
        .await;
    assert_eq!(kind.status, StatusCode::CREATED, "{}", kind.text);

    let cases = [
        (
            block("notification_type", "otp_code"),
            one("value", "not_blockable"),
        ),
        (
            block("notification_type", "password_reset"),
            one("value", "not_blockable"),
        ),
        (
            block("notification_type", "no_such_type"),
            one("value", "unknown_notification_type"),
        ),
        (
            block("phone", "4155552671"),
            one("value", "invalid_phone_number"),
        ),
        (
            block("email", "not-an-email"),
            one("value", "invalid_email"),
        ),
        (
            block("email", &format!("{}@example.com", "a".repeat(300))),
            one("value", "too_long"),
        ),
        (block("address", "x"), one("block_type", "invalid_choice")),
        (
            json!({ "block_type": "email", "value": "x@example.com", "reason": "r".repeat(256) }),
            one("reason", "invalid_length"),
        ),
    ];
    for (body, expected) in cases {
        let r = app
            .post("/v1/me/blocklist", body.clone(), Some(token))
            .await;
        assert_eq!(refused(&r), expected, "{body}");
    }
    assert_eq!(app.count("notification_blocklist").await, 3);

    // The same address in another spelling is the same entry.
    let again = app
        .post(
            "/v1/me/blocklist",
            block("email", "OLD@example.com"),
            Some(token),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body["id"], email.body["id"]);
    let list = app.get("/v1/me/blocklist", Some(token)).await;
    let values: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["value"].as_str().unwrap())
        .collect();
    assert_eq!(
        values,
        ["old@example.com", "+14155552671", "login_new_device"]
    );

    let path = format!("/v1/me/blocklist/{}", phone.body["id"].as_str().unwrap());
    assert_eq!(
        app.delete(&path, token).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.delete(&path, token).await.status,
        StatusCode::NOT_FOUND,
        "lifted already"
    );
    let list = app.get("/v1/me/blocklist", Some(token)).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.count("notification_blocklist").await,
        3,
        "kept, inactive, for the record"
    );
    // Blocking it again makes the entry active again.
    let back = app
        .post(
            "/v1/me/blocklist",
            block("phone", "+14155552671"),
            Some(token),
        )
        .await;
    assert_eq!(back.body["id"], phone.body["id"]);
}
both_backends!(blocklist_stores_canonical_values_and_refuses_what_cannot_be_blocked);

async fn other_peoples_ids_are_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let eve = person(&app, "eve@example.com").await;
    let fay = person(&app, "fay@example.com").await;
    let (eve_token, fay_token) = (eve.tokens.access.as_str(), fay.tokens.access.as_str());
    let window = app
        .post(
            "/v1/me/quiet-hours",
            window(2, "21:00", "06:00"),
            Some(eve_token),
        )
        .await;
    let blocked = app
        .post(
            "/v1/me/blocklist",
            json!({ "block_type": "email", "value": "x@example.com" }),
            Some(eve_token),
        )
        .await;
    let message = feed(&app, eve.id, 1).await[0];
    let id = |r: &Resp| r.body["id"].as_str().unwrap().to_owned();

    for path in [
        format!("/v1/me/quiet-hours/{}", id(&window)),
        format!("/v1/me/blocklist/{}", id(&blocked)),
        format!("/v1/me/quiet-hours/{}", Uuid::now_v7()),
        format!("/v1/me/blocklist/{}", Uuid::now_v7()),
    ] {
        let r = app.delete(&path, fay_token).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{path}"
        );
    }
    for message in [message, Uuid::now_v7()] {
        let r = mark_read(&app, message, fay_token).await;
        assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));
    }
    let r = app.delete("/v1/me/blocklist/not-an-id", fay_token).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "invalid_path")
    );

    // Eve's are untouched, and Fay sees none of them.
    for (path, expected_eve) in [
        ("/v1/me/quiet-hours", 1),
        ("/v1/me/blocklist", 1),
        ("/v1/me/notifications", 1),
    ] {
        let eves = app.get(path, Some(eve_token)).await.body;
        assert_eq!(
            eves["items"].as_array().unwrap().len(),
            expected_eve,
            "{path}"
        );
        let fays = app.get(path, Some(fay_token)).await.body;
        assert_eq!(fays["items"], json!([]), "{path}");
    }
    let eves = app.get("/v1/me/notifications", Some(eve_token)).await.body;
    assert!(eves["items"][0]["read_at"].is_null());
}
both_backends!(other_peoples_ids_are_not_found);
