-- Reverts 0018_audit_seals.
DROP TRIGGER session_device_link_audit_log_append_only;
DROP TRIGGER mfa_audit_log_append_only;
DROP TRIGGER device_audit_log_append_only;
DROP TRIGGER session_audit_log_append_only;
DROP TRIGGER audit_seals_append_only_delete;
DROP TRIGGER audit_seals_append_only_update;
DROP TABLE audit_seals;
ALTER TABLE session_device_link_audit_log DROP COLUMN row_hash;
ALTER TABLE mfa_audit_log DROP COLUMN row_hash;
ALTER TABLE device_audit_log DROP COLUMN row_hash;
ALTER TABLE session_audit_log DROP COLUMN row_hash;
