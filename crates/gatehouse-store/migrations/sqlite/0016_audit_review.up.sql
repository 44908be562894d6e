-- SQLite twin of migrations/postgres/0016_audit_review.up.sql: same columns, CHECKs and
-- index names. SQLite cannot add a CHECK to an existing column, so the allowed values of
-- session_audit_log.review_status (a seed column) are enforced by two triggers instead of
-- rebuilding the table; the new columns carry a column CHECK as on PostgreSQL.
ALTER TABLE session_audit_log ADD COLUMN reviewed_at TEXT;
CREATE TRIGGER session_audit_log_review_status_insert
BEFORE INSERT ON session_audit_log
WHEN NEW.review_status IS NOT NULL
 AND NEW.review_status NOT IN ('pending', 'open', 'acknowledged', 'resolved', 'false_positive')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: session_audit_log_review_status_check');
END;
CREATE TRIGGER session_audit_log_review_status_update
BEFORE UPDATE OF review_status ON session_audit_log
WHEN NEW.review_status IS NOT NULL
 AND NEW.review_status NOT IN ('pending', 'open', 'acknowledged', 'resolved', 'false_positive')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: session_audit_log_review_status_check');
END;

ALTER TABLE device_audit_log ADD COLUMN requires_review INTEGER NOT NULL DEFAULT 0;
ALTER TABLE device_audit_log ADD COLUMN review_status TEXT
    CHECK (review_status IN ('pending', 'open', 'acknowledged', 'resolved', 'false_positive'));
ALTER TABLE device_audit_log ADD COLUMN reviewed_by_id BLOB;
ALTER TABLE device_audit_log ADD COLUMN reviewed_at TEXT;
ALTER TABLE device_audit_log ADD COLUMN review_notes TEXT;

ALTER TABLE mfa_audit_log ADD COLUMN requires_review INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mfa_audit_log ADD COLUMN review_status TEXT
    CHECK (review_status IN ('pending', 'open', 'acknowledged', 'resolved', 'false_positive'));
ALTER TABLE mfa_audit_log ADD COLUMN reviewed_by_id BLOB;
ALTER TABLE mfa_audit_log ADD COLUMN reviewed_at TEXT;
ALTER TABLE mfa_audit_log ADD COLUMN review_notes TEXT;

ALTER TABLE session_device_link_audit_log ADD COLUMN requires_review INTEGER NOT NULL DEFAULT 0;
ALTER TABLE session_device_link_audit_log ADD COLUMN review_status TEXT
    CHECK (review_status IN ('pending', 'open', 'acknowledged', 'resolved', 'false_positive'));
ALTER TABLE session_device_link_audit_log ADD COLUMN reviewed_by_id BLOB;
ALTER TABLE session_device_link_audit_log ADD COLUMN reviewed_at TEXT;
ALTER TABLE session_device_link_audit_log ADD COLUMN review_notes TEXT;

CREATE INDEX idx_device_audit_log_review_queue ON device_audit_log (created_at DESC) WHERE requires_review;
CREATE INDEX idx_mfa_audit_log_review_queue ON mfa_audit_log (created_at DESC) WHERE requires_review;
CREATE INDEX idx_session_device_link_audit_log_review_queue ON session_device_link_audit_log (created_at DESC) WHERE requires_review;
