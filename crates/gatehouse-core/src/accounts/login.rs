//! Password login. The attempt is counted against the account and the address before
//! the password is checked; unknown accounts are verified against a dummy hash so the
//! answer and its timing are the same; success opens a session on the device.

use super::devices::{record_login_device, DeviceHint};
use super::{inet, AccountsError, AccountsResult};
use crate::state::{ClientInfo, Core};
use crate::throttle::{self, AttemptKeys, Verdict};
use crate::tokens::{self, AccessClaims};
use chrono::{DateTime, Duration, Utc};
use gatehouse_domain::audit::{LinkAction, SessionAction};
use gatehouse_domain::ids::{AuditId, SessionId, TokenFamilyId};
use gatehouse_domain::risk::RiskLevel;
use gatehouse_store::accounts::{refresh_tokens, sessions, users};
use gatehouse_store::audit::{self, LinkAuditEntry, SessionAuditEntry};
use gatehouse_store::{Executor, Tx};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

/// What a login asks for.
pub struct LoginInput {
    /// Email or username.
    pub login: String,
    pub password: SecretString,
    pub device: Option<DeviceHint>,
}

/// Tokens handed out by login and refresh.
#[derive(Debug, Clone)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub session_id: Uuid,
    pub user_id: Uuid,
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
    let account_id = match &user {
        Some(u) => u.id.to_string(),
        None => core
            .keys
            .keyed_hash("login-identifier", login_text.as_bytes()),
    };
    let keys = AttemptKeys::new(&account_id, client.ip);

    if let Verdict::Locked {
        until,
        newly_locked_account,
        newly_locked_ip,
    } = throttle::check_attempt(core, &keys).await?
    {
        if let Some(user) = &user {
            audit_lockout(core, user.id, client, newly_locked_account, newly_locked_ip).await?;
        }
        return Err(AccountsError::locked_until(until, core.clock.now()));
    }

    let verified = core
        .hasher
        .verify(
            input.password,
            user.as_ref().map(|u| u.password_hash.as_str()),
        )
        .await?;
    let Some(user) = user.filter(|_| verified) else {
        // Both branches write one audit row, so known and unknown accounts cost the same.
        audit_failure(core, user_id_if_known(&account_id), client).await?;
        return Err(AccountsError::InvalidCredentials);
    };
    if !user.is_active {
        return Err(AccountsError::AccountDisabled);
    }
    throttle::record_success(core, &keys).await?;
    start_session(core, &user, input.device.as_ref(), client, &["pwd"]).await
}

fn user_id_if_known(account_id: &str) -> Option<Uuid> {
    Uuid::parse_str(account_id).ok()
}

async fn audit_failure(
    core: &Core,
    user_id: Option<Uuid>,
    client: &ClientInfo,
) -> AccountsResult<()> {
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    let Some(user_id) = user_id else {
        // Attempts on accounts that do not exist are a credential-stuffing signal.
        audit::insert_account(
            tx.exec(),
            AuditId::new().as_uuid(),
            None,
            "login_failed_unknown_account",
            None,
            inet(client.ip),
            now,
        )
        .await?;
        tx.commit().await?;
        return Ok(());
    };
    let entry = SessionAuditEntry {
        user_id,
        action: SessionAction::LoginFailed.as_str(),
        ip_address: inet(client.ip),
        risk_level: RiskLevel::Medium.as_str(),
        ..Default::default()
    };
    audit::insert_session(tx.exec(), AuditId::new().as_uuid(), &entry, now).await?;
    tx.commit().await?;
    Ok(())
}

