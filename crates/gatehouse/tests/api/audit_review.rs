//! The audit review workflow (issue 10, item 3): staff-only lists of the four audit logs
//! with filters and cursor pagination, one row, and its review (reviewer and time
//! recorded, nothing else in the row changed, never one's own row, audited); and
//! `/v1/me/security-events`, a person's own rows only. Rows are made by real actions:
//! logins, failed logins, TOTP enrolment.

use crate::mfa_login::with_totp;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use gatehouse_store::Backend;
use gatehouse_testkit::queries::{account_audit_actions, raw_row, user_id_by_email};
use gatehouse_testkit::{both_backends, Resp, TestApp, Tokens};
use serde_json::{json, Value};
use std::collections::HashSet;
use uuid::Uuid;

const KINDS: [(&str, &str); 4] = [
    ("sessions", "session_audit_log"),
    ("devices", "device_audit_log"),
    ("mfa", "mfa_audit_log"),
    ("links", "session_device_link_audit_log"),
];
const REVIEW_COLUMNS: [&str; 4] = [
    "review_status",
    "review_notes",
    "reviewed_by_id",
    "reviewed_at",
];

struct World {
    staff: Tokens,
    staff_id: Uuid,
    alice: Tokens,
    alice_id: Uuid,
    bob_id: Uuid,
}

/// A staff member, Alice (TOTP enrolled, a failed login, logins over time) and Bob.
async fn world(app: &TestApp) -> World {
    let secret = with_totp(app, "alice@example.com").await;
    app.advance(Duration::minutes(5));
    let failed = app.login_as("alice@example.com", "not the password").await;
    assert_eq!(failed.status, StatusCode::UNAUTHORIZED, "{}", failed.text);
    app.advance(Duration::minutes(5));
    app.register("bob@example.com").await;
    app.login("bob@example.com").await;
    app.advance(Duration::minutes(5));
    app.register("staff@example.com").await;
    gatehouse_core::accounts::promote_existing(&app.core, "staff@example.com")
        .await
        .unwrap();
    let staff = app.login("staff@example.com").await;
    app.advance(Duration::minutes(5));
    // Alice's second factor is on: she signs in with it.
    let alice = alice_session(app, &secret).await;
    World {
        staff,
        staff_id: user_id_by_email(&app.core.db, "staff@example.com").await,
        alice,
        alice_id: user_id_by_email(&app.core.db, "alice@example.com").await,
        bob_id: user_id_by_email(&app.core.db, "bob@example.com").await,
    }
}

/// A signed-in session of Alice's (through her TOTP second step).
async fn alice_session(app: &TestApp, secret: &[u8]) -> Tokens {
    app.advance(Duration::seconds(30));
    let id = crate::mfa_login::challenge(app, "alice@example.com").await;
    let code = crate::mfa_login::code_now(app, secret);
    let r = crate::mfa_login::verify(app, &id, "totp", &code).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    Tokens::from(&r)
}

async fn list(app: &TestApp, token: &str, kind: &str, query: &str) -> Resp {
    app.get(
        &format!("/v1/admin/audit/{kind}?limit=200{query}"),
        Some(token),
    )
    .await
}

fn items(r: &Resp) -> Vec<Value> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn query_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Every page of `path` (which has its own `?` query), following `next_cursor`.
async fn walk(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}&cursor={c}"),
            None => path.to_owned(),
        };
        let r = app.get(&url, Some(token)).await;
        let page = items(&r);
        assert!(page.len() <= 2, "{}", r.text);
        all.extend(page);
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return all,
        }
    }
}

