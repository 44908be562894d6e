//! Changes to a person's second factors that may wait for a staff member's approval
//! (issue 9, item 6): what kind of change, where it stands, and when the deployment wants
//! approval (`mfa.changes_require_approval`).

string_enum!(
    /// `mfa_change_log.action`: a change that is logged (and may need approval).
    MfaChangeAction {
        // The primary method changes (`new_value.primary_method`).
        PrimaryMethodChanged => "primary_method_changed",
        // The last factor is removed: two-step verification turns off.
        LastFactorRemoved => "last_factor_removed",
        // The person stops asking for approval of their changes.
        ApprovalRequirementRemoved => "approval_requirement_removed",
    }
);

string_enum!(
    /// `mfa_change_log.approval_status`.
    MfaChangeStatus {
        // Waiting for a staff member; nothing changed yet.
        Pending => "pending",
        // A staff member approved it and the change was applied.
        Approved => "approved",
        // A staff member rejected it; nothing changed.
        Rejected => "rejected",
        // No approval was needed: applied when asked (logged for the record).
        NotRequired => "not_required",
    }
);

string_enum!(
    /// Which changes this deployment makes wait for approval.
    ApprovalPolicy {
        // None (a person may still ask for approval of their own changes).
        Never => "never",
        // Removing the last factor.
        LastFactor => "last_factor",
        // Every logged change.
        Always => "always",
    }
);

impl ApprovalPolicy {
    /// Whether `action` needs approval, given the deployment's policy and the person's own
    /// `require_approval_for_changes`.
    pub fn requires(self, action: MfaChangeAction, person_asks: bool) -> bool {
        person_asks
            || match self {
                ApprovalPolicy::Never => false,
                ApprovalPolicy::LastFactor => action == MfaChangeAction::LastFactorRemoved,
                ApprovalPolicy::Always => true,
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MfaChangeAction::*;

    #[test]
    fn the_policy_and_the_person_decide_together() {
        assert!(!ApprovalPolicy::Never.requires(LastFactorRemoved, false));
        assert!(ApprovalPolicy::Never.requires(PrimaryMethodChanged, true));
        assert!(ApprovalPolicy::LastFactor.requires(LastFactorRemoved, false));
        assert!(!ApprovalPolicy::LastFactor.requires(PrimaryMethodChanged, false));
        assert!(ApprovalPolicy::Always.requires(PrimaryMethodChanged, false));
        assert!(ApprovalPolicy::Always.requires(ApprovalRequirementRemoved, false));
    }
}
