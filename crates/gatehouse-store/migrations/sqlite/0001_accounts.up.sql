-- SQLite twin of migrations/postgres/0001_accounts.up.sql: same tables, columns, constraints and
-- index names. Types: uuid -> BLOB (16 raw bytes), timestamptz -> TEXT (RFC 3339, UTC),
-- date/time -> TEXT, inet/jsonb/text[] -> TEXT (text[] as a JSON array), double -> REAL.
-- gatehouse 0001: accounts (seed "ACCOUNTS APP"). See docs/schema.md for the seed mapping.
-- Ids and timestamps are always supplied by the application (UUIDv7, injected clock):
-- no database-side defaults for them.

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
CREATE INDEX idx_users_is_active ON users (is_active);

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
CREATE INDEX idx_profiles_country ON profiles (country);

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
CREATE INDEX idx_mfa_settings_is_enabled ON mfa_settings (is_enabled);

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
CREATE INDEX idx_mfa_method_preferences_mfa_method ON mfa_method_preferences (mfa_method);

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
CREATE INDEX idx_mfa_change_log_user_id ON mfa_change_log (user_id);
CREATE INDEX idx_mfa_change_log_approval_status ON mfa_change_log (approval_status);
CREATE INDEX idx_mfa_change_log_created_at ON mfa_change_log (created_at);

CREATE TABLE password_history (
    id            BLOB PRIMARY KEY NOT NULL,
    user_id       BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    changed_at    TEXT NOT NULL,
    changed_by    TEXT,
    reason        TEXT
);
CREATE INDEX idx_password_history_user_id_changed_at ON password_history (user_id, changed_at DESC);

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
CREATE INDEX idx_devices_fingerprint_hash ON devices (fingerprint_hash);
CREATE INDEX idx_devices_is_verified ON devices (is_verified);
CREATE INDEX idx_devices_risk_score ON devices (risk_score DESC);
CREATE INDEX idx_devices_latitude_longitude ON devices (latitude, longitude);

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
CREATE INDEX idx_trusted_devices_user_id ON trusted_devices (user_id);
CREATE INDEX idx_trusted_devices_device_id ON trusted_devices (device_id);
CREATE INDEX idx_trusted_devices_is_trusted ON trusted_devices (is_trusted);

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
);
CREATE INDEX idx_sessions_user_id_status ON sessions (user_id, status);
CREATE INDEX idx_sessions_device_id ON sessions (device_id);
CREATE INDEX idx_sessions_expires_at ON sessions (expires_at);
CREATE INDEX idx_sessions_status ON sessions (status);
CREATE INDEX idx_sessions_mfa_verified ON sessions (mfa_verified);

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
CREATE INDEX idx_refresh_tokens_user_id ON refresh_tokens (user_id);
CREATE INDEX idx_refresh_tokens_session_id ON refresh_tokens (session_id);
CREATE INDEX idx_refresh_tokens_family_id ON refresh_tokens (family_id);
CREATE INDEX idx_refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- Account-level events (register, profile update, ...). user_id is SET NULL when the
-- account is deleted so the trail (including the deletion itself) outlives the account.
CREATE TABLE account_audit_log (
    id         BLOB PRIMARY KEY NOT NULL,
    user_id    BLOB REFERENCES users (id) ON DELETE SET NULL,
    action     TEXT NOT NULL,
    details    TEXT,
    ip_address TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX idx_account_audit_log_user_id_created_at ON account_audit_log (user_id, created_at DESC);
CREATE INDEX idx_account_audit_log_created_at ON account_audit_log (created_at);
