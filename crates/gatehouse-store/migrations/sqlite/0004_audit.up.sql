-- SQLite twin of migrations/postgres/0004_audit.up.sql: same tables, columns, constraints and
-- index names. Types: uuid -> BLOB (16 raw bytes), timestamptz -> TEXT (RFC 3339, UTC),
-- date/time -> TEXT, inet/jsonb/text[] -> TEXT (text[] as a JSON array), double -> REAL.
-- gatehouse 0004: audit logs (seed "AUDIT_LOG APP"). On PostgreSQL the four event logs
-- are partitioned by month (primary key (id, created_at)); SQLite has no partitioning,
-- so here they are plain tables keyed by id, and there is no maintenance function.

-- Audit rows reference sessions, devices and reviewers by id without foreign keys: an
-- audit log is an append-only record that must outlive what it describes, and each
-- foreign key would add a referential check to every insert on the hottest write paths
-- (three audit rows per login). Only user_id keeps its foreign key, so deleting an
-- account still deletes its audit trail (ON DELETE CASCADE, as in the seed).
CREATE TABLE session_audit_log (
    id                       BLOB PRIMARY KEY NOT NULL,
    user_id                  BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id               BLOB,
    device_id                BLOB,
    action                   TEXT NOT NULL,
    session_type             TEXT,
    mfa_verified             BOOLEAN,
    mfa_method               TEXT,
    country                  TEXT,
    city                     TEXT,
    ip_address               TEXT,
    latitude                 REAL CHECK (latitude BETWEEN -90 AND 90),
    longitude                REAL CHECK (longitude BETWEEN -180 AND 180),
    risk_level               TEXT NOT NULL DEFAULT 'low'
                             CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
    is_anomalous             BOOLEAN NOT NULL DEFAULT 0,
    anomaly_reasons          TEXT,
    session_duration_seconds INTEGER,
    total_requests           INTEGER,
    requires_review          BOOLEAN NOT NULL DEFAULT 0,
    review_status            TEXT,
    reviewed_by_id           BLOB,
    review_notes             TEXT,
    old_value                TEXT,
    new_value                TEXT,
    metadata                 TEXT,
    error_message            TEXT,
    created_at               TEXT NOT NULL
);
CREATE INDEX idx_session_audit_log_user_id_created_at ON session_audit_log (user_id, created_at DESC);
CREATE INDEX idx_session_audit_log_session_id ON session_audit_log (session_id);
CREATE INDEX idx_session_audit_log_risk_level ON session_audit_log (risk_level);
CREATE INDEX idx_session_audit_log_created_at ON session_audit_log (created_at);
CREATE INDEX idx_session_audit_log_requires_review ON session_audit_log (requires_review);

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
    is_anomalous          BOOLEAN NOT NULL DEFAULT 0,
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
);
CREATE INDEX idx_device_audit_log_user_id_created_at ON device_audit_log (user_id, created_at DESC);
CREATE INDEX idx_device_audit_log_device_id ON device_audit_log (device_id);
CREATE INDEX idx_device_audit_log_risk_score_created_at ON device_audit_log (risk_score DESC, created_at DESC);
CREATE INDEX idx_device_audit_log_is_anomalous ON device_audit_log (is_anomalous);
CREATE INDEX idx_device_audit_log_created_at ON device_audit_log (created_at);

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
);
CREATE INDEX idx_session_device_link_audit_log_user_id_created_at ON session_device_link_audit_log (user_id, created_at DESC);
CREATE INDEX idx_session_device_link_audit_log_session_id ON session_device_link_audit_log (session_id);
CREATE INDEX idx_session_device_link_audit_log_device_id ON session_device_link_audit_log (device_id);
CREATE INDEX idx_session_device_link_audit_log_created_at ON session_device_link_audit_log (created_at);

CREATE TABLE mfa_audit_log (
    id                      BLOB PRIMARY KEY NOT NULL,
    user_id                 BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id               BLOB,
    action                  TEXT NOT NULL,
    mfa_method              TEXT,
    primary_method          BOOLEAN NOT NULL DEFAULT 0,
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
    is_anomalous            BOOLEAN NOT NULL DEFAULT 0,
    anomaly_reasons         TEXT,
    old_value               TEXT,
    new_value               TEXT,
    metadata                TEXT,
    error_message           TEXT,
    created_at              TEXT NOT NULL
);
CREATE INDEX idx_mfa_audit_log_user_id_created_at ON mfa_audit_log (user_id, created_at DESC);
CREATE INDEX idx_mfa_audit_log_device_id ON mfa_audit_log (device_id);
CREATE INDEX idx_mfa_audit_log_mfa_method ON mfa_audit_log (mfa_method);
CREATE INDEX idx_mfa_audit_log_created_at ON mfa_audit_log (created_at);
CREATE INDEX idx_mfa_audit_log_is_anomalous ON mfa_audit_log (is_anomalous);

-- Daily per-user aggregation; small, not partitioned.
CREATE TABLE audit_daily_summaries (
    id                     BLOB PRIMARY KEY NOT NULL,
    user_id                BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    date                   TEXT NOT NULL,
    total_sessions         INTEGER NOT NULL DEFAULT 0,
    total_devices          INTEGER NOT NULL DEFAULT 0,
    total_failed_logins    INTEGER NOT NULL DEFAULT 0,
    total_mfa_challenges   INTEGER NOT NULL DEFAULT 0,
    total_api_calls        INTEGER NOT NULL DEFAULT 0,
    low_risk_events        INTEGER NOT NULL DEFAULT 0,
    medium_risk_events     INTEGER NOT NULL DEFAULT 0,
    high_risk_events       INTEGER NOT NULL DEFAULT 0,
    critical_risk_events   INTEGER NOT NULL DEFAULT 0,
    countries_accessed     INTEGER NOT NULL DEFAULT 0,
    unique_ips             INTEGER NOT NULL DEFAULT 0,
    unique_devices         INTEGER NOT NULL DEFAULT 0,
    mfa_enabled_count      INTEGER NOT NULL DEFAULT 0,
    mfa_disabled_count     INTEGER NOT NULL DEFAULT 0,
    backup_codes_generated INTEGER NOT NULL DEFAULT 0,
    rate_limit_exceeded    INTEGER NOT NULL DEFAULT 0,
    anomalies_detected     INTEGER NOT NULL DEFAULT 0,
    approvals_required     INTEGER NOT NULL DEFAULT 0,
    approvals_completed    INTEGER NOT NULL DEFAULT 0,
    created_at             TEXT NOT NULL,
    UNIQUE (user_id, date)
);
CREATE INDEX idx_audit_daily_summaries_date ON audit_daily_summaries (date);
CREATE INDEX idx_audit_daily_summaries_high_risk_events ON audit_daily_summaries (high_risk_events DESC);
