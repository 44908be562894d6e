//! Backup codes: ten single-use codes, shown once, stored as keyed hashes
//! (`HashPurpose::BackupCode`); a new set replaces the old one.

use super::error::{MfaError, MfaRefusal, MfaResult};
use super::require_recent_auth;
use crate::accounts::AuthContext;
use crate::events::{self, Event, MfaEvent};
use crate::keys::{HashPurpose, Keys};
use crate::state::{ClientInfo, Core};
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use gatehouse_domain::mfa::backup_codes::BACKUP_CODE_BYTES;
use gatehouse_domain::mfa::{normalize_backup_code, BackupCode};
use gatehouse_store::mfa::{backup_codes, settings, totp};
use gatehouse_store::types::Inet;
use gatehouse_store::{Executor, StoreResult, Tx};
use rand::RngCore;
use std::net::IpAddr;

/// Make a new set of codes (the old set stops working) and return them as shown to the
/// person (`xxxxx-xxxxx`). Needs MFA on: codes back up a factor.
#[tracing::instrument(skip_all, fields(user_id = %auth.user_id))]
pub async fn generate_backup_codes(
    core: &Core,
    auth: &AuthContext,
    client: &ClientInfo,
) -> MfaResult<Vec<String>> {
    let now = core.clock.now();
    require_recent_auth(core, auth, now)?;
    let user_id = auth.user_id;
    let mut random = [0u8; BACKUP_CODE_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut random);
    let codes = BackupCode::generate(&random);
    let hashes: Vec<String> = codes.iter().map(|c| hash(&core.keys, c)).collect();

    let mut tx = core.db.begin().await?;
    let enabled = settings::find(tx.exec(), user_id)
        .await?
        .is_some_and(|s| s.is_enabled);
    if !enabled {
        return Err(MfaError::MfaNotEnabled);
    }
    backup_codes::replace_set(tx.exec(), user_id, &hashes, now).await?;
    totp::mark_backup_codes_generated(tx.exec(), user_id, now).await?;
    let event = MfaEvent::BackupCodesGenerated {
        user_id,
        session_id: Some(auth.session_id),
        count: u32::try_from(codes.len()).unwrap_or(u32::MAX),
    };
    events::record(&mut tx, core, now, client, Event::Mfa(event)).await?;
    tx.commit().await?;
    Ok(codes.iter().map(BackupCode::display).collect())
}

/// Use one backup code at sign-in, inside the caller's transaction: the unused code with
/// this hash is marked used in one statement, so it works once even under concurrent use.
/// Returns how many codes are left.
pub async fn consume_backup_code(
    tx: &mut Tx,
    keys: &Keys,
    user_id: UserId,
    typed: &str,
    ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> StoreResult<Result<u32, MfaRefusal>> {
    let Some(code) = normalize_backup_code(typed) else {
        return Ok(Err(MfaRefusal::WrongCode));
    };
    let used =
        backup_codes::consume(tx.exec(), user_id, &hash(keys, &code), ip.map(Inet), now).await?;
    if !used {
        return Ok(Err(MfaRefusal::WrongCode));
    }
    let left = backup_codes::count_unused(tx.exec(), user_id).await?;
    Ok(Ok(u32::try_from(left).unwrap_or(0)))
}

fn hash(keys: &Keys, code: &BackupCode) -> String {
    keys.keyed_hash(HashPurpose::BackupCode, code.canonical().as_bytes())
}
