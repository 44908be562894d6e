//! "This wasn't me": the owner follows the single-use link of a security alert and
//! confirms. The account is locked against every login (device tokens included) for
//! `notifications.not_me_lock_secs`, every session ends, and the report is audited for
//! review — all in one transaction, so a link works once even when clicked twice at once.

use super::error::{AccountsError, AccountsResult};
use super::sessions::{end_sessions, revoked};
use super::trust::revoke_all_trust;
use crate::client::ClientInfo;
use crate::events::{self, notify::NOT_ME_ACTION, Event};
use crate::keys::HashPurpose;
use crate::state::Core;
use chrono::{DateTime, Utc};
use gatehouse_domain::accounts::RevocationReason;
use gatehouse_domain::ids::{DeviceId, SessionId};
use gatehouse_store::accounts::{sessions, users};
use gatehouse_store::notify::action_tokens;
use gatehouse_store::Executor;

/// What the report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotMeReport {
    pub sessions_ended: u64,
    pub locked_until: DateTime<Utc>,
}

/// Links are 43 base64url characters; anything much longer is not one of ours.
const MAX_TOKEN_LEN: usize = 128;

#[tracing::instrument(skip_all)]
pub async fn report_not_me(
    core: &Core,
    token: &str,
    client: &ClientInfo,
) -> AccountsResult<NotMeReport> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(AccountsError::InvalidLink);
    }
    let now = core.clock.now();
    let hash = core
        .keys
        .keyed_hash(HashPurpose::ActionToken, token.as_bytes());
    let mut tx = core.db.begin().await?;
    let used = action_tokens::consume(tx.exec(), &hash, NOT_ME_ACTION, now)
        .await?
        .ok_or(AccountsError::InvalidLink)?;
    let lock = chrono::Duration::seconds(
        i64::try_from(core.config.notifications.not_me_lock_secs).unwrap_or(i64::MAX / 1000),
    );
    let locked_until = now + lock;
    users::lock_until(tx.exec(), used.user_id, locked_until, now).await?;
    let reason = RevocationReason::ReportedNotMe;
    let ended =
        sessions::end_all_for_user(tx.exec(), used.user_id, None, revoked(reason), now).await?;
    end_sessions(core, &mut tx, used.user_id, &ended, reason, client, now).await?;
    revoke_all_trust(&mut tx, core, used.user_id, "reported_not_me", client, now).await?;
    let report = NotMeReport {
        sessions_ended: ended.len() as u64,
        locked_until,
    };
    events::record(
        &mut tx,
        core,
        now,
        client,
        Event::ReportedNotMe {
            user_id: used.user_id,
            session_id: used.session_id.map(SessionId::from),
            device_id: used.device_id.map(DeviceId::from),
            sessions_ended: report.sessions_ended,
            locked_until,
        },
    )
    .await?;
    tx.commit().await?;
    core.session_cache.forget_user(used.user_id);
    tracing::warn!(user_id = %used.user_id, sessions_ended = report.sessions_ended, "owner reported a sign-in as not theirs");
    Ok(report)
}
