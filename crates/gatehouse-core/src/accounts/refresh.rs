//! Refresh-token rotation (OAuth 2.0 Security BCP, RFC 9700 §4.14.2): every refresh
//! consumes the presented token and issues a new one in the same family, with its audit
//! row, atomically (`refresh_tokens::rotate`). Presenting a
//! token that was already rotated means it leaked: the whole family and its session are
//! revoked, and a high-risk audit row is written for review.

use super::login::{sign_access, std_duration, TokenPair};
use super::sessions::end_sessions_audited;
use super::{inet, AccountsError, AccountsResult};
use crate::state::{ClientInfo, Core};
use crate::tokens;
use gatehouse_domain::accounts::RevocationReason;
use gatehouse_domain::audit::SessionAction;
use gatehouse_domain::ids::AuditId;
use gatehouse_domain::risk::RiskLevel;
use gatehouse_store::accounts::refresh_tokens::{self, RefreshTokenRow, Rotation};
use gatehouse_store::accounts::sessions;
use gatehouse_store::audit::{self, SessionAuditEntry};
use gatehouse_store::{Executor, Tx};
use uuid::Uuid;

/// Exchange a refresh token for a new pair.
#[tracing::instrument(skip_all)]
pub async fn refresh(
    core: &Core,
    refresh_token: &str,
    client: &ClientInfo,
) -> AccountsResult<TokenPair> {
    if refresh_token.is_empty() || refresh_token.len() > 256 {
        return Err(AccountsError::InvalidRefreshToken);
    }
    let hash = tokens::refresh_token_hash(&core.keys, refresh_token);
    let now = core.clock.now();
    let new_token = tokens::new_refresh_token();
    let new_hash = tokens::refresh_token_hash(&core.keys, &new_token);
    let access_jti = Uuid::now_v7();
    let rotation = Rotation {
        presented_jti: &hash,
        new_jti: &new_hash,
        new_token_id: Uuid::now_v7(),
        new_access_jti: &access_jti.to_string(),
        new_expires_at: now + std_duration(core.config.refresh_token_ttl),
        audit_id: AuditId::new().as_uuid(),
        ip_address: inet(client.ip),
        now,
    };
    let Some(rotated) = refresh_tokens::rotate(&core.db, &rotation).await? else {
        let mut tx = core.db.begin().await?;
        let known = refresh_tokens::find(tx.exec(), &hash).await?;
        return match known {
            Some(row)
                if row.revocation_reason.as_deref() == Some(RevocationReason::Rotated.as_str()) =>
            {
                revoke_on_reuse(core, tx, &row, client).await?;
                Err(AccountsError::RefreshTokenReused)
            }
            _ => Err(AccountsError::InvalidRefreshToken),
        };
    };
    if !rotated.session_active {
        // The session ended: nothing new was issued. Record why the token is spent, so
        // presenting it again is not taken for reuse of a rotated token.
        let mut conn = core.db.writer().await?;
        refresh_tokens::mark_revoked(
            conn.exec(),
            &hash,
            RevocationReason::SessionRevoked.as_str(),
            now,
        )
        .await?;
        return Err(AccountsError::InvalidRefreshToken);
    }
    let access_token = sign_access(
        core,
        rotated.user_id,
        rotated.session_id,
        access_jti,
        &["pwd"],
        now,
    )?;
    Ok(TokenPair {
        access_token,
        refresh_token: new_token,
        expires_in: core.config.access_token_ttl.as_secs(),
        session_id: rotated.session_id,
        user_id: rotated.user_id,
    })
}

async fn revoke_on_reuse(
    core: &Core,
    mut tx: Tx,
    row: &RefreshTokenRow,
    client: &ClientInfo,
) -> AccountsResult<()> {
    let now = core.clock.now();
    let reason = RevocationReason::ReuseDetected;
    refresh_tokens::revoke_family(tx.exec(), row.family_id, reason.as_str(), now).await?;
    let ended = sessions::end(
        tx.exec(),
        row.user_id,
        row.session_id,
        "revoked",
        reason.as_str(),
        now,
    )
    .await?;
    let device_id = ended.as_ref().and_then(|s| s.device_id);
    if let Some(ended) = ended {
        end_sessions_audited(&mut tx, row.user_id, &[ended], reason, client, now).await?;
    }
    let entry = SessionAuditEntry {
        user_id: row.user_id,
        session_id: Some(row.session_id),
        device_id,
        action: SessionAction::RefreshTokenReused.as_str(),
        ip_address: inet(client.ip),
        risk_level: RiskLevel::High.as_str(),
        is_anomalous: true,
        anomaly_reasons: vec!["refresh_token_reuse".to_owned()],
        requires_review: true,
        metadata: Some(serde_json::json!({ "family_id": row.family_id })),
        ..Default::default()
    };
    audit::insert_session(tx.exec(), AuditId::new().as_uuid(), &entry, now).await?;
    tx.commit().await?;
    tracing::warn!(user_id = %row.user_id, session_id = %row.session_id, "refresh token reuse: family revoked");
    Ok(())
}
