-- Reverts 0009_audit_outlives_users: the audit logs reference users again. Rows of users
-- that no longer exist cannot satisfy that reference: they are removed (account_audit_log
-- keeps them with user_id NULL, as ON DELETE SET NULL would have left them).
UPDATE account_audit_log SET user_id = NULL
    WHERE user_id IS NOT NULL AND user_id NOT IN (SELECT id FROM users);
DELETE FROM session_audit_log WHERE user_id NOT IN (SELECT id FROM users);
DELETE FROM device_audit_log WHERE user_id NOT IN (SELECT id FROM users);
DELETE FROM session_device_link_audit_log WHERE user_id NOT IN (SELECT id FROM users);
DELETE FROM mfa_audit_log WHERE user_id NOT IN (SELECT id FROM users);
ALTER TABLE account_audit_log ADD CONSTRAINT account_audit_log_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE session_audit_log ADD CONSTRAINT session_audit_log_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE device_audit_log ADD CONSTRAINT device_audit_log_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE session_device_link_audit_log ADD CONSTRAINT session_device_link_audit_log_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE mfa_audit_log ADD CONSTRAINT mfa_audit_log_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
