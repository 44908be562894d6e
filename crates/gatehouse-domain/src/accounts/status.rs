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
    }
);
