//! The global switches and per-type settings: defaults, round trips, refusals by field,
//! and the document's request examples for every operation of the area.

use super::{one, person, put, refused, PREFS};
use axum::http::StatusCode;
use gatehouse_store::Backend;
use gatehouse_testkit::both_backends;
use gatehouse_testkit::TestApp;
use serde_json::{json, Value};

fn global(quiet_start: Value, quiet_end: Value, digest_frequency: &str) -> Value {
    json!({
        "email_otp": true, "email_alerts": false, "email_marketing": true,
        "sms_otp": false, "sms_alerts": true, "push_enabled": true,
        "quiet_hours_enabled": true, "quiet_start": quiet_start, "quiet_end": quiet_end,
        "digest_frequency": digest_frequency,
    })
}

fn type_body(priority: &str, delay_minutes: i64, max_per_day: i64) -> Value {
    json!({
        "email_enabled": false, "sms_enabled": true, "in_app_enabled": true,
        "push_enabled": false, "priority": priority, "respect_quiet_hours": false,
        "delay_minutes": delay_minutes, "max_per_day": max_per_day,
    })
}

async fn preferences_have_defaults_and_round_trip(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = person(&app, "ann@example.com").await;
    let token = ann.tokens.access.as_str();

    let before = app.get(PREFS, Some(token)).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.text);
    let b = &before.body;
    assert_eq!(
        (
            b["email_otp"].clone(),
            b["email_marketing"].clone(),
            b["push_enabled"].clone()
        ),
        (json!(true), json!(false), json!(false))
    );
    assert!(b["quiet_start"].is_null() && b["quiet_end"].is_null());
    assert_eq!(b["digest_frequency"], "real-time");
    assert_eq!(b["timezone"], "UTC");
    let types = b["types"].as_array().unwrap();
    assert_eq!(types.len(), 19);
    assert_eq!(types[0]["type"], "otp_code");
    assert_eq!(types[0]["transactional"], true);
    assert_eq!(types[0]["priority"], "critical");
    let product = types
        .iter()
        .find(|t| t["type"] == "product_update")
        .unwrap();
    assert_eq!(product["transactional"], false);
    assert_eq!(product["priority"], "low");
    assert_eq!(
        (
            product["delay_minutes"].clone(),
            product["max_per_day"].clone()
        ),
        (json!(0), json!(100))
    );
    assert_eq!(
        app.count("notification_preferences").await,
        0,
        "reading writes nothing"
    );

    // The global switches: replaced whole, answered as stored, read in the profile's zone.
    let r = app
        .patch(
            "/v1/me/profile",
            json!({ "timezone": "Europe/Paris" }),
            token,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = put(
        &app,
        PREFS,
        global(json!("22:30"), json!("07:00"), "daily"),
        token,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for (field, value) in [
        ("email_alerts", json!(false)),
        ("sms_otp", json!(false)),
        ("push_enabled", json!(true)),
        ("quiet_start", json!("22:30")),
        ("quiet_end", json!("07:00")),
        ("digest_frequency", json!("daily")),
        ("timezone", json!("Europe/Paris")),
    ] {
        assert_eq!(r.body[field], value, "{field}");
    }
    assert_eq!(app.get(PREFS, Some(token)).await.body, r.body);
    // Switched off and cleared: the window may go, both ends at once.
    let mut off = global(Value::Null, Value::Null, "real-time");
    off["quiet_hours_enabled"] = json!(false);
    let r = put(&app, PREFS, off, token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body["quiet_start"].is_null());
    assert_eq!(app.count("notification_preferences").await, 1);

    // One type: defaults, then replaced, then listed among the others.
    let path = format!("{PREFS}/login_new_device");
    let r = app.get(&path, Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.body["priority"].clone(), r.body["email_enabled"].clone()),
        (json!("high"), json!(true))
    );
    let r = put(&app, &path, type_body("critical", 1440, 1), token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let expected = json!({
        "type": "login_new_device", "transactional": false,
        "email_enabled": false, "sms_enabled": true, "in_app_enabled": true,
        "push_enabled": false, "priority": "critical", "respect_quiet_hours": false,
        "delay_minutes": 1440, "max_per_day": 1,
    });
    assert_eq!(r.body, expected);
    assert_eq!(app.get(&path, Some(token)).await.body, expected);
    let all = app.get(PREFS, Some(token)).await.body;
    let listed = all["types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == "login_new_device");
    assert_eq!(listed, Some(&expected));
    let other = app.get(&format!("{PREFS}/mfa_enabled"), Some(token)).await;
    assert_eq!(
        other.body["priority"], "medium",
        "other types keep their defaults"
    );

    // Unknown types are not found, read or written.
    for path in [
        format!("{PREFS}/no_such_type"),
        format!("{PREFS}/LOGIN_NEW_DEVICE"),
    ] {
        let r = app.get(&path, Some(token)).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{path}"
        );
        let r = put(&app, &path, type_body("high", 0, 10), token).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(app.count("notification_type_preferences").await, 1);
    assert_eq!(app.get(PREFS, None).await.status, StatusCode::UNAUTHORIZED);
}
both_backends!(preferences_have_defaults_and_round_trip);

async fn bad_preferences_are_refused_by_field_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ben = person(&app, "ben@example.com").await;
    let token = ben.tokens.access.as_str();
    let defaults = app.get(PREFS, Some(token)).await.body;

    let cases = [
        (
            global(json!("25:00"), json!("07:00"), "daily"),
            one("quiet_start", "invalid_time"),
        ),
        (
            global(json!("22:00"), json!("7:00"), "daily"),
            one("quiet_end", "invalid_time"),
        ),
        (
            global(json!("22:00"), json!("22:00"), "daily"),
            one("quiet_end", "empty_window"),
        ),
        (
            global(json!("22:00"), Value::Null, "daily"),
            one("quiet_end", "required"),
        ),
        (
            global(Value::Null, Value::Null, "daily"),
            one("quiet_start", "required"),
        ),
        (
            global(json!("22:00"), json!("07:00"), "weekly"),
            one("digest_frequency", "invalid_choice"),
        ),
    ];
    for (body, expected) in cases {
        let r = put(&app, PREFS, body.clone(), token).await;
        assert_eq!(refused(&r), expected, "{body}");
    }
    // A missing field is refused too: the change replaces the row, so nothing is implied.
    let mut missing = global(json!("22:00"), json!("07:00"), "daily");
    missing.as_object_mut().unwrap().remove("quiet_end");
    let r = put(&app, PREFS, missing, token).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
    );

    let path = format!("{PREFS}/backup_code_used");
    let cases = [
        (
            type_body("high", 1441, 10),
            one("delay_minutes", "out_of_range"),
        ),
        (
            type_body("high", -1, 10),
            one("delay_minutes", "out_of_range"),
        ),
        (type_body("high", 0, 0), one("max_per_day", "out_of_range")),
        (
            type_body("high", 0, 1001),
            one("max_per_day", "out_of_range"),
        ),
        (
            type_body("urgent", 0, 10),
            one("priority", "invalid_choice"),
        ),
    ];
    for (body, expected) in cases {
        let r = put(&app, &path, body.clone(), token).await;
        assert_eq!(refused(&r), expected, "{body}");
    }
    let r = put(&app, &path, type_body("urgent", 1441, 0), token).await;
    let fields: Vec<String> = refused(&r).into_iter().map(|(field, _)| field).collect();
    assert_eq!(
        fields,
        ["priority", "delay_minutes", "max_per_day"],
        "all at once"
    );

    assert_eq!(app.count("notification_preferences").await, 0);
    assert_eq!(app.count("notification_type_preferences").await, 0);
    assert_eq!(app.get(PREFS, Some(token)).await.body, defaults);
}
both_backends!(bad_preferences_are_refused_by_field_and_change_nothing);

