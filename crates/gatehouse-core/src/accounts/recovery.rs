//! Account recovery with a backup code (issue 9, item 5): for a person who lost their
//! authenticator. The password and an unused backup code together sign in — one answer,
//! no challenge — and mark the account as needing a factor enrolled again
//! (`reenrolment_required` in `GET /v1/me` and `GET /v1/me/mfa`, until a factor is
//! confirmed). The session's `amr` is `[pwd, otp, mfa]` (RFC 8176: a backup code is a
//! one-time password, and with the password makes two factors), as for a login answered
//! with a backup code.
//!
//! Every refusal is the login's `invalid_credentials`, whichever part was wrong, and the
//! attempt is counted by the login's own throttle before the password is checked: recovery
//! is no way round the password lockout, nor an oracle for which part was right.
//! The email recovery, for people with no codes left, is in [`super::recovery_email`].

use super::devices::{record_login_device, DeviceHint, SeenDevice};
use super::issue::{LoginGrant, SessionGrant};
use super::login::{find_login_account, record_alone, refuse_if_locked};
use super::{device_token, inet, AccountsError, AccountsResult};
use crate::events::{self, Event, LockKind, MfaEvent};
use crate::metrics::LoginOutcome;
use crate::mfa::consume_backup_code;
use crate::state::{ClientInfo, Core};
use crate::throttle::{self, AttemptKeys};
use gatehouse_domain::accounts::{AuthMethod, SessionType};
use gatehouse_domain::ids::SessionId;
use gatehouse_domain::mfa::MfaMethod;
use gatehouse_store::accounts::users;
use gatehouse_store::mfa::recoveries;
use gatehouse_store::Executor;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

/// `mfa_recoveries.recovery_method` of a backup-code recovery.
pub(super) const BACKUP_CODE_METHOD: &str = "backup_code";

/// What a backup-code recovery asks for.
pub struct BackupCodeRecovery {
    /// Email or username.
    pub login: String,
    pub password: SecretString,
    pub backup_code: SecretString,
    pub device: Option<DeviceHint>,
}

/// Longest password accepted, refused before hashing (as at login).
pub(super) const MAX_PASSWORD_BYTES: usize = 4096;

/// The password's length bounds (as at login): 1 to 4096 bytes.
pub(super) fn check_password_len(password: &SecretString) -> AccountsResult<()> {
    let len = password.expose_secret().len();
    if len == 0 || len > MAX_PASSWORD_BYTES {
        return Err(AccountsError::field(
            "password",
            "invalid_password",
            "password must be 1 to 4096 bytes",
        ));
    }
    Ok(())
}

