//! Password login. The attempt is counted against the account and the address before
//! the password is checked; unknown accounts are verified against a dummy hash so the
//! answer and its timing are the same; success opens a session on the device.

use super::devices::{record_login_device, DeviceHint};
use super::issue::{SessionGrant, TokenPair};
use super::{AccountsError, AccountsResult};
use crate::events::{self, Event, LockChange};
use crate::keys::HashPurpose;
use crate::state::{ClientInfo, Core};
use crate::throttle::{self, AttemptKeys, Verdict};
use gatehouse_domain::accounts::{AuthMethod, SessionType};
use gatehouse_domain::ids::{SessionId, UserId};
use gatehouse_store::accounts::users;
use gatehouse_store::Executor;
use secrecy::{ExposeSecret, SecretString};

/// What a login asks for.
pub struct LoginInput {
    /// Email or username.
    pub login: String,
    pub password: SecretString,
    pub device: Option<DeviceHint>,
}

/// Longest password accepted at login, refused before hashing: room for the longest
/// policy-allowed password (1024 code points) at 4 bytes each.
const MAX_PASSWORD_BYTES: usize = 4096;

#[tracing::instrument(skip_all)]
pub async fn login(
    core: &Core,
    input: LoginInput,
    client: &ClientInfo,
) -> AccountsResult<TokenPair> {
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

    let user = {
        let mut conn = core.db.reader().await?;
        if login_text.contains('@') {
            users::find_by_email(conn.exec(), &login_text).await?
        } else {
            users::find_by_username(conn.exec(), &login_text).await?
        }
    };
    let account_key = match &user {
        Some(u) => u.id.to_string(),
        None => core
            .keys
            .keyed_hash(HashPurpose::LoginIdentifier, login_text.as_bytes()),
    };
    let keys = AttemptKeys::new(&account_key, client.ip);

    if let Verdict::Locked {
        until,
        newly_locked_account,
        newly_locked_ip,
    } = throttle::check_attempt(core, &keys).await?
    {
        if let Some(user) = &user {
            let lock = if newly_locked_account {
                LockChange::AccountNewlyLocked
            } else if newly_locked_ip {
                LockChange::AddressNewlyBlocked
            } else {
                LockChange::StillLocked
            };
            record_alone(
                core,
                client,
                Event::LoginRefusedLocked {
                    user_id: user.id,
                    lock,
                },
            )
            .await?;
        }
        return Err(AccountsError::locked_until(until, core.clock.now()));
    }

    let user_id = user.as_ref().map(|u| u.id);
    let verified = core
        .hasher
        .verify(
            input.password,
            user.as_ref().map(|u| u.password_hash.as_str()),
        )
        .await?;
    let Some(user) = user.filter(|_| verified) else {
        // Both branches write one audit row, so known and unknown accounts cost the same.
        record_alone(core, client, Event::LoginFailed { user_id }).await?;
        return Err(AccountsError::InvalidCredentials);
    };
    if !user.is_active {
        return Err(AccountsError::AccountDisabled);
    }
    start_password_session(core, user.id, input.device.as_ref(), &keys, client).await
}

/// Raise one event in a transaction of its own (failures and refusals change nothing
/// else).
async fn record_alone(core: &Core, client: &ClientInfo, event: Event<'_>) -> AccountsResult<()> {
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    events::record(&mut tx, now, client, event).await?;
    tx.commit().await?;
    Ok(())
}

/// One transaction for a successful password login: the throttle reset, the device, the
/// session with its first tokens, the last-login time, and their events.
async fn start_password_session(
    core: &Core,
    user_id: UserId,
    device: Option<&DeviceHint>,
    attempt: &AttemptKeys,
    client: &ClientInfo,
) -> AccountsResult<TokenPair> {
    let now = core.clock.now();
    let session_id = SessionId::new();
    let mut tx = core.db.begin().await?;
    throttle::record_success(tx.exec(), attempt, now).await?;
    let device_id = record_login_device(
        &core.keys, &mut tx, user_id, session_id, device, client, now,
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
                client,
            },
        )
        .await?;
    users::touch_last_login(tx.exec(), user_id, now).await?;
    tx.commit().await?;
    core.session_cache.forget_user(user_id);
    Ok(pair)
}
