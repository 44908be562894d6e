//! Audit actions: what each of the four audit logs records. The seed asks for at least
//! 19 session actions, 20 device actions and 18 MFA actions; the strings are the values
//! stored in the `action` columns.

string_enum!(
    /// `session_audit_log.action`.
    SessionAction {
        LoginSucceeded => "login_succeeded",
        LoginFailed => "login_failed",
        LoginLocked => "login_locked",
        AccountLocked => "account_locked",
        IpThrottled => "ip_throttled",
        SessionCreated => "session_created",
        TokenRefreshed => "token_refreshed",
        RefreshTokenReused => "refresh_token_reused",
        Logout => "logout",
        LogoutAll => "logout_all",
        SessionRevoked => "session_revoked",
        SessionExpired => "session_expired",
        PasswordChanged => "password_changed",
        ProfileUpdated => "profile_updated",
        Registered => "registered",
        MfaRequired => "mfa_required",
        MfaVerified => "mfa_verified",
        MfaFailed => "mfa_failed",
        SuspiciousActivity => "suspicious_activity",
        SessionDeviceChanged => "session_device_changed",
        LoginRefusedDisabled => "login_refused_disabled",
        PasswordChangeFailed => "password_change_failed",
    }
);

string_enum!(
    /// `device_audit_log.action`.
    DeviceAction {
        Registered => "registered",
        SeenAgain => "seen_again",
        Verified => "verified",
        Trusted => "trusted",
        TrustRevoked => "trust_revoked",
        TrustExpired => "trust_expired",
        Removed => "removed",
        Restored => "restored",
        MarkedCompromised => "marked_compromised",
        RiskAssessed => "risk_assessed",
        RiskIncreased => "risk_increased",
        RiskDecreased => "risk_decreased",
        LocationChanged => "location_changed",
        IpChanged => "ip_changed",
        UserAgentChanged => "user_agent_changed",
        MfaSkipGranted => "mfa_skip_granted",
        MfaSkipRevoked => "mfa_skip_revoked",
        Renamed => "renamed",
        SessionLinked => "session_linked",
        SessionUnlinked => "session_unlinked",
        NewDeviceAlertSent => "new_device_alert_sent",
    }
);

string_enum!(
    /// `mfa_audit_log.action`.
    MfaAction {
        ChallengeCreated => "challenge_created",
        CodeSent => "code_sent",
        CodeVerified => "code_verified",
        CodeFailed => "code_failed",
        CodeExpired => "code_expired",
        CodeReplayed => "code_replayed",
        TotpEnrolled => "totp_enrolled",
        TotpRemoved => "totp_removed",
        EmailMethodAdded => "email_method_added",
        EmailMethodRemoved => "email_method_removed",
        SmsMethodAdded => "sms_method_added",
        SmsMethodRemoved => "sms_method_removed",
        BackupCodesGenerated => "backup_codes_generated",
        BackupCodeUsed => "backup_code_used",
        RecoveryStarted => "recovery_started",
        RecoveryCompleted => "recovery_completed",
        // An email recovery in progress was cancelled (by a link or a signed-in session).
        RecoveryCancelled => "recovery_cancelled",
        MfaEnabled => "mfa_enabled",
        MfaDisabled => "mfa_disabled",
        RateLimited => "rate_limited",
        LockedOut => "locked_out",
        // A method's limits or the person's approval setting changed (PUT /v1/me/mfa/settings).
        SettingsChanged => "settings_changed",
        PrimaryMethodChanged => "primary_method_changed",
        // A change waits for a staff member (mfa_change_log), then is approved or rejected.
        ChangeRequested => "change_requested",
        ChangeApproved => "change_approved",
        ChangeRejected => "change_rejected",
    }
);

string_enum!(
    /// `account_audit_log.action`: account-level events that belong to no session.
    AccountAction {
        Registered => "registered",
        LoginFailedUnknownAccount => "login_failed_unknown_account",
        // Failed logins naming no account reached the account limit.
        UnknownAccountLocked => "unknown_account_locked",
        // An address was blocked by attempts naming no account.
        AddressBlocked => "address_blocked",
        // An SMS was not queued: its number or country reached the day's cap (SMS pumping).
        SmsCapReached => "sms_cap_reached",
        // The owner used a "this wasn't me" link: account locked, every session ended.
        ReportedNotMe => "reported_not_me",
        // A sign-up named an address that already has an account (its owner was told).
        SignupOnTakenAddress => "signup_on_taken_address",
        // A verification link was sent (at sign-up, on request, or for a new address).
        EmailVerificationSent => "email_verification_sent",
        EmailVerified => "email_verified",
        // The account moved to a new, verified address (the old one was told).
        EmailChanged => "email_changed",
        PasswordResetRequested => "password_reset_requested",
        // A reset link set a new password and ended every session.
        PasswordReset => "password_reset",
        // `gatehouse admin create-staff` made the account staff (created or promoted it).
        StaffGranted => "staff_granted",
        // A staff member set the review status of an audit row (`PATCH /v1/admin/audit/..`);
        // user_id is the reviewer, the details name the row, its subject and the statuses.
        AuditReviewed => "audit_reviewed",
    }
);

string_enum!(
    /// `session_device_link_audit_log.link_action`.
    LinkAction {
        Linked => "linked",
        Relinked => "relinked",
        Unlinked => "unlinked",
        Revoked => "revoked",
    }
);

string_enum!(
    /// Which audit log a review request names: `/v1/admin/audit/{kind}`.
    AuditKind {
        Sessions => "sessions",
        Devices => "devices",
        Mfa => "mfa",
        Links => "links",
    }
);

string_enum!(
    /// `review_status` of an audit row. `pending` is how a row that requires review is
    /// written; a staff member sets one of the other four.
    ReviewStatus {
        Pending => "pending",
        Open => "open",
        Acknowledged => "acknowledged",
        Resolved => "resolved",
        FalsePositive => "false_positive",
    }
);

impl ReviewStatus {
    /// The statuses a reviewer may set (everything but `pending`).
    pub const SETTABLE: &'static [ReviewStatus] = &[
        ReviewStatus::Open,
        ReviewStatus::Acknowledged,
        ReviewStatus::Resolved,
        ReviewStatus::FalsePositive,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn enums_reach_the_seed_sizes_and_round_trip() {
        assert!(SessionAction::ALL.len() >= 19);
        assert!(DeviceAction::ALL.len() >= 20);
        assert!(MfaAction::ALL.len() >= 18);
        for a in SessionAction::ALL {
            assert_eq!(SessionAction::from_str(a.as_str()), Ok(*a));
        }
        for a in DeviceAction::ALL {
            assert_eq!(DeviceAction::from_str(a.as_str()), Ok(*a));
        }
        for a in MfaAction::ALL {
            assert_eq!(MfaAction::from_str(a.as_str()), Ok(*a));
        }
    }
}
