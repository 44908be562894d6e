//! Session lifecycle values, stored as text in `sessions.status` and
//! `refresh_tokens.revocation_reason`.

string_enum!(
    /// Where a session is in its life. Only `Active` sessions authenticate requests.
    SessionStatus {
        Active => "active",
        LoggedOut => "logged_out",
        Revoked => "revoked",
        Expired => "expired",
    }
);

string_enum!(
    /// Why a refresh token (or its whole family) stopped being valid.
    RevocationReason {
        Rotated => "rotated",
        Logout => "logout",
        LogoutAll => "logout_all",
        SessionRevoked => "session_revoked",
        DeviceRemoved => "device_removed",
        PasswordChanged => "password_changed",
        ReuseDetected => "reuse_detected",
        // The session was not refreshed within its idle timeout.
        IdleTimeout => "idle_timeout",
        // The owner reported a sign-in as not theirs ("this wasn't me").
        ReportedNotMe => "reported_not_me",
        // The session reached its absolute lifetime.
        Expired => "expired",
        // A new session took the account past `max_active_sessions_per_user`.
        SessionLimit => "session_limit",
    }
);

string_enum!(
    /// What kind of client a session belongs to (`sessions.session_type`).
    SessionType {
        Web => "web",
        Mobile => "mobile",
        Api => "api",
    }
);

string_enum!(
    /// Authentication methods (RFC 8176 `amr` values) a session has proven. A session's
    /// list is stored with it and copied into every access token issued for it.
    AuthMethod {
        Password => "pwd",
        OneTimePassword => "otp",
        Sms => "sms",
        Telephone => "tel",
        MultiFactor => "mfa",
        HardwareKey => "hwk",
        SoftwareKey => "swk",
        KnowledgeBased => "kba",
        UserPresence => "user",
    }
);

string_enum!(
    /// Why a password was set (`password_history.reason`).
    PasswordChangeReason {
        Registration => "registration",
        Change => "change",
        Reset => "reset",
    }
);

/// Which failed-attempt counter a lock holds (audit rows and metrics name it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    /// The account's counter: clients without a device token are refused.
    Account,
    /// A known client's own counter (its device token): that client is refused.
    KnownClient,
    /// A session's counter of wrong current passwords.
    Session,
    /// The client address (IPv6: its /64).
    Address,
}

impl LockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LockKind::Account => "account",
            LockKind::KnownClient => "device_token",
            LockKind::Session => "session",
            LockKind::Address => "address",
        }
    }
}
