//! TOTP enrolment: a new secret (encrypted at rest, replaced while pending), confirmation by
//! a first code (which turns MFA on and records the code's step), removal, and the check the
//! login challenge uses.

use super::changes::{self, ChangeOutcome};
use super::error::{MfaError, MfaRefusal, MfaResult};
use super::factors;
use super::require_recent_auth;
use crate::accounts::AuthContext;
use crate::events::{self, Event, MfaEvent};
use crate::keys::{Keys, SecretPurpose};
use crate::state::{ClientInfo, Core};
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use gatehouse_domain::mfa::{
    base32, otpauth_uri, MfaMethod, TotpCode, TotpParams, TotpRefusal, TotpStep,
};
use gatehouse_store::accounts::users;
use gatehouse_store::mfa::totp;
use gatehouse_store::{Executor, StoreResult, Tx};
use rand::RngCore;
use secrecy::ExposeSecret;
use uuid::Uuid;

/// What a person needs to add the account to an authenticator app. Shown once.
pub struct TotpEnrolment {
    /// The secret in base32, for typing in by hand.
    pub secret: String,
    pub otpauth_uri: String,
    /// The URI as a QR code (SVG).
    pub qr_svg: String,
}

impl std::fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpEnrolment([redacted])")
    }
}

/// Start (or restart) TOTP enrolment: a fresh secret replaces a pending one.
#[tracing::instrument(skip_all, fields(user_id = %auth.user_id))]
pub async fn start_totp(core: &Core, auth: &AuthContext) -> MfaResult<TotpEnrolment> {
    let now = core.clock.now();
    require_recent_auth(core, auth, now)?;
    let params = core.config.mfa.totp();
    let mut secret = vec![0u8; params.algorithm.secret_len()];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let stored = core
        .keys
        .encrypt_secret(SecretPurpose::TotpSecret, auth.user_id, &secret);

    let mut tx = core.db.begin().await?;
    let user = users::find_by_id(tx.exec(), auth.user_id)
        .await?
        .ok_or(MfaError::Unauthenticated)?;
    if !totp::upsert_pending(tx.exec(), Uuid::now_v7(), auth.user_id, &stored, now).await? {
        return Err(MfaError::TotpAlreadyEnabled);
    }
    tx.commit().await?;

    let uri = otpauth_uri(&core.config.mfa.issuer_name, &user.email, &secret, &params);
    let qr_svg = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| MfaError::Internal(format!("QR code: {e}")))?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    Ok(TotpEnrolment {
        secret: base32::encode(&secret),
        otpauth_uri: uri,
        qr_svg,
    })
}

/// Confirm the pending device with a code from the app: TOTP turns on (and MFA with it),
/// the code's step is recorded so it cannot be used again.
#[tracing::instrument(skip_all, fields(user_id = %auth.user_id))]
pub async fn confirm_totp(
    core: &Core,
    auth: &AuthContext,
    code: &str,
    client: &ClientInfo,
) -> MfaResult<()> {
    let now = core.clock.now();
    require_recent_auth(core, auth, now)?;
    let code = TotpCode::parse(code).map_err(|e| MfaError::Validation(vec![e]))?;
    let user_id = auth.user_id;
    let mut tx = core.db.begin().await?;
    let device = match totp::find(tx.exec(), user_id).await? {
        Some(d) if d.is_verified => return Err(MfaError::TotpAlreadyEnabled),
        Some(d) => d,
        None => return Err(MfaError::TotpNotStarted),
    };
    let secret = core
        .keys
        .decrypt_secret(SecretPurpose::TotpSecret, user_id, &device.secret_encrypted)
        .map_err(|e| MfaError::Internal(e.to_string()))?;
    let params = core.config.mfa.totp();
    let last = device.last_used_step.and_then(|s| u64::try_from(s).ok());
    let checked = params.verify(secret.expose_secret(), &code, now, last);
    let refusal = match checked {
        Ok(step) if totp::confirm(tx.exec(), user_id, step_i64(step), now).await? => None,
        // Another request confirmed with this code first.
        Ok(_) => Some(MfaRefusal::Replayed),
        Err(TotpRefusal::Replayed) => Some(MfaRefusal::Replayed),
        Err(TotpRefusal::Mismatch) => Some(MfaRefusal::WrongCode),
    };
    if let Some(refusal) = refusal {
        drop(tx);
        record_refusal(core, client, user_id, refusal).await?;
        return Err(MfaError::Validation(vec![refusal.field_error()]));
    }

    let reenrolled =
        super::factors::factor_added(&mut tx, core, auth, MfaMethod::Totp, client, now).await?;
    tx.commit().await?;
    if reenrolled {
        core.session_cache.forget_user(user_id);
    }
    Ok(())
}

