-- Undo 0016 (SQLite): drop the review columns, triggers and indexes (the notes are lost).
DROP INDEX idx_session_device_link_audit_log_review_queue;
DROP INDEX idx_mfa_audit_log_review_queue;
DROP INDEX idx_device_audit_log_review_queue;

ALTER TABLE session_device_link_audit_log DROP COLUMN review_notes;
ALTER TABLE session_device_link_audit_log DROP COLUMN reviewed_at;
ALTER TABLE session_device_link_audit_log DROP COLUMN reviewed_by_id;
ALTER TABLE session_device_link_audit_log DROP COLUMN review_status;
ALTER TABLE session_device_link_audit_log DROP COLUMN requires_review;

ALTER TABLE mfa_audit_log DROP COLUMN review_notes;
ALTER TABLE mfa_audit_log DROP COLUMN reviewed_at;
ALTER TABLE mfa_audit_log DROP COLUMN reviewed_by_id;
ALTER TABLE mfa_audit_log DROP COLUMN review_status;
ALTER TABLE mfa_audit_log DROP COLUMN requires_review;

ALTER TABLE device_audit_log DROP COLUMN review_notes;
ALTER TABLE device_audit_log DROP COLUMN reviewed_at;
ALTER TABLE device_audit_log DROP COLUMN reviewed_by_id;
ALTER TABLE device_audit_log DROP COLUMN review_status;
ALTER TABLE device_audit_log DROP COLUMN requires_review;

DROP TRIGGER session_audit_log_review_status_update;
DROP TRIGGER session_audit_log_review_status_insert;
ALTER TABLE session_audit_log DROP COLUMN reviewed_at;
