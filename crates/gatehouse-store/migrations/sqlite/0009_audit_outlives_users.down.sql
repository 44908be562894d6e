-- Reverts 0009_audit_outlives_users: the audit logs reference users again. Rows of users
-- that no longer exist cannot satisfy that reference: they are removed (account_audit_log
-- keeps them with user_id NULL, as ON DELETE SET NULL would have left them).

UPDATE account_audit_log SET user_id = NULL WHERE user_id IS NOT NULL AND user_id NOT IN (SELECT id FROM users);
DELETE FROM session_audit_log WHERE user_id NOT IN (SELECT id FROM users);
DELETE FROM device_audit_log WHERE user_id NOT IN (SELECT id FROM users);
DELETE FROM session_device_link_audit_log WHERE user_id NOT IN (SELECT id FROM users);
DELETE FROM mfa_audit_log WHERE user_id NOT IN (SELECT id FROM users);

-- account_audit_log
ALTER TABLE account_audit_log RENAME TO account_audit_log__old;
CREATE TABLE account_audit_log (
    id         BLOB PRIMARY KEY NOT NULL,
    user_id    BLOB REFERENCES users (id) ON DELETE SET NULL,
    action     TEXT NOT NULL,
    details    TEXT,
    ip_address TEXT,
    created_at TEXT NOT NULL
) STRICT;
INSERT INTO account_audit_log (id, user_id, action, details, ip_address, created_at) SELECT id, user_id, action, details, ip_address, created_at FROM account_audit_log__old;
DROP TABLE account_audit_log__old;
CREATE INDEX idx_account_audit_log_user_id_created_at ON account_audit_log (user_id, created_at DESC);
CREATE INDEX idx_account_audit_log_created_at ON account_audit_log (created_at);