/// Sign in with the password and a backup code; the account must enrol a factor again.
#[tracing::instrument(skip_all)]
pub async fn recover_with_backup_code(
    core: &Core,
    input: BackupCodeRecovery,
    client: &ClientInfo,
) -> AccountsResult<LoginGrant> {
    let login_text = input.login.trim().to_lowercase();
    if login_text.is_empty() || login_text.len() > 255 {
        return Err(AccountsError::field(
            "email_or_username",
            "invalid_login",
            "email_or_username must be an email or username of 1 to 255 characters",
        ));
    }
    check_password_len(&input.password)?;
    let code = input.backup_code.expose_secret();
    if code.is_empty() || code.len() > 64 {
        return Err(AccountsError::field(
            "backup_code",
            "invalid_code",
            "backup_code must be 1 to 64 characters",
        ));
    }
    if let Some(device) = &input.device {
        device.validate()?;
    }

    // The login's own counters: the same key for the account and the client address.
    let (user, account_key) = find_login_account(core, &login_text).await?;
    let keys = AttemptKeys::new(&account_key, client.ip);
    let user_id = user.as_ref().map(|u| u.id);
    if let Err(refused) = refuse_if_locked(core, &keys, LockKind::Account, user_id, client).await {
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
        record_alone(core, client, Event::LoginFailed { user_id }).await?;
        core.metrics.login(match user_id {
            Some(_) => LoginOutcome::WrongPassword,
            None => LoginOutcome::UnknownAccount,
        });
        return Err(AccountsError::InvalidCredentials);
    };
    if !user.is_active {
        let event = Event::LoginRefusedDisabled { user_id: user.id };
        record_alone(core, client, event).await?;
        core.metrics.login(LoginOutcome::Disabled);
        return Err(AccountsError::AccountDisabled);
    }
    if let Some(until) = user.locked_until.filter(|t| *t > core.clock.now()) {
        record_alone(core, client, Event::LoginRefusedLocked { user_id: user.id }).await?;
        core.metrics.login(LoginOutcome::Locked);
        return Err(AccountsError::AccountLocked { until });
    }
    // As at login: only after the right password, so the answer reveals nothing.
    if core.config.accounts.require_verified_email && user.email_verified_at.is_none() {
        core.metrics.login(LoginOutcome::Disabled);
        return Err(AccountsError::EmailNotVerified);
    }

    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    let remaining =
        match consume_backup_code(&mut tx, &core.keys, user.id, code, client.ip, now).await? {
            Ok(remaining) => remaining,
            Err(_) => {
                // The same answer as a wrong password; the attempt stays counted.
                drop(tx);
                let mut tx = core.db.begin().await?;
                let failed = Event::LoginFailed {
                    user_id: Some(user.id),
                };
                events::record(&mut tx, core, now, client, failed).await?;
                let refused = MfaEvent::CodeRefused {
                    user_id: user.id,
                    method: MfaMethod::BackupCode,
                    replayed: false,
                };
                events::record(&mut tx, core, now, client, Event::Mfa(refused)).await?;
                tx.commit().await?;
                core.metrics.login(LoginOutcome::WrongPassword);
                return Err(AccountsError::InvalidCredentials);
            }
        };

    throttle::record_success(tx.exec(), &keys, now).await?;
    let session_id = SessionId::new();
    let device_id = record_login_device(
        core,
        &mut tx,
        user.id,
        session_id,
        SeenDevice {
            hint: input.device.as_ref(),
            risk: None,
        },
        client,
        now,
    )
    .await?;
    let tokens = core
        .issuer()
        .start_session(
            &mut tx,
            now,
            SessionGrant {
                user_id: user.id,
                session_id,
                device_id,
                amr: &[
                    AuthMethod::Password,
                    AuthMethod::OneTimePassword,
                    AuthMethod::MultiFactor,
                ],
                session_type: SessionType::Web,
                mfa_verified: true,
                remember_me: false,
                client,
                risk: None,
            },
        )
        .await?;
    users::touch_last_login(tx.exec(), user.id, now).await?;
    let recovery_id = Uuid::now_v7();
    recoveries::insert_successful(
        tx.exec(),
        recovery_id,
        user.id,
        BACKUP_CODE_METHOD,
        inet(client.ip),
        now,
    )
    .await?;
    let used = MfaEvent::BackupCodeUsed {
        user_id: user.id,
        remaining,
    };
    events::record(&mut tx, core, now, client, Event::Mfa(used)).await?;
    let recovered = MfaEvent::Recovered {
        user_id: user.id,
        recovery_id,
        recovery_method: BACKUP_CODE_METHOD,
        session_id,
    };
    events::record(&mut tx, core, now, client, Event::Mfa(recovered)).await?;
    tx.commit().await?;
    core.session_cache.forget_user(user.id);
    core.metrics.login(LoginOutcome::Success);
    tracing::info!(user_id = %user.id, "account recovered with a backup code");
    Ok(grant(core, user.id, tokens))
}

/// The answer of a recovery that signed in: the tokens and a fresh device token.
pub(super) fn grant(
    core: &Core,
    user_id: gatehouse_domain::ids::UserId,
    tokens: super::TokenPair,
) -> LoginGrant {
    let expires_at = core.clock.now()
        + chrono::Duration::from_std(core.config.throttle.device_token_ttl)
            .unwrap_or(chrono::Duration::days(90));
    LoginGrant {
        tokens,
        device_token: device_token::issue(&core.keys, user_id, expires_at),
    }
}