async fn non_staff_get_staff_only_on_every_admin_route(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    let row = items(&list(&app, &w.staff.access, "sessions", "").await)[0]["id"].clone();
    let row = row.as_str().unwrap();
    for path in [
        "/v1/admin/audit/sessions".to_owned(),
        "/v1/admin/audit/links?user_id=00000000-0000-0000-0000-000000000000".to_owned(),
        "/v1/admin/audit/nonsense".to_owned(),
        format!("/v1/admin/audit/sessions/{row}"),
    ] {
        let r = app.get(&path, Some(&w.alice.access)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.text);
        assert_eq!(r.code(), "staff_only", "{path}");
    }
    let before = raw_row(&app.core.db, "session_audit_log", row.parse().unwrap()).await;
    let r = app
        .patch(
            &format!("/v1/admin/audit/sessions/{row}"),
            json!({ "review_status": "resolved" }),
            &w.alice.access,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "staff_only");
    let after = raw_row(&app.core.db, "session_audit_log", row.parse().unwrap()).await;
    assert_eq!(before, after);
    let r = app.get("/v1/admin/audit/sessions", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
}
both_backends!(non_staff_get_staff_only_on_every_admin_route);

/// Which rows of the unfiltered list a filter should keep.
type Keep<'a> = Box<dyn Fn(&Value) -> bool + 'a>;

/// Each filter gives exactly the rows of the unfiltered list that satisfy it, and the
/// user, review-status and time filters give strictly fewer (and some).
async fn filters_each_narrow_the_list(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    let staff = &w.staff.access;
    let alice = w.alice_id.to_string();

    // A reviewed row, so the review-status filter has something to find.
    let all_sessions = items(&list(&app, staff, "sessions", "").await);
    let failed = all_sessions
        .iter()
        .find(|i| i["action"] == "login_failed" && i["user_id"] == alice.as_str())
        .expect("Alice's failed login is in the session log");
    let r = app
        .patch(
            &format!(
                "/v1/admin/audit/sessions/{}",
                failed["id"].as_str().unwrap()
            ),
            json!({ "review_status": "acknowledged" }),
            staff,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    for (kind, _) in KINDS {
        let all = items(&list(&app, staff, kind, "").await);
        assert!(!all.is_empty(), "{kind}: no rows");
        // Newest first.
        let times: Vec<_> = all.iter().map(|i| time(&i["created_at"])).collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]), "{kind}: order");
        let middle = times[times.len() / 2];

        let mut filters: Vec<(String, Keep<'_>)> = vec![
            (
                format!("&user_id={alice}"),
                Box::new(|i: &Value| i["user_id"] == alice.as_str()),
            ),
            (
                "&requires_review=true".to_owned(),
                Box::new(|i: &Value| i["requires_review"] == true),
            ),
            (
                "&requires_review=false".to_owned(),
                Box::new(|i: &Value| i["requires_review"] == false),
            ),
            (
                "&review_status=acknowledged".to_owned(),
                Box::new(|i: &Value| i["review_status"] == "acknowledged"),
            ),
            (
                format!("&from={}", query_time(middle)),
                Box::new(move |i: &Value| time(&i["created_at"]) >= middle),
            ),
            (
                format!("&to={}", query_time(middle)),
                Box::new(move |i: &Value| time(&i["created_at"]) < middle),
            ),
        ];
        if kind != "links" {
            for flag in [true, false] {
                filters.push((
                    format!("&anomalous={flag}"),
                    Box::new(move |i: &Value| i["is_anomalous"] == flag),
                ));
            }
        }
        if kind == "sessions" || kind == "mfa" {
            for level in ["low", "medium", "high", "critical"] {
                filters.push((
                    format!("&risk_level={level}"),
                    Box::new(move |i: &Value| i["risk_level"] == level),
                ));
            }
        }
        for (query, keep) in &filters {
            let got = ids(&items(&list(&app, staff, kind, query).await));
            let want: Vec<_> = ids(&all.iter().filter(|i| keep(i)).cloned().collect::<Vec<_>>());
            assert_eq!(got, want, "{kind} {query}");
        }
        // The user and time filters really narrow.
        let by_user = ids(&items(
            &list(&app, staff, kind, &format!("&user_id={alice}")).await,
        ));
        assert!(!by_user.is_empty(), "{kind}: user_id");
        if all.iter().any(|i| i["user_id"] != alice.as_str()) {
            assert!(by_user.len() < all.len(), "{kind}: user_id");
        }
        let from = items(&list(&app, staff, kind, &format!("&from={}", query_time(middle))).await);
        assert!(!from.is_empty(), "{kind}: from");
        let both = format!("&from={}&to={}", query_time(middle), query_time(middle));
        assert!(
            items(&list(&app, staff, kind, &both).await).is_empty(),
            "{kind}: empty range"
        );
    }
    let reviewed = items(&list(&app, staff, "sessions", "&review_status=acknowledged").await);
    assert_eq!(
        ids(&reviewed),
        vec![failed["id"].as_str().unwrap().to_owned()]
    );
    let everyone = items(&list(&app, staff, "sessions", "").await).len();
    assert!(everyone > 1);

    // A filter a log has no column for is refused by name; bad values are a 400.
    for (kind, query, name) in [
        ("devices", "&risk_level=high", "risk_level"),
        ("links", "&risk_level=high", "risk_level"),
        ("links", "&anomalous=true", "anomalous"),
    ] {
        let r = list(&app, staff, kind, query).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind}: {}",
            r.text
        );
        assert_eq!(r.code(), "unsupported_filter");
        assert!(
            r.body["detail"].as_str().unwrap().contains(name),
            "{}",
            r.text
        );
    }
    for query in [
        "&risk_level=severe",
        "&review_status=closed",
        "&from=yesterday",
        "&anomalous=maybe",
        "&user_id=nobody",
        "&colour=red",
        "&limit=0",
        "&limit=201",
        "&cursor=bm90IG91cnM",
    ] {
        let r = app
            .get(
                &format!("/v1/admin/audit/sessions?{}", &query[1..]),
                Some(staff),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}: {}", r.text);
    }
}
both_backends!(filters_each_narrow_the_list);

