//! Password login. The attempt is counted against the account (or, for a client holding
//! a device token of the account, against that client: see [`device_token`]) and the
//! address before the password is checked; unknown accounts are verified against a dummy
//! hash so the answer and its timing are the same; success opens a session on the device
//! and hands the client a fresh device token — or, for an account with MFA on, a
//! challenge to answer with the second factor (see [`super::mfa_login`]).

use super::device_token::{self, KnownClient};
use super::devices::{device_hash, record_login_device, DeviceHint, SeenDevice};
use super::issue::{LoginGrant, SessionGrant, TokenPair};
use super::mfa_login::{
    issue_challenge, second_factor, ChallengeRequest, MfaChallenge, SecondFactor,
};
use super::{AccountsError, AccountsResult};
use crate::events::{self, Event, LockKind};
use crate::keys::HashPurpose;
use crate::metrics::LoginOutcome;
use crate::password::normalized;
use crate::state::{ClientInfo, Core};
use crate::throttle::{self, AttemptKeys, Verdict};
use gatehouse_domain::accounts::{AuthMethod, SessionType};
use gatehouse_domain::ids::{SessionId, UserId};
use gatehouse_domain::risk::RiskAssessment;
use gatehouse_store::accounts::trusted_devices;
use gatehouse_store::accounts::users::{self, UserRow};
use gatehouse_store::Executor;
use secrecy::{ExposeSecret, SecretString};

/// What a login asks for.
pub struct LoginInput {
    /// Email or username.
    pub login: String,
    pub password: SecretString,
    pub device: Option<DeviceHint>,
    /// The device token an earlier successful login of this client returned.
    pub device_token: Option<String>,
    /// Keep the session for the longer "remember me" idle timeout and lifetime.
    pub remember_me: bool,
}

/// What a right password leads to.
pub enum LoginStep {
    /// Signed in.
    Authenticated(LoginGrant),
    /// The account has MFA on: answer this challenge (`POST /v1/auth/mfa/verify`).
    MfaRequired(MfaChallenge),
}

/// Longest password accepted at login, refused before hashing: room for the longest
/// policy-allowed password (1024 code points) at 4 bytes each.
const MAX_PASSWORD_BYTES: usize = 4096;

