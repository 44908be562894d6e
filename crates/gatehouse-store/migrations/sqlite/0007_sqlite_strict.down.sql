-- Reverts 0007_sqlite_strict: the tables as 0006 left them (not STRICT, BOOLEAN columns).

-- 1. Keep a copy of every row.
CREATE TEMP TABLE users__copy AS SELECT * FROM main.users;
CREATE TEMP TABLE profiles__copy AS SELECT * FROM main.profiles;
CREATE TEMP TABLE mfa_settings__copy AS SELECT * FROM main.mfa_settings;
CREATE TEMP TABLE mfa_method_preferences__copy AS SELECT * FROM main.mfa_method_preferences;
CREATE TEMP TABLE mfa_change_log__copy AS SELECT * FROM main.mfa_change_log;
CREATE TEMP TABLE password_history__copy AS SELECT * FROM main.password_history;
CREATE TEMP TABLE devices__copy AS SELECT * FROM main.devices;
CREATE TEMP TABLE trusted_devices__copy AS SELECT * FROM main.trusted_devices;
CREATE TEMP TABLE sessions__copy AS SELECT * FROM main.sessions;
CREATE TEMP TABLE refresh_tokens__copy AS SELECT * FROM main.refresh_tokens;
CREATE TEMP TABLE account_audit_log__copy AS SELECT * FROM main.account_audit_log;
CREATE TEMP TABLE otp_codes__copy AS SELECT * FROM main.otp_codes;
CREATE TEMP TABLE totp_devices__copy AS SELECT * FROM main.totp_devices;
CREATE TEMP TABLE backup_codes__copy AS SELECT * FROM main.backup_codes;
CREATE TEMP TABLE mfa_challenges__copy AS SELECT * FROM main.mfa_challenges;
CREATE TEMP TABLE email_mfa_methods__copy AS SELECT * FROM main.email_mfa_methods;
CREATE TEMP TABLE sms_mfa_methods__copy AS SELECT * FROM main.sms_mfa_methods;
CREATE TEMP TABLE mfa_recoveries__copy AS SELECT * FROM main.mfa_recoveries;
CREATE TEMP TABLE email_notifications__copy AS SELECT * FROM main.email_notifications;
CREATE TEMP TABLE sms_notifications__copy AS SELECT * FROM main.sms_notifications;
CREATE TEMP TABLE notification_preferences__copy AS SELECT * FROM main.notification_preferences;
CREATE TEMP TABLE notification_type_preferences__copy AS SELECT * FROM main.notification_type_preferences;
CREATE TEMP TABLE quiet_hours__copy AS SELECT * FROM main.quiet_hours;
CREATE TEMP TABLE notification_blocklist__copy AS SELECT * FROM main.notification_blocklist;
CREATE TEMP TABLE notification_consents__copy AS SELECT * FROM main.notification_consents;
CREATE TEMP TABLE mfa_notifications__copy AS SELECT * FROM main.mfa_notifications;
CREATE TEMP TABLE notification_log__copy AS SELECT * FROM main.notification_log;
CREATE TEMP TABLE session_audit_log__copy AS SELECT * FROM main.session_audit_log;
CREATE TEMP TABLE device_audit_log__copy AS SELECT * FROM main.device_audit_log;
CREATE TEMP TABLE session_device_link_audit_log__copy AS SELECT * FROM main.session_device_link_audit_log;
CREATE TEMP TABLE mfa_audit_log__copy AS SELECT * FROM main.mfa_audit_log;
CREATE TEMP TABLE audit_daily_summaries__copy AS SELECT * FROM main.audit_daily_summaries;
CREATE TEMP TABLE auth_throttle__copy AS SELECT * FROM main.auth_throttle;

-- 2. Drop the tables, children before parents (so no ON DELETE action fires).
DROP TABLE main.auth_throttle;
DROP TABLE main.audit_daily_summaries;
DROP TABLE main.mfa_audit_log;
DROP TABLE main.session_device_link_audit_log;
DROP TABLE main.device_audit_log;
DROP TABLE main.session_audit_log;
DROP TABLE main.notification_log;
DROP TABLE main.mfa_notifications;
DROP TABLE main.notification_consents;
DROP TABLE main.notification_blocklist;
DROP TABLE main.quiet_hours;
DROP TABLE main.notification_type_preferences;
DROP TABLE main.notification_preferences;
DROP TABLE main.sms_notifications;
DROP TABLE main.email_notifications;
DROP TABLE main.mfa_recoveries;
DROP TABLE main.sms_mfa_methods;
DROP TABLE main.email_mfa_methods;
DROP TABLE main.mfa_challenges;
DROP TABLE main.backup_codes;
DROP TABLE main.totp_devices;
DROP TABLE main.otp_codes;
DROP TABLE main.account_audit_log;
DROP TABLE main.refresh_tokens;
DROP TABLE main.sessions;
DROP TABLE main.trusted_devices;
DROP TABLE main.devices;
DROP TABLE main.password_history;
DROP TABLE main.mfa_change_log;
DROP TABLE main.mfa_method_preferences;
DROP TABLE main.mfa_settings;
DROP TABLE main.profiles;
DROP TABLE main.users;

-- 3. Create them again, parents first, and put the rows back.