-- session_audit_log
ALTER TABLE session_audit_log RENAME TO session_audit_log__old;
CREATE TABLE session_audit_log (
    id                       BLOB PRIMARY KEY NOT NULL,
    user_id                  BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
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

-- device_audit_log
ALTER TABLE device_audit_log RENAME TO device_audit_log__old;
CREATE TABLE device_audit_log (
    id                    BLOB PRIMARY KEY NOT NULL,
    user_id               BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id             BLOB NOT NULL,
    session_id            BLOB,
    action                TEXT NOT NULL,
    device_fingerprint    TEXT,
    device_type           TEXT,
    browser               TEXT,
    os                    TEXT,
    risk_score            INTEGER NOT NULL DEFAULT 0 CHECK (risk_score BETWEEN 0 AND 100),
    previous_risk_score   INTEGER CHECK (previous_risk_score BETWEEN 0 AND 100),
    is_anomalous          INTEGER NOT NULL DEFAULT 0,
    anomaly_reasons       TEXT,
    country               TEXT,
    city                  TEXT,
    latitude              REAL CHECK (latitude BETWEEN -90 AND 90),
    longitude             REAL CHECK (longitude BETWEEN -180 AND 180),
    trust_state_change    TEXT,
    verified_at           TEXT,
    trusted_at            TEXT,
    compromised_at        TEXT,
    verification_method   TEXT,
    link_duration_seconds INTEGER,
    ip_address            TEXT,
    previous_ip           TEXT,
    old_value             TEXT,
    new_value             TEXT,
    metadata              TEXT,
    error_message         TEXT,
    created_at            TEXT NOT NULL
) STRICT;
INSERT INTO device_audit_log (id, user_id, device_id, session_id, action, device_fingerprint, device_type, browser, os, risk_score, previous_risk_score, is_anomalous, anomaly_reasons, country, city, latitude, longitude, trust_state_change, verified_at, trusted_at, compromised_at, verification_method, link_duration_seconds, ip_address, previous_ip, old_value, new_value, metadata, error_message, created_at) SELECT id, user_id, device_id, session_id, action, device_fingerprint, device_type, browser, os, risk_score, previous_risk_score, is_anomalous, anomaly_reasons, country, city, latitude, longitude, trust_state_change, verified_at, trusted_at, compromised_at, verification_method, link_duration_seconds, ip_address, previous_ip, old_value, new_value, metadata, error_message, created_at FROM device_audit_log__old;
DROP TABLE device_audit_log__old;
CREATE INDEX idx_device_audit_log_user_id_created_at ON device_audit_log (user_id, created_at DESC);
CREATE INDEX idx_device_audit_log_device_id ON device_audit_log (device_id);
CREATE INDEX idx_device_audit_log_risk_score_created_at ON device_audit_log (risk_score DESC, created_at DESC);
CREATE INDEX idx_device_audit_log_is_anomalous ON device_audit_log (is_anomalous);
CREATE INDEX idx_device_audit_log_created_at ON device_audit_log (created_at);

-- session_device_link_audit_log
ALTER TABLE session_device_link_audit_log RENAME TO session_device_link_audit_log__old;
CREATE TABLE session_device_link_audit_log (
    id                    BLOB PRIMARY KEY NOT NULL,
    user_id               BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id            BLOB NOT NULL,
    device_id             BLOB NOT NULL,
    link_action           TEXT,
    previous_device_id    BLOB,
    verified_at           TEXT,
    trusted_at            TEXT,
    revoked_at            TEXT,
    link_duration_seconds INTEGER,
    context               TEXT,
    metadata              TEXT,
    created_at            TEXT NOT NULL
) STRICT;
INSERT INTO session_device_link_audit_log (id, user_id, session_id, device_id, link_action, previous_device_id, verified_at, trusted_at, revoked_at, link_duration_seconds, context, metadata, created_at) SELECT id, user_id, session_id, device_id, link_action, previous_device_id, verified_at, trusted_at, revoked_at, link_duration_seconds, context, metadata, created_at FROM session_device_link_audit_log__old;
DROP TABLE session_device_link_audit_log__old;
CREATE INDEX idx_session_device_link_audit_log_user_id_created_at ON session_device_link_audit_log (user_id, created_at DESC);
CREATE INDEX idx_session_device_link_audit_log_session_id ON session_device_link_audit_log (session_id);
CREATE INDEX idx_session_device_link_audit_log_device_id ON session_device_link_audit_log (device_id);
CREATE INDEX idx_session_device_link_audit_log_created_at ON session_device_link_audit_log (created_at);

-- mfa_audit_log
ALTER TABLE mfa_audit_log RENAME TO mfa_audit_log__old;
CREATE TABLE mfa_audit_log (
    id                      BLOB PRIMARY KEY NOT NULL,
    user_id                 BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id               BLOB,
    action                  TEXT NOT NULL,
    mfa_method              TEXT,
    primary_method          INTEGER NOT NULL DEFAULT 0,
    challenge_id            BLOB,
    verification_attempts   INTEGER,
    max_attempts            INTEGER NOT NULL DEFAULT 3,
    code_length             INTEGER,
    code_hash               TEXT,
    recovery_method         TEXT,
    request_count_last_hour INTEGER,
    rate_limit_status       TEXT NOT NULL DEFAULT 'ok',
    risk_level              TEXT NOT NULL DEFAULT 'low'
                            CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
    is_anomalous            INTEGER NOT NULL DEFAULT 0,
    anomaly_reasons         TEXT,
    old_value               TEXT,
    new_value               TEXT,
    metadata                TEXT,
    error_message           TEXT,
    created_at              TEXT NOT NULL
) STRICT;
INSERT INTO mfa_audit_log (id, user_id, device_id, action, mfa_method, primary_method, challenge_id, verification_attempts, max_attempts, code_length, code_hash, recovery_method, request_count_last_hour, rate_limit_status, risk_level, is_anomalous, anomaly_reasons, old_value, new_value, metadata, error_message, created_at) SELECT id, user_id, device_id, action, mfa_method, primary_method, challenge_id, verification_attempts, max_attempts, code_length, code_hash, recovery_method, request_count_last_hour, rate_limit_status, risk_level, is_anomalous, anomaly_reasons, old_value, new_value, metadata, error_message, created_at FROM mfa_audit_log__old;
DROP TABLE mfa_audit_log__old;
CREATE INDEX idx_mfa_audit_log_user_id_created_at ON mfa_audit_log (user_id, created_at DESC);
CREATE INDEX idx_mfa_audit_log_device_id ON mfa_audit_log (device_id);
CREATE INDEX idx_mfa_audit_log_mfa_method ON mfa_audit_log (mfa_method);
CREATE INDEX idx_mfa_audit_log_created_at ON mfa_audit_log (created_at);
CREATE INDEX idx_mfa_audit_log_is_anomalous ON mfa_audit_log (is_anomalous);

