//! MFA events: what each one writes to `mfa_audit_log` and which alert it raises. Kept
//! apart from the session and device mappings so the MFA part reads in one place; the
//! recorder (`events::record`) calls both functions like the other subscribers' mappings.

use super::alert::Alert;
use crate::client::ClientInfo;
use chrono::{DateTime, Utc};
use gatehouse_domain::audit::MfaAction;
use gatehouse_domain::ids::{SessionId, UserId};
use gatehouse_domain::mfa::{MfaChangeAction, MfaMethod, OtpPurpose};
use gatehouse_domain::notify::NotificationType;
use gatehouse_domain::risk::RiskLevel;
use gatehouse_store::audit::MfaAuditEntry;
use serde_json::{json, Value};
use uuid::Uuid;

/// Something that happened to a person's second factors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MfaEvent {
    /// A method was verified and turned on; `mfa_enabled` when MFA was off before it.
    FactorAdded {
        user_id: UserId,
        session_id: Option<SessionId>,
        method: MfaMethod,
        mfa_enabled: bool,
        is_primary: bool,
    },
    /// A method was removed; `mfa_disabled` when it was the last one.
    FactorRemoved {
        user_id: UserId,
        session_id: Option<SessionId>,
        method: MfaMethod,
        mfa_disabled: bool,
    },
    /// A new set of backup codes replaced the old one.
    BackupCodesGenerated {
        user_id: UserId,
        session_id: Option<SessionId>,
        count: u32,
    },
    /// A backup code was used (the login challenge raises this); `remaining` are left.
    BackupCodeUsed { user_id: UserId, remaining: u32 },
    /// A code was refused: wrong, or (`replayed`) right but for a step already used.
    CodeRefused {
        user_id: UserId,
        method: MfaMethod,
        replayed: bool,
    },
    /// A login's password was right and it must now answer a challenge.
    ChallengeCreated {
        user_id: UserId,
        challenge_id: Uuid,
        methods: Vec<MfaMethod>,
    },
    /// A challenge got a wrong (or replayed) code; `attempts` so far, and whether it is
    /// now locked.
    ChallengeFailed {
        user_id: UserId,
        challenge_id: Uuid,
        method: MfaMethod,
        replayed: bool,
        attempts: i32,
        locked: bool,
    },
    /// A challenge was answered: the login signs in.
    ChallengePassed {
        user_id: UserId,
        challenge_id: Uuid,
        method: MfaMethod,
        attempts: i32,
    },
    /// An answer refused because the account gave `answers_last_hour` codes with this
    /// method in the last hour.
    RateLimited {
        user_id: UserId,
        challenge_id: Uuid,
        method: MfaMethod,
        answers_last_hour: i64,
    },
    /// A one-time code went out by email or SMS, for enrolment or (`challenge_id`) a login.
    CodeSent {
        user_id: UserId,
        method: MfaMethod,
        purpose: OtpPurpose,
        challenge_id: Option<Uuid>,
    },
    /// A code was not sent: `sent_last_hour` codes already went out for this purpose.
    SendLimited {
        user_id: UserId,
        method: MfaMethod,
        challenge_id: Option<Uuid>,
        sent_last_hour: i64,
    },
    /// The person changed a method's limits or their approval setting; `new_value` says
    /// what they set.
    SettingsChanged {
        user_id: UserId,
        session_id: Option<SessionId>,
        new_value: Value,
    },
    /// The person changed their primary method (no approval was needed).
    PrimaryMethodChanged {
        user_id: UserId,
        session_id: Option<SessionId>,
        from: MfaMethod,
        to: MfaMethod,
    },
    /// A change waits for a staff member's approval (`mfa_change_log` row `change_id`).
    ChangeRequested {
        user_id: UserId,
        session_id: Option<SessionId>,
        change_id: Uuid,
        action: MfaChangeAction,
        method: Option<MfaMethod>,
    },
    /// A staff member (`staff_id`) decided a pending change; when `approved` it was
    /// applied: the primary method moved (`primary`: from, to), the factor went (and
    /// with it MFA when `mfa_disabled`), or the approval requirement was dropped.
    ChangeDecided {
        user_id: UserId,
        staff_id: UserId,
        change_id: Uuid,
        action: MfaChangeAction,
        method: Option<MfaMethod>,
        approved: bool,
        primary: Option<(MfaMethod, MfaMethod)>,
        mfa_disabled: bool,
    },
    /// An email recovery began: it can be completed from `ready_at` and cancelled until
    /// then (the recovery subscriber sends its links on every channel).
    RecoveryRequested {
        user_id: UserId,
        recovery_id: Uuid,
        ready_at: DateTime<Utc>,
    },
    /// An email recovery in progress was cancelled: by its link (`session_id: None`) or
    /// by a signed-in session.
    RecoveryCancelled {
        user_id: UserId,
        recovery_id: Uuid,
        session_id: Option<SessionId>,
    },
    /// A recovery (`backup_code` or `email`) signed the person in as `session_id`; the
    /// account must enrol a factor again.
    Recovered {
        user_id: UserId,
        recovery_id: Uuid,
        recovery_method: &'static str,
        session_id: SessionId,
    },
}

