//! Risk at sign-in (issue 10, item 2) with MaxMind's test GeoIP database: London then
//! Milton (Washington) an hour later is impossible travel and raises the login's risk;
//! London then Boxford an hour later is an ordinary move; a new device on top of impossible
//! travel is critical and refused; a trusted device at high risk still answers the second
//! factor (step-up). Audit rows carry the place, level and reasons; the device keeps its
//! score.

use axum::http::StatusCode;
use chrono::Duration;
use gatehouse_core::config::CoreConfig;
use gatehouse_domain::mfa::{base32, TotpParams};
use gatehouse_store::Backend;
use gatehouse_testkit::queries::{device_risk, login_risks, outbox};
use gatehouse_testkit::{both_backends, test_config, Resp, TestApp, Tokens, PASSWORD};
use serde_json::json;

const LONDON: &str = "81.2.69.142";
const BOXFORD: &str = "2.125.160.216";
const MILTON: &str = "216.160.83.56";

fn with_geoip() -> CoreConfig {
    let mut config = test_config();
    config.risk.geoip_city_db = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/geoip/GeoLite2-City-Test.mmdb"
    )
    .to_owned();
    config
}

/// A login from `ip` with the device `fingerprint`.
async fn login_at(app: &mut TestApp, ip: &str, email: &str, fingerprint: &str) -> Resp {
    app.ip = ip.parse().unwrap();
    let body = json!({
        "login": email, "password": PASSWORD,
        "device": { "fingerprint": fingerprint, "name": "Laptop" },
    });
    app.post("/v1/auth/login", body, None).await
}

async fn suspicious_alerts(app: &TestApp) -> usize {
    outbox(&app.core.db)
        .await
        .iter()
        .filter(|m| m.kind == "suspicious_activity")
        .count()
}

const LAPTOP: &str = "7f9c2ba4e88f827d616045507605853e";
const OTHER: &str = "0000000000000000000000000000ffff";

/// Two sign-ins an hour apart, London then Milton (~7,700 km): impossible travel and a
/// new country make it high. The account has no second factor to step up to, so it signs
/// in, the owner is alerted and the row waits for review.
async fn london_then_milton_an_hour_later_is_impossible_travel(backend: Backend) {
    let mut app = TestApp::spawn_with(backend, with_geoip()).await;
    app.register("far@example.com").await;
    let r = login_at(&mut app, LONDON, "far@example.com", LAPTOP).await;
    assert_eq!(r.body["status"], "authenticated", "{}", r.text);
    let alerts_before = suspicious_alerts(&app).await;

    app.advance(Duration::hours(1));
    let r = login_at(&mut app, MILTON, "far@example.com", LAPTOP).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "authenticated", "{}", r.text);

    let user_id = app.user_id("far@example.com").await;
    let rows = login_risks(&app.core.db, user_id).await;
    let first = &rows[0];
    assert_eq!(first.action, "login_succeeded");
    assert_eq!(
        (first.country.as_deref(), first.city.as_deref()),
        (Some("GB"), Some("London"))
    );
    assert_eq!(first.risk_level, "low", "{first:?}");
    let second = rows
        .iter()
        .rfind(|r| r.action == "login_succeeded")
        .unwrap();
    assert_eq!(second.country.as_deref(), Some("US"));
    assert_eq!(second.risk_level, "high", "{second:?}");
    let reasons = second.reasons.as_deref().unwrap_or_default();
    assert!(reasons.contains("impossible_travel"), "{reasons}");
    assert!(reasons.contains("new_country"), "{reasons}");
    assert!(second.requires_review);
    assert!(
        rows.iter()
            .any(|r| r.action == "suspicious_activity" && r.requires_review),
        "{rows:?}"
    );
    assert_eq!(suspicious_alerts(&app).await, alerts_before + 1);

    // The device keeps the login's score and when it was assessed.
    let tokens = Tokens::from(&r);
    let devices = app.get("/v1/me/devices", Some(&tokens.access)).await;
    let device_id = devices.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let (score, assessed) = device_risk(&app.core.db, device_id).await;
    assert!(score >= 50, "{score}");
    assert!(assessed);
}
both_backends!(london_then_milton_an_hour_later_is_impossible_travel);

