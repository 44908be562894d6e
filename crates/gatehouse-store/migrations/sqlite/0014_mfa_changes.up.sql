-- SQLite twin of migrations/postgres/0014_mfa_changes.up.sql (boolean -> INTEGER 0/1,
-- timestamptz -> TEXT, as since 0007).
ALTER TABLE mfa_settings ADD COLUMN require_approval_for_changes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mfa_method_preferences ADD COLUMN limits_set_at TEXT;
CREATE INDEX idx_mfa_change_log_status_id ON mfa_change_log (approval_status, id);
