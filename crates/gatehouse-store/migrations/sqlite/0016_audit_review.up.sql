-- SQLite twin of migrations/postgres/0016_audit_review.up.sql: same columns, CHECKs and
-- index names. SQLite cannot add a CHECK to an existing column, so session_audit_log (whose
-- review_status comes from the seed) is rebuilt as in 0009: renamed aside, created again
-- with the CHECK and the new reviewed_at column at the end (where PostgreSQL's ADD COLUMN
-- puts it), refilled, the old copy dropped and its indexes made again. Nothing references
-- the audit tables. The other three logs take the new columns with ALTER TABLE.
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
    review_status            TEXT
                             CHECK (review_status IN ('pending', 'open', 'acknowledged', 'resolved', 'false_positive')),
    reviewed_by_id           BLOB,
    review_notes             TEXT,
    old_value                TEXT,
    new_value                TEXT,
    metadata                 TEXT,
    error_message            TEXT,
    created_at               TEXT NOT NULL,
    reviewed_at              TEXT
) STRICT;
INSERT INTO session_audit_log (id, user_id, session_id, device_id, action, session_type, mfa_verified, mfa_method, country, city, ip_address, latitude, longitude, risk_level, is_anomalous, anomaly_reasons, session_duration_seconds, total_requests, requires_review, review_status, reviewed_by_id, review_notes, old_value, new_value, metadata, error_message, created_at) SELECT id, user_id, session_id, device_id, action, session_type, mfa_verified, mfa_method, country, city, ip_address, latitude, longitude, risk_level, is_anomalous, anomaly_reasons, session_duration_seconds, total_requests, requires_review, review_status, reviewed_by_id, review_notes, old_value, new_value, metadata, error_message, created_at FROM session_audit_log__old;
DROP TABLE session_audit_log__old;
CREATE INDEX idx_session_audit_log_user_id_created_at ON session_audit_log (user_id, created_at DESC);
CREATE INDEX idx_session_audit_log_session_id ON session_audit_log (session_id);
CREATE INDEX idx_session_audit_log_risk_level ON session_audit_log (risk_level);
CREATE INDEX idx_session_audit_log_created_at ON session_audit_log (created_at);
CREATE INDEX idx_session_audit_log_requires_review ON session_audit_log (requires_review);

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
