//! The audit subscriber: turns each [`Event`] into its rows in the session, device,
//! session-device link and account audit logs (the seed's `audit_log` part).

use super::{Event, LockKind};
use crate::client::ClientInfo;
use chrono::{DateTime, Utc};
use gatehouse_domain::accounts::RevocationReason;
use gatehouse_domain::audit::{AccountAction, DeviceAction, LinkAction, SessionAction};
use gatehouse_domain::ids::{AuditId, UserId};
use gatehouse_domain::risk::{RiskAssessment, RiskLevel};
use gatehouse_store::audit::{
    self, AccountAuditEntry, DeviceAuditEntry, LinkAuditEntry, MfaAuditEntry, Place,
    SessionAuditEntry,
};
use gatehouse_store::types::Inet;
use gatehouse_store::{Executor, StoreResult, Tx};
use serde_json::json;

/// The rows one event writes.
#[derive(Debug, Default)]
pub struct AuditRows {
    pub session: Vec<SessionAuditEntry>,
    pub device: Vec<DeviceAuditEntry>,
    pub link: Vec<LinkAuditEntry>,
    pub account: Vec<AccountAuditEntry>,
    pub mfa: Vec<MfaAuditEntry>,
}

pub(super) async fn write(
    tx: &mut Tx,
    now: DateTime<Utc>,
    client: &ClientInfo,
    event: &Event<'_>,
) -> StoreResult<()> {
    let mut rows = rows_for(event, client, now);
    // Every session and device row says where its request came from.
    let here = place(client);
    if here != Place::default() {
        for e in &mut rows.session {
            e.place = here.clone();
        }
        for e in &mut rows.device {
            e.place = here.clone();
        }
    }
    for e in &rows.account {
        audit::insert_account(tx.exec(), AuditId::new().as_uuid(), e, now).await?;
    }
    for e in &rows.device {
        audit::insert_device(tx.exec(), AuditId::new().as_uuid(), e, now).await?;
    }
    for e in &rows.session {
        audit::insert_session(tx.exec(), AuditId::new().as_uuid(), e, now).await?;
    }
    for e in &rows.link {
        audit::insert_link(tx.exec(), AuditId::new().as_uuid(), e, now).await?;
    }
    for e in &rows.mfa {
        audit::insert_mfa(tx.exec(), AuditId::new().as_uuid(), e, now).await?;
    }
    Ok(())
}

fn ip(client: &ClientInfo) -> Option<Inet> {
    client.ip.map(Inet)
}

/// Where the request came from, for the location columns.
fn place(client: &ClientInfo) -> Place {
    let Some(geo) = &client.geo else {
        return Place::default();
    };
    Place {
        country: geo.country.clone(),
        city: geo.city.clone(),
        latitude: geo.point.map(|p| p.latitude()),
        longitude: geo.point.map(|p| p.longitude()),
    }
}

/// The anomaly reasons of an assessment, as stored.
fn reasons(r: &RiskAssessment) -> Vec<String> {
    r.reasons.iter().map(|a| a.as_str().to_owned()).collect()
}

/// A sign-in row carries its assessment: level, reasons, and review for high and up.
fn assessed(entry: &mut SessionAuditEntry, r: &RiskAssessment) {
    entry.risk_level = r.level;
    entry.is_anomalous = r.is_anomalous();
    entry.anomaly_reasons = reasons(r);
    entry.requires_review = matches!(r.level, RiskLevel::High | RiskLevel::Critical);
}

pub(super) fn token_refreshed_row(client: &ClientInfo) -> SessionAuditEntry {
    // The user is a placeholder: the rotation statement writes the rotated session's.
    SessionAuditEntry::new(
        UserId(uuid::Uuid::nil()),
        SessionAction::TokenRefreshed,
        RiskLevel::Low,
        ip(client),
    )
}

/// An account audit row with no details (the addresses involved stay out of the log).
fn account(user_id: UserId, action: AccountAction, client: &ClientInfo) -> AccountAuditEntry {
    AccountAuditEntry {
        user_id: Some(user_id),
        action,
        details: None,
        ip_address: ip(client),
    }
}

