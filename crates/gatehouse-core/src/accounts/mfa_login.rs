//! The second step of a login (issue 9, item 2). When the password was right,
//! [`second_factor`] scores the login's risk (issue 10) and decides: a trusted device
//! inside its skip window signs in at once at low risk; critical risk is refused; an
//! account with MFA on otherwise answers `mfa_required` with a challenge
//! ([`issue_challenge`]) and [`verify_mfa`] completes it with a TOTP, email, SMS or backup
//! code (email and SMS codes are sent for the challenge by `mfa_send`).
//!
//! A challenge is single use, expires after `mfa.challenge_ttl_secs`, is bound to the
//! login's client address and device, and locks after `mfa.challenge_max_attempts` wrong
//! codes. Answers with one method are limited per account and hour
//! (`mfa.answers_per_hour`), counted from the MFA audit log so the limit holds across
//! processes. Each answer runs in one transaction that first locks the challenge, so two
//! answers with the same code see each other: exactly one signs in.

use super::devices::{device_hash, record_login_device, DeviceHint, SeenDevice};
use super::issue::{LoginGrant, SessionGrant, TokenPair};
use super::{device_token, AccountsError, AccountsResult};
use crate::events::mfa::MfaEvent;
use crate::events::{self, Event};
use crate::mfa::codes::{check_code, CodeCheck};
use crate::mfa::{consume_backup_code, limits, verify_totp_for_login, MfaRefusal};
use crate::risk::login::assess_login;
use crate::state::{ClientInfo, Core};
use chrono::{DateTime, Utc};
use gatehouse_domain::accounts::{AuthMethod, ChallengeRefusal, ChallengeState, SessionType};
use gatehouse_domain::ids::{SessionId, UserId};
use gatehouse_domain::mfa::{MfaMethod, OtpPurpose};
use gatehouse_domain::risk::{
    decide_login, AnomalyReason, LoginDecision, LoginStanding, RiskAssessment, RiskLevel,
};
use gatehouse_store::accounts::mfa_challenges::{
    self, ChallengeBinding, ChallengeRow, NewChallenge,
};
use gatehouse_store::accounts::{devices, trusted_devices, users};
use gatehouse_store::mfa::contact_methods::{self, Contact};
use gatehouse_store::mfa::{backup_codes, settings as mfa_settings, totp};
use gatehouse_store::{Executor, Tx};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

/// What a login whose password was right needs next, decided from its risk.
pub(super) enum SecondFactor {
    /// Nothing more: MFA is off (or has no usable method) and the risk is below high.
    NotNeeded,
    /// High risk and no second factor to step up to: signed in, and the owner is told.
    NotNeededButAlert,
    /// The device is trusted, inside its skip window, and the login is low risk: the
    /// grant to mark used.
    SkippedByTrust { grant_id: Uuid },
    /// A challenge with these methods.
    Required(Vec<MfaMethod>),
    /// Critical risk: no sign-in; the owner is told.
    Refused,
}

/// A challenge handed to the client.
#[derive(Debug, Clone)]
pub struct MfaChallenge {
    pub challenge_id: Uuid,
    pub methods: Vec<MfaMethod>,
    pub expires_at: DateTime<Utc>,
}

/// Score the login of `user_id` from the device `device_hash` and decide its second step
/// (`gatehouse_domain::risk::decide_login`): a trusted device in its skip window at low
/// risk signs in at once; an account with MFA answers a challenge otherwise (at high risk
/// too: step-up); critical refuses.
pub(super) async fn second_factor(
    core: &Core,
    user_id: UserId,
    device_hash: &str,
    client: &ClientInfo,
) -> AccountsResult<(SecondFactor, RiskAssessment)> {
    let now = core.clock.now();
    let mut conn = core.db.reader().await?;
    let device = devices::find_by_fingerprint(conn.exec(), user_id, device_hash)
        .await?
        .filter(|d| d.removed_at.is_none());
    let risk = assess_login(conn.exec(), core, user_id, device.as_ref(), client, now).await?;
    let methods = usable_methods(&mut conn, user_id).await?;
    let has_mfa = !methods.is_empty();
    let trust = match device.as_ref().filter(|d| has_mfa && !d.is_compromised) {
        Some(d) => trusted_devices::current(conn.exec(), user_id, d.id, now)
            .await?
            .filter(|g| g.can_skip_mfa && g.mfa_skip_until.is_some_and(|t| t > now)),
        None => None,
    };
    let standing = LoginStanding {
        has_open_skip_window: trust.is_some(),
        has_mfa,
    };
    let step = match (decide_login(risk.level, standing), trust) {
        (LoginDecision::Refuse, _) => SecondFactor::Refused,
        (LoginDecision::RequireMfa, _) => SecondFactor::Required(methods),
        (LoginDecision::AllowWithAlert, _) => SecondFactor::NotNeededButAlert,
        (LoginDecision::Allow, Some(grant)) => SecondFactor::SkippedByTrust { grant_id: grant.id },
        (LoginDecision::Allow, None) => SecondFactor::NotNeeded,
    };
    Ok((step, risk))
}