async fn audit_lockout(
    core: &Core,
    user_id: Uuid,
    client: &ClientInfo,
    newly_locked_account: bool,
    newly_locked_ip: bool,
) -> AccountsResult<()> {
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    let (action, risk) = if newly_locked_account {
        (SessionAction::AccountLocked, RiskLevel::High)
    } else if newly_locked_ip {
        (SessionAction::IpThrottled, RiskLevel::High)
    } else {
        (SessionAction::LoginLocked, RiskLevel::Medium)
    };
    let entry = SessionAuditEntry {
        user_id,
        action: action.as_str(),
        ip_address: inet(client.ip),
        risk_level: risk.as_str(),
        is_anomalous: newly_locked_account || newly_locked_ip,
        anomaly_reasons: if newly_locked_account {
            vec!["failed_login_burst".to_owned()]
        } else {
            Vec::new()
        },
        ..Default::default()
    };
    audit::insert_session(tx.exec(), AuditId::new().as_uuid(), &entry, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Open a session for an authenticated user on the device the request came from:
/// device row, session, first refresh token of a new family, audit rows — one
/// transaction — then sign the access token.
pub(crate) async fn start_session(
    core: &Core,
    user: &users::UserRow,
    device: Option<&DeviceHint>,
    client: &ClientInfo,
    amr: &[&str],
) -> AccountsResult<TokenPair> {
    let now = core.clock.now();
    let session_id = SessionId::new().as_uuid();
    let access_jti = Uuid::now_v7();
    let refresh_token = tokens::new_refresh_token();
    let refresh_hash = tokens::refresh_token_hash(&core.keys, &refresh_token);
    let session_expires = now + std_duration(core.config.session_ttl);
    let refresh_expires = (now + std_duration(core.config.refresh_token_ttl)).min(session_expires);

    let mut tx = core.db.begin().await?;
    let (device_id, device_audit) =
        record_login_device(core, &mut tx, user.id, session_id, device, client, now).await?;
    sessions::insert(
        tx.exec(),
        &sessions::NewSession {
            id: session_id,
            user_id: user.id,
            device_id: Some(device_id),
            access_jti: &access_jti.to_string(),
            refresh_jti: &refresh_hash,
            ip_address: inet(client.ip),
            user_agent: client.user_agent.as_deref(),
            session_type: "web",
            expires_at: session_expires,
            now,
        },
    )
    .await?;
    refresh_tokens::insert(
        tx.exec(),
        &refresh_tokens::NewRefreshToken {
            id: Uuid::now_v7(),
            user_id: user.id,
            session_id,
            jti: &refresh_hash,
            family_id: TokenFamilyId::new().as_uuid(),
            parent_jti: None,
            expires_at: refresh_expires,
            now,
        },
    )
    .await?;
    audit::insert_device(tx.exec(), AuditId::new().as_uuid(), &device_audit, now).await?;
    audit_login(&mut tx, user.id, session_id, device_id, client, now).await?;
    users::touch_last_login(tx.exec(), user.id, now).await?;
    tx.commit().await?;

    let access_token = sign_access(core, user.id, session_id, access_jti, amr, now)?;
    Ok(TokenPair {
        access_token,
        refresh_token,
        expires_in: core.config.access_token_ttl.as_secs(),
        session_id,
        user_id: user.id,
    })
}

async fn audit_login(
    tx: &mut Tx,
    user_id: Uuid,
    session_id: Uuid,
    device_id: Uuid,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> AccountsResult<()> {
    let entry = SessionAuditEntry {
        user_id,
        session_id: Some(session_id),
        device_id: Some(device_id),
        action: SessionAction::LoginSucceeded.as_str(),
        session_type: Some("web"),
        mfa_verified: Some(false),
        ip_address: inet(client.ip),
        risk_level: RiskLevel::Low.as_str(),
        ..Default::default()
    };
    audit::insert_session(tx.exec(), AuditId::new().as_uuid(), &entry, now).await?;
    let link = LinkAuditEntry {
        user_id,
        session_id,
        device_id,
        link_action: LinkAction::Linked.as_str(),
        ..Default::default()
    };
    audit::insert_link(tx.exec(), AuditId::new().as_uuid(), &link, now).await?;
    Ok(())
}

/// Sign an access token for a session.
pub(crate) fn sign_access(
    core: &Core,
    user_id: Uuid,
    session_id: Uuid,
    jti: Uuid,
    amr: &[&str],
    now: DateTime<Utc>,
) -> AccountsResult<String> {
    let claims = AccessClaims {
        iss: core.config.issuer.clone(),
        sub: user_id,
        sid: session_id,
        jti,
        amr: amr.iter().map(|m| (*m).to_owned()).collect(),
        iat: now.timestamp(),
        exp: (now + std_duration(core.config.access_token_ttl)).timestamp(),
    };
    tokens::sign(&core.keys.signing, &claims).map_err(|e| AccountsError::Internal(e.to_string()))
}

pub(crate) fn std_duration(d: std::time::Duration) -> Duration {
    Duration::from_std(d).unwrap_or(Duration::MAX)
}
