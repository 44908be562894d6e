//! Email and SMS as second factors: a code sent to the address or number proves it (for a
//! number this is its verification: login codes only ever go to a verified number), which
//! turns the method and MFA on; removal mirrors TOTP's. Changes need a recent sign-in.

use super::changes::gate_removal;
use super::changes::ChangeOutcome;
use super::codes::{self, CodeCheck, CodeRequest};
use super::error::{MfaError, MfaRefusal, MfaResult};
use super::factors::{contact_of, delete_contact, factor_added, factor_removed};
use super::require_recent_auth;
use crate::accounts::AuthContext;
use crate::events::{self, Event, MfaEvent};
use crate::state::{ClientInfo, Core};
use chrono::{DateTime, Utc};
use gatehouse_domain::accounts::EmailAddress;
use gatehouse_domain::mfa::{mask_email, mask_phone, parse_sms_number, MfaMethod};
use gatehouse_domain::FieldError;
use gatehouse_store::accounts::users;
use gatehouse_store::mfa::contact_methods;
use gatehouse_store::Executor;

/// Codes are digits; anything longer than this is not one.
const MAX_CODE_LEN: usize = 64;

/// A code went out.
#[derive(Debug, Clone)]
pub struct CodeSent {
    pub method: MfaMethod,
    /// The address or number, masked (`a***@example.com`, `+49*********89`).
    pub destination: String,
    pub expires_at: DateTime<Utc>,
}

/// The masked form of a destination of `method`.
pub fn mask(method: MfaMethod, destination: &str) -> String {
    match method {
        MfaMethod::Sms => mask_phone(destination),
        _ => mask_email(destination),
    }
}

/// Start (or restart) enrolling email (`destination` defaults to the account's address)
/// or SMS (`destination` is the E.164 number): a code goes there.
#[tracing::instrument(skip_all, fields(user_id = %auth.user_id, method = %method))]
pub async fn start_contact(
    core: &Core,
    auth: &AuthContext,
    method: MfaMethod,
    destination: Option<&str>,
    client: &ClientInfo,
) -> MfaResult<CodeSent> {
    let now = core.clock.now();
    require_recent_auth(core, auth, now)?;
    let (contact, purpose) = contact_of(method)?;
    let given = match (method, destination) {
        (MfaMethod::Sms, Some(raw)) => Some(
            parse_sms_number(raw)
                .map_err(|e| MfaError::Validation(vec![e]))?
                .into_string(),
        ),
        (MfaMethod::Sms, None) => {
            return Err(MfaError::Validation(vec![FieldError::new(
                "phone_number",
                "required",
                "a phone number is required",
            )]))
        }
        (_, Some(raw)) => Some(
            EmailAddress::parse(raw)
                .map_err(|mut e| {
                    e.field = "email";
                    MfaError::Validation(vec![e])
                })?
                .as_str()
                .to_owned(),
        ),
        (_, None) => None,
    };
    let user_id = auth.user_id;
    let mut tx = core.db.begin().await?;
    let destination = match given {
        Some(d) => d,
        None => {
            users::find_by_id(tx.exec(), user_id)
                .await?
                .ok_or(MfaError::Unauthenticated)?
                .email
        }
    };
    if contact_methods::find(tx.exec(), contact, user_id)
        .await?
        .is_some_and(|m| m.is_verified)
    {
        return Err(MfaError::MethodAlreadyEnabled);
    }
    let asked = CodeRequest {
        user_id,
        method,
        purpose,
        challenge_id: None,
        destination: &destination,
    };
    if let Err(retry_after_secs) =
        codes::check_send_limit(&mut tx, core, client, &asked, now).await?
    {
        tx.commit().await?;
        return Err(MfaError::TooManyCodes { retry_after_secs });
    }
    if !contact_methods::upsert_pending(tx.exec(), contact, user_id, &destination, now).await? {
        return Err(MfaError::MethodAlreadyEnabled);
    }
    let expires_at = codes::send_code(&mut tx, core, client, &asked, now).await?;
    contact_methods::record_send(tx.exec(), contact, user_id, now).await?;
    tx.commit().await?;
    Ok(CodeSent {
        method,
        destination: mask(method, &destination),
        expires_at,
    })
}

/// Confirm an email or SMS method with the code sent to it: the method and MFA turn on.
#[tracing::instrument(skip_all, fields(user_id = %auth.user_id, method = %method))]
pub async fn confirm_contact(
    core: &Core,
    auth: &AuthContext,
    method: MfaMethod,
    code: &str,
    client: &ClientInfo,
) -> MfaResult<()> {
    let now = core.clock.now();
    require_recent_auth(core, auth, now)?;
    let (contact, purpose) = contact_of(method)?;
    let refused = |r: MfaRefusal| MfaError::Validation(vec![r.field_error()]);
    if code.is_empty() || code.len() > MAX_CODE_LEN {
        return Err(refused(MfaRefusal::WrongCode));
    }
    let user_id = auth.user_id;
    let mut tx = core.db.begin().await?;
    match contact_methods::find(tx.exec(), contact, user_id).await? {
        Some(m) if m.is_verified => return Err(MfaError::MethodAlreadyEnabled),
        Some(_) => {}
        None => return Err(MfaError::MethodNotStarted),
    }
    let check = CodeCheck {
        user_id,
        method,
        purpose,
        challenge_id: None,
        typed: code,
        ip: client.ip,
    };
    let checked =
        codes::check_code(&mut tx, &core.keys, core.config.mfa.otp_digits, check, now).await?;
    let verified = match checked {
        // The method still names the address the code went to (a restart sends a new code
        // and voids this one, so this holds unless rows were mixed).
        Ok(destination) => {
            contact_methods::verify(tx.exec(), contact, user_id, &destination, now).await?
        }
        Err(_) => false,
    };
    if !verified {
        // The wrong answer counted against the code: keep that, and audit it.
        let event = MfaEvent::CodeRefused {
            user_id,
            method,
            replayed: false,
        };
        events::record(&mut tx, core, now, client, Event::Mfa(event)).await?;
        tx.commit().await?;
        return Err(refused(MfaRefusal::WrongCode));
    }
    let reenrolled = factor_added(&mut tx, core, auth, method, client, now).await?;
    tx.commit().await?;
    if reenrolled {
        core.session_cache.forget_user(auth.user_id);
    }
    Ok(())
}

/// Remove the email or SMS method, and void its codes. If it was the last factor, MFA
/// turns off (see `factor_removed`).
#[tracing::instrument(skip_all, fields(user_id = %auth.user_id, method = %method))]
pub async fn remove_contact(
    core: &Core,
    auth: &AuthContext,
    method: MfaMethod,
    client: &ClientInfo,
) -> MfaResult<ChangeOutcome> {
    let now = core.clock.now();
    require_recent_auth(core, auth, now)?;
    let (contact, _) = contact_of(method)?;
    let user_id = auth.user_id;
    let mut tx = core.db.begin().await?;
    let Some(row) = contact_methods::find(tx.exec(), contact, user_id).await? else {
        return Err(MfaError::NotFound(match method {
            MfaMethod::Sms => "SMS method",
            _ => "email method",
        }));
    };
    if row.is_verified {
        if let ChangeOutcome::Pending(id) =
            gate_removal(&mut tx, core, auth, method, client, now).await?
        {
            tx.commit().await?;
            return Ok(ChangeOutcome::Pending(id));
        }
    }
    if delete_contact(&mut tx, user_id, method).await? == Some(true) {
        factor_removed(&mut tx, core, auth, method, client, now).await?;
    }
    tx.commit().await?;
    Ok(ChangeOutcome::Applied)
}
