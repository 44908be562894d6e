-- gatehouse 0009: audit rows outlive the user they describe (ASVS 7.3.3; DESIGN §5): the
-- audit logs keep `user_id` without a foreign key, as they already do for sessions and
-- devices, so deleting a user no longer deletes (or, in account_audit_log, blanks) its
-- audit trail; only retention removes audit rows. On the partitioned logs, dropping the
-- parent's constraint drops it from every partition.
ALTER TABLE account_audit_log DROP CONSTRAINT account_audit_log_user_id_fkey;
ALTER TABLE session_audit_log DROP CONSTRAINT session_audit_log_user_id_fkey;
ALTER TABLE device_audit_log DROP CONSTRAINT device_audit_log_user_id_fkey;
ALTER TABLE session_device_link_audit_log DROP CONSTRAINT session_device_link_audit_log_user_id_fkey;
ALTER TABLE mfa_audit_log DROP CONSTRAINT mfa_audit_log_user_id_fkey;
