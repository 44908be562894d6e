//! One-time codes sent by email or SMS (enrolment and login share this): made from the OS
//! CSPRNG, stored only as a keyed hash bound to purpose, challenge (or account) and
//! channel, queued in the caller's transaction, limited per account and purpose and hour,
//! and checked once against the newest live code.

use super::error::MfaRefusal;
use crate::events::{self, Event, MfaEvent};
use crate::keys::{HashPurpose, Keys};
use crate::notify::templates::MessageContext;
use crate::notify::{enqueue, Notice};
use crate::state::{ClientInfo, Core};
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use gatehouse_domain::mfa::{normalize_otp, otp_hash_input, MfaMethod, OtpPurpose};
use gatehouse_domain::notify::{Channel, NotificationType};
use gatehouse_store::mfa::otp_codes::{self, NewOtpCode};
use gatehouse_store::types::Inet;
use gatehouse_store::{Executor, StoreResult, Tx};
use rand::Rng;
use std::net::IpAddr;
use uuid::Uuid;

/// Wrong answers one code takes before it stops working (a login challenge locks sooner).
const CODE_MAX_ATTEMPTS: i32 = 3;

/// A code to make and send.
pub(crate) struct CodeRequest<'a> {
    pub user_id: UserId,
    /// `Email` or `Sms`: the channel it goes by.
    pub method: MfaMethod,
    pub purpose: OtpPurpose,
    /// The login challenge it answers (`OtpPurpose::Login` only).
    pub challenge_id: Option<Uuid>,
    /// The address or E.164 number it goes to.
    pub destination: &'a str,
}

impl CodeRequest<'_> {
    /// What the hash binds the code to: its challenge, or the account for enrolment.
    fn bound_to(&self) -> Vec<u8> {
        bound_to(self.user_id, self.challenge_id)
    }
}

fn bound_to(user_id: UserId, challenge_id: Option<Uuid>) -> Vec<u8> {
    match challenge_id {
        Some(id) => id.as_bytes().to_vec(),
        None => user_id.as_uuid().as_bytes().to_vec(),
    }
}

/// Take the account's send lock and count this purpose's sends in the last hour. Over
/// `mfa.codes_sent_per_hour`: the refusal is audited in `tx` and `Err(retry_after_secs)`
/// comes back (the caller commits and answers 429; nothing is sent).
pub(crate) async fn check_send_limit(
    tx: &mut Tx,
    core: &Core,
    client: &ClientInfo,
    asked: &CodeRequest<'_>,
    now: DateTime<Utc>,
) -> StoreResult<Result<(), u64>> {
    otp_codes::lock_sends(tx.exec(), asked.user_id).await?;
    let login = asked.purpose == OtpPurpose::Login;
    // Login codes share one allowance whatever the channel; enrolment has one per channel.
    let method = (!login).then_some(asked.method.as_str());
    let since = now - chrono::Duration::hours(1);
    let sent = otp_codes::sends_since(tx.exec(), asked.user_id, method, login, since).await?;
    if sent < i64::from(core.config.mfa.codes_sent_per_hour) {
        return Ok(Ok(()));
    }
    let event = MfaEvent::SendLimited {
        user_id: asked.user_id,
        method: asked.method,
        challenge_id: asked.challenge_id,
        sent_last_hour: sent,
    };
    events::record(tx, core, now, client, Event::Mfa(event)).await?;
    Ok(Err(3600))
}

