//! `PUT /v1/me/mfa/settings`: the person's primary method, each method's limits (within
//! the deployment's bounds) and whether their changes wait for a staff member's approval.
//!
//! Everything is checked before anything is written: a bad value changes nothing. Limits
//! apply at once; a change of primary method, or turning the approval requirement off, is
//! logged in `mfa_change_log` and waits for approval where the deployment or the person
//! asks for it (see [`super::changes`]).

use super::changes::{self, ChangeOutcome};
use super::error::{MfaError, MfaResult};
use super::factors::is_verified;
use super::limits;
use super::require_recent_auth;
use crate::accounts::AuthContext;
use crate::events::{self, Event, MfaEvent};
use crate::state::{ClientInfo, Core};
use gatehouse_domain::mfa::{MfaChangeAction, MfaMethod};
use gatehouse_domain::FieldError;
use gatehouse_store::mfa::settings::{self, MethodLimits};
use gatehouse_store::Executor;
use serde_json::json;

/// New limits for one method; absent values keep what is in force.
#[derive(Debug, Clone, Copy, Default)]
pub struct LimitsUpdate {
    pub rate_limit_per_hour: Option<i64>,
    pub max_attempts: Option<i64>,
    pub lockout_minutes: Option<i64>,
}

/// What the person asked to change.
#[derive(Debug, Clone, Default)]
pub struct SettingsUpdate {
    pub primary_method: Option<String>,
    /// (method, its new limits) for `totp`, `email`, `sms`.
    pub methods: Vec<(MfaMethod, LimitsUpdate)>,
    pub require_approval_for_changes: Option<bool>,
}

