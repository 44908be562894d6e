-- gatehouse 0014: MFA settings and change approvals (issue 9, items 1 and 6).
-- A person may ask that changes to their second factors wait for a staff member's approval
-- (`mfa_settings.require_approval_for_changes`); a method's own limits (max attempts, hourly
-- answers, lockout) count only once the person has set them (`limits_set_at`), so rows made
-- when a method was set up keep following the deployment's values.
ALTER TABLE mfa_settings ADD COLUMN require_approval_for_changes boolean NOT NULL DEFAULT false;
ALTER TABLE mfa_method_preferences ADD COLUMN limits_set_at timestamptz;
-- The admin list reads pending changes newest first.
CREATE INDEX idx_mfa_change_log_status_id ON mfa_change_log (approval_status, id);