/// Make a code, invalidate the older live ones of the same purpose (and challenge), store
/// its hash and queue it on its one channel, all in `tx`. Returns when it expires.
pub(crate) async fn send_code(
    tx: &mut Tx,
    core: &Core,
    client: &ClientInfo,
    asked: &CodeRequest<'_>,
    now: DateTime<Utc>,
) -> StoreResult<DateTime<Utc>> {
    let mfa = &core.config.mfa;
    let code = new_code(mfa.otp_digits);
    let expires_at =
        now + chrono::Duration::from_std(mfa.otp_ttl()).unwrap_or(chrono::Duration::minutes(5));
    let hash = hash(
        &core.keys,
        asked.purpose,
        &asked.bound_to(),
        asked.method,
        &code,
    );
    otp_codes::invalidate_live(
        tx.exec(),
        asked.user_id,
        asked.purpose.as_str(),
        asked.challenge_id,
    )
    .await?;
    otp_codes::insert(
        tx.exec(),
        &NewOtpCode {
            id: Uuid::now_v7(),
            user_id: asked.user_id,
            code_hash: &hash,
            purpose: asked.purpose.as_str(),
            challenge_id: asked.challenge_id,
            destination: asked.destination,
            max_attempts: CODE_MAX_ATTEMPTS,
            expires_at,
            created_at: now,
        },
    )
    .await?;
    let (channel, to_email, to_phone) = match asked.method {
        MfaMethod::Sms => (Channel::Sms, None, Some(asked.destination.to_owned())),
        _ => (Channel::Email, Some(asked.destination.to_owned()), None),
    };
    let minutes = mfa.otp_ttl_secs.div_ceil(60).max(1);
    let context = MessageContext {
        code: Some(code),
        expires_minutes: Some(u32::try_from(minutes).unwrap_or(10)),
        ..MessageContext::default()
    };
    enqueue(
        tx,
        &core.notifier,
        now,
        Notice {
            user_id: asked.user_id,
            kind: NotificationType::OtpCode,
            context,
            only_channel: Some(channel),
            to_email,
            to_phone,
        },
    )
    .await?;
    let event = MfaEvent::CodeSent {
        user_id: asked.user_id,
        method: asked.method,
        purpose: asked.purpose,
        challenge_id: asked.challenge_id,
    };
    events::record(tx, core, now, client, Event::Mfa(event)).await?;
    Ok(expires_at)
}

/// What a typed code is checked against.
pub(crate) struct CodeCheck<'a> {
    pub user_id: UserId,
    pub method: MfaMethod,
    pub purpose: OtpPurpose,
    pub challenge_id: Option<Uuid>,
    pub typed: &'a str,
    pub ip: Option<IpAddr>,
}

/// Check `typed` against the newest live code of its purpose (and challenge), in `tx`. A
/// wrong code counts against that code; a right one is consumed by one conditional
/// `UPDATE`, so of two concurrent answers exactly one gets the destination back.
pub(crate) async fn check_code(
    tx: &mut Tx,
    keys: &Keys,
    digits: u32,
    check: CodeCheck<'_>,
    now: DateTime<Utc>,
) -> StoreResult<Result<String, MfaRefusal>> {
    let Some(live) = otp_codes::newest_live(
        tx.exec(),
        check.user_id,
        check.purpose.as_str(),
        check.challenge_id,
        now,
    )
    .await?
    else {
        return Ok(Err(MfaRefusal::WrongCode));
    };
    let matches = normalize_otp(check.typed, digits).is_some_and(|code| {
        let input = otp_hash_input(
            check.purpose,
            &bound_to(check.user_id, check.challenge_id),
            check.method.as_str(),
            &code,
        );
        hex::decode(&live.code_hash)
            .is_ok_and(|tag| keys.verify_keyed_mac(HashPurpose::OtpCode, &input, &tag))
    });
    if !matches {
        otp_codes::record_attempt(tx.exec(), live.id).await?;
        return Ok(Err(MfaRefusal::WrongCode));
    }
    if !otp_codes::consume(tx.exec(), live.id, check.ip.map(Inet), now).await? {
        return Ok(Err(MfaRefusal::WrongCode));
    }
    Ok(Ok(live.destination.unwrap_or_default()))
}

/// `digits` decimal digits, uniform over 0..10^digits (rand's `gen_range` rejects rather
/// than reduces modulo, so there is no bias), from the OS CSPRNG.
fn new_code(digits: u32) -> String {
    let digits = digits.clamp(6, 8);
    let n = rand::rngs::OsRng.gen_range(0..10u32.pow(digits));
    format!("{n:0width$}", width = digits as usize)
}

fn hash(
    keys: &Keys,
    purpose: OtpPurpose,
    bound_to: &[u8],
    method: MfaMethod,
    code: &str,
) -> String {
    keys.keyed_hash(
        HashPurpose::OtpCode,
        &otp_hash_input(purpose, bound_to, method.as_str(), code),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_their_digits() {
        for digits in 6..=8 {
            for _ in 0..50 {
                let code = new_code(digits);
                assert_eq!(code.len(), digits as usize);
                assert!(code.bytes().all(|b| b.is_ascii_digit()));
            }
        }
    }
}
