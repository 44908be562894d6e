//! What an alert says before it becomes a notice: the person, the kind, and the details the
//! templates show. The subscribers' mappings (`notify`, `mfa`) build it; `notify` queues it.

use gatehouse_domain::ids::{DeviceId, SessionId, UserId};
use gatehouse_domain::notify::NotificationType;

/// The alert an event raises, if any (pure, so each mapping is easy to read and test).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub user_id: UserId,
    pub kind: NotificationType,
    pub session_id: Option<SessionId>,
    pub device_id: Option<DeviceId>,
    pub device: Option<String>,
    pub with_not_me_link: bool,
    pub only_if_not_first_device: bool,
    /// MFA methods turned on or off (template names: `totp`, `backup_codes`, ...).
    pub methods: Vec<String>,
    /// Backup codes made or left.
    pub remaining_backup_codes: Option<u32>,
    /// Send to this address instead of the account's (the old one, after a change).
    pub to_email: Option<String>,
}