-- users
CREATE TABLE users (
    id              BLOB PRIMARY KEY NOT NULL,
    email           TEXT NOT NULL UNIQUE,      -- stored lower-cased by the app
    username        TEXT UNIQUE,               -- optional; lower-cased by the app
    password_hash   TEXT NOT NULL,
    is_active       BOOLEAN NOT NULL DEFAULT 1,
    is_staff        BOOLEAN NOT NULL DEFAULT 0,
    is_superuser    BOOLEAN NOT NULL DEFAULT 0,
    last_login_at   TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
INSERT INTO main.users (id, email, username, password_hash, is_active, is_staff, is_superuser, last_login_at, created_at, updated_at) SELECT id, email, username, password_hash, is_active, is_staff, is_superuser, last_login_at, created_at, updated_at FROM temp.users__copy;
CREATE INDEX idx_users_is_active ON users (is_active);
DROP TABLE temp.users__copy;

-- profiles
CREATE TABLE profiles (
    id                   BLOB PRIMARY KEY NOT NULL,
    user_id              BLOB NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    first_name           TEXT,
    last_name            TEXT,
    date_of_birth        TEXT,
    phone_number         TEXT,
    address              TEXT,
    city                 TEXT,
    state                TEXT,
    country              TEXT,
    postal_code          TEXT,
    timezone             TEXT NOT NULL DEFAULT 'UTC',
    language             TEXT NOT NULL DEFAULT 'en',
    preferred_mfa_method TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
INSERT INTO main.profiles (id, user_id, first_name, last_name, date_of_birth, phone_number, address, city, state, country, postal_code, timezone, language, preferred_mfa_method, created_at, updated_at) SELECT id, user_id, first_name, last_name, date_of_birth, phone_number, address, city, state, country, postal_code, timezone, language, preferred_mfa_method, created_at, updated_at FROM temp.profiles__copy;
CREATE INDEX idx_profiles_country ON profiles (country);
DROP TABLE temp.profiles__copy;

-- mfa_settings
CREATE TABLE mfa_settings (
    id                    BLOB PRIMARY KEY NOT NULL,
    user_id               BLOB NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    primary_method        TEXT NOT NULL DEFAULT 'totp',
    is_enabled            BOOLEAN NOT NULL DEFAULT 0,
    grace_period_days     INTEGER NOT NULL DEFAULT 0,
    code_length           INTEGER NOT NULL DEFAULT 6,
    code_validity_seconds INTEGER NOT NULL DEFAULT 300,
    enforce_for_admin     BOOLEAN NOT NULL DEFAULT 1,
    enforce_for_api       BOOLEAN NOT NULL DEFAULT 1,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
INSERT INTO main.mfa_settings (id, user_id, primary_method, is_enabled, grace_period_days, code_length, code_validity_seconds, enforce_for_admin, enforce_for_api, created_at, updated_at) SELECT id, user_id, primary_method, is_enabled, grace_period_days, code_length, code_validity_seconds, enforce_for_admin, enforce_for_api, created_at, updated_at FROM temp.mfa_settings__copy;
CREATE INDEX idx_mfa_settings_is_enabled ON mfa_settings (is_enabled);
DROP TABLE temp.mfa_settings__copy;

-- mfa_method_preferences
CREATE TABLE mfa_method_preferences (
    id                  BLOB PRIMARY KEY NOT NULL,
    user_id             BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    mfa_method          TEXT NOT NULL,
    is_enabled          BOOLEAN NOT NULL DEFAULT 1,
    rate_limit_per_hour INTEGER NOT NULL DEFAULT 10,
    max_attempts        INTEGER NOT NULL DEFAULT 3,
    lockout_minutes     INTEGER NOT NULL DEFAULT 30,
    setup_completed     BOOLEAN NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    UNIQUE (user_id, mfa_method)
);
INSERT INTO main.mfa_method_preferences (id, user_id, mfa_method, is_enabled, rate_limit_per_hour, max_attempts, lockout_minutes, setup_completed, created_at, updated_at) SELECT id, user_id, mfa_method, is_enabled, rate_limit_per_hour, max_attempts, lockout_minutes, setup_completed, created_at, updated_at FROM temp.mfa_method_preferences__copy;
CREATE INDEX idx_mfa_method_preferences_mfa_method ON mfa_method_preferences (mfa_method);
DROP TABLE temp.mfa_method_preferences__copy;

-- mfa_change_log
CREATE TABLE mfa_change_log (
    id                BLOB PRIMARY KEY NOT NULL,
    user_id           BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    action            TEXT NOT NULL,
    mfa_method        TEXT,
    old_value         TEXT,
    new_value         TEXT,
    change_reason     TEXT,
    approval_required BOOLEAN NOT NULL DEFAULT 0,
    approval_status   TEXT NOT NULL DEFAULT 'pending',
    approved_by_id    BLOB REFERENCES users (id),
    approved_at       TEXT,
    requested_at      TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
INSERT INTO main.mfa_change_log (id, user_id, action, mfa_method, old_value, new_value, change_reason, approval_required, approval_status, approved_by_id, approved_at, requested_at, created_at) SELECT id, user_id, action, mfa_method, old_value, new_value, change_reason, approval_required, approval_status, approved_by_id, approved_at, requested_at, created_at FROM temp.mfa_change_log__copy;
CREATE INDEX idx_mfa_change_log_user_id ON mfa_change_log (user_id);
CREATE INDEX idx_mfa_change_log_approval_status ON mfa_change_log (approval_status);
CREATE INDEX idx_mfa_change_log_created_at ON mfa_change_log (created_at);
DROP TABLE temp.mfa_change_log__copy;

-- password_history
CREATE TABLE password_history (
    id            BLOB PRIMARY KEY NOT NULL,
    user_id       BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    changed_at    TEXT NOT NULL,
    changed_by    TEXT,
    reason        TEXT
);
INSERT INTO main.password_history (id, user_id, password_hash, changed_at, changed_by, reason) SELECT id, user_id, password_hash, changed_at, changed_by, reason FROM temp.password_history__copy;
CREATE INDEX idx_password_history_user_id_changed_at ON password_history (user_id, changed_at DESC);
DROP TABLE temp.password_history__copy;

-- devices
CREATE TABLE devices (
    id                   BLOB PRIMARY KEY NOT NULL,
    user_id              BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_name          TEXT,
    device_type          TEXT,
    os                   TEXT,
    browser              TEXT,
    browser_version      TEXT,
    fingerprint_hash     TEXT NOT NULL,
    ip_address           TEXT,
    user_agent           TEXT,
    is_verified          BOOLEAN NOT NULL DEFAULT 0,
    is_trusted           BOOLEAN NOT NULL DEFAULT 0,
    last_used_at         TEXT,
    latitude             REAL CHECK (latitude BETWEEN -90 AND 90),
    longitude            REAL CHECK (longitude BETWEEN -180 AND 180),
    trust_expires_at     TEXT,
    is_compromised       BOOLEAN NOT NULL DEFAULT 0,
    risk_score           INTEGER NOT NULL DEFAULT 0 CHECK (risk_score BETWEEN 0 AND 100),
    last_risk_assessment TEXT,
    can_skip_mfa         BOOLEAN NOT NULL DEFAULT 0,
    mfa_skip_until       TEXT,
    security_notes       TEXT,
    removed_at           TEXT,                   -- soft delete by the owner
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    UNIQUE (user_id, fingerprint_hash)
);
INSERT INTO main.devices (id, user_id, device_name, device_type, os, browser, browser_version, fingerprint_hash, ip_address, user_agent, is_verified, is_trusted, last_used_at, latitude, longitude, trust_expires_at, is_compromised, risk_score, last_risk_assessment, can_skip_mfa, mfa_skip_until, security_notes, removed_at, created_at, updated_at) SELECT id, user_id, device_name, device_type, os, browser, browser_version, fingerprint_hash, ip_address, user_agent, is_verified, is_trusted, last_used_at, latitude, longitude, trust_expires_at, is_compromised, risk_score, last_risk_assessment, can_skip_mfa, mfa_skip_until, security_notes, removed_at, created_at, updated_at FROM temp.devices__copy;
CREATE INDEX idx_devices_fingerprint_hash ON devices (fingerprint_hash);
CREATE INDEX idx_devices_is_verified ON devices (is_verified);
CREATE INDEX idx_devices_risk_score ON devices (risk_score DESC);
CREATE INDEX idx_devices_latitude_longitude ON devices (latitude, longitude);
DROP TABLE temp.devices__copy;

-- trusted_devices
CREATE TABLE trusted_devices (
    id               BLOB PRIMARY KEY NOT NULL,
    user_id          BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id        BLOB NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    is_trusted       BOOLEAN NOT NULL DEFAULT 1,
    trusted_at       TEXT NOT NULL,
    trust_expires_at TEXT,
    last_used_at     TEXT,
    can_skip_mfa     BOOLEAN NOT NULL DEFAULT 0,
    mfa_skip_until   TEXT,
    revoked_at       TEXT,
    is_deleted       BOOLEAN NOT NULL DEFAULT 0,
    deleted_at       TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
INSERT INTO main.trusted_devices (id, user_id, device_id, is_trusted, trusted_at, trust_expires_at, last_used_at, can_skip_mfa, mfa_skip_until, revoked_at, is_deleted, deleted_at, created_at, updated_at) SELECT id, user_id, device_id, is_trusted, trusted_at, trust_expires_at, last_used_at, can_skip_mfa, mfa_skip_until, revoked_at, is_deleted, deleted_at, created_at, updated_at FROM temp.trusted_devices__copy;
CREATE INDEX idx_trusted_devices_user_id ON trusted_devices (user_id);
CREATE INDEX idx_trusted_devices_device_id ON trusted_devices (device_id);
CREATE INDEX idx_trusted_devices_is_trusted ON trusted_devices (is_trusted);
DROP TABLE temp.trusted_devices__copy;

-- sessions
CREATE TABLE sessions (
    id                   BLOB PRIMARY KEY NOT NULL,
    user_id              BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id            BLOB REFERENCES devices (id),
    access_jti           TEXT NOT NULL,
    refresh_jti          TEXT NOT NULL,
    ip_address           TEXT,
    user_agent           TEXT,
    status               TEXT NOT NULL DEFAULT 'active'
                         CHECK (status IN ('active', 'logged_out', 'revoked', 'expired')),
    expires_at           TEXT NOT NULL,
    session_type         TEXT NOT NULL DEFAULT 'web',
    country              TEXT,
    city                 TEXT,
    mfa_verified         BOOLEAN NOT NULL DEFAULT 0,
    mfa_verified_at      TEXT,
    mfa_method_used      TEXT,
    is_suspicious        BOOLEAN NOT NULL DEFAULT 0,
    suspicious_reason    TEXT,
    requires_mfa_recheck BOOLEAN NOT NULL DEFAULT 0,
    total_requests       INTEGER NOT NULL DEFAULT 0,
    total_api_calls      INTEGER NOT NULL DEFAULT 0,
    last_seen_at         TEXT,
    revoked_at           TEXT,
    revoked_reason       TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
, amr TEXT NOT NULL DEFAULT '["pwd"]', authenticated_at TEXT NOT NULL DEFAULT '');
INSERT INTO main.sessions (id, user_id, device_id, access_jti, refresh_jti, ip_address, user_agent, status, expires_at, session_type, country, city, mfa_verified, mfa_verified_at, mfa_method_used, is_suspicious, suspicious_reason, requires_mfa_recheck, total_requests, total_api_calls, last_seen_at, revoked_at, revoked_reason, created_at, updated_at, amr, authenticated_at) SELECT id, user_id, device_id, access_jti, refresh_jti, ip_address, user_agent, status, expires_at, session_type, country, city, mfa_verified, mfa_verified_at, mfa_method_used, is_suspicious, suspicious_reason, requires_mfa_recheck, total_requests, total_api_calls, last_seen_at, revoked_at, revoked_reason, created_at, updated_at, amr, authenticated_at FROM temp.sessions__copy;
CREATE INDEX idx_sessions_user_id_status ON sessions (user_id, status);
CREATE INDEX idx_sessions_device_id ON sessions (device_id);
CREATE INDEX idx_sessions_expires_at ON sessions (expires_at);
CREATE INDEX idx_sessions_status ON sessions (status);
CREATE INDEX idx_sessions_mfa_verified ON sessions (mfa_verified);
DROP TABLE temp.sessions__copy;

-- refresh_tokens
CREATE TABLE refresh_tokens (
    id                BLOB PRIMARY KEY NOT NULL,
    user_id           BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id        BLOB NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    jti               TEXT NOT NULL UNIQUE,     -- HMAC-SHA256 hex of the opaque token
    family_id         BLOB NOT NULL,
    parent_jti        TEXT,
    is_valid          BOOLEAN NOT NULL DEFAULT 1,
    created_at        TEXT NOT NULL,
    expires_at        TEXT NOT NULL,
    rotated_at        TEXT,
    revoked_at        TEXT,
    revocation_reason TEXT
);
INSERT INTO main.refresh_tokens (id, user_id, session_id, jti, family_id, parent_jti, is_valid, created_at, expires_at, rotated_at, revoked_at, revocation_reason) SELECT id, user_id, session_id, jti, family_id, parent_jti, is_valid, created_at, expires_at, rotated_at, revoked_at, revocation_reason FROM temp.refresh_tokens__copy;
CREATE INDEX idx_refresh_tokens_user_id ON refresh_tokens (user_id);
CREATE INDEX idx_refresh_tokens_session_id ON refresh_tokens (session_id);
CREATE INDEX idx_refresh_tokens_family_id ON refresh_tokens (family_id);
CREATE INDEX idx_refresh_tokens_expires_at ON refresh_tokens (expires_at);
DROP TABLE temp.refresh_tokens__copy;

-- account_audit_log
CREATE TABLE account_audit_log (
    id         BLOB PRIMARY KEY NOT NULL,
    user_id    BLOB REFERENCES users (id) ON DELETE SET NULL,
    action     TEXT NOT NULL,
    details    TEXT,
    ip_address TEXT,
    created_at TEXT NOT NULL
);
INSERT INTO main.account_audit_log (id, user_id, action, details, ip_address, created_at) SELECT id, user_id, action, details, ip_address, created_at FROM temp.account_audit_log__copy;
CREATE INDEX idx_account_audit_log_user_id_created_at ON account_audit_log (user_id, created_at DESC);
CREATE INDEX idx_account_audit_log_created_at ON account_audit_log (created_at);
DROP TABLE temp.account_audit_log__copy;

-- otp_codes
CREATE TABLE otp_codes (
    id            BLOB PRIMARY KEY NOT NULL,
    user_id       BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash     TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    used_at       TEXT,
    used_by_ip    TEXT,
    attempt_count INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL DEFAULT 3,
    is_valid      BOOLEAN NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL
);
INSERT INTO main.otp_codes (id, user_id, code_hash, purpose, expires_at, used_at, used_by_ip, attempt_count, max_attempts, is_valid, created_at) SELECT id, user_id, code_hash, purpose, expires_at, used_at, used_by_ip, attempt_count, max_attempts, is_valid, created_at FROM temp.otp_codes__copy;
CREATE INDEX idx_otp_codes_user_id ON otp_codes (user_id);
CREATE INDEX idx_otp_codes_purpose ON otp_codes (purpose);
CREATE INDEX idx_otp_codes_expires_at ON otp_codes (expires_at);
CREATE INDEX idx_otp_codes_is_valid ON otp_codes (is_valid);
DROP TABLE temp.otp_codes__copy;

-- totp_devices
CREATE TABLE totp_devices (
    id                        BLOB PRIMARY KEY NOT NULL,
    user_id                   BLOB NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    secret_encrypted          TEXT NOT NULL,   -- base64(nonce || AES-256-GCM ciphertext || tag)
    last_used_step            INTEGER,          -- RFC 6238 time step of the last accepted code (replay guard)
    backup_codes_generated_at TEXT,
    is_verified               BOOLEAN NOT NULL DEFAULT 0,
    verified_at               TEXT,
    created_at                TEXT NOT NULL,
    updated_at                TEXT NOT NULL
);
INSERT INTO main.totp_devices (id, user_id, secret_encrypted, last_used_step, backup_codes_generated_at, is_verified, verified_at, created_at, updated_at) SELECT id, user_id, secret_encrypted, last_used_step, backup_codes_generated_at, is_verified, verified_at, created_at, updated_at FROM temp.totp_devices__copy;
DROP TABLE temp.totp_devices__copy;

-- backup_codes
CREATE TABLE backup_codes (
    id         BLOB PRIMARY KEY NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    used_at    TEXT,
    used_by_ip TEXT,
    created_at TEXT NOT NULL
);
INSERT INTO main.backup_codes (id, user_id, code_hash, used_at, used_by_ip, created_at) SELECT id, user_id, code_hash, used_at, used_by_ip, created_at FROM temp.backup_codes__copy;
CREATE INDEX idx_backup_codes_user_id ON backup_codes (user_id);
CREATE INDEX idx_backup_codes_used_at ON backup_codes (used_at);
DROP TABLE temp.backup_codes__copy;

-- mfa_challenges
CREATE TABLE mfa_challenges (
    id              BLOB PRIMARY KEY NOT NULL,
    user_id         BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id      BLOB REFERENCES sessions (id),
    device_id       BLOB REFERENCES devices (id),
    challenge_id    BLOB NOT NULL UNIQUE,
    challenge_type  TEXT,
    expires_at      TEXT NOT NULL,
    verified_at     TEXT,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL DEFAULT 3,
    risk_level      TEXT NOT NULL DEFAULT 'medium'
                    CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
    metadata        TEXT,
    created_at      TEXT NOT NULL
);
INSERT INTO main.mfa_challenges (id, user_id, session_id, device_id, challenge_id, challenge_type, expires_at, verified_at, failed_attempts, max_attempts, risk_level, metadata, created_at) SELECT id, user_id, session_id, device_id, challenge_id, challenge_type, expires_at, verified_at, failed_attempts, max_attempts, risk_level, metadata, created_at FROM temp.mfa_challenges__copy;
CREATE INDEX idx_mfa_challenges_user_id ON mfa_challenges (user_id);
CREATE INDEX idx_mfa_challenges_session_id ON mfa_challenges (session_id);
CREATE INDEX idx_mfa_challenges_expires_at ON mfa_challenges (expires_at);
DROP TABLE temp.mfa_challenges__copy;

-- email_mfa_methods
CREATE TABLE email_mfa_methods (
    id               BLOB PRIMARY KEY NOT NULL,
    user_id          BLOB NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    email            TEXT NOT NULL,
    is_verified      BOOLEAN NOT NULL DEFAULT 0,
    verified_at      TEXT,
    otp_sent_count   INTEGER NOT NULL DEFAULT 0,
    last_otp_sent_at TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
INSERT INTO main.email_mfa_methods (id, user_id, email, is_verified, verified_at, otp_sent_count, last_otp_sent_at, created_at, updated_at) SELECT id, user_id, email, is_verified, verified_at, otp_sent_count, last_otp_sent_at, created_at, updated_at FROM temp.email_mfa_methods__copy;
DROP TABLE temp.email_mfa_methods__copy;

-- sms_mfa_methods
CREATE TABLE sms_mfa_methods (
    id               BLOB PRIMARY KEY NOT NULL,
    user_id          BLOB NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    phone_number     TEXT NOT NULL,
    is_verified      BOOLEAN NOT NULL DEFAULT 0,
    verified_at      TEXT,
    otp_sent_count   INTEGER NOT NULL DEFAULT 0,
    last_otp_sent_at TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
INSERT INTO main.sms_mfa_methods (id, user_id, phone_number, is_verified, verified_at, otp_sent_count, last_otp_sent_at, created_at, updated_at) SELECT id, user_id, phone_number, is_verified, verified_at, otp_sent_count, last_otp_sent_at, created_at, updated_at FROM temp.sms_mfa_methods__copy;
DROP TABLE temp.sms_mfa_methods__copy;

-- mfa_recoveries
CREATE TABLE mfa_recoveries (
    id              BLOB PRIMARY KEY NOT NULL,
    user_id         BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    recovery_method TEXT NOT NULL,
    used_at         TEXT,
    used_by_ip      TEXT,
    is_successful   BOOLEAN,                   -- NULL while the recovery is in progress
    created_at      TEXT NOT NULL
);
INSERT INTO main.mfa_recoveries (id, user_id, recovery_method, used_at, used_by_ip, is_successful, created_at) SELECT id, user_id, recovery_method, used_at, used_by_ip, is_successful, created_at FROM temp.mfa_recoveries__copy;
CREATE INDEX idx_mfa_recoveries_user_id ON mfa_recoveries (user_id);
CREATE INDEX idx_mfa_recoveries_recovery_method ON mfa_recoveries (recovery_method);
DROP TABLE temp.mfa_recoveries__copy;

-- email_notifications
CREATE TABLE email_notifications (
    id                  BLOB PRIMARY KEY NOT NULL,
    user_id             BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    to_email            TEXT NOT NULL,
    subject             TEXT,
    email_type          TEXT,
    template_name       TEXT,
    body                TEXT,
    status              TEXT NOT NULL DEFAULT 'pending',
    sent_at             TEXT,
    opened_at           TEXT,
    clicked_at          TEXT,
    click_url           TEXT,
    error_message       TEXT,
    retry_count         INTEGER NOT NULL DEFAULT 0,
    max_retries         INTEGER NOT NULL DEFAULT 3,
    provider            TEXT,
    provider_message_id TEXT,
    next_attempt_at     TEXT,               -- outbox: when a worker may (re)try it
    created_at          TEXT NOT NULL
);
INSERT INTO main.email_notifications (id, user_id, to_email, subject, email_type, template_name, body, status, sent_at, opened_at, clicked_at, click_url, error_message, retry_count, max_retries, provider, provider_message_id, next_attempt_at, created_at) SELECT id, user_id, to_email, subject, email_type, template_name, body, status, sent_at, opened_at, clicked_at, click_url, error_message, retry_count, max_retries, provider, provider_message_id, next_attempt_at, created_at FROM temp.email_notifications__copy;
CREATE INDEX idx_email_notifications_user_id_status_created_at ON email_notifications (user_id, status, created_at);
CREATE INDEX idx_email_notifications_status_next_attempt_at ON email_notifications (status, next_attempt_at);
CREATE INDEX idx_email_notifications_email_type ON email_notifications (email_type);
CREATE INDEX idx_email_notifications_created_at ON email_notifications (created_at);
CREATE INDEX idx_email_notifications_provider_message_id ON email_notifications (provider_message_id);
DROP TABLE temp.email_notifications__copy;

-- sms_notifications
CREATE TABLE sms_notifications (
    id                  BLOB PRIMARY KEY NOT NULL,
    user_id             BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    phone_number        TEXT NOT NULL,
    message             TEXT NOT NULL,
    sms_type            TEXT,
    status              TEXT NOT NULL DEFAULT 'pending',
    sent_at             TEXT,
    delivered_at        TEXT,
    error_message       TEXT,
    error_code          TEXT,
    retry_count         INTEGER NOT NULL DEFAULT 0,
    max_retries         INTEGER NOT NULL DEFAULT 3,
    cost_micros         INTEGER,                    -- seed cost DECIMAL(10,4), in millionths of cost_currency
    cost_currency       TEXT,                -- ISO 4217 code
    provider            TEXT,
    provider_message_id TEXT,
    next_attempt_at     TEXT,
    created_at          TEXT NOT NULL
);
INSERT INTO main.sms_notifications (id, user_id, phone_number, message, sms_type, status, sent_at, delivered_at, error_message, error_code, retry_count, max_retries, cost_micros, cost_currency, provider, provider_message_id, next_attempt_at, created_at) SELECT id, user_id, phone_number, message, sms_type, status, sent_at, delivered_at, error_message, error_code, retry_count, max_retries, cost_micros, cost_currency, provider, provider_message_id, next_attempt_at, created_at FROM temp.sms_notifications__copy;
CREATE INDEX idx_sms_notifications_user_id_status_created_at ON sms_notifications (user_id, status, created_at);
CREATE INDEX idx_sms_notifications_status_next_attempt_at ON sms_notifications (status, next_attempt_at);
CREATE INDEX idx_sms_notifications_sms_type ON sms_notifications (sms_type);
CREATE INDEX idx_sms_notifications_created_at ON sms_notifications (created_at);
CREATE INDEX idx_sms_notifications_provider_message_id ON sms_notifications (provider_message_id);
DROP TABLE temp.sms_notifications__copy;

-- notification_preferences
CREATE TABLE notification_preferences (
    id                  BLOB PRIMARY KEY NOT NULL,
    user_id             BLOB NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    email_otp           BOOLEAN NOT NULL DEFAULT 1,
    email_alerts        BOOLEAN NOT NULL DEFAULT 1,
    email_marketing     BOOLEAN NOT NULL DEFAULT 0,
    sms_otp             BOOLEAN NOT NULL DEFAULT 1,
    sms_alerts          BOOLEAN NOT NULL DEFAULT 1,
    push_enabled        BOOLEAN NOT NULL DEFAULT 0,
    quiet_hours_enabled BOOLEAN NOT NULL DEFAULT 0,
    quiet_start         TEXT,
    quiet_end           TEXT,
    digest_frequency    TEXT NOT NULL DEFAULT 'real-time',
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
INSERT INTO main.notification_preferences (id, user_id, email_otp, email_alerts, email_marketing, sms_otp, sms_alerts, push_enabled, quiet_hours_enabled, quiet_start, quiet_end, digest_frequency, created_at, updated_at) SELECT id, user_id, email_otp, email_alerts, email_marketing, sms_otp, sms_alerts, push_enabled, quiet_hours_enabled, quiet_start, quiet_end, digest_frequency, created_at, updated_at FROM temp.notification_preferences__copy;
DROP TABLE temp.notification_preferences__copy;

-- notification_type_preferences
CREATE TABLE notification_type_preferences (
    id                  BLOB PRIMARY KEY NOT NULL,
    user_id             BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notification_type   TEXT NOT NULL,
    email_enabled       BOOLEAN NOT NULL DEFAULT 1,
    sms_enabled         BOOLEAN NOT NULL DEFAULT 1,
    in_app_enabled      BOOLEAN NOT NULL DEFAULT 1,
    push_enabled        BOOLEAN NOT NULL DEFAULT 1,
    priority            TEXT NOT NULL DEFAULT 'medium',
    respect_quiet_hours BOOLEAN NOT NULL DEFAULT 1,
    delay_minutes       INTEGER NOT NULL DEFAULT 0,
    max_per_day         INTEGER NOT NULL DEFAULT 100,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    UNIQUE (user_id, notification_type)
);
INSERT INTO main.notification_type_preferences (id, user_id, notification_type, email_enabled, sms_enabled, in_app_enabled, push_enabled, priority, respect_quiet_hours, delay_minutes, max_per_day, created_at, updated_at) SELECT id, user_id, notification_type, email_enabled, sms_enabled, in_app_enabled, push_enabled, priority, respect_quiet_hours, delay_minutes, max_per_day, created_at, updated_at FROM temp.notification_type_preferences__copy;
CREATE INDEX idx_notification_type_preferences_notification_type ON notification_type_preferences (notification_type);
DROP TABLE temp.notification_type_preferences__copy;

-- quiet_hours
CREATE TABLE quiet_hours (
    id                  BLOB PRIMARY KEY NOT NULL,
    user_id             BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day_of_week         INTEGER NOT NULL CHECK (day_of_week BETWEEN 0 AND 6),
    start_time          TEXT NOT NULL,
    end_time            TEXT NOT NULL,
    is_enabled          BOOLEAN NOT NULL DEFAULT 1,
    allow_critical_only BOOLEAN NOT NULL DEFAULT 1,
    timezone            TEXT NOT NULL DEFAULT 'UTC',
    description         TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    UNIQUE (user_id, day_of_week, start_time)
);
INSERT INTO main.quiet_hours (id, user_id, day_of_week, start_time, end_time, is_enabled, allow_critical_only, timezone, description, created_at, updated_at) SELECT id, user_id, day_of_week, start_time, end_time, is_enabled, allow_critical_only, timezone, description, created_at, updated_at FROM temp.quiet_hours__copy;
CREATE INDEX idx_quiet_hours_day_of_week ON quiet_hours (day_of_week);
DROP TABLE temp.quiet_hours__copy;

-- notification_blocklist
CREATE TABLE notification_blocklist (
    id            BLOB PRIMARY KEY NOT NULL,
    user_id       BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    block_type    TEXT NOT NULL,
    blocked_value TEXT NOT NULL,
    is_active     BOOLEAN NOT NULL DEFAULT 1,
    blocked_at    TEXT NOT NULL,
    unblocked_at  TEXT,
    reason        TEXT,
    created_at    TEXT NOT NULL,
    UNIQUE (user_id, block_type, blocked_value)
);
INSERT INTO main.notification_blocklist (id, user_id, block_type, blocked_value, is_active, blocked_at, unblocked_at, reason, created_at) SELECT id, user_id, block_type, blocked_value, is_active, blocked_at, unblocked_at, reason, created_at FROM temp.notification_blocklist__copy;
CREATE INDEX idx_notification_blocklist_blocked_value ON notification_blocklist (blocked_value);
DROP TABLE temp.notification_blocklist__copy;

-- notification_consents
CREATE TABLE notification_consents (
    id           BLOB PRIMARY KEY NOT NULL,
    user_id      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    consent_type TEXT NOT NULL,
    is_consented BOOLEAN NOT NULL DEFAULT 0,
    consented_at TEXT,
    withdrawn_at TEXT,
    source       TEXT,
    ip_address   TEXT,
    user_agent   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (user_id, consent_type)
);
INSERT INTO main.notification_consents (id, user_id, consent_type, is_consented, consented_at, withdrawn_at, source, ip_address, user_agent, created_at, updated_at) SELECT id, user_id, consent_type, is_consented, consented_at, withdrawn_at, source, ip_address, user_agent, created_at, updated_at FROM temp.notification_consents__copy;
CREATE INDEX idx_notification_consents_consent_type ON notification_consents (consent_type);
DROP TABLE temp.notification_consents__copy;

-- mfa_notifications
CREATE TABLE mfa_notifications (
    id                    BLOB PRIMARY KEY NOT NULL,
    user_id               BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    mfa_type              TEXT,
    delivery_method       TEXT,
    recipient             TEXT,
    subject               TEXT,
    message               TEXT,
    otp_code_hash         TEXT,
    code_length           INTEGER NOT NULL DEFAULT 6,
    is_sent               BOOLEAN NOT NULL DEFAULT 0,
    sent_at               TEXT,
    is_delivered          BOOLEAN NOT NULL DEFAULT 0,
    delivered_at          TEXT,
    is_verified           BOOLEAN NOT NULL DEFAULT 0,
    verified_at           TEXT,
    verification_attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts          INTEGER NOT NULL DEFAULT 3,
    expires_at            TEXT,
    error_message         TEXT,
    retry_count           INTEGER NOT NULL DEFAULT 0,
    provider              TEXT,
    provider_message_id   TEXT,
    created_at            TEXT NOT NULL
);
INSERT INTO main.mfa_notifications (id, user_id, mfa_type, delivery_method, recipient, subject, message, otp_code_hash, code_length, is_sent, sent_at, is_delivered, delivered_at, is_verified, verified_at, verification_attempts, max_attempts, expires_at, error_message, retry_count, provider, provider_message_id, created_at) SELECT id, user_id, mfa_type, delivery_method, recipient, subject, message, otp_code_hash, code_length, is_sent, sent_at, is_delivered, delivered_at, is_verified, verified_at, verification_attempts, max_attempts, expires_at, error_message, retry_count, provider, provider_message_id, created_at FROM temp.mfa_notifications__copy;
CREATE INDEX idx_mfa_notifications_user_id ON mfa_notifications (user_id);
CREATE INDEX idx_mfa_notifications_mfa_type ON mfa_notifications (mfa_type);
CREATE INDEX idx_mfa_notifications_is_verified ON mfa_notifications (is_verified);
DROP TABLE temp.mfa_notifications__copy;

-- notification_log
CREATE TABLE notification_log (
    id                BLOB PRIMARY KEY NOT NULL,
    user_id           BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notification_type TEXT,
    channel           TEXT,
    recipient         TEXT,
    delivered         BOOLEAN NOT NULL DEFAULT 0,
    metadata          TEXT,
    created_at        TEXT NOT NULL
);
INSERT INTO main.notification_log (id, user_id, notification_type, channel, recipient, delivered, metadata, created_at) SELECT id, user_id, notification_type, channel, recipient, delivered, metadata, created_at FROM temp.notification_log__copy;
CREATE INDEX idx_notification_log_user_id ON notification_log (user_id);
CREATE INDEX idx_notification_log_channel ON notification_log (channel);
DROP TABLE temp.notification_log__copy;

-- session_audit_log
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
INSERT INTO main.session_audit_log (id, user_id, session_id, device_id, action, session_type, mfa_verified, mfa_method, country, city, ip_address, latitude, longitude, risk_level, is_anomalous, anomaly_reasons, session_duration_seconds, total_requests, requires_review, review_status, reviewed_by_id, review_notes, old_value, new_value, metadata, error_message, created_at) SELECT id, user_id, session_id, device_id, action, session_type, mfa_verified, mfa_method, country, city, ip_address, latitude, longitude, risk_level, is_anomalous, anomaly_reasons, session_duration_seconds, total_requests, requires_review, review_status, reviewed_by_id, review_notes, old_value, new_value, metadata, error_message, created_at FROM temp.session_audit_log__copy;
CREATE INDEX idx_session_audit_log_user_id_created_at ON session_audit_log (user_id, created_at DESC);
CREATE INDEX idx_session_audit_log_session_id ON session_audit_log (session_id);
CREATE INDEX idx_session_audit_log_risk_level ON session_audit_log (risk_level);
CREATE INDEX idx_session_audit_log_created_at ON session_audit_log (created_at);
CREATE INDEX idx_session_audit_log_requires_review ON session_audit_log (requires_review);
DROP TABLE temp.session_audit_log__copy;

-- device_audit_log
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
INSERT INTO main.device_audit_log (id, user_id, device_id, session_id, action, device_fingerprint, device_type, browser, os, risk_score, previous_risk_score, is_anomalous, anomaly_reasons, country, city, latitude, longitude, trust_state_change, verified_at, trusted_at, compromised_at, verification_method, link_duration_seconds, ip_address, previous_ip, old_value, new_value, metadata, error_message, created_at) SELECT id, user_id, device_id, session_id, action, device_fingerprint, device_type, browser, os, risk_score, previous_risk_score, is_anomalous, anomaly_reasons, country, city, latitude, longitude, trust_state_change, verified_at, trusted_at, compromised_at, verification_method, link_duration_seconds, ip_address, previous_ip, old_value, new_value, metadata, error_message, created_at FROM temp.device_audit_log__copy;
CREATE INDEX idx_device_audit_log_user_id_created_at ON device_audit_log (user_id, created_at DESC);
CREATE INDEX idx_device_audit_log_device_id ON device_audit_log (device_id);
CREATE INDEX idx_device_audit_log_risk_score_created_at ON device_audit_log (risk_score DESC, created_at DESC);
CREATE INDEX idx_device_audit_log_is_anomalous ON device_audit_log (is_anomalous);
CREATE INDEX idx_device_audit_log_created_at ON device_audit_log (created_at);
DROP TABLE temp.device_audit_log__copy;

-- session_device_link_audit_log
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
INSERT INTO main.session_device_link_audit_log (id, user_id, session_id, device_id, link_action, previous_device_id, verified_at, trusted_at, revoked_at, link_duration_seconds, context, metadata, created_at) SELECT id, user_id, session_id, device_id, link_action, previous_device_id, verified_at, trusted_at, revoked_at, link_duration_seconds, context, metadata, created_at FROM temp.session_device_link_audit_log__copy;
CREATE INDEX idx_session_device_link_audit_log_user_id_created_at ON session_device_link_audit_log (user_id, created_at DESC);
CREATE INDEX idx_session_device_link_audit_log_session_id ON session_device_link_audit_log (session_id);
CREATE INDEX idx_session_device_link_audit_log_device_id ON session_device_link_audit_log (device_id);
CREATE INDEX idx_session_device_link_audit_log_created_at ON session_device_link_audit_log (created_at);
DROP TABLE temp.session_device_link_audit_log__copy;

-- mfa_audit_log
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
INSERT INTO main.mfa_audit_log (id, user_id, device_id, action, mfa_method, primary_method, challenge_id, verification_attempts, max_attempts, code_length, code_hash, recovery_method, request_count_last_hour, rate_limit_status, risk_level, is_anomalous, anomaly_reasons, old_value, new_value, metadata, error_message, created_at) SELECT id, user_id, device_id, action, mfa_method, primary_method, challenge_id, verification_attempts, max_attempts, code_length, code_hash, recovery_method, request_count_last_hour, rate_limit_status, risk_level, is_anomalous, anomaly_reasons, old_value, new_value, metadata, error_message, created_at FROM temp.mfa_audit_log__copy;
CREATE INDEX idx_mfa_audit_log_user_id_created_at ON mfa_audit_log (user_id, created_at DESC);
CREATE INDEX idx_mfa_audit_log_device_id ON mfa_audit_log (device_id);
CREATE INDEX idx_mfa_audit_log_mfa_method ON mfa_audit_log (mfa_method);
CREATE INDEX idx_mfa_audit_log_created_at ON mfa_audit_log (created_at);
CREATE INDEX idx_mfa_audit_log_is_anomalous ON mfa_audit_log (is_anomalous);
DROP TABLE temp.mfa_audit_log__copy;

-- audit_daily_summaries
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
INSERT INTO main.audit_daily_summaries (id, user_id, date, total_sessions, total_devices, total_failed_logins, total_mfa_challenges, total_api_calls, low_risk_events, medium_risk_events, high_risk_events, critical_risk_events, countries_accessed, unique_ips, unique_devices, mfa_enabled_count, mfa_disabled_count, backup_codes_generated, rate_limit_exceeded, anomalies_detected, approvals_required, approvals_completed, created_at) SELECT id, user_id, date, total_sessions, total_devices, total_failed_logins, total_mfa_challenges, total_api_calls, low_risk_events, medium_risk_events, high_risk_events, critical_risk_events, countries_accessed, unique_ips, unique_devices, mfa_enabled_count, mfa_disabled_count, backup_codes_generated, rate_limit_exceeded, anomalies_detected, approvals_required, approvals_completed, created_at FROM temp.audit_daily_summaries__copy;
CREATE INDEX idx_audit_daily_summaries_date ON audit_daily_summaries (date);
CREATE INDEX idx_audit_daily_summaries_high_risk_events ON audit_daily_summaries (high_risk_events DESC);
DROP TABLE temp.audit_daily_summaries__copy;

-- auth_throttle
CREATE TABLE auth_throttle (
    key               TEXT PRIMARY KEY NOT NULL,
    failures          INTEGER NOT NULL CHECK (failures >= 0),
    window_started_at TEXT NOT NULL,
    locked_until      TEXT,
    updated_at        TEXT NOT NULL
);
INSERT INTO main.auth_throttle (key, failures, window_started_at, locked_until, updated_at) SELECT key, failures, window_started_at, locked_until, updated_at FROM temp.auth_throttle__copy;
CREATE INDEX idx_auth_throttle_updated_at ON auth_throttle (updated_at);
DROP TABLE temp.auth_throttle__copy;