/// Check and apply `update`. The answer says whether something waits for approval.
#[tracing::instrument(skip_all, fields(user_id = %auth.user_id))]
pub async fn update_settings(
    core: &Core,
    auth: &AuthContext,
    update: SettingsUpdate,
    client: &ClientInfo,
) -> MfaResult<ChangeOutcome> {
    let now = core.clock.now();
    require_recent_auth(core, auth, now)?;
    let user_id = auth.user_id;
    let config = &core.config.mfa;
    let mut errors = Vec::new();
    let primary = match update.primary_method.as_deref() {
        None => None,
        Some(raw) => match raw.parse::<MfaMethod>() {
            Ok(m) if m != MfaMethod::BackupCode => Some(m),
            _ => {
                errors.push(FieldError::new(
                    "primary_method",
                    "unknown_method",
                    "primary_method must be totp, email or sms",
                ));
                None
            }
        },
    };

    let mut tx = core.db.begin().await?;
    let current = settings::find(tx.exec(), user_id).await?;
    if let Some(method) = primary {
        if !is_verified(&mut tx, user_id, method).await? {
            errors.push(FieldError::new(
                "primary_method",
                "method_not_verified",
                format!("{method} is not a verified method of this account; set it up first"),
            ));
        }
    }
    let mut new_limits = Vec::new();
    for (method, asked) in &update.methods {
        let row = settings::method(tx.exec(), user_id, *method)
            .await?
            .filter(|r| r.setup_completed);
        let Some(row) = row else {
            errors.push(FieldError::new(
                method_field(*method, None),
                "method_not_set_up",
                format!("{method} is not set up on this account"),
            ));
            continue;
        };
        // Values not given keep what is in force now.
        let base = limits::effective(config, Some(&row));
        let checks = [
            (
                Some("rate_limit_per_hour"),
                asked.rate_limit_per_hour,
                base.answers_per_hour,
                1,
                config.method_rate_limit_per_hour_max,
            ),
            (
                Some("max_attempts"),
                asked.max_attempts,
                base.max_attempts,
                1,
                config.method_max_attempts_max,
            ),
            (
                Some("lockout_minutes"),
                asked.lockout_minutes,
                base.lockout_minutes,
                config.lockout_minutes_min,
                config.lockout_minutes_max,
            ),
        ];
        let mut values = [0i32; 3];
        for (i, (key, value, in_force, min, max)) in checks.into_iter().enumerate() {
            let value = value.unwrap_or(i64::from(in_force));
            if value < i64::from(min) || value > i64::from(max) {
                errors.push(FieldError::new(
                    method_field(*method, key),
                    "out_of_bounds",
                    format!("must be {min} to {max} on this deployment"),
                ));
            }
            values[i] = i32::try_from(value).unwrap_or(i32::MAX);
        }
        let [rate_limit_per_hour, max_attempts, lockout_minutes] = values;
        new_limits.push((
            *method,
            MethodLimits {
                rate_limit_per_hour,
                max_attempts,
                lockout_minutes,
            },
        ));
    }
    let asks_approval = current
        .as_ref()
        .is_some_and(|s| s.require_approval_for_changes);
    let primary_change =
        primary.filter(|m| current.as_ref().is_none_or(|s| s.primary_method != *m));
    let drops_approval = asks_approval && update.require_approval_for_changes == Some(false);
    let policy = config.changes_require_approval;
    if primary_change.is_some()
        && drops_approval
        && policy.requires(MfaChangeAction::PrimaryMethodChanged, asks_approval)
    {
        // One change waits at a time, so the staff member decides each on its own.
        errors.push(FieldError::new(
            "require_approval_for_changes",
            "one_change_at_a_time",
            "turning approval off needs approval itself: send it in a request of its own",
        ));
    }
    if update.require_approval_for_changes == Some(true) && current.is_none() {
        return Err(MfaError::MfaNotEnabled);
    }
    if !errors.is_empty() {
        return Err(MfaError::Validation(errors));
    }

    // Checked: now write.
    let mut outcome = ChangeOutcome::Applied;
    let mut changed = serde_json::Map::new();
    for (method, new) in &new_limits {
        settings::set_limits(tx.exec(), user_id, *method, *new, now).await?;
        changed.insert(
            method.as_str().to_owned(),
            json!({
                "rate_limit_per_hour": new.rate_limit_per_hour,
                "max_attempts": new.max_attempts,
                "lockout_minutes": new.lockout_minutes,
            }),
        );
    }
    if update.require_approval_for_changes == Some(true) && !asks_approval {
        settings::set_require_approval(tx.exec(), user_id, true, now).await?;
        changed.insert("require_approval_for_changes".to_owned(), json!(true));
    }
    if !changed.is_empty() {
        let event = MfaEvent::SettingsChanged {
            user_id,
            session_id: Some(auth.session_id),
            new_value: serde_json::Value::Object(changed),
        };
        events::record(&mut tx, core, now, client, Event::Mfa(event)).await?;
    }
    if let (Some(to), Some(from)) = (primary_change, current.as_ref().map(|s| s.primary_method)) {
        let change = changes::Request {
            user_id,
            session_id: auth.session_id,
            action: MfaChangeAction::PrimaryMethodChanged,
            method: Some(to),
            old_value: json!({ "primary_method": from.as_str() }),
            new_value: json!({ "primary_method": to.as_str() }),
            person_asks: asks_approval,
        };
        if let ChangeOutcome::Pending(id) = changes::log(&mut tx, core, change, client, now).await?
        {
            outcome = ChangeOutcome::Pending(id);
        } else {
            settings::set_primary(tx.exec(), user_id, to, now).await?;
            let event = MfaEvent::PrimaryMethodChanged {
                user_id,
                session_id: Some(auth.session_id),
                from,
                to,
            };
            events::record(&mut tx, core, now, client, Event::Mfa(event)).await?;
        }
    }
    if drops_approval {
        let change = changes::Request {
            user_id,
            session_id: auth.session_id,
            action: MfaChangeAction::ApprovalRequirementRemoved,
            method: None,
            old_value: json!({ "require_approval_for_changes": true }),
            new_value: json!({ "require_approval_for_changes": false }),
            person_asks: asks_approval,
        };
        // The person asked for approval, so turning that off always waits for it.
        if let ChangeOutcome::Pending(id) = changes::log(&mut tx, core, change, client, now).await?
        {
            outcome = ChangeOutcome::Pending(id);
        }
    }
    tx.commit().await?;
    Ok(outcome)
}

/// The request-body path of a method's setting, for field errors.
fn method_field(method: MfaMethod, key: Option<&str>) -> &'static str {
    match (method, key) {
        (MfaMethod::Totp, Some("rate_limit_per_hour")) => "methods.totp.rate_limit_per_hour",
        (MfaMethod::Totp, Some("max_attempts")) => "methods.totp.max_attempts",
        (MfaMethod::Totp, Some("lockout_minutes")) => "methods.totp.lockout_minutes",
        (MfaMethod::Totp, _) => "methods.totp",
        (MfaMethod::Email, Some("rate_limit_per_hour")) => "methods.email.rate_limit_per_hour",
        (MfaMethod::Email, Some("max_attempts")) => "methods.email.max_attempts",
        (MfaMethod::Email, Some("lockout_minutes")) => "methods.email.lockout_minutes",
        (MfaMethod::Email, _) => "methods.email",
        (MfaMethod::Sms, Some("rate_limit_per_hour")) => "methods.sms.rate_limit_per_hour",
        (MfaMethod::Sms, Some("max_attempts")) => "methods.sms.max_attempts",
        (MfaMethod::Sms, Some("lockout_minutes")) => "methods.sms.lockout_minutes",
        (MfaMethod::Sms, _) => "methods.sms",
        (MfaMethod::BackupCode, _) => "methods",
    }
}
