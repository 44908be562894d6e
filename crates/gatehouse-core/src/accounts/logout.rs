//! Logout of the current session, or of every session of the account ("sign out
//! everywhere", which also withdraws every device's trust).

use super::authenticate::AuthContext;
use super::sessions::{end_sessions, logged_out};
use super::trust::revoke_all_trust;
use super::AccountsResult;
use crate::state::{ClientInfo, Core};
use gatehouse_domain::accounts::RevocationReason;
use gatehouse_store::accounts::sessions;
use gatehouse_store::Executor;

/// End the session the access token belongs to.
#[tracing::instrument(skip_all, fields(user_id = %auth.user_id))]
pub async fn logout(core: &Core, auth: &AuthContext, client: &ClientInfo) -> AccountsResult<()> {
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    let reason = RevocationReason::Logout;
    if let Some(ended) = sessions::end(
        tx.exec(),
        auth.user_id,
        auth.session_id,
        logged_out(reason),
        now,
    )
    .await?
    {
        end_sessions(core, &mut tx, auth.user_id, &[ended], reason, client, now).await?;
    }
    tx.commit().await?;
    core.session_cache.forget_user(auth.user_id);
    Ok(())
}

/// End every active session of the account, this one included.
#[tracing::instrument(skip_all, fields(user_id = %auth.user_id))]
pub async fn logout_all(
    core: &Core,
    auth: &AuthContext,
    client: &ClientInfo,
) -> AccountsResult<()> {
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    let reason = RevocationReason::LogoutAll;
    let ended =
        sessions::end_all_for_user(tx.exec(), auth.user_id, None, logged_out(reason), now).await?;
    end_sessions(core, &mut tx, auth.user_id, &ended, reason, client, now).await?;
    revoke_all_trust(
        &mut tx,
        core,
        auth.user_id,
        "signed_out_everywhere",
        client,
        now,
    )
    .await?;
    tx.commit().await?;
    core.session_cache.forget_user(auth.user_id);
    Ok(())
}