/// The second factors a challenge can offer: none while MFA is off; email and SMS only
/// once verified (a code never goes to an unproven destination).
async fn usable_methods(
    conn: &mut gatehouse_store::Conn,
    user_id: UserId,
) -> AccountsResult<Vec<MfaMethod>> {
    let enabled = mfa_settings::find(conn.exec(), user_id)
        .await?
        .is_some_and(|s| s.is_enabled);
    if !enabled {
        return Ok(Vec::new());
    }
    let mut methods = Vec::new();
    if totp::find(conn.exec(), user_id)
        .await?
        .is_some_and(|t| t.is_verified)
    {
        methods.push(MfaMethod::Totp);
    }
    for (method, contact) in [
        (MfaMethod::Email, Contact::Email),
        (MfaMethod::Sms, Contact::Sms),
    ] {
        if contact_methods::find(conn.exec(), contact, user_id)
            .await?
            .is_some_and(|m| m.is_verified)
        {
            methods.push(method);
        }
    }
    if backup_codes::count_unused(conn.exec(), user_id).await? > 0 {
        methods.push(MfaMethod::BackupCode);
    }
    if methods.is_empty() {
        tracing::warn!(%user_id, "MFA is on but no method is usable; signing in with the password alone");
    }
    Ok(methods)
}

/// What a login whose password was right asks a challenge for.
pub(super) struct ChallengeRequest {
    pub user_id: UserId,
    pub methods: Vec<MfaMethod>,
    /// The login's device (see `devices::device_hash`): the answer must come from it.
    pub device_hash: String,
    pub remember_me: bool,
    /// The login's risk: kept with the challenge for the session its answer starts.
    pub risk: RiskAssessment,
}

/// Open a challenge inside the login's transaction (with its throttle reset).
pub(super) async fn issue_challenge(
    tx: &mut Tx,
    core: &Core,
    asked: ChallengeRequest,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> AccountsResult<MfaChallenge> {
    let ChallengeRequest {
        user_id,
        methods,
        device_hash,
        remember_me,
        risk,
    } = asked;
    let expires_at = now
        + chrono::Duration::from_std(core.config.mfa.challenge_ttl())
            .unwrap_or(chrono::Duration::minutes(5));
    // The id is what the client answers with: 122 bits from the OS's generator (a v4
    // UUID), not a time-ordered one.
    let mut random = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut random);
    let challenge_id = uuid::Builder::from_random_bytes(random).into_uuid();
    let binding = ChallengeBinding {
        ip: client.ip.map(|ip| ip.to_string()),
        device_hash,
        remember_me,
        methods: methods.iter().map(|m| m.as_str().to_owned()).collect(),
        risk_score: risk.score,
        risk_reasons: risk.reasons.iter().map(|r| r.as_str().to_owned()).collect(),
    };
    let max_attempts =
        limits::challenge_max_attempts(tx, &core.config.mfa, user_id, &methods).await?;
    mfa_challenges::insert(
        tx.exec(),
        &NewChallenge {
            challenge_id,
            user_id,
            expires_at,
            max_attempts: i32::try_from(max_attempts).unwrap_or(i32::MAX),
            risk_level: risk.level.as_str(),
            binding: &binding,
            created_at: now,
        },
    )
    .await?;
    let event = MfaEvent::ChallengeCreated {
        user_id,
        challenge_id,
        methods: methods.clone(),
    };
    events::record(tx, core, now, client, Event::Mfa(event)).await?;
    Ok(MfaChallenge {
        challenge_id,
        methods,
        expires_at,
    })
}

/// The client's answer to a challenge.
pub struct MfaAnswer {
    pub challenge_id: String,
    pub method: String,
    pub code: SecretString,
    /// Trust this device afterwards (the answer itself is a fresh sign-in).
    pub trust_device: bool,
    /// The same device the login named (the challenge is bound to it).
    pub device: Option<DeviceHint>,
}

