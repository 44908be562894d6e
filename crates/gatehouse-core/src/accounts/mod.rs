//! Accounts use cases: sign-up, email verification, login, token refresh, logout,
//! password reset, account recovery, the signed-in person's profile, address, password,
//! sessions and devices, and staff members (who may use the admin endpoints).

mod authenticate;
mod device_token;
mod devices;
mod email_verification;
mod error;
mod issue;
mod login;
mod logout;
mod mfa_login;
mod mfa_send;
mod not_me;
mod password_change;
mod password_reset;
mod profile;
mod recovery;
mod recovery_email;
mod refresh;
mod register;
mod session_cache;
mod sessions;
mod staff;
mod trust;

pub use authenticate::{authenticate, AuthContext};
pub use devices::{list_devices, remove_device, DeviceHint};
pub use email_verification::{
    request_email_change, resend_verification, verify_email, EmailChange,
};
pub use error::{AccountsError, AccountsResult};
pub use issue::LoginGrant;
pub use issue::TokenPair;
pub use login::{login, LoginInput, LoginStep};
pub use logout::{logout, logout_all};
pub use mfa_login::{verify_mfa, MfaAnswer, MfaChallenge};
pub use mfa_send::{send_mfa_code, MfaSendRequest};
pub use not_me::{report_not_me, NotMeReport};
pub use password_change::{change_password, PasswordChange};
pub use password_reset::{confirm_password_reset, request_password_reset, PasswordResetConfirm};
pub use profile::{get_me, update_profile, Patch, ProfilePatch};
pub use recovery::{recover_with_backup_code, BackupCodeRecovery};
pub use recovery_email::{
    cancel_recovery, cancel_recovery_signed_in, complete_email_recovery, request_email_recovery,
    RecoveryCompletion,
};
pub use refresh::refresh;
pub use register::{register, RegisterInput};
pub use session_cache::{spawn_listener as spawn_session_cache_listener, SessionCache};
pub(crate) use sessions::expire_lapsed;
pub use sessions::{list_sessions, revoke_session, Page};
pub use staff::{create_staff, promote_existing, require_staff, StaffGrant};
pub use trust::{
    device_trust, require_recent_authentication, trust_device, untrust_device, DeviceTrust,
};

use gatehouse_store::types::Inet;
use std::net::IpAddr;

fn inet(ip: Option<IpAddr>) -> Option<Inet> {
    ip.map(Inet)
}

/// Rows the use cases return, re-exported so callers need not depend on the store.
pub mod rows {
    pub use gatehouse_store::accounts::devices::DeviceRow;
    pub use gatehouse_store::accounts::sessions::SessionRow;
    pub use gatehouse_store::accounts::users::{ProfileRow, UserRow, UserWithProfile};
    pub use gatehouse_store::types::Inet;
}