impl MfaEvent {
    fn user_id(&self) -> UserId {
        match self {
            MfaEvent::FactorAdded { user_id, .. }
            | MfaEvent::FactorRemoved { user_id, .. }
            | MfaEvent::BackupCodesGenerated { user_id, .. }
            | MfaEvent::BackupCodeUsed { user_id, .. }
            | MfaEvent::CodeRefused { user_id, .. }
            | MfaEvent::ChallengeCreated { user_id, .. }
            | MfaEvent::ChallengeFailed { user_id, .. }
            | MfaEvent::ChallengePassed { user_id, .. }
            | MfaEvent::RateLimited { user_id, .. }
            | MfaEvent::CodeSent { user_id, .. }
            | MfaEvent::SendLimited { user_id, .. }
            | MfaEvent::SettingsChanged { user_id, .. }
            | MfaEvent::PrimaryMethodChanged { user_id, .. }
            | MfaEvent::ChangeRequested { user_id, .. }
            | MfaEvent::ChangeDecided { user_id, .. }
            | MfaEvent::RecoveryRequested { user_id, .. }
            | MfaEvent::RecoveryCancelled { user_id, .. }
            | MfaEvent::Recovered { user_id, .. } => *user_id,
        }
    }
}

/// The `mfa_audit_log` rows of an event (pure).
pub fn audit_rows(event: &MfaEvent, client: &ClientInfo) -> Vec<MfaAuditEntry> {
    let user_id = event.user_id();
    let entry = |action, method| {
        let mut e = MfaAuditEntry::new(user_id, action, method);
        e.metadata = client.ip.map(|ip| json!({ "ip": ip.to_string() }));
        e
    };
    match event {
        MfaEvent::FactorAdded {
            method,
            mfa_enabled,
            is_primary,
            ..
        } => {
            let mut added = entry(added_action(*method), Some(*method));
            added.primary_method = *is_primary;
            let mut rows = vec![added];
            if *mfa_enabled {
                let mut on = entry(MfaAction::MfaEnabled, Some(*method));
                on.primary_method = *is_primary;
                on.old_value = Some(json!({ "enabled": false }));
                on.new_value = Some(json!({ "enabled": true }));
                rows.push(on);
            }
            rows
        }
        MfaEvent::FactorRemoved {
            method,
            mfa_disabled,
            ..
        } => {
            let mut rows = vec![entry(removed_action(*method), Some(*method))];
            if *mfa_disabled {
                let mut off = entry(MfaAction::MfaDisabled, Some(*method));
                off.old_value = Some(json!({ "enabled": true }));
                off.new_value = Some(json!({ "enabled": false }));
                off.risk_level = RiskLevel::Medium;
                rows.push(off);
            }
            rows
        }
        MfaEvent::BackupCodesGenerated { count, .. } => {
            let mut e = entry(MfaAction::BackupCodesGenerated, Some(MfaMethod::BackupCode));
            e.new_value = Some(json!({ "count": count }));
            vec![e]
        }
        MfaEvent::BackupCodeUsed { remaining, .. } => {
            let mut e = entry(MfaAction::BackupCodeUsed, Some(MfaMethod::BackupCode));
            e.new_value = Some(json!({ "remaining": remaining }));
            vec![e]
        }
        MfaEvent::CodeRefused {
            method, replayed, ..
        } => {
            let action = if *replayed {
                MfaAction::CodeReplayed
            } else {
                MfaAction::CodeFailed
            };
            let mut e = entry(action, Some(*method));
            if *replayed {
                // A right code seen twice: someone else may be reading the person's codes.
                e.risk_level = RiskLevel::High;
                e.is_anomalous = true;
                e.anomaly_reasons = vec!["code_replayed".to_owned()];
            }
            vec![e]
        }
        MfaEvent::ChallengeCreated {
            challenge_id,
            methods,
            ..
        } => {
            let mut e = entry(MfaAction::ChallengeCreated, None);
            e.challenge_id = Some(*challenge_id);
            e.new_value = Some(json!({
                "methods": methods.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
            }));
            vec![e]
        }
        MfaEvent::ChallengeFailed {
            challenge_id,
            method,
            replayed,
            attempts,
            locked,
            ..
        } => {
            let action = if *replayed {
                MfaAction::CodeReplayed
            } else {
                MfaAction::CodeFailed
            };
            let mut failed = entry(action, Some(*method));
            failed.challenge_id = Some(*challenge_id);
            failed.verification_attempts = Some(*attempts);
            if *replayed {
                failed.risk_level = RiskLevel::High;
                failed.is_anomalous = true;
                failed.anomaly_reasons = vec!["code_replayed".to_owned()];
            }
            let mut rows = vec![failed];
            if *locked {
                // Someone who knows the password could not give the second factor.
                let mut out = entry(MfaAction::LockedOut, Some(*method));
                out.challenge_id = Some(*challenge_id);
                out.verification_attempts = Some(*attempts);
                out.risk_level = RiskLevel::High;
                out.is_anomalous = true;
                out.anomaly_reasons = vec!["challenge_locked".to_owned()];
                rows.push(out);
            }
            rows
        }
        MfaEvent::ChallengePassed {
            challenge_id,
            method,
            attempts,
            ..
        } => {
            let mut e = entry(MfaAction::CodeVerified, Some(*method));
            e.challenge_id = Some(*challenge_id);
            e.verification_attempts = Some(*attempts);
            vec![e]
        }
        MfaEvent::RateLimited {
            challenge_id,
            method,
            answers_last_hour,
            ..
        } => {
            let mut e = entry(MfaAction::RateLimited, Some(*method));
            e.challenge_id = Some(*challenge_id);
            e.request_count_last_hour = Some(i32::try_from(*answers_last_hour).unwrap_or(i32::MAX));
            e.rate_limit_status = "exceeded";
            e.risk_level = RiskLevel::Medium;
            vec![e]
        }
        MfaEvent::CodeSent {
            method,
            purpose,
            challenge_id,
            ..
        } => {
            // The send limit counts these rows: enrolment sends carry no challenge.
            let mut e = entry(MfaAction::CodeSent, Some(*method));
            e.challenge_id = *challenge_id;
            e.new_value = Some(json!({ "purpose": purpose.as_str() }));
            vec![e]
        }
        MfaEvent::SendLimited {
            method,
            challenge_id,
            sent_last_hour,
            ..
        } => {
            let mut e = entry(MfaAction::RateLimited, Some(*method));
            e.challenge_id = *challenge_id;
            e.request_count_last_hour = Some(i32::try_from(*sent_last_hour).unwrap_or(i32::MAX));
            e.rate_limit_status = "exceeded";
            e.risk_level = RiskLevel::Medium;
            vec![e]
        }
        MfaEvent::SettingsChanged { new_value, .. } => {
            let mut e = entry(MfaAction::SettingsChanged, None);
            e.new_value = Some(new_value.clone());
            vec![e]
        }
        MfaEvent::PrimaryMethodChanged { from, to, .. } => {
            vec![primary_changed(
                entry(MfaAction::PrimaryMethodChanged, Some(*to)),
                *from,
                *to,
            )]
        }
        MfaEvent::ChangeRequested {
            change_id,
            action,
            method,
            ..
        } => {
            let mut e = entry(MfaAction::ChangeRequested, *method);
            e.new_value = Some(json!({ "change_id": change_id, "action": action.as_str() }));
            vec![e]
        }
        MfaEvent::ChangeDecided {
            staff_id,
            change_id,
            action,
            method,
            approved,
            primary,
            mfa_disabled,
            ..
        } => {
            // Every row names the staff member who acted and the change they decided.
            let by_staff = |action, method| {
                let mut e = MfaAuditEntry::new(user_id, action, method);
                e.metadata = Some(json!({
                    "ip": client.ip.map(|ip| ip.to_string()),
                    "actor_id": staff_id,
                    "change_id": change_id,
                }));
                e
            };
            let decided = if *approved {
                MfaAction::ChangeApproved
            } else {
                MfaAction::ChangeRejected
            };
            let mut first = by_staff(decided, *method);
            first.new_value = Some(json!({ "action": action.as_str() }));
            let mut rows = vec![first];
            if !approved {
                return rows;
            }
            match action {
                MfaChangeAction::PrimaryMethodChanged => {
                    if let Some((from, to)) = primary {
                        let e = by_staff(MfaAction::PrimaryMethodChanged, Some(*to));
                        rows.push(primary_changed(e, *from, *to));
                    }
                }
                MfaChangeAction::LastFactorRemoved => {
                    let removed = method.unwrap_or(MfaMethod::Totp);
                    rows.push(by_staff(removed_action(removed), Some(removed)));
                    if *mfa_disabled {
                        let mut off = by_staff(MfaAction::MfaDisabled, Some(removed));
                        off.old_value = Some(json!({ "enabled": true }));
                        off.new_value = Some(json!({ "enabled": false }));
                        off.risk_level = RiskLevel::Medium;
                        rows.push(off);
                    }
                }
                MfaChangeAction::ApprovalRequirementRemoved => {
                    let mut e = by_staff(MfaAction::SettingsChanged, None);
                    e.new_value = Some(json!({ "require_approval_for_changes": false }));
                    rows.push(e);
                }
            }
            rows
        }
        MfaEvent::RecoveryRequested {
            recovery_id,
            ready_at,
            ..
        } => {
            // Someone holding the address may be taking the account over: worth a look.
            let mut e = entry(MfaAction::RecoveryStarted, None);
            e.new_value = Some(json!({
                "recovery_id": recovery_id,
                "recovery_method": "email",
                "ready_at": ready_at.to_rfc3339(),
            }));
            e.risk_level = RiskLevel::Medium;
            vec![e]
        }
        MfaEvent::RecoveryCancelled {
            recovery_id,
            session_id,
            ..
        } => {
            let mut e = entry(MfaAction::RecoveryCancelled, None);
            e.new_value = Some(json!({
                "recovery_id": recovery_id,
                "recovery_method": "email",
                "by": if session_id.is_some() { "session" } else { "link" },
            }));
            vec![e]
        }
        MfaEvent::Recovered {
            recovery_id,
            recovery_method,
            ..
        } => {
            let method = (*recovery_method == "backup_code").then_some(MfaMethod::BackupCode);
            let mut e = entry(MfaAction::RecoveryCompleted, method);
            e.new_value = Some(json!({
                "recovery_id": recovery_id,
                "recovery_method": recovery_method,
                "reenrolment_required": true,
            }));
            e.risk_level = RiskLevel::High;
            vec![e]
        }
    }
}