#[tracing::instrument(skip_all)]
pub async fn login(
    core: &Core,
    input: LoginInput,
    client: &ClientInfo,
) -> AccountsResult<LoginStep> {
    let login_text = input.login.trim().to_lowercase();
    if login_text.is_empty() || login_text.len() > 255 {
        return Err(AccountsError::field(
            "login",
            "invalid_login",
            "login must be an email or username of 1 to 255 characters",
        ));
    }
    let password_len = input.password.expose_secret().len();
    if password_len == 0 || password_len > MAX_PASSWORD_BYTES {
        return Err(AccountsError::field(
            "password",
            "invalid_password",
            "password must be 1 to 4096 bytes",
        ));
    }
    if let Some(device) = &input.device {
        device.validate()?;
    }

    let (user, account_key) = find_login_account(core, &login_text).await?;
    // A client that proves it signed in to this very account before is not locked out
    // by failures from elsewhere; it counts its own.
    let known_client: Option<KnownClient> = input
        .device_token
        .as_deref()
        .and_then(|token| device_token::verify(&core.keys, token, core.clock.now()))
        .filter(|known| user.as_ref().is_some_and(|u| u.id == known.user_id));
    let (keys, account_lock) = match &known_client {
        Some(known) => (
            AttemptKeys::for_known_client(&known.counter_id(), client.ip),
            LockKind::KnownClient,
        ),
        None => (AttemptKeys::new(&account_key, client.ip), LockKind::Account),
    };
    let user_id = user.as_ref().map(|u| u.id);

    if let Err(refused) = refuse_if_locked(core, &keys, account_lock, user_id, client).await {
        if matches!(refused, AccountsError::TooManyAttempts { .. }) {
            core.metrics.login(LoginOutcome::Locked);
        }
        return Err(refused);
    }

    let verified = core
        .hasher
        .verify_typed(
            input.password.clone(),
            user.as_ref().map(|u| u.password_hash.as_str()),
        )
        .await?;
    let Some(user) = user.filter(|_| verified.matches) else {
        // Both branches write one audit row, so known and unknown accounts cost the same.
        record_alone(core, client, Event::LoginFailed { user_id }).await?;
        core.metrics.login(match user_id {
            Some(_) => LoginOutcome::WrongPassword,
            None => LoginOutcome::UnknownAccount,
        });
        return Err(AccountsError::InvalidCredentials);
    };
    if !user.is_active {
        record_alone(
            core,
            client,
            Event::LoginRefusedDisabled { user_id: user.id },
        )
        .await?;
        core.metrics.login(LoginOutcome::Disabled);
        return Err(AccountsError::AccountDisabled);
    }
    // The owner reported "this wasn't me": no client signs in, known or not, until then.
    if let Some(until) = user.locked_until.filter(|t| *t > core.clock.now()) {
        record_alone(core, client, Event::LoginRefusedLocked { user_id: user.id }).await?;
        core.metrics.login(LoginOutcome::Locked);
        return Err(AccountsError::AccountLocked { until });
    }
    // Only after the right password, so the answer reveals nothing to anyone else.
    if core.config.accounts.require_verified_email && user.email_verified_at.is_none() {
        core.metrics.login(LoginOutcome::Disabled);
        return Err(AccountsError::EmailNotVerified);
    }
    // A hash made before passwords were normalised: replace it with the NFKC form's, so
    // the next login needs one verification.
    let rehashed = match verified.stored_unnormalized {
        true => Some(core.hasher.hash(normalized(&input.password)).await?),
        false => None,
    };
    let device_hash = device_hash(core, user.id, input.device.as_ref(), client);
    let (step, risk) = second_factor(core, user.id, &device_hash, client).await?;
    let (trust_grant, alert) = match step {
        SecondFactor::NotNeeded => (None, false),
        SecondFactor::NotNeededButAlert => (None, true),
        SecondFactor::SkippedByTrust { grant_id } => (Some(grant_id), false),
        SecondFactor::Refused => {
            let event = Event::RiskyLogin {
                user_id: user.id,
                session_id: None,
                assessment: &risk,
                refused: true,
            };
            record_alone(core, client, event).await?;
            core.metrics.login(LoginOutcome::RiskRefused);
            return Err(AccountsError::LoginRefused);
        }
        SecondFactor::Required(methods) => {
            // The password was right: its counters reset now, the second factor has
            // limits of its own.
            // One transaction with the challenge.
            let now = core.clock.now();
            let mut tx = core.db.begin().await?;
            throttle::record_success(tx.exec(), &keys, now).await?;
            if let Some(hash) = rehashed.as_deref() {
                users::set_password_hash(tx.exec(), user.id, hash, now).await?;
            }
            let asked = ChallengeRequest {
                user_id: user.id,
                methods,
                device_hash,
                remember_me: input.remember_me,
                risk,
            };
            let challenge = issue_challenge(&mut tx, core, asked, client, now).await?;
            tx.commit().await?;
            core.metrics.login(LoginOutcome::MfaRequired);
            return Ok(LoginStep::MfaRequired(challenge));
        }
    };
    let started = PasswordSession {
        user_id: user.id,
        device: input.device.as_ref(),
        remember_me: input.remember_me,
        rehashed: rehashed.as_deref(),
        trust_grant,
        risk: &risk,
        alert,
    };
    let tokens = start_password_session(core, started, &keys, client).await?;
    core.metrics.login(LoginOutcome::Success);
    let expires_at = core.clock.now()
        + chrono::Duration::from_std(core.config.throttle.device_token_ttl)
            .unwrap_or(chrono::Duration::days(90));
    Ok(LoginStep::Authenticated(LoginGrant {
        tokens,
        device_token: device_token::issue(&core.keys, user.id, expires_at),
    }))
}

