-- Reverts 0018_audit_seals.
DROP TRIGGER audit_seals_no_truncate ON audit_seals;
DROP TRIGGER session_device_link_audit_log_no_truncate ON session_device_link_audit_log;
DROP TRIGGER mfa_audit_log_no_truncate ON mfa_audit_log;
DROP TRIGGER device_audit_log_no_truncate ON device_audit_log;
DROP TRIGGER session_audit_log_no_truncate ON session_audit_log;
DROP TRIGGER audit_seals_append_only ON audit_seals;
DROP TRIGGER session_device_link_audit_log_append_only ON session_device_link_audit_log;
DROP TRIGGER mfa_audit_log_append_only ON mfa_audit_log;
DROP TRIGGER device_audit_log_append_only ON device_audit_log;
DROP TRIGGER session_audit_log_append_only ON session_audit_log;
DROP FUNCTION gatehouse_audit_append_only();
DROP TABLE audit_seals;
ALTER TABLE session_device_link_audit_log DROP COLUMN row_hash;
ALTER TABLE mfa_audit_log DROP COLUMN row_hash;
ALTER TABLE device_audit_log DROP COLUMN row_hash;
ALTER TABLE session_audit_log DROP COLUMN row_hash;