fn primary_changed(mut e: MfaAuditEntry, from: MfaMethod, to: MfaMethod) -> MfaAuditEntry {
    e.primary_method = true;
    e.old_value = Some(json!({ "primary_method": from.as_str() }));
    e.new_value = Some(json!({ "primary_method": to.as_str() }));
    e
}

fn added_action(method: MfaMethod) -> MfaAction {
    match method {
        MfaMethod::Totp => MfaAction::TotpEnrolled,
        MfaMethod::Email => MfaAction::EmailMethodAdded,
        MfaMethod::Sms => MfaAction::SmsMethodAdded,
        MfaMethod::BackupCode => MfaAction::BackupCodesGenerated,
    }
}

fn removed_action(method: MfaMethod) -> MfaAction {
    match method {
        MfaMethod::Totp => MfaAction::TotpRemoved,
        MfaMethod::Email => MfaAction::EmailMethodRemoved,
        MfaMethod::Sms => MfaAction::SmsMethodRemoved,
        // Backup codes are removed only with the last factor.
        MfaMethod::BackupCode => MfaAction::MfaDisabled,
    }
}

/// The alert an MFA event raises (pure). Every change to a person's factors is a security
/// alert with a "this wasn't me" link; a wrong code alone raises nothing, a replayed one
/// does.
pub fn alert_for(event: &MfaEvent) -> Option<Alert> {
    let alert = |kind, session_id: Option<SessionId>| Alert {
        user_id: event.user_id(),
        kind,
        session_id,
        device_id: None,
        device: None,
        with_not_me_link: true,
        only_if_not_first_device: false,
        methods: Vec::new(),
        remaining_backup_codes: None,
        to_email: None,
    };
    match event {
        MfaEvent::FactorAdded {
            session_id, method, ..
        } => Some(Alert {
            methods: vec![method_name(*method)],
            ..alert(NotificationType::MfaEnabled, *session_id)
        }),
        MfaEvent::FactorRemoved {
            session_id, method, ..
        } => Some(Alert {
            methods: vec![method_name(*method)],
            ..alert(NotificationType::MfaDisabled, *session_id)
        }),
        MfaEvent::BackupCodesGenerated {
            session_id, count, ..
        } => Some(Alert {
            remaining_backup_codes: Some(*count),
            ..alert(NotificationType::BackupCodesGenerated, *session_id)
        }),
        MfaEvent::BackupCodeUsed { remaining, .. } => Some(Alert {
            remaining_backup_codes: Some(*remaining),
            ..alert(NotificationType::BackupCodeUsed, None)
        }),
        MfaEvent::CodeRefused { replayed: true, .. } => {
            Some(alert(NotificationType::SuspiciousActivity, None))
        }
        MfaEvent::CodeRefused {
            replayed: false, ..
        } => None,
        // A replayed code, or a challenge locked by wrong codes: someone who has the
        // password is trying the second factor.
        MfaEvent::ChallengeFailed {
            replayed, locked, ..
        } if *replayed || *locked => Some(alert(NotificationType::SuspiciousActivity, None)),
        // The person hears how a staff member decided the change they asked for.
        MfaEvent::ChangeDecided {
            approved, method, ..
        } => Some(Alert {
            methods: method.iter().map(|m| method_name(*m)).collect(),
            ..alert(
                if *approved {
                    NotificationType::MfaChangeApproved
                } else {
                    NotificationType::MfaChangeRejected
                },
                None,
            )
        }),
        MfaEvent::ChallengeFailed { .. }
        | MfaEvent::ChallengeCreated { .. }
        | MfaEvent::ChallengePassed { .. }
        | MfaEvent::RateLimited { .. }
        | MfaEvent::CodeSent { .. }
        | MfaEvent::SendLimited { .. }
        | MfaEvent::SettingsChanged { .. }
        | MfaEvent::PrimaryMethodChanged { .. }
        | MfaEvent::ChangeRequested { .. } => None,
        // Recovery messages go out whatever the alert settings (`events::recovery`).
        MfaEvent::RecoveryRequested { .. }
        | MfaEvent::RecoveryCancelled { .. }
        | MfaEvent::Recovered { .. } => None,
    }
}

/// The names the templates know (`backup_codes`, not the method's `backup_code`).
fn method_name(method: MfaMethod) -> String {
    match method {
        MfaMethod::BackupCode => "backup_codes".to_owned(),
        other => other.as_str().to_owned(),
    }
}

#[cfg(test)]
#[path = "mfa_tests.rs"]
mod tests;