/// The audit rows of an event (pure: no I/O, so each mapping is easy to read and test).
pub fn rows_for(event: &Event<'_>, client: &ClientInfo, now: DateTime<Utc>) -> AuditRows {
    let mut rows = AuditRows::default();
    match event {
        Event::Registered {
            user_id,
            username_set,
        } => rows.account.push(AccountAuditEntry {
            user_id: Some(*user_id),
            action: AccountAction::Registered,
            details: Some(json!({ "username_set": username_set })),
            ip_address: ip(client),
        }),
        Event::LoginFailed { user_id: None } => {
            // Attempts on accounts that do not exist are a credential-stuffing signal.
            rows.account.push(AccountAuditEntry {
                user_id: None,
                action: AccountAction::LoginFailedUnknownAccount,
                details: None,
                ip_address: ip(client),
            })
        }
        Event::LoginFailed {
            user_id: Some(user_id),
        } => rows.session.push(SessionAuditEntry::new(
            *user_id,
            SessionAction::LoginFailed,
            RiskLevel::Medium,
            ip(client),
        )),
        Event::LockSet {
            user_id: Some(user_id),
            lock,
        } => {
            let action = match lock {
                LockKind::Account => SessionAction::AccountLocked,
                LockKind::Address => SessionAction::IpThrottled,
                LockKind::KnownClient | LockKind::Session => SessionAction::LoginLocked,
            };
            let mut entry = SessionAuditEntry::new(*user_id, action, RiskLevel::High, ip(client));
            entry.is_anomalous = true;
            entry.anomaly_reasons = vec!["failed_login_burst".to_owned()];
            entry.metadata = Some(json!({ "lock": lock.as_str() }));
            rows.session.push(entry);
        }
        Event::LockSet {
            user_id: None,
            lock,
        } => {
            // A lock tripped by attempts naming no account: a spraying or stuffing signal.
            let action = match lock {
                LockKind::Address => AccountAction::AddressBlocked,
                _ => AccountAction::UnknownAccountLocked,
            };
            rows.account.push(AccountAuditEntry {
                user_id: None,
                action,
                details: Some(json!({ "lock": lock.as_str() })),
                ip_address: ip(client),
            })
        }
        Event::LoginRefusedDisabled { user_id } => rows.session.push(SessionAuditEntry::new(
            *user_id,
            SessionAction::LoginRefusedDisabled,
            RiskLevel::Medium,
            ip(client),
        )),
        Event::LoginRefusedLocked { user_id } => rows.session.push(SessionAuditEntry::new(
            *user_id,
            SessionAction::LoginLocked,
            RiskLevel::High,
            ip(client),
        )),
        Event::ReportedNotMe {
            user_id,
            session_id,
            device_id,
            sessions_ended,
            locked_until,
        } => {
            // The owner says someone else was in: a security team should look at it.
            let mut entry = SessionAuditEntry::new(
                *user_id,
                SessionAction::SuspiciousActivity,
                RiskLevel::High,
                ip(client),
            );
            entry.session_id = *session_id;
            entry.device_id = *device_id;
            entry.is_anomalous = true;
            entry.anomaly_reasons = vec!["reported_by_owner".to_owned()];
            entry.requires_review = true;
            entry.metadata = Some(json!({
                "sessions_ended": sessions_ended,
                "locked_until": locked_until,
            }));
            rows.session.push(entry);
            rows.account.push(AccountAuditEntry {
                user_id: Some(*user_id),
                action: AccountAction::ReportedNotMe,
                details: Some(json!({ "sessions_ended": sessions_ended })),
                ip_address: ip(client),
            });
        }
        Event::PasswordChangeRefused {
            user_id,
            session_id,
        } => {
            let mut entry = SessionAuditEntry::new(
                *user_id,
                SessionAction::PasswordChangeFailed,
                RiskLevel::Medium,
                ip(client),
            );
            entry.session_id = Some(*session_id);
            rows.session.push(entry);
        }
        Event::DeviceSeen {
            user_id,
            device_id,
            session_id,
            action,
            device,
            previous_ip,
            risk,
        } => rows.device.push(DeviceAuditEntry {
            user_id: *user_id,
            device_id: *device_id,
            session_id: Some(*session_id),
            action: *action,
            device_type: Some(device.device_type.clone()),
            browser: device.browser.clone(),
            os: device.os.clone(),
            risk_score: risk.map_or(0, |r| i32::from(r.score)),
            ip_address: ip(client),
            previous_ip: *previous_ip,
            trust_state_change: None,
            metadata: None,
            anomaly_reasons: risk.map(reasons).unwrap_or_default(),
            place: Place::default(),
        }),
        Event::SessionStarted {
            user_id,
            session_id,
            device_id,
            session_type,
            mfa_verified,
            risk,
        } => {
            let mut entry = SessionAuditEntry::new(
                *user_id,
                SessionAction::LoginSucceeded,
                RiskLevel::Low,
                ip(client),
            );
            entry.session_id = Some(*session_id);
            entry.device_id = Some(*device_id);
            entry.session_type = Some(*session_type);
            entry.mfa_verified = Some(*mfa_verified);
            if let Some(r) = risk {
                assessed(&mut entry, r);
            }
            rows.session.push(entry);
            rows.link.push(LinkAuditEntry {
                user_id: *user_id,
                session_id: *session_id,
                device_id: *device_id,
                link_action: LinkAction::Linked,
                previous_device_id: None,
                revoked_at: None,
                link_duration_seconds: None,
                context: None,
            });
        }
        Event::RiskyLogin {
            user_id,
            session_id,
            assessment,
            refused,
        } => {
            let mut entry = SessionAuditEntry::new(
                *user_id,
                SessionAction::SuspiciousActivity,
                assessment.level,
                ip(client),
            );
            entry.session_id = *session_id;
            assessed(&mut entry, assessment);
            entry.requires_review = true;
            entry.new_value = Some(json!({
                "decision": if *refused { "refused" } else { "allowed_with_alert" },
                "risk_score": assessment.score,
            }));
            rows.session.push(entry);
        }
        Event::SessionEnded {
            user_id,
            session,
            reason,
        } => {
            let action = match reason {
                RevocationReason::Logout => SessionAction::Logout,
                RevocationReason::LogoutAll => SessionAction::LogoutAll,
                RevocationReason::PasswordChanged => SessionAction::PasswordChanged,
                RevocationReason::IdleTimeout | RevocationReason::Expired => {
                    SessionAction::SessionExpired
                }
                _ => SessionAction::SessionRevoked,
            };
            let duration = (now - session.created_at)
                .num_seconds()
                .clamp(0, i64::from(i32::MAX)) as i32;
            let context = json!({ "reason": reason.as_str() });
            let mut entry = SessionAuditEntry::new(*user_id, action, RiskLevel::Low, ip(client));
            entry.session_id = Some(session.id);
            entry.device_id = session.device_id;
            entry.session_duration_seconds = Some(duration);
            entry.metadata = Some(context.clone());
            rows.session.push(entry);
            if let Some(device_id) = session.device_id {
                rows.link.push(LinkAuditEntry {
                    user_id: *user_id,
                    session_id: session.id,
                    device_id,
                    link_action: LinkAction::Unlinked,
                    previous_device_id: None,
                    revoked_at: Some(now),
                    link_duration_seconds: Some(duration),
                    context: Some(context),
                });
            }
        }
        Event::RefreshTokenReused {
            user_id,
            session_id,
            device_id,
            family_id,
        } => {
            let mut entry = SessionAuditEntry::new(
                *user_id,
                SessionAction::RefreshTokenReused,
                RiskLevel::High,
                ip(client),
            );
            entry.session_id = Some(*session_id);
            entry.device_id = *device_id;
            entry.is_anomalous = true;
            entry.anomaly_reasons = vec!["refresh_token_reuse".to_owned()];
            entry.requires_review = true;
            entry.metadata = Some(json!({ "family_id": family_id }));
            rows.session.push(entry);
        }
        Event::PasswordChanged {
            user_id,
            session_id,
            signed_out_other_sessions,
        } => {
            let mut entry = SessionAuditEntry::new(
                *user_id,
                SessionAction::PasswordChanged,
                RiskLevel::Medium,
                ip(client),
            );
            entry.session_id = Some(*session_id);
            entry.metadata =
                Some(json!({ "signed_out_other_sessions": signed_out_other_sessions }));
            rows.session.push(entry);
        }
        Event::ProfileUpdated {
            user_id,
            session_id,
            changed_fields,
        } => {
            let mut entry = SessionAuditEntry::new(
                *user_id,
                SessionAction::ProfileUpdated,
                RiskLevel::Low,
                ip(client),
            );
            entry.session_id = Some(*session_id);
            entry.new_value = Some(json!({ "changed_fields": changed_fields }));
            rows.session.push(entry);
        }
        Event::SignupOnTakenAddress { user_id } => rows.account.push(account(
            *user_id,
            AccountAction::SignupOnTakenAddress,
            client,
        )),
        Event::VerificationRequested { user_id, .. } => rows.account.push(account(
            *user_id,
            AccountAction::EmailVerificationSent,
            client,
        )),
        Event::EmailVerified { user_id } => {
            rows.account
                .push(account(*user_id, AccountAction::EmailVerified, client))
        }
        Event::EmailChanged { user_id, .. } => {
            rows.account
                .push(account(*user_id, AccountAction::EmailChanged, client))
        }
        Event::PasswordResetRequested { user_id } => rows.account.push(AccountAuditEntry {
            user_id: *user_id,
            ..account(
                UserId(uuid::Uuid::nil()),
                AccountAction::PasswordResetRequested,
                client,
            )
        }),
        Event::PasswordReset {
            user_id,
            sessions_ended,
        } => {
            let details = json!({ "sessions_ended": sessions_ended });
            let mut entry = SessionAuditEntry::new(
                *user_id,
                SessionAction::PasswordChanged,
                RiskLevel::Medium,
                ip(client),
            );
            entry.metadata = Some(json!({ "via": "reset", "sessions_ended": sessions_ended }));
            rows.session.push(entry);
            rows.account.push(AccountAuditEntry {
                details: Some(details),
                ..account(*user_id, AccountAction::PasswordReset, client)
            });
        }
        Event::DeviceRemoved { user_id, device } => rows.device.push(DeviceAuditEntry {
            user_id: *user_id,
            device_id: device.id,
            session_id: None,
            action: DeviceAction::Removed,
            device_type: device.device_type.clone(),
            browser: device.browser.clone(),
            os: device.os.clone(),
            risk_score: device.risk_score,
            ip_address: ip(client),
            previous_ip: None,
            trust_state_change: device.is_trusted.then_some("trusted->removed"),
            metadata: None,
            anomaly_reasons: Vec::new(),
            place: Place::default(),
        }),
        Event::DeviceTrustChanged {
            user_id,
            session_id,
            device,
            trusted_until,
            reason,
        } => rows.device.push(DeviceAuditEntry {
            user_id: *user_id,
            device_id: device.id,
            session_id: *session_id,
            action: match trusted_until {
                Some(_) => DeviceAction::Trusted,
                None => DeviceAction::TrustRevoked,
            },
            device_type: device.device_type.clone(),
            browser: device.browser.clone(),
            os: device.os.clone(),
            risk_score: device.risk_score,
            ip_address: ip(client),
            previous_ip: None,
            trust_state_change: Some(match trusted_until {
                Some(_) => "untrusted->trusted",
                None => "trusted->untrusted",
            }),
            metadata: Some(json!({
                "reason": reason,
                "trusted_until": trusted_until.map(|t| t.to_rfc3339()),
            })),
            anomaly_reasons: Vec::new(),
            place: Place::default(),
        }),
        Event::StaffGranted { user_id, created } => rows.account.push(AccountAuditEntry {
            details: Some(json!({ "created": created })),
            ..account(*user_id, AccountAction::StaffGranted, client)
        }),
        // Written to the account log under the reviewer: the row reviewed belongs to
        // someone else, and the reviewer's own trail is where a review is looked for.
        Event::AuditReviewed {
            reviewer,
            kind,
            id,
            subject,
            previous_status,
            status,
            notes_changed,
        } => rows.account.push(AccountAuditEntry {
            details: Some(json!({
                "kind": kind.as_str(),
                "id": id,
                "subject_user_id": subject.as_uuid(),
                "previous_status": previous_status,
                "review_status": status.as_str(),
                "notes_changed": notes_changed,
            })),
            ..account(*reviewer, AccountAction::AuditReviewed, client)
        }),
        Event::Mfa(e) => rows.mfa = super::mfa::audit_rows(e, client),
    }
    rows
}

#[cfg(test)]
#[path = "audit_tests.rs"]
mod tests;
