-- gatehouse 0018: tamper evidence for the four audit logs (issue 10, item 1); see the
-- PostgreSQL migration of the same number. Here too a trigger refuses an UPDATE of
-- anything but the review columns; DELETE stays open for retention's batch deletion
-- (SQLite has no roles or transaction settings to tell retention apart), and the seal
-- chain is what reveals any other removal.
ALTER TABLE session_audit_log ADD COLUMN row_hash BLOB CHECK (length(row_hash) = 32);
ALTER TABLE device_audit_log ADD COLUMN row_hash BLOB CHECK (length(row_hash) = 32);
ALTER TABLE mfa_audit_log ADD COLUMN row_hash BLOB CHECK (length(row_hash) = 32);
ALTER TABLE session_device_link_audit_log ADD COLUMN row_hash BLOB CHECK (length(row_hash) = 32);

CREATE TABLE audit_seals (
    seq          INTEGER PRIMARY KEY NOT NULL CHECK (seq > 0),
    log          TEXT NOT NULL CHECK (length(log) <= 20 AND log IN ('sessions', 'devices', 'mfa', 'links')),
    kind         TEXT NOT NULL CHECK (length(kind) <= 20 AND kind IN ('rows', 'retention')),
    window_start TEXT NOT NULL,
    window_end   TEXT NOT NULL CHECK (window_end >= window_start),
    row_count    INTEGER NOT NULL CHECK (row_count >= 0),
    rows_digest  BLOB NOT NULL CHECK (length(rows_digest) = 32),
    prev_hash    BLOB NOT NULL CHECK (length(prev_hash) = 32),
    seal_hash    BLOB NOT NULL CHECK (length(seal_hash) = 32),
    sealed_at    TEXT NOT NULL
) STRICT;
CREATE INDEX idx_audit_seals_log_seq ON audit_seals (log, seq DESC);

CREATE TRIGGER audit_seals_append_only_update BEFORE UPDATE ON audit_seals
BEGIN SELECT RAISE(ABORT, 'audit rows are append-only: audit_seals is never changed'); END;
CREATE TRIGGER audit_seals_append_only_delete BEFORE DELETE ON audit_seals
BEGIN SELECT RAISE(ABORT, 'audit rows are append-only: audit_seals is never changed'); END;

-- An audit row may change only its review columns: an UPDATE naming any other column is
-- refused (a column added to a log later must be added to its list here).
CREATE TRIGGER session_audit_log_append_only BEFORE UPDATE OF
    id, user_id, session_id, device_id, action, session_type, mfa_verified, mfa_method,
    country, city, ip_address, latitude, longitude, risk_level, is_anomalous,
    anomaly_reasons, session_duration_seconds, total_requests, requires_review,
    old_value, new_value, metadata, error_message, created_at, row_hash
    ON session_audit_log
BEGIN SELECT RAISE(ABORT, 'audit rows are append-only: session_audit_log may change only its review columns'); END;
CREATE TRIGGER device_audit_log_append_only BEFORE UPDATE OF
    id, user_id, device_id, session_id, action, device_fingerprint, device_type,
    browser, os, risk_score, previous_risk_score, is_anomalous, anomaly_reasons,
    country, city, latitude, longitude, trust_state_change, verified_at, trusted_at,
    compromised_at, verification_method, link_duration_seconds, ip_address, previous_ip,
    old_value, new_value, metadata, error_message, created_at, requires_review, row_hash
    ON device_audit_log
BEGIN SELECT RAISE(ABORT, 'audit rows are append-only: device_audit_log may change only its review columns'); END;
CREATE TRIGGER mfa_audit_log_append_only BEFORE UPDATE OF
    id, user_id, device_id, action, mfa_method, primary_method, challenge_id,
    verification_attempts, max_attempts, code_length, code_hash, recovery_method,
    request_count_last_hour, rate_limit_status, risk_level, is_anomalous,
    anomaly_reasons, old_value, new_value, metadata, error_message, created_at,
    requires_review, row_hash
    ON mfa_audit_log
BEGIN SELECT RAISE(ABORT, 'audit rows are append-only: mfa_audit_log may change only its review columns'); END;
CREATE TRIGGER session_device_link_audit_log_append_only BEFORE UPDATE OF
    id, user_id, session_id, device_id, link_action, previous_device_id, verified_at,
    trusted_at, revoked_at, link_duration_seconds, context, metadata, created_at,
    requires_review, row_hash
    ON session_device_link_audit_log
BEGIN SELECT RAISE(ABORT, 'audit rows are append-only: session_device_link_audit_log may change only its review columns'); END;
