//! `GET /v1/me/mfa`: whether MFA is on, the primary method, each method set up, how many
//! backup codes are left, and whether a recovery asks for a factor to be enrolled again.

use super::error::{MfaError, MfaResult};
use crate::accounts::AuthContext;
use crate::state::Core;
use chrono::{DateTime, Utc};
use gatehouse_domain::mfa::MfaMethod;
use gatehouse_store::mfa::{backup_codes, recoveries, settings, totp};
use gatehouse_store::Executor;

#[derive(Debug, Clone)]
pub struct MfaStatus {
    pub enabled: bool,
    /// `None` while MFA is off.
    pub primary_method: Option<MfaMethod>,
    pub methods: Vec<MethodStatus>,
    pub backup_codes_remaining: u32,
    /// A recovery signed the person in and no factor was confirmed since.
    pub reenrolment_required: bool,
}

#[derive(Debug, Clone)]
pub struct MethodStatus {
    pub method: MfaMethod,
    /// Confirmed and on (a TOTP setup waiting for its first code is listed, not enabled).
    pub enabled: bool,
    pub verified_at: Option<DateTime<Utc>>,
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

    let mut methods = Vec::new();
    if let Some(d) = device {
        methods.push(MethodStatus {
            method: MfaMethod::Totp,
            enabled: d.is_verified,
            verified_at: d.verified_at,
        });
    }
    // Email and SMS methods (their enrolment comes with the login challenge work).
    methods.extend(
        preferences
            .into_iter()
            .filter(|p| matches!(p.mfa_method, MfaMethod::Email | MfaMethod::Sms))
            .filter(|p| p.setup_completed)
            .map(|p| MethodStatus {
                method: p.mfa_method,
                enabled: p.is_enabled,
                verified_at: None,
            }),
    );
    let enabled = settings_row.as_ref().is_some_and(|s| s.is_enabled);
    Ok(MfaStatus {
        enabled,
        primary_method: settings_row
            .filter(|s| s.is_enabled)
            .map(|s| s.primary_method),
        methods,
        backup_codes_remaining: u32::try_from(remaining).unwrap_or(0),
        reenrolment_required,
    })
}