async fn pagination_returns_every_row_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    for (kind, _) in KINDS {
        let all = ids(&items(&list(&app, &w.staff.access, kind, "").await));
        let walked = ids(&walk(
            &app,
            &w.staff.access,
            &format!("/v1/admin/audit/{kind}?limit=2"),
        )
        .await);
        assert_eq!(walked, all, "{kind}");
        assert_eq!(walked.iter().collect::<HashSet<_>>().len(), walked.len());
    }
    // Filtered pages too.
    let alice = w.alice_id;
    let all = ids(&items(
        &list(
            &app,
            &w.staff.access,
            "sessions",
            &format!("&user_id={alice}"),
        )
        .await,
    ));
    let walked = ids(&walk(
        &app,
        &w.staff.access,
        &format!("/v1/admin/audit/sessions?limit=2&user_id={alice}"),
    )
    .await);
    assert!(all.len() > 2);
    assert_eq!(walked, all);
}
both_backends!(pagination_returns_every_row_once);

fn without_review(row: &[(String, Option<Vec<u8>>)]) -> Vec<(String, Option<Vec<u8>>)> {
    row.iter()
        .filter(|(name, _)| !REVIEW_COLUMNS.contains(&name.as_str()))
        .cloned()
        .collect()
}

fn column<'r>(row: &'r [(String, Option<Vec<u8>>)], name: &str) -> &'r Option<Vec<u8>> {
    &row.iter().find(|(n, _)| n == name).expect(name).1
}