/// London then Boxford an hour later (~84 km): an ordinary move, low risk, no alert.
async fn london_then_boxford_an_hour_later_is_an_ordinary_move(backend: Backend) {
    let mut app = TestApp::spawn_with(backend, with_geoip()).await;
    app.register("near@example.com").await;
    let r = login_at(&mut app, LONDON, "near@example.com", LAPTOP).await;
    assert_eq!(r.body["status"], "authenticated", "{}", r.text);
    app.advance(Duration::hours(1));
    let r = login_at(&mut app, BOXFORD, "near@example.com", LAPTOP).await;
    assert_eq!(r.body["status"], "authenticated", "{}", r.text);

    let user_id = app.user_id("near@example.com").await;
    let rows = login_risks(&app.core.db, user_id).await;
    let last = rows.last().unwrap();
    assert_eq!(last.action, "login_succeeded");
    assert_eq!(last.city.as_deref(), Some("Boxford"));
    assert_eq!(last.risk_level, "low", "{last:?}");
    assert!(
        !last
            .reasons
            .as_deref()
            .unwrap_or_default()
            .contains("impossible_travel"),
        "{last:?}"
    );
    assert!(!last.requires_review);
    assert_eq!(suspicious_alerts(&app).await, 0);
}
both_backends!(london_then_boxford_an_hour_later_is_an_ordinary_move);

/// Impossible travel, a new country and a device never seen: critical. The password was
/// right, but no session starts (403 `login_refused`, saying nothing of why); the owner is
/// alerted and the refusal waits for review.
async fn a_critical_sign_in_is_refused_and_the_owner_told(backend: Backend) {
    let mut app = TestApp::spawn_with(backend, with_geoip()).await;
    app.register("crit@example.com").await;
    let r = login_at(&mut app, LONDON, "crit@example.com", LAPTOP).await;
    assert_eq!(r.body["status"], "authenticated", "{}", r.text);
    let sessions_before = app.count("sessions").await;

    app.advance(Duration::minutes(30));
    let r = login_at(&mut app, MILTON, "crit@example.com", OTHER).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "login_refused");
    assert!(
        !r.text.contains("travel"),
        "no reason is given away: {}",
        r.text
    );
    assert_eq!(app.count("sessions").await, sessions_before);
    assert_eq!(suspicious_alerts(&app).await, 1);
    let user_id = app.user_id("crit@example.com").await;
    let rows = login_risks(&app.core.db, user_id).await;
    let refused = rows.last().unwrap();
    assert_eq!(refused.action, "suspicious_activity");
    assert_eq!(refused.risk_level, "critical", "{refused:?}");
    assert!(refused.requires_review);

    // The owner, back where they were, signs in as before.
    app.advance(Duration::hours(24));
    let r = login_at(&mut app, LONDON, "crit@example.com", LAPTOP).await;
    assert_eq!(r.body["status"], "authenticated", "{}", r.text);
}
both_backends!(a_critical_sign_in_is_refused_and_the_owner_told);

/// A trusted device skips the second step only at low risk: from Milton an hour after
/// London the same trusted laptop is asked for it (step-up), and the challenge says high.
async fn a_trusted_device_at_high_risk_answers_the_second_factor(backend: Backend) {
    let mut app = TestApp::spawn_with(backend, with_geoip()).await;
    app.register("step@example.com").await;
    let t = Tokens::from(&login_at(&mut app, LONDON, "step@example.com", LAPTOP).await);
    let r = app
        .post("/v1/me/mfa/totp", json!({}), Some(&t.access))
        .await;
    let secret = base32::decode(r.body["secret"].as_str().unwrap()).unwrap();
    let code = TotpParams::default().code_at(&secret, app.core.clock.now());
    let r = app
        .post(
            "/v1/me/mfa/totp/confirm",
            json!({ "code": code }),
            Some(&t.access),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    // Trust the laptop at the second step, from London.
    app.advance(Duration::seconds(30));
    let r = login_at(&mut app, LONDON, "step@example.com", LAPTOP).await;
    assert_eq!(r.body["status"], "mfa_required", "{}", r.text);
    let code = TotpParams::default().code_at(&secret, app.core.clock.now());
    let body = json!({
        "challenge_id": r.body["challenge_id"], "method": "totp", "code": code,
        "trust_device": true,
        "device": { "fingerprint": LAPTOP, "name": "Laptop" },
    });
    let r = app.post("/v1/auth/mfa/verify", body, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = login_at(&mut app, LONDON, "step@example.com", LAPTOP).await;
    assert_eq!(
        r.body["status"], "authenticated",
        "trusted, low: {}",
        r.text
    );

    app.advance(Duration::hours(1));
    let r = login_at(&mut app, MILTON, "step@example.com", LAPTOP).await;
    assert_eq!(r.body["status"], "mfa_required", "step-up: {}", r.text);
    let challenge_id: uuid::Uuid = r.body["challenge_id"].as_str().unwrap().parse().unwrap();
    let level = gatehouse_testkit::queries::challenge_risk_level(&app.core.db, challenge_id).await;
    assert_eq!(level, "high");
}
both_backends!(a_trusted_device_at_high_risk_answers_the_second_factor);