/// The account a login names (by email when it holds an `@`, else by username), and the key
/// its failed attempts count under: the account's id, or for a name with no account its
/// keyed hash (so unknown names are throttled alike without being stored in clear).
pub(super) async fn find_login_account(
    core: &Core,
    login_text: &str,
) -> AccountsResult<(Option<UserRow>, String)> {
    let user = {
        let mut conn = core.db.reader().await?;
        if login_text.contains('@') {
            users::find_by_email(conn.exec(), login_text).await?
        } else {
            users::find_by_username(conn.exec(), login_text).await?
        }
    };
    let account_key = match &user {
        Some(u) => u.id.to_string(),
        None => core
            .keys
            .keyed_hash(HashPurpose::LoginIdentifier, login_text.as_bytes()),
    };
    Ok((user, account_key))
}

/// Count an attempt against `keys` before any password is checked, and refuse it if a
/// lock holds. Only the attempt that sets a lock writes its row (`account_lock` names what
/// the account-side counter is): refusals while it holds write nothing, so a lock window
/// has one row and a refusal costs the same whether or not the account exists.
pub(super) async fn refuse_if_locked(
    core: &Core,
    keys: &AttemptKeys,
    account_lock: LockKind,
    user_id: Option<UserId>,
    client: &ClientInfo,
) -> AccountsResult<()> {
    let Verdict::Locked {
        until,
        newly_locked_account,
        newly_locked_ip,
    } = throttle::check_attempt(core, keys).await?
    else {
        return Ok(());
    };
    let new_locks = [
        (newly_locked_account, account_lock),
        (newly_locked_ip, LockKind::Address),
    ];
    for (_, lock) in new_locks.into_iter().filter(|(new, _)| *new) {
        record_alone(core, client, Event::LockSet { user_id, lock }).await?;
        core.metrics.lockout_started(lock);
    }
    Err(AccountsError::locked_until(until, core.clock.now()))
}

/// Raise one event in a transaction of its own (failures and refusals change nothing
/// else).
pub(super) async fn record_alone(
    core: &Core,
    client: &ClientInfo,
    event: Event<'_>,
) -> AccountsResult<()> {
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    events::record(&mut tx, core, now, client, event).await?;
    tx.commit().await?;
    Ok(())
}

/// One transaction for a successful password login: the throttle reset, the device, the
/// session with its first tokens, the last-login time, and their events.
/// The session a verified password login starts.
struct PasswordSession<'a> {
    user_id: UserId,
    device: Option<&'a DeviceHint>,
    remember_me: bool,
    /// A new hash of the normalised password, to store.
    rehashed: Option<&'a str>,
    /// The trusted-device grant that let this login skip the second factor.
    trust_grant: Option<uuid::Uuid>,
    /// The login's risk assessment.
    risk: &'a RiskAssessment,
    /// High risk without a second factor to ask for: tell the owner.
    alert: bool,
}

async fn start_password_session(
    core: &Core,
    session: PasswordSession<'_>,
    attempt: &AttemptKeys,
    client: &ClientInfo,
) -> AccountsResult<TokenPair> {
    let PasswordSession {
        user_id,
        device,
        remember_me,
        rehashed,
        trust_grant,
        risk,
        alert,
    } = session;
    let now = core.clock.now();
    let session_id = SessionId::new();
    let mut tx = core.db.begin().await?;
    throttle::record_success(tx.exec(), attempt, now).await?;
    let device_id = record_login_device(
        core,
        &mut tx,
        user_id,
        session_id,
        SeenDevice {
            hint: device,
            risk: Some(risk),
        },
        client,
        now,
    )
    .await?;
    let pair = core
        .issuer()
        .start_session(
            &mut tx,
            now,
            SessionGrant {
                user_id,
                session_id,
                device_id,
                amr: &[AuthMethod::Password],
                session_type: SessionType::Web,
                mfa_verified: false,
                remember_me,
                client,
                risk: Some(risk),
            },
        )
        .await?;
    if alert {
        let event = Event::RiskyLogin {
            user_id,
            session_id: Some(session_id),
            assessment: risk,
            refused: false,
        };
        events::record(&mut tx, core, now, client, event).await?;
    }
    users::touch_last_login(tx.exec(), user_id, now).await?;
    if let Some(grant_id) = trust_grant {
        trusted_devices::mark_used(tx.exec(), grant_id, now).await?;
    }
    if let Some(hash) = rehashed {
        users::set_password_hash(tx.exec(), user_id, hash, now).await?;
    }
    tx.commit().await?;
    core.session_cache.forget_user(user_id);
    Ok(pair)
}
