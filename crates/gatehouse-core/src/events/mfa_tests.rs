//! Tests of `events::mfa`: the rows and alerts each event maps to.

use super::*;

fn client() -> ClientInfo {
    ClientInfo {
        ip: Some("203.0.113.9".parse().unwrap()),
        user_agent: None,
        geo: None,
    }
}

#[test]
fn each_event_writes_its_rows_and_alert() {
    let user_id = UserId::new();
    let cases = [
        (
            MfaEvent::FactorAdded {
                user_id,
                session_id: None,
                method: MfaMethod::Totp,
                mfa_enabled: true,
                is_primary: true,
            },
            vec![MfaAction::TotpEnrolled, MfaAction::MfaEnabled],
            Some(NotificationType::MfaEnabled),
        ),
        (
            MfaEvent::FactorRemoved {
                user_id,
                session_id: None,
                method: MfaMethod::Totp,
                mfa_disabled: false,
            },
            vec![MfaAction::TotpRemoved],
            Some(NotificationType::MfaDisabled),
        ),
        (
            MfaEvent::FactorRemoved {
                user_id,
                session_id: None,
                method: MfaMethod::Totp,
                mfa_disabled: true,
            },
            vec![MfaAction::TotpRemoved, MfaAction::MfaDisabled],
            Some(NotificationType::MfaDisabled),
        ),
        (
            MfaEvent::BackupCodesGenerated {
                user_id,
                session_id: None,
                count: 10,
            },
            vec![MfaAction::BackupCodesGenerated],
            Some(NotificationType::BackupCodesGenerated),
        ),
        (
            MfaEvent::BackupCodeUsed {
                user_id,
                remaining: 9,
            },
            vec![MfaAction::BackupCodeUsed],
            Some(NotificationType::BackupCodeUsed),
        ),
        (
            MfaEvent::CodeRefused {
                user_id,
                method: MfaMethod::Totp,
                replayed: false,
            },
            vec![MfaAction::CodeFailed],
            None,
        ),
        (
            MfaEvent::CodeRefused {
                user_id,
                method: MfaMethod::Totp,
                replayed: true,
            },
            vec![MfaAction::CodeReplayed],
            Some(NotificationType::SuspiciousActivity),
        ),
        // Recovery messages are the recovery subscriber's, sent whatever the alert
        // settings: no alert here.
        (
            MfaEvent::RecoveryRequested {
                user_id,
                recovery_id: Uuid::now_v7(),
                ready_at: chrono::Utc::now(),
            },
            vec![MfaAction::RecoveryStarted],
            None,
        ),
        (
            MfaEvent::RecoveryCancelled {
                user_id,
                recovery_id: Uuid::now_v7(),
                session_id: None,
            },
            vec![MfaAction::RecoveryCancelled],
            None,
        ),
        (
            MfaEvent::Recovered {
                user_id,
                recovery_id: Uuid::now_v7(),
                recovery_method: "backup_code",
                session_id: SessionId::new(),
            },
            vec![MfaAction::RecoveryCompleted],
            None,
        ),
    ];
    for (event, actions, kind) in cases {
        let rows = audit_rows(&event, &client());
        let got: Vec<_> = rows.iter().map(|r| r.action).collect();
        assert_eq!(got, actions, "{event:?}");
        assert!(rows.iter().all(|r| r.user_id == user_id));
        assert_eq!(alert_for(&event).map(|a| a.kind), kind, "{event:?}");
    }
}
