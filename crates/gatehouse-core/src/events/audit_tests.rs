//! Tests of `events::audit`: the rows and alerts each event maps to.

use super::*;
use gatehouse_domain::ids::{DeviceId, SessionId};
use gatehouse_store::accounts::sessions::EndedSession;

fn client() -> ClientInfo {
    ClientInfo {
        ip: Some("203.0.113.9".parse().unwrap()),
        user_agent: None,
        geo: None,
    }
}

#[test]
fn a_login_on_no_account_is_an_account_row_and_on_an_account_a_session_row() {
    let now = Utc::now();
    let unknown = rows_for(&Event::LoginFailed { user_id: None }, &client(), now);
    assert_eq!(unknown.account.len(), 1);
    assert_eq!(
        unknown.account[0].action,
        AccountAction::LoginFailedUnknownAccount
    );
    assert!(unknown.session.is_empty());

    let user_id = UserId::new();
    let known = rows_for(
        &Event::LoginFailed {
            user_id: Some(user_id),
        },
        &client(),
        now,
    );
    assert!(known.account.is_empty());
    assert_eq!(known.session[0].action, SessionAction::LoginFailed);
    assert_eq!(known.session[0].risk_level, RiskLevel::Medium);
    assert_eq!(known.session[0].user_id, user_id);
}

#[test]
fn each_new_lock_is_one_anomalous_row_in_the_log_of_its_account() {
    let cases = [
        (LockKind::Account, SessionAction::AccountLocked),
        (LockKind::Address, SessionAction::IpThrottled),
        (LockKind::KnownClient, SessionAction::LoginLocked),
        (LockKind::Session, SessionAction::LoginLocked),
    ];
    for (lock, action) in cases {
        let event = Event::LockSet {
            user_id: Some(UserId::new()),
            lock,
        };
        let rows = rows_for(&event, &client(), Utc::now());
        assert_eq!(rows.session.len(), 1);
        assert_eq!(rows.session[0].action, action, "{lock:?}");
        assert!(rows.session[0].is_anomalous, "{lock:?}");
        assert_eq!(rows.session[0].risk_level, RiskLevel::High);
        assert_eq!(
            rows.session[0].metadata,
            Some(json!({ "lock": lock.as_str() }))
        );
    }
    // Locks tripped by logins naming no account go to the account log.
    for (lock, action) in [
        (LockKind::Account, AccountAction::UnknownAccountLocked),
        (LockKind::Address, AccountAction::AddressBlocked),
    ] {
        let event = Event::LockSet {
            user_id: None,
            lock,
        };
        let rows = rows_for(&event, &client(), Utc::now());
        assert!(rows.session.is_empty());
        assert_eq!(rows.account[0].action, action);
        assert_eq!(rows.account[0].user_id, None);
    }
}

#[test]
fn refused_passwords_for_disabled_accounts_and_changes_are_recorded() {
    let user_id = UserId::new();
    let rows = rows_for(
        &Event::LoginRefusedDisabled { user_id },
        &client(),
        Utc::now(),
    );
    assert_eq!(rows.session[0].action, SessionAction::LoginRefusedDisabled);
    let session_id = SessionId::new();
    let rows = rows_for(
        &Event::PasswordChangeRefused {
            user_id,
            session_id,
        },
        &client(),
        Utc::now(),
    );
    assert_eq!(rows.session[0].action, SessionAction::PasswordChangeFailed);
    assert_eq!(rows.session[0].session_id, Some(session_id));
}

#[test]
fn an_ended_session_writes_its_duration_and_unlinks_its_device() {
    let now = Utc::now();
    let session = EndedSession {
        id: SessionId::new(),
        device_id: Some(DeviceId::new()),
        created_at: now - chrono::Duration::seconds(90),
    };
    let event = Event::SessionEnded {
        user_id: UserId::new(),
        session: &session,
        reason: RevocationReason::LogoutAll,
    };
    let rows = rows_for(&event, &client(), now);
    assert_eq!(rows.session[0].action, SessionAction::LogoutAll);
    assert_eq!(rows.session[0].session_duration_seconds, Some(90));
    assert_eq!(rows.link[0].link_action, LinkAction::Unlinked);
    assert_eq!(rows.link[0].link_duration_seconds, Some(90));

    let without_device = EndedSession {
        device_id: None,
        ..session
    };
    let event = Event::SessionEnded {
        user_id: UserId::new(),
        session: &without_device,
        reason: RevocationReason::DeviceRemoved,
    };
    let rows = rows_for(&event, &client(), now);
    assert_eq!(rows.session[0].action, SessionAction::SessionRevoked);
    assert!(rows.link.is_empty());
}

#[test]
fn reuse_of_a_refresh_token_is_high_risk_and_queued_for_review() {
    let event = Event::RefreshTokenReused {
        user_id: UserId::new(),
        session_id: SessionId::new(),
        device_id: None,
        family_id: gatehouse_domain::ids::TokenFamilyId::new(),
    };
    let rows = rows_for(&event, &client(), Utc::now());
    let row = &rows.session[0];
    assert_eq!(row.risk_level, RiskLevel::High);
    assert!(row.requires_review && row.is_anomalous);
    assert_eq!(row.review_status(), Some("pending"));
}
