//! The signed-in person's sessions: list, revoke one. Also the shared step that ends
//! sessions with their refresh tokens and audit rows (logout, device removal, password
//! change).

use super::authenticate::AuthContext;
use super::{inet, AccountsError, AccountsResult};
use crate::state::{ClientInfo, Core};
use chrono::{DateTime, Utc};
use gatehouse_domain::accounts::RevocationReason;
use gatehouse_domain::audit::{LinkAction, SessionAction};
use gatehouse_domain::ids::AuditId;
use gatehouse_domain::risk::RiskLevel;
use gatehouse_store::accounts::refresh_tokens;
use gatehouse_store::accounts::sessions::{self, EndedSession, SessionRow};
use gatehouse_store::audit::{self, LinkAuditEntry, SessionAuditEntry};
use gatehouse_store::{Executor, Tx};
use uuid::Uuid;

/// Keyset pagination: items strictly older than `before` (an id), at most `limit`.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub before: Option<Uuid>,
    pub limit: i64,
}

/// A page of the user's active sessions, newest first.
pub async fn list_sessions(
    core: &Core,
    user_id: Uuid,
    page: Page,
) -> AccountsResult<Vec<SessionRow>> {
    let mut conn = core.db.reader().await?;
    Ok(sessions::list_active_for_user(
        conn.exec(),
        user_id,
        core.clock.now(),
        page.before,
        page.limit,
    )
    .await?)
}

/// Revoke one of the user's sessions (404 if it is not theirs or not active).
#[tracing::instrument(skip_all, fields(user_id = %auth.user_id))]
pub async fn revoke_session(
    core: &Core,
    auth: &AuthContext,
    session_id: Uuid,
    client: &ClientInfo,
) -> AccountsResult<()> {
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    let ended = sessions::end(
        tx.exec(),
        auth.user_id,
        session_id,
        "revoked",
        RevocationReason::SessionRevoked.as_str(),
        now,
    )
    .await?
    .ok_or(AccountsError::NotFound("session"))?;
    end_sessions_audited(
        &mut tx,
        auth.user_id,
        &[ended],
        RevocationReason::SessionRevoked,
        client,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// For sessions just ended: revoke their refresh tokens and write one session audit row
/// and one link audit row each.
pub(crate) async fn end_sessions_audited(
    tx: &mut Tx,
    user_id: Uuid,
    ended: &[EndedSession],
    reason: RevocationReason,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> AccountsResult<()> {
    let action = match reason {
        RevocationReason::Logout => SessionAction::Logout,
        RevocationReason::LogoutAll => SessionAction::LogoutAll,
        RevocationReason::PasswordChanged => SessionAction::PasswordChanged,
        _ => SessionAction::SessionRevoked,
    };
    for session in ended {
        refresh_tokens::revoke_for_session(tx.exec(), session.id, reason.as_str(), now).await?;
        let duration = (now - session.created_at)
            .num_seconds()
            .clamp(0, i32::MAX as i64) as i32;
        let entry = SessionAuditEntry {
            user_id,
            session_id: Some(session.id),
            device_id: session.device_id,
            action: action.as_str(),
            ip_address: inet(client.ip),
            risk_level: RiskLevel::Low.as_str(),
            session_duration_seconds: Some(duration),
            metadata: Some(serde_json::json!({ "reason": reason.as_str() })),
            ..Default::default()
        };
        audit::insert_session(tx.exec(), AuditId::new().as_uuid(), &entry, now).await?;
        if let Some(device_id) = session.device_id {
            let link = LinkAuditEntry {
                user_id,
                session_id: session.id,
                device_id,
                link_action: LinkAction::Unlinked.as_str(),
                revoked_at: Some(now),
                link_duration_seconds: Some(duration),
                context: Some(serde_json::json!({ "reason": reason.as_str() })),
                ..Default::default()
            };
            audit::insert_link(tx.exec(), AuditId::new().as_uuid(), &link, now).await?;
        }
    }
    Ok(())
}
