//! Notification preferences, quiet hours, blocklist, consents and the in-app feed of the
//! signed-in person (issue 8, item 5): round trips, defaults before any write, refusals
//! that name their field and change nothing, and other people's ids answered 404.
//!
//! Split by area: the global and per-type [`settings`], [`quiet_hours_and_blocklist`]
//! (with other people's ids), [`consents_and_feed`]. The helpers below are theirs.

mod consents_and_feed;
mod quiet_hours_and_blocklist;
mod settings;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use gatehouse_core::Clock;
use gatehouse_domain::ids::UserId;
use gatehouse_store::notify::in_app::{self, NewInApp};
use gatehouse_store::Executor;
use gatehouse_testkit::{Resp, TestApp, Tokens};
use serde_json::Value;
use uuid::Uuid;

const PREFS: &str = "/v1/me/notification-preferences";

/// A signed-in person: their id and tokens.
struct Person {
    id: Uuid,
    tokens: Tokens,
}

async fn person(app: &TestApp, email: &str) -> Person {
    let registered = app.register(email).await;
    let id = registered.id;
    Person {
        id,
        tokens: app.login(email).await,
    }
}

async fn put(app: &TestApp, path: &str, body: Value, token: &str) -> Resp {
    let body = Some(Body::from(body.to_string()));
    app.request(
        Method::PUT,
        path,
        Some(token),
        body,
        Some("application/json"),
    )
    .await
}

/// The `(field, code)` pairs of a 422.
fn refused(r: &Resp) -> Vec<(String, String)> {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.code(), "validation_failed", "{}", r.text);
    r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn one(field: &str, code: &str) -> Vec<(String, String)> {
    vec![(field.to_owned(), code.to_owned())]
}

/// Put `count` messages in the person's feed through the store, oldest first.
async fn feed(app: &TestApp, user_id: Uuid, count: usize) -> Vec<Uuid> {
    let mut ids = Vec::new();
    let mut tx = app.core.db.begin().await.unwrap();
    for n in 0..count {
        let id = Uuid::now_v7();
        let title = format!("New sign-in {n}");
        let message = NewInApp {
            id,
            user_id: UserId(user_id),
            notification_type: "login_new_device",
            priority: "high",
            title: &title,
            body: "Someone signed in from Firefox on Linux.",
            created_at: app.clock.now(),
        };
        in_app::insert(tx.exec(), &message).await.unwrap();
        ids.push(id);
    }
    tx.commit().await.unwrap();
    ids
}

async fn mark_read(app: &TestApp, id: Uuid, token: &str) -> Resp {
    let path = format!("/v1/me/notifications/{id}/read");
    app.request(Method::POST, &path, Some(token), None, None)
        .await
}
