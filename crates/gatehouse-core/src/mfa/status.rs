//! `GET /v1/me/mfa`: whether MFA is on, the primary method, each method set up (email and
//! SMS with their masked destination, pending ones listed as off), how many backup codes
//! are left, and whether a recovery asks for a factor to be enrolled again.

use super::error::{MfaError, MfaResult};
use super::limits::{effective, Limits};
use crate::accounts::AuthContext;
use crate::state::Core;
use chrono::{DateTime, Utc};
use gatehouse_domain::mfa::MfaMethod;
use gatehouse_store::mfa::contact_methods::{self, Contact};
use gatehouse_store::mfa::{backup_codes, recoveries, settings, totp};
use gatehouse_store::Executor;

#[derive(Debug, Clone)]
pub struct MfaStatus {
    pub enabled: bool,
    /// `None` while MFA is off.
    pub primary_method: Option<MfaMethod>,
    pub methods: Vec<MethodStatus>,
    pub backup_codes_remaining: u32,
    /// The person asked that changes to their factors wait for a staff member.
    pub require_approval_for_changes: bool,
    /// A recovery signed the person in and no factor was confirmed since.
    pub reenrolment_required: bool,
}

#[derive(Debug, Clone)]
pub struct MethodStatus {
    pub method: MfaMethod,
    /// Confirmed and on (a TOTP setup waiting for its first code is listed, not enabled).
    pub enabled: bool,
    pub verified_at: Option<DateTime<Utc>>,
    /// Email and SMS: where codes go, masked (`a***@example.com`, `+49*********89`).
    pub destination: Option<String>,
    /// The limits a login challenge applies to this method (the person's, capped by the
    /// deployment's).
    pub limits: Limits,
}

#[tracing::instrument(skip_all, fields(user_id = %auth.user_id))]
pub async fn mfa_status(core: &Core, auth: &AuthContext) -> MfaResult<MfaStatus> {
    let user_id = auth.user_id;
    let mut conn = core.db.reader().await.map_err(MfaError::from)?;
    let settings_row = settings::find(conn.exec(), user_id).await?;
    let device = totp::find(conn.exec(), user_id).await?;
    let preferences = settings::methods(conn.exec(), user_id).await?;
    let remaining = backup_codes::count_unused(conn.exec(), user_id).await?;
    let reenrolment_required = recoveries::reenrolment_required(conn.exec(), user_id).await?;

    let config = &core.config.mfa;
    let limits_of =
        |method: MfaMethod| effective(config, preferences.iter().find(|p| p.mfa_method == method));
    let mut methods = Vec::new();
    if let Some(d) = device {
        methods.push(MethodStatus {
            method: MfaMethod::Totp,
            enabled: d.is_verified,
            verified_at: d.verified_at,
            destination: None,
            limits: limits_of(MfaMethod::Totp),
        });
    }
    for (method, contact) in [
        (MfaMethod::Email, Contact::Email),
        (MfaMethod::Sms, Contact::Sms),
    ] {
        if let Some(row) = contact_methods::find(conn.exec(), contact, user_id).await? {
            methods.push(MethodStatus {
                method,
                enabled: row.is_verified,
                verified_at: row.verified_at,
                destination: Some(super::contact::mask(method, &row.destination)),
                limits: limits_of(method),
            });
        }
    }
    let enabled = settings_row.as_ref().is_some_and(|s| s.is_enabled);
    let require_approval_for_changes = settings_row
        .as_ref()
        .is_some_and(|s| s.require_approval_for_changes);
    Ok(MfaStatus {
        enabled,
        primary_method: settings_row
            .filter(|s| s.is_enabled)
            .map(|s| s.primary_method),
        methods,
        backup_codes_remaining: u32::try_from(remaining).unwrap_or(0),
        require_approval_for_changes,
        reenrolment_required,
    })
}