/// The request examples the document shows for these operations are requests the server
/// accepts.
async fn the_documented_examples_are_accepted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let jo = person(&app, "jo@example.com").await;
    let token = jo.tokens.access.as_str();
    let document = app.get("/openapi.json", None).await.body;
    let example = |template: &str, method: &str| -> Value {
        let pointer = format!(
            "/paths/{}/{method}/requestBody/content/application~1json/example",
            template.replace('/', "~1")
        );
        document
            .pointer(&pointer)
            .cloned()
            .unwrap_or_else(|| panic!("{pointer}"))
    };
    let r = put(&app, PREFS, example(PREFS, "put"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let template = format!("{PREFS}/{{type}}");
    let r = put(
        &app,
        &format!("{PREFS}/login_new_device"),
        example(&template, "put"),
        token,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for (path, created) in [
        ("/v1/me/quiet-hours", StatusCode::CREATED),
        ("/v1/me/blocklist", StatusCode::CREATED),
    ] {
        let r = app.post(path, example(path, "post"), Some(token)).await;
        assert_eq!(r.status, created, "{path}: {}", r.text);
    }
    let r = app
        .post(
            "/v1/me/consents/marketing",
            example("/v1/me/consents/{type}", "post"),
            Some(token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}
both_backends!(the_documented_examples_are_accepted);