/// Remove the authenticator app. When it was the last factor MFA turns off and the
/// backup codes go with it (they back up a factor that no longer exists). Removing the
/// last factor is logged in `mfa_change_log`, and where approval is required it only
/// waits for a staff member ([`ChangeOutcome::Pending`]): nothing changes yet.
#[tracing::instrument(skip_all, fields(user_id = %auth.user_id))]
pub async fn remove_totp(
    core: &Core,
    auth: &AuthContext,
    client: &ClientInfo,
) -> MfaResult<ChangeOutcome> {
    let now = core.clock.now();
    require_recent_auth(core, auth, now)?;
    let user_id = auth.user_id;
    let mut tx = core.db.begin().await?;
    let Some(device) = totp::find(tx.exec(), user_id).await? else {
        return Err(MfaError::NotFound("authenticator app"));
    };
    if device.is_verified {
        let gate = changes::gate_removal(&mut tx, core, auth, MfaMethod::Totp, client, now).await?;
        if let ChangeOutcome::Pending(id) = gate {
            tx.commit().await?;
            return Ok(ChangeOutcome::Pending(id));
        }
    }
    if totp::delete(tx.exec(), user_id).await? == Some(true) {
        factors::factor_removed(&mut tx, core, auth, MfaMethod::Totp, client, now).await?;
    }
    // Otherwise a setup never confirmed: nothing was on, nothing to tell.
    tx.commit().await?;
    Ok(ChangeOutcome::Applied)
}

/// Check a TOTP code at sign-in, inside the caller's transaction. On success the step is
/// recorded (`WHERE last_used_step < step`), so of two concurrent uses of one code exactly
/// one is accepted.
pub async fn verify_totp_for_login(
    tx: &mut Tx,
    keys: &Keys,
    params: &TotpParams,
    user_id: UserId,
    code: &str,
    now: DateTime<Utc>,
) -> StoreResult<Result<TotpStep, MfaRefusal>> {
    let Ok(code) = TotpCode::parse(code) else {
        return Ok(Err(MfaRefusal::WrongCode));
    };
    let device = match totp::find(tx.exec(), user_id).await? {
        Some(d) if d.is_verified => d,
        _ => return Ok(Err(MfaRefusal::NotEnrolled)),
    };
    let Ok(secret) =
        keys.decrypt_secret(SecretPurpose::TotpSecret, user_id, &device.secret_encrypted)
    else {
        // A secret that no longer decrypts (keys rotated without re-encryption) cannot
        // match any code; refuse like a wrong code and leave the operator a trace.
        tracing::error!(%user_id, "TOTP secret does not decrypt");
        return Ok(Err(MfaRefusal::WrongCode));
    };
    let last = device.last_used_step.and_then(|s| u64::try_from(s).ok());
    match params.verify(secret.expose_secret(), &code, now, last) {
        Ok(step) if totp::advance_step(tx.exec(), user_id, step_i64(step), now).await? => {
            Ok(Ok(step))
        }
        Ok(_) | Err(TotpRefusal::Replayed) => Ok(Err(MfaRefusal::Replayed)),
        Err(TotpRefusal::Mismatch) => Ok(Err(MfaRefusal::WrongCode)),
    }
}

/// Steps fit in i64 for the next 2^63 × 30 seconds.
fn step_i64(step: TotpStep) -> i64 {
    i64::try_from(step).unwrap_or(i64::MAX)
}

/// Audit (and, for a replay, alert) a refused code in its own transaction: the refusal
/// changed nothing else, so there is no other transaction to join.
async fn record_refusal(
    core: &Core,
    client: &ClientInfo,
    user_id: UserId,
    refusal: MfaRefusal,
) -> MfaResult<()> {
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    let event = MfaEvent::CodeRefused {
        user_id,
        method: MfaMethod::Totp,
        replayed: refusal == MfaRefusal::Replayed,
    };
    events::record(&mut tx, core, now, client, Event::Mfa(event)).await?;
    tx.commit().await?;
    Ok(())
}