/// Answer a challenge: on a right code the session starts, as after a password login.
#[tracing::instrument(skip_all)]
pub async fn verify_mfa(
    core: &Core,
    answer: MfaAnswer,
    client: &ClientInfo,
) -> AccountsResult<LoginGrant> {
    let challenge_id =
        Uuid::parse_str(answer.challenge_id.trim()).map_err(|_| AccountsError::InvalidChallenge)?;
    let method: MfaMethod = answer.method.parse().map_err(|_| {
        AccountsError::field(
            "method",
            "unknown_method",
            "method must be totp, email, sms or backup_code",
        )
    })?;
    if let Some(device) = &answer.device {
        device.validate()?;
    }
    let code = answer.code.expose_secret();
    if code.is_empty() || code.len() > 64 {
        return Err(AccountsError::field(
            "code",
            "invalid_code",
            "code must be 1 to 64 characters",
        ));
    }

    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    let (row, binding) = open_challenge(
        &mut tx,
        core,
        challenge_id,
        answer.device.as_ref(),
        client,
        now,
    )
    .await?;
    let user_id = row.user_id;
    if !binding.methods.iter().any(|m| m == method.as_str()) {
        return Err(AccountsError::field(
            "method",
            "method_not_offered",
            "this challenge does not offer that method",
        ));
    }

    // The hourly allowance per method, over every challenge of the account.
    mfa_challenges::lock_answers(tx.exec(), user_id).await?;
    // The person's limits for this method (never looser than the deployment's), and the
    // lockout a recently locked challenge left on it.
    let allowed = limits::for_method(&mut tx, &core.config.mfa, user_id, method).await?;
    if let Some(until) = limits::locked_until(&mut tx, &allowed, user_id, method, now).await? {
        return Err(AccountsError::MethodLocked {
            retry_after_secs: u64::try_from((until - now).num_seconds().max(1)).unwrap_or(1),
        });
    }
    let hour_ago = now - chrono::Duration::hours(1);
    let answered =
        mfa_challenges::answers_since(tx.exec(), user_id, method.as_str(), hour_ago).await?;
    if answered >= i64::from(allowed.answers_per_hour) {
        let event = MfaEvent::RateLimited {
            user_id,
            challenge_id,
            method,
            answers_last_hour: answered,
        };
        events::record(&mut tx, core, now, client, Event::Mfa(event)).await?;
        tx.commit().await?;
        return Err(AccountsError::TooManyAttempts {
            retry_after_secs: 3600,
        });
    }

    let checked = match method {
        MfaMethod::Totp => verify_totp_for_login(
            &mut tx,
            &core.keys,
            &core.config.mfa.totp(),
            user_id,
            code,
            now,
        )
        .await?
        .map(|_| None),
        MfaMethod::BackupCode => {
            consume_backup_code(&mut tx, &core.keys, user_id, code, client.ip, now)
                .await?
                .map(Some)
        }
        MfaMethod::Email | MfaMethod::Sms => {
            let check = CodeCheck {
                user_id,
                method,
                purpose: OtpPurpose::Login,
                challenge_id: Some(challenge_id),
                typed: code,
                ip: client.ip,
            };
            check_code(&mut tx, &core.keys, core.config.mfa.otp_digits, check, now)
                .await?
                .map(|_| None)
        }
    };
    let backup_codes_left = match checked {
        Ok(left) => left,
        Err(refusal) => {
            let failed = mfa_challenges::record_failure(tx.exec(), row.id).await?;
            let attempts_left = u32::try_from(row.max_attempts - failed).unwrap_or(0);
            let event = MfaEvent::ChallengeFailed {
                user_id,
                challenge_id,
                method,
                replayed: refusal == MfaRefusal::Replayed,
                attempts: failed,
                locked: attempts_left == 0,
            };
            events::record(&mut tx, core, now, client, Event::Mfa(event)).await?;
            tx.commit().await?;
            return Err(match refusal {
                MfaRefusal::Replayed => AccountsError::CodeReplayed { attempts_left },
                _ => AccountsError::WrongCode { attempts_left },
            });
        }
    };

    // Right: this transaction alone answers the challenge and starts the session.
    if !mfa_challenges::mark_verified(tx.exec(), row.id, now).await? {
        return Err(AccountsError::InvalidChallenge);
    }
    let tokens = start_verified_session(
        core,
        &mut tx,
        VerifiedLogin {
            user_id,
            method,
            device: answer.device.as_ref(),
            remember_me: binding.remember_me,
            trust_device: answer.trust_device,
            risk: kept_risk(&binding),
        },
        client,
        now,
    )
    .await?;
    let event = MfaEvent::ChallengePassed {
        user_id,
        challenge_id,
        method,
        attempts: row.failed_attempts + 1,
    };
    events::record(&mut tx, core, now, client, Event::Mfa(event)).await?;
    if let Some(remaining) = backup_codes_left {
        let event = MfaEvent::BackupCodeUsed { user_id, remaining };
        events::record(&mut tx, core, now, client, Event::Mfa(event)).await?;
    }
    tx.commit().await?;
    core.session_cache.forget_user(user_id);
    let expires_at = now
        + chrono::Duration::from_std(core.config.throttle.device_token_ttl)
            .unwrap_or(chrono::Duration::days(90));
    Ok(LoginGrant {
        tokens,
        device_token: device_token::issue(&core.keys, user_id, expires_at),
    })
}

