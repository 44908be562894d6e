-- Undo 0016: drop the review columns, their CHECKs and indexes (the notes are lost).
DROP INDEX idx_session_device_link_audit_log_review_queue;
DROP INDEX idx_mfa_audit_log_review_queue;
DROP INDEX idx_device_audit_log_review_queue;

ALTER TABLE session_device_link_audit_log
    DROP COLUMN review_notes,
    DROP COLUMN reviewed_at,
    DROP COLUMN reviewed_by_id,
    DROP COLUMN review_status,
    DROP COLUMN requires_review;
ALTER TABLE mfa_audit_log
    DROP COLUMN review_notes,
    DROP COLUMN reviewed_at,
    DROP COLUMN reviewed_by_id,
    DROP COLUMN review_status,
    DROP COLUMN requires_review;
ALTER TABLE device_audit_log
    DROP COLUMN review_notes,
    DROP COLUMN reviewed_at,
    DROP COLUMN reviewed_by_id,
    DROP COLUMN review_status,
    DROP COLUMN requires_review;

ALTER TABLE session_audit_log DROP CONSTRAINT session_audit_log_review_status_check;
ALTER TABLE session_audit_log DROP COLUMN reviewed_at;
