//! The enumerations notifications are described with, stored and sent as short strings.

string_enum!(
    /// What a message is about. The seed's fourteen security and account types, plus
    /// `product_update`, the one marketing type (so consent has something to gate), and
    /// `signup_attempt` (someone tried to sign up with the person's address), and
    /// `mfa_change_approved`/`mfa_change_rejected` (a staff member decided a change to the
    /// person's second factors).
    /// `mfa_recovery` (an account recovery was asked for, or signed the person in).
    NotificationType {
        OtpCode => "otp_code",
        EmailVerification => "email_verification",
        PasswordReset => "password_reset",
        PasswordChanged => "password_changed",
        EmailChanged => "email_changed",
        LoginNewDevice => "login_new_device",
        LoginNewLocation => "login_new_location",
        SuspiciousActivity => "suspicious_activity",
        MfaEnabled => "mfa_enabled",
        MfaDisabled => "mfa_disabled",
        BackupCodesGenerated => "backup_codes_generated",
        BackupCodeUsed => "backup_code_used",
        AccountLocked => "account_locked",
        SecurityDigest => "security_digest",
        ProductUpdate => "product_update",
        SignupAttempt => "signup_attempt",
        MfaChangeApproved => "mfa_change_approved",
        MfaChangeRejected => "mfa_change_rejected",
        MfaRecovery => "mfa_recovery",
    }
);

impl NotificationType {
    /// Codes and links the person asked for just now: sent at once, never held by quiet
    /// hours or gathered into a digest, and never refused for want of consent. An account
    /// recovery is among them: its cancel link must reach every channel, whatever the
    /// person's alert settings, before the recovery takes effect.
    pub fn is_transactional(self) -> bool {
        matches!(
            self,
            NotificationType::OtpCode
                | NotificationType::EmailVerification
                | NotificationType::PasswordReset
                | NotificationType::MfaRecovery
        )
    }

    /// Marketing: sent only with the person's recorded `marketing` consent.
    pub fn is_marketing(self) -> bool {
        matches!(self, NotificationType::ProductUpdate)
    }

    /// The priority a type has when the person set none.
    pub fn default_priority(self) -> Priority {
        use NotificationType::*;
        match self {
            OtpCode | EmailVerification | PasswordReset | MfaRecovery => Priority::Critical,
            SuspiciousActivity | AccountLocked | PasswordChanged | EmailChanged | MfaDisabled
            | MfaChangeApproved => Priority::Critical,
            LoginNewDevice | LoginNewLocation | BackupCodeUsed | SignupAttempt
            | MfaChangeRejected => Priority::High,
            MfaEnabled | BackupCodesGenerated => Priority::Medium,
            SecurityDigest | ProductUpdate => Priority::Low,
        }
    }

    /// Whether a message of this type can go by `channel` at all. A code or reset link is
    /// for someone who may not be signed in, so it never goes to the in-app feed or push;
    /// an email verification proves an email address, so it goes by email only.
    pub fn supports(self, channel: Channel) -> bool {
        use NotificationType::*;
        match self {
            EmailVerification => channel == Channel::Email,
            OtpCode | PasswordReset => matches!(channel, Channel::Email | Channel::Sms),
            _ => true,
        }
    }

    /// Security alerts a person may have gathered into an hourly or daily digest: everything
    /// but codes and links, marketing, and the digest itself.
    pub fn is_digestible(self) -> bool {
        !self.is_transactional() && !self.is_marketing() && self != NotificationType::SecurityDigest
    }
}

impl Channel {
    /// Whether a message on this channel reaches the person unasked (a phone that buzzes, an
    /// inbox that fills). In-app entries wait in the feed until the person looks, so quiet
    /// hours and digests have nothing to spare them from.
    pub fn interrupts(self) -> bool {
        !matches!(self, Channel::InApp)
    }
}

string_enum!(
    /// Where a message goes.
    Channel {
        Email => "email",
        Sms => "sms",
        InApp => "in_app",
        Push => "push",
    }
);

string_enum!(
    /// How urgent a message is. `Critical` passes quiet hours that allow critical ones.
    Priority {
        Low => "low",
        Medium => "medium",
        High => "high",
        Critical => "critical",
    }
);

string_enum!(
    /// How often non-critical alerts are sent (`notification_preferences.digest_frequency`).
    DigestFrequency {
        RealTime => "real-time",
        Hourly => "hourly",
        Daily => "daily",
    }
);

string_enum!(
    /// What a person may consent to (GDPR ledger, `notification_consents.consent_type`).
    ConsentType {
        Marketing => "marketing",
        ProductUpdates => "product_updates",
        SmsMarketing => "sms_marketing",
        Analytics => "analytics",
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use NotificationType::*;

    #[test]
    fn channels_each_type_goes_by() {
        let by = |kind: NotificationType| -> Vec<Channel> {
            Channel::ALL
                .iter()
                .copied()
                .filter(|&channel| kind.supports(channel))
                .collect()
        };
        assert_eq!(by(OtpCode), [Channel::Email, Channel::Sms]);
        assert_eq!(by(PasswordReset), [Channel::Email, Channel::Sms]);
        assert_eq!(by(EmailVerification), [Channel::Email]);
        for kind in NotificationType::ALL
            .iter()
            .filter(|k| !k.is_transactional())
        {
            assert_eq!(by(*kind), Channel::ALL, "{kind}");
        }
        assert_eq!(
            Channel::ALL
                .iter()
                .filter(|c| !c.interrupts())
                .collect::<Vec<_>>(),
            [&Channel::InApp]
        );
    }

    #[test]
    fn digestible_types_are_the_security_alerts() {
        let digestible: Vec<_> = NotificationType::ALL
            .iter()
            .copied()
            .filter(|kind| kind.is_digestible())
            .collect();
        assert_eq!(
            digestible,
            [
                PasswordChanged,
                EmailChanged,
                LoginNewDevice,
                LoginNewLocation,
                SuspiciousActivity,
                MfaEnabled,
                MfaDisabled,
                BackupCodesGenerated,
                BackupCodeUsed,
                AccountLocked,
                SignupAttempt,
                MfaChangeApproved,
                MfaChangeRejected,
            ]
        );
    }
}
