//! The MFA part's use cases: TOTP enrolment (start, confirm, remove), backup codes and the
//! status of a person's factors; plus the two checks the login challenge calls inside its
//! own transaction:
//!
//! - [`verify_totp_for_login`]`(tx, keys, params, user_id, code, now)` → the accepted
//!   RFC 6238 step, or [`MfaRefusal`] (wrong, replayed, not enrolled). The step is recorded
//!   in the same statement that checks it is new, so a code works once per user and step
//!   even when two requests race.
//! - [`consume_backup_code`]`(tx, keys, user_id, code, ip, now)` → the codes left, or
//!   [`MfaRefusal::WrongCode`]; each code works once.
//!
//! Both take the keys and parameters they need rather than `Core`, so a caller holding an
//! open transaction never reaches for a second connection. The caller raises the events
//! (`MfaEvent::CodeRefused`, `MfaEvent::BackupCodeUsed`) through `events::record`.
//! - `codes::check_code` (crate-internal) checks an email or SMS code against the newest
//!   live code of its purpose and challenge, and consumes it once.
//!
//! Email and SMS factors ([`contact`]) are enrolled by a code sent to the address or
//! number. Changes to factors need a recent sign-in (`mfa.recent_auth_secs`). The person's
//! settings ([`preferences`]) bound the login challenge per method ([`limits`]); changing the
//! primary method or removing the last factor may wait for a staff member ([`changes`]).

pub mod backup;
pub mod changes;
pub(crate) mod codes;
pub mod config;
pub mod contact;
pub mod error;
mod factors;
pub mod limits;
pub mod preferences;
pub mod status;
pub mod totp;

pub use backup::{consume_backup_code, generate_backup_codes};
pub use changes::{decide_change, list_changes, ChangeOutcome, MfaChange};
pub use config::MfaConfig;
pub use contact::{confirm_contact, remove_contact, start_contact, CodeSent};
pub use error::{MfaError, MfaRefusal, MfaResult};
pub use preferences::{update_settings, LimitsUpdate, SettingsUpdate};
pub use status::{mfa_status, MethodStatus, MfaStatus};
pub use totp::{confirm_totp, remove_totp, start_totp, verify_totp_for_login, TotpEnrolment};

use crate::accounts::AuthContext;
use crate::state::Core;
use chrono::{DateTime, Utc};

/// Refuse a change to factors unless the session signed in within `recent_auth_secs`
/// (the same rule as trusting a device: [`crate::accounts::require_recent_authentication`]).
fn require_recent_auth(core: &Core, auth: &AuthContext, _now: DateTime<Utc>) -> MfaResult<()> {
    crate::accounts::require_recent_authentication(core, auth)
        .map_err(|_| MfaError::ReauthenticationRequired)
}