/// Lock the challenge for this transaction and check it may still be answered: not used,
/// expired or locked, and asked from the login's own client address and device (another
/// address or device holds an id it should not). Sending a code checks the same.
pub(super) async fn open_challenge(
    tx: &mut Tx,
    core: &Core,
    challenge_id: Uuid,
    device: Option<&DeviceHint>,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> AccountsResult<(ChallengeRow, ChallengeBinding)> {
    let row = mfa_challenges::lock(tx.exec(), challenge_id)
        .await?
        .ok_or(AccountsError::InvalidChallenge)?;
    let binding = row
        .metadata
        .as_ref()
        .map(|m| m.0.clone())
        .ok_or(AccountsError::InvalidChallenge)?;
    let state = ChallengeState {
        expires_at: row.expires_at,
        verified_at: row.verified_at,
        failed_attempts: u32::try_from(row.failed_attempts).unwrap_or(u32::MAX),
        max_attempts: u32::try_from(row.max_attempts).unwrap_or(0),
    };
    state.check(now).map_err(|refusal| match refusal {
        ChallengeRefusal::Used => AccountsError::InvalidChallenge,
        ChallengeRefusal::Expired => AccountsError::ChallengeExpired,
        ChallengeRefusal::Locked => AccountsError::ChallengeLocked,
    })?;
    let same_ip = binding.ip == client.ip.map(|ip| ip.to_string());
    let same_device = binding.device_hash == device_hash(core, row.user_id, device, client);
    if !same_ip || !same_device {
        return Err(AccountsError::InvalidChallenge);
    }
    Ok((row, binding))
}

struct VerifiedLogin<'a> {
    user_id: UserId,
    method: MfaMethod,
    device: Option<&'a DeviceHint>,
    remember_me: bool,
    trust_device: bool,
    /// The password step's risk assessment, as the challenge kept it.
    risk: RiskAssessment,
}

/// The risk assessment a challenge kept (its reasons as stored; unknown ones dropped).
fn kept_risk(binding: &ChallengeBinding) -> RiskAssessment {
    RiskAssessment {
        score: binding.risk_score,
        level: RiskLevel::from_score(binding.risk_score),
        reasons: binding
            .risk_reasons
            .iter()
            .filter_map(|r| r.parse::<AnomalyReason>().ok())
            .collect(),
    }
}

/// The session a right second factor starts, in the answer's transaction: the device, the
/// session with `amr` [pwd, otp, mfa], the last-login time, and trust when asked.
async fn start_verified_session(
    core: &Core,
    tx: &mut Tx,
    login: VerifiedLogin<'_>,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> AccountsResult<TokenPair> {
    let session_id = SessionId::new();
    let device_id = record_login_device(
        core,
        tx,
        login.user_id,
        session_id,
        SeenDevice {
            hint: login.device,
            risk: Some(&login.risk),
        },
        client,
        now,
    )
    .await?;
    let second = match login.method {
        MfaMethod::Sms => AuthMethod::Sms,
        _ => AuthMethod::OneTimePassword,
    };
    let pair = core
        .issuer()
        .start_session(
            tx,
            now,
            SessionGrant {
                user_id: login.user_id,
                session_id,
                device_id,
                amr: &[AuthMethod::Password, second, AuthMethod::MultiFactor],
                session_type: SessionType::Web,
                mfa_verified: true,
                remember_me: login.remember_me,
                client,
                risk: Some(&login.risk),
            },
        )
        .await?;
    users::touch_last_login(tx.exec(), login.user_id, now).await?;
    if login.trust_device {
        super::trust::grant_in(
            tx,
            core,
            login.user_id,
            device_id,
            Some(session_id),
            client,
            now,
        )
        .await?;
    }
    Ok(pair)
}
