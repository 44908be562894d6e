//! The event recorder (DESIGN §5a): every security-relevant change is raised once, here,
//! inside the transaction of the change — `events::record(&mut tx, core, now, &client, Event::..)`.
//! The recorder hands the event to its subscribers: the audit logs ([`audit`]) and the
//! notification outbox ([`notify`], and [`links`] for the messages that carry a
//! verification or reset link). Risk assessments travel in the events of the sign-in they
//! scored, so a use case never writes an audit row or a message itself.

mod alert;
pub mod audit;
pub(crate) mod links;
pub mod mfa;
pub mod notify;
pub(crate) mod recovery;

pub use mfa::MfaEvent;

use crate::client::ClientInfo;
use crate::state::Core;
use chrono::{DateTime, Utc};
pub use gatehouse_domain::accounts::LockKind;
use gatehouse_domain::accounts::{RevocationReason, SessionType};
use gatehouse_domain::audit::{AuditKind, DeviceAction, ReviewStatus};
use gatehouse_domain::ids::{DeviceId, SessionId, TokenFamilyId, UserId};
use gatehouse_domain::risk::RiskAssessment;
use gatehouse_store::accounts::devices::DeviceRow;
use gatehouse_store::accounts::sessions::EndedSession;
use gatehouse_store::types::Inet;
use gatehouse_store::{StoreResult, Tx};

/// What happened, in the domain's words. Each variant carries what its subscribers need.
#[derive(Debug, Clone)]
pub enum Event<'a> {
    /// A new account.
    Registered { user_id: UserId, username_set: bool },
    /// A wrong password for an account, or (`user_id: None`) a login naming no account.
    LoginFailed { user_id: Option<UserId> },
    /// This attempt set a throttle lock. Attempts refused while it holds write nothing,
    /// so a lock window has one row and refusals cost the same for known and unknown
    /// accounts. `user_id: None` when the attempt named no account.
    LockSet {
        user_id: Option<UserId>,
        lock: LockKind,
    },
    /// The right password for a disabled account.
    LoginRefusedDisabled { user_id: UserId },
    /// The right password for an account its owner locked ("this wasn't me").
    LoginRefusedLocked { user_id: UserId },
    /// The owner used a "this wasn't me" link: the account is locked until `locked_until`
    /// and `sessions_ended` sessions were ended.
    ReportedNotMe {
        user_id: UserId,
        session_id: Option<SessionId>,
        device_id: Option<DeviceId>,
        sessions_ended: u64,
        locked_until: DateTime<Utc>,
    },
    /// A password change whose current password was wrong.
    PasswordChangeRefused {
        user_id: UserId,
        session_id: SessionId,
    },
    /// The device a login came from: new, seen again, or back after removal.
    DeviceSeen {
        user_id: UserId,
        device_id: DeviceId,
        session_id: SessionId,
        action: DeviceAction,
        device: &'a DeviceDescription,
        previous_ip: Option<Inet>,
        /// The login's risk assessment (its score becomes the device's).
        risk: Option<&'a RiskAssessment>,
    },
    /// A session began on a device.
    SessionStarted {
        user_id: UserId,
        session_id: SessionId,
        device_id: DeviceId,
        session_type: SessionType,
        mfa_verified: bool,
        /// The login's risk assessment, when a sign-in was scored.
        risk: Option<&'a RiskAssessment>,
    },
    /// A sign-in whose risk the owner must hear about: refused (critical), or allowed at
    /// high risk because the account has no second factor to step up to.
    RiskyLogin {
        user_id: UserId,
        /// The session it started (`None` when refused).
        session_id: Option<SessionId>,
        assessment: &'a RiskAssessment,
        refused: bool,
    },
    /// A session ended (logout, revocation, password change, device removal, reuse).
    SessionEnded {
        user_id: UserId,
        session: &'a EndedSession,
        reason: RevocationReason,
    },
    /// A rotated refresh token was presented again: its family and session are revoked.
    RefreshTokenReused {
        user_id: UserId,
        session_id: SessionId,
        device_id: Option<DeviceId>,
        family_id: TokenFamilyId,
    },
    PasswordChanged {
        user_id: UserId,
        session_id: SessionId,
        signed_out_other_sessions: bool,
    },
    /// Profile fields changed (their names, never their values).
    ProfileUpdated {
        user_id: UserId,
        session_id: SessionId,
        changed_fields: &'a [&'static str],
    },
    /// The owner removed a device.
    DeviceRemoved {
        user_id: UserId,
        device: &'a DeviceRow,
    },
    /// A device became trusted until `trusted_until`, or (`None`) lost its trust;
    /// `reason` says who or what changed it (`owner`, `password_changed`, ...).
    DeviceTrustChanged {
        user_id: UserId,
        session_id: Option<SessionId>,
        device: &'a DeviceRow,
        trusted_until: Option<DateTime<Utc>>,
        reason: &'static str,
    },
    /// A change to the person's second factors, or a refused code (see [`mfa`]).
    Mfa(MfaEvent),
    /// A sign-up named the address of this existing account: nothing changed, and the
    /// owner is told someone tried.
    SignupOnTakenAddress { user_id: UserId },
    /// `email` should be proven: a verification link is sent to it (the account's address
    /// at sign-up or on request, or the address the owner wants to move to).
    /// `new_address`: the link moves the account to `email` (a change of address).
    VerificationRequested {
        user_id: UserId,
        email: &'a str,
        new_address: bool,
    },
    /// A verification link proved the account's address.
    EmailVerified { user_id: UserId },
    /// A verification link moved the account from `old_email` to a new address.
    EmailChanged { user_id: UserId, old_email: &'a str },
    /// Someone asked for a password reset link for this account (`None`: an address no
    /// account has; audited like a login naming no account, and nothing is sent).
    PasswordResetRequested { user_id: Option<UserId> },
    /// A reset link set a new password; `sessions_ended` sessions were ended.
    PasswordReset {
        user_id: UserId,
        sessions_ended: u64,
    },
    /// An operator made the account staff (`gatehouse admin create-staff`); `created` when
    /// the account is new.
    StaffGranted { user_id: UserId, created: bool },
    /// A staff member set the review status of an audit row about someone else.
    AuditReviewed {
        reviewer: UserId,
        kind: AuditKind,
        id: uuid::Uuid,
        subject: UserId,
        previous_status: Option<&'a str>,
        status: ReviewStatus,
        notes_changed: bool,
    },
}

/// What a login's user agent says about the device.
#[derive(Debug, Clone)]
pub struct DeviceDescription {
    pub device_type: String,
    pub browser: Option<String>,
    pub os: Option<String>,
}

/// Raise `event` inside `tx`: every subscriber writes its part in the same transaction,
/// so the change and its records commit, or vanish, together.
pub async fn record(
    tx: &mut Tx,
    core: &Core,
    now: DateTime<Utc>,
    client: &ClientInfo,
    event: Event<'_>,
) -> StoreResult<()> {
    audit::write(tx, now, client, &event).await?;
    links::write(tx, core, now, client, &event).await?;
    recovery::write(tx, core, now, client, &event).await?;
    notify::write(tx, core, now, client, &event).await
}

/// The audit row of a refresh. Refresh rotation is the one change whose row the store
/// writes inside its own single statement (the hot path: one round trip); the recorder
/// still decides what that row says, and the store fills in the session it rotated.
pub fn token_refreshed(client: &ClientInfo) -> gatehouse_store::audit::SessionAuditEntry {
    audit::token_refreshed_row(client)
}
