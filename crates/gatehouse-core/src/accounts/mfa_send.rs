//! `POST /v1/auth/mfa/send`: a login's challenge asks for a code by email or SMS. Only the
//! challenge holder can (same checks as answering it: not used, expired or locked, and
//! from the login's address and device), and only to a verified destination. A new code
//! voids the challenge's earlier ones; sends are limited per account and hour
//! (`mfa.codes_sent_per_hour`), counted in the database under a per-account lock; a method
//! locked by an earlier challenge gets none (429 `method_locked`).

use super::devices::DeviceHint;
use super::mfa_login::open_challenge;
use super::{AccountsError, AccountsResult};
use crate::mfa::codes::{self, CodeRequest};
use crate::mfa::contact::mask;
use crate::mfa::{limits, CodeSent};
use crate::state::{ClientInfo, Core};
use gatehouse_domain::mfa::{MfaMethod, OtpPurpose};
use gatehouse_store::mfa::contact_methods::{self, Contact};
use gatehouse_store::Executor;
use uuid::Uuid;

/// What the client asks for.
pub struct MfaSendRequest {
    pub challenge_id: String,
    pub method: String,
    /// The same device the login named (the challenge is bound to it).
    pub device: Option<DeviceHint>,
}

/// Send a login code for the challenge by its method.
#[tracing::instrument(skip_all)]
pub async fn send_mfa_code(
    core: &Core,
    asked: MfaSendRequest,
    client: &ClientInfo,
) -> AccountsResult<CodeSent> {
    let challenge_id =
        Uuid::parse_str(asked.challenge_id.trim()).map_err(|_| AccountsError::InvalidChallenge)?;
    let (method, contact) = match asked.method.parse::<MfaMethod>() {
        Ok(MfaMethod::Email) => (MfaMethod::Email, Contact::Email),
        Ok(MfaMethod::Sms) => (MfaMethod::Sms, Contact::Sms),
        _ => {
            return Err(AccountsError::field(
                "method",
                "unknown_method",
                "method must be email or sms",
            ))
        }
    };
    if let Some(device) = &asked.device {
        device.validate()?;
    }
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    let (row, binding) = open_challenge(
        &mut tx,
        core,
        challenge_id,
        asked.device.as_ref(),
        client,
        now,
    )
    .await?;
    let user_id = row.user_id;
    let not_offered = || {
        AccountsError::field(
            "method",
            "method_not_offered",
            "this challenge does not offer that method",
        )
    };
    if !binding.methods.iter().any(|m| m == method.as_str()) {
        return Err(not_offered());
    }
    // A method locked by an earlier challenge is not sent a code it could not answer.
    let allowed = limits::for_method(&mut tx, &core.config.mfa, user_id, method).await?;
    if let Some(until) = limits::locked_until(&mut tx, &allowed, user_id, method, now).await? {
        return Err(AccountsError::MethodLocked {
            retry_after_secs: u64::try_from((until - now).num_seconds().max(1)).unwrap_or(1),
        });
    }
    // Offered at login, but removed since: nothing verified to send to.
    let destination = contact_methods::find(tx.exec(), contact, user_id)
        .await?
        .filter(|m| m.is_verified)
        .ok_or_else(not_offered)?
        .destination;
    let code = CodeRequest {
        user_id,
        method,
        purpose: OtpPurpose::Login,
        challenge_id: Some(challenge_id),
        destination: &destination,
    };
    if let Err(retry_after_secs) =
        codes::check_send_limit(&mut tx, core, client, &code, now).await?
    {
        tx.commit().await?;
        return Err(AccountsError::TooManyCodes { retry_after_secs });
    }
    let expires_at = codes::send_code(&mut tx, core, client, &code, now).await?;
    contact_methods::record_send(tx.exec(), contact, user_id, now).await?;
    tx.commit().await?;
    Ok(CodeSent {
        method,
        destination: mask(method, &destination),
        expires_at,
    })
}
