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

-- session_audit_log back to its 0009 shape (no CHECK on review_status, no reviewed_at).
-- session_audit_log
ALTER TABLE session_audit_log RENAME TO session_audit_log__old;
CREATE TABLE session_audit_log (
    id                       BLOB PRIMARY KEY NOT NULL,
    user_id                  BLOB NOT NULL,
    session_id               BLOB,
    device_id                BLOB,
    action                   TEXT NOT NULL,
    session_type             TEXT,
    mfa_verified             INTEGER,
    mfa_method               TEXT,
    country                  TEXT,
    city                     TEXT,
    ip_address               TEXT,
    latitude                 REAL CHECK (latitude BETWEEN -90 AND 90),
    longitude                REAL CHECK (longitude BETWEEN -180 AND 180),
    risk_level               TEXT NOT NULL DEFAULT 'low'
                             CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
    is_anomalous             INTEGER NOT NULL DEFAULT 0,
    anomaly_reasons          TEXT,
    session_duration_seconds INTEGER,
    total_requests           INTEGER,
    requires_review          INTEGER NOT NULL DEFAULT 0,
    review_status            TEXT,
    reviewed_by_id           BLOB,
    review_notes             TEXT,
    old_value                TEXT,
    new_value                TEXT,
    metadata                 TEXT,
    error_message            TEXT,
    created_at               TEXT NOT NULL
) STRICT;
INSERT INTO session_audit_log (id, user_id, session_id, device_id, action, session_type, mfa_verified, mfa_method, country, city, ip_address, latitude, longitude, risk_level, is_anomalous, anomaly_reasons, session_duration_seconds, total_requests, requires_review, review_status, reviewed_by_id, review_notes, old_value, new_value, metadata, error_message, created_at) SELECT id, user_id, session_id, device_id, action, session_type, mfa_verified, mfa_method, country, city, ip_address, latitude, longitude, risk_level, is_anomalous, anomaly_reasons, session_duration_seconds, total_requests, requires_review, review_status, reviewed_by_id, review_notes, old_value, new_value, metadata, error_message, created_at FROM session_audit_log__old;
DROP TABLE session_audit_log__old;
CREATE INDEX idx_session_audit_log_user_id_created_at ON session_audit_log (user_id, created_at DESC);
CREATE INDEX idx_session_audit_log_session_id ON session_audit_log (session_id);
CREATE INDEX idx_session_audit_log_risk_level ON session_audit_log (risk_level);
CREATE INDEX idx_session_audit_log_created_at ON session_audit_log (created_at);
CREATE INDEX idx_session_audit_log_requires_review ON session_audit_log (requires_review);