async fn a_review_sets_reviewer_and_time_and_nothing_else(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    for (n, (kind, table)) in KINDS.into_iter().enumerate() {
        let rows = items(
            &list(
                &app,
                &w.staff.access,
                kind,
                &format!("&user_id={}", w.alice_id),
            )
            .await,
        );
        let id = rows[0]["id"].as_str().unwrap().to_owned();
        let uuid: Uuid = id.parse().unwrap();
        let before = raw_row(&app.core.db, table, uuid).await;
        app.advance(Duration::minutes(1));
        let notes = format!("Checked with Alice ({kind}).");
        let r = app
            .patch(
                &format!("/v1/admin/audit/{kind}/{id}"),
                json!({ "review_status": "resolved", "review_notes": notes }),
                &w.staff.access,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{kind}: {}", r.text);
        assert_eq!(r.body["review_status"], "resolved");
        assert_eq!(r.body["review_notes"], notes.as_str());
        assert_eq!(r.body["reviewed_by_id"], w.staff_id.to_string().as_str());
        let reviewed_at = time(&r.body["reviewed_at"]);
        let now = gatehouse_core::Clock::now(&app.clock);
        assert!(
            (reviewed_at - now).num_microseconds().unwrap().abs() <= 1,
            "{kind}"
        );
        let after = raw_row(&app.core.db, table, uuid).await;
        assert_eq!(
            without_review(&before),
            without_review(&after),
            "{kind}: other columns changed"
        );
        assert!(column(&after, "reviewed_by_id").is_some());
        assert!(column(&after, "reviewed_at").is_some());
        assert_ne!(
            column(&before, "review_status"),
            column(&after, "review_status")
        );

        // GET shows the same; a later review without notes keeps them.
        let r = app
            .get(
                &format!("/v1/admin/audit/{kind}/{id}"),
                Some(&w.staff.access),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["kind"], kind);
        assert_eq!(r.body["review_notes"], notes.as_str());
        let r = app
            .patch(
                &format!("/v1/admin/audit/{kind}/{id}"),
                json!({ "review_status": "false_positive" }),
                &w.staff.access,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["review_status"], "false_positive");
        assert_eq!(r.body["review_notes"], notes.as_str());

        // Each review is audited under the reviewer.
        let reviews = account_audit_actions(&app.core.db)
            .await
            .into_iter()
            .filter(|(user, action)| *user == Some(w.staff_id) && action == "audit_reviewed")
            .count();
        assert_eq!(reviews, 2 * (n + 1), "{kind}");
    }
}
both_backends!(a_review_sets_reviewer_and_time_and_nothing_else);

async fn bad_reviews_own_rows_and_unknown_rows_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    let staff = &w.staff.access;
    let rows = items(&list(&app, staff, "mfa", &format!("&user_id={}", w.alice_id)).await);
    let id = rows[0]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/admin/audit/mfa/{id}");
    let before = raw_row(&app.core.db, "mfa_audit_log", id.parse().unwrap()).await;
    let audits = app.count("account_audit_log").await;

    for (body, field) in [
        (json!({ "review_status": "closed" }), "review_status"),
        (json!({ "review_status": "pending" }), "review_status"),
        (
            json!({ "review_status": "resolved", "review_notes": "x".repeat(4001) }),
            "review_notes",
        ),
        (
            json!({ "review_status": "resolved", "review_notes": "a\u{0}b" }),
            "review_notes",
        ),
    ] {
        let r = app.patch(&path, body.clone(), staff).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text
        );
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.text);
    }
    let r = app
        .patch(&path, json!({ "review_notes": "no status" }), staff)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(
        raw_row(&app.core.db, "mfa_audit_log", id.parse().unwrap()).await,
        before
    );
    // 4000 characters is the bound, not over it.
    let r = app
        .patch(
            &path,
            json!({ "review_status": "open", "review_notes": "é".repeat(4000) }),
            staff,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(app.count("account_audit_log").await, audits + 1);

    // The staff member's own rows: refused, and unchanged.
    let own = items(&list(&app, staff, "sessions", &format!("&user_id={}", w.staff_id)).await);
    let own_id = own[0]["id"].as_str().unwrap().to_owned();
    let own_before = raw_row(&app.core.db, "session_audit_log", own_id.parse().unwrap()).await;
    let r = app
        .patch(
            &format!("/v1/admin/audit/sessions/{own_id}"),
            json!({ "review_status": "resolved" }),
            staff,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "own_record");
    assert_eq!(
        raw_row(&app.core.db, "session_audit_log", own_id.parse().unwrap()).await,
        own_before
    );

    // Unknown kinds and ids.
    let unknown = Uuid::now_v7();
    for path in [
        format!("/v1/admin/audit/logins/{id}"),
        format!("/v1/admin/audit/sessions/{unknown}"),
        // An MFA row's id is not a session row's.
        format!("/v1/admin/audit/sessions/{id}"),
    ] {
        let r = app.get(&path, Some(staff)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
        assert_eq!(r.code(), "not_found");
        let r = app
            .patch(&path, json!({ "review_status": "resolved" }), staff)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
    }
    let r = app.get("/v1/admin/audit/logins", Some(staff)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(app.count("account_audit_log").await, audits + 1);
}
both_backends!(bad_reviews_own_rows_and_unknown_rows_change_nothing);

async fn security_events_show_only_the_callers_rows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    // Every row about Alice, from the staff lists of the four logs.
    let mut hers: Vec<(DateTime<Utc>, String, String)> = Vec::new();
    let mut others = HashSet::new();
    for (kind, _) in KINDS {
        for item in items(&list(&app, &w.staff.access, kind, "").await) {
            let id = item["id"].as_str().unwrap().to_owned();
            if item["user_id"] == w.alice_id.to_string().as_str() {
                hers.push((time(&item["created_at"]), id, kind.to_owned()));
            } else {
                others.insert(id);
            }
        }
    }
    assert!(others.iter().any(|_| true), "Bob and staff have rows too");
    let _ = w.bob_id;
    hers.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));

    let all = walk(&app, &w.alice.access, "/v1/me/security-events?limit=2").await;
    let got: Vec<(DateTime<Utc>, String, String)> = all
        .iter()
        .map(|i| {
            (
                time(&i["created_at"]),
                i["id"].as_str().unwrap().to_owned(),
                i["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(got, hers);
    assert!(got.iter().any(|e| e.2 == "mfa") && got.iter().any(|e| e.2 == "sessions"));
    for item in &all {
        assert!(!others.contains(item["id"].as_str().unwrap()));
        for hidden in [
            "review_status",
            "review_notes",
            "reviewed_by_id",
            "reviewed_at",
            "user_id",
        ] {
            assert!(item.get(hidden).is_none(), "{hidden} shown: {item}");
        }
    }
    let r = app
        .get("/v1/me/security-events?limit=201", Some(&w.alice.access))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let r = app.get("/v1/me/security-events", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
}
both_backends!(security_events_show_only_the_callers_rows);
