-- Reverts 0014_mfa_changes.
DROP INDEX idx_mfa_change_log_status_id;
ALTER TABLE mfa_method_preferences DROP COLUMN limits_set_at;
ALTER TABLE mfa_settings DROP COLUMN require_approval_for_changes;
