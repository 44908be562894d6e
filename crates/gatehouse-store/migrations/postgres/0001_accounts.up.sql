-- gatehouse 0001: accounts (seed "ACCOUNTS APP"). See docs/schema.md for the seed mapping.
-- Ids and timestamps are always supplied by the application (UUIDv7, injected clock):
-- no database-side defaults for them.

CREATE TABLE users (
    id              uuid PRIMARY KEY,
    email           varchar(255) NOT NULL UNIQUE,      -- stored lower-cased by the app
    username        varchar(150) UNIQUE,               -- optional; lower-cased by the app
    password_hash   varchar(255) NOT NULL,
    is_active       boolean NOT NULL DEFAULT true,
    is_staff        boolean NOT NULL DEFAULT false,
    is_superuser    boolean NOT NULL DEFAULT false,
    last_login_at   timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX idx_users_is_active ON users (is_active);

CREATE TABLE profiles (
    id                   uuid PRIMARY KEY,
    user_id              uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    first_name           varchar(100),
    last_name            varchar(100),
    date_of_birth        date,
    phone_number         varchar(20),
    address              text,
    city                 varchar(100),
    state                varchar(100),
    country              varchar(100),
    postal_code          varchar(20),
    timezone             varchar(63) NOT NULL DEFAULT 'UTC',
    language             varchar(10) NOT NULL DEFAULT 'en',
    preferred_mfa_method varchar(20),
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);
CREATE INDEX idx_profiles_country ON profiles (country);

CREATE TABLE mfa_settings (
    id                    uuid PRIMARY KEY,
    user_id               uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    primary_method        varchar(20) NOT NULL DEFAULT 'totp',
    is_enabled            boolean NOT NULL DEFAULT false,
    grace_period_days     integer NOT NULL DEFAULT 0,
    code_length           integer NOT NULL DEFAULT 6,
    code_validity_seconds integer NOT NULL DEFAULT 300,
    enforce_for_admin     boolean NOT NULL DEFAULT true,
    enforce_for_api       boolean NOT NULL DEFAULT true,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL
);
CREATE INDEX idx_mfa_settings_is_enabled ON mfa_settings (is_enabled);

CREATE TABLE mfa_method_preferences (
    id                  uuid PRIMARY KEY,
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    mfa_method          varchar(20) NOT NULL,
    is_enabled          boolean NOT NULL DEFAULT true,
    rate_limit_per_hour integer NOT NULL DEFAULT 10,
    max_attempts        integer NOT NULL DEFAULT 3,
    lockout_minutes     integer NOT NULL DEFAULT 30,
    setup_completed     boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    UNIQUE (user_id, mfa_method)
);
CREATE INDEX idx_mfa_method_preferences_mfa_method ON mfa_method_preferences (mfa_method);

CREATE TABLE mfa_change_log (
    id                uuid PRIMARY KEY,
    user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    action            varchar(50) NOT NULL,
    mfa_method        varchar(20),
    old_value         jsonb,
    new_value         jsonb,
    change_reason     varchar(255),
    approval_required boolean NOT NULL DEFAULT false,
    approval_status   varchar(20) NOT NULL DEFAULT 'pending',
    approved_by_id    uuid REFERENCES users (id),
    approved_at       timestamptz,
    requested_at      timestamptz NOT NULL,
    created_at        timestamptz NOT NULL
);
CREATE INDEX idx_mfa_change_log_user_id ON mfa_change_log (user_id);
CREATE INDEX idx_mfa_change_log_approval_status ON mfa_change_log (approval_status);
CREATE INDEX idx_mfa_change_log_created_at ON mfa_change_log (created_at);

CREATE TABLE password_history (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash varchar(255) NOT NULL,
    changed_at    timestamptz NOT NULL,
    changed_by    varchar(100),
    reason        varchar(100)
);
CREATE INDEX idx_password_history_user_id_changed_at ON password_history (user_id, changed_at DESC);

CREATE TABLE devices (
    id                   uuid PRIMARY KEY,
    user_id              uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_name          varchar(255),
    device_type          varchar(50),
    os                   varchar(100),
    browser              varchar(100),
    browser_version      varchar(50),
    fingerprint_hash     varchar(255) NOT NULL,
    ip_address           inet,
    user_agent           text,
    is_verified          boolean NOT NULL DEFAULT false,
    is_trusted           boolean NOT NULL DEFAULT false,
    last_used_at         timestamptz,
    latitude             double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude            double precision CHECK (longitude BETWEEN -180 AND 180),
    trust_expires_at     timestamptz,
    is_compromised       boolean NOT NULL DEFAULT false,
    risk_score           integer NOT NULL DEFAULT 0 CHECK (risk_score BETWEEN 0 AND 100),
    last_risk_assessment timestamptz,
    can_skip_mfa         boolean NOT NULL DEFAULT false,
    mfa_skip_until       timestamptz,
    security_notes       text,
    removed_at           timestamptz,                   -- soft delete by the owner
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    UNIQUE (user_id, fingerprint_hash)
);
CREATE INDEX idx_devices_fingerprint_hash ON devices (fingerprint_hash);
CREATE INDEX idx_devices_is_verified ON devices (is_verified);
CREATE INDEX idx_devices_risk_score ON devices (risk_score DESC);
CREATE INDEX idx_devices_latitude_longitude ON devices (latitude, longitude);

CREATE TABLE trusted_devices (
    id               uuid PRIMARY KEY,
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id        uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    is_trusted       boolean NOT NULL DEFAULT true,
    trusted_at       timestamptz NOT NULL,
    trust_expires_at timestamptz,
    last_used_at     timestamptz,
    can_skip_mfa     boolean NOT NULL DEFAULT false,
    mfa_skip_until   timestamptz,
    revoked_at       timestamptz,
    is_deleted       boolean NOT NULL DEFAULT false,
    deleted_at       timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX idx_trusted_devices_user_id ON trusted_devices (user_id);
CREATE INDEX idx_trusted_devices_device_id ON trusted_devices (device_id);
CREATE INDEX idx_trusted_devices_is_trusted ON trusted_devices (is_trusted);

-- sessions.access_jti / refresh_jti hold the current token ids and change on every
-- refresh. They are never looked up (refresh tokens are found through refresh_tokens.jti),
-- so they carry no UNIQUE index: without one, and with free space left in each page
-- (fillfactor 80), the per-refresh UPDATE is a HOT update that touches no index.
CREATE TABLE sessions (
    id                   uuid PRIMARY KEY,
    user_id              uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id            uuid REFERENCES devices (id),
    access_jti           varchar(500) NOT NULL,
    refresh_jti          varchar(500) NOT NULL,
    ip_address           inet,
    user_agent           text,
    status               varchar(20) NOT NULL DEFAULT 'active'
                         CHECK (status IN ('active', 'logged_out', 'revoked', 'expired')),
    expires_at           timestamptz NOT NULL,
    session_type         varchar(20) NOT NULL DEFAULT 'web',
    country              varchar(100),
    city                 varchar(100),
    mfa_verified         boolean NOT NULL DEFAULT false,
    mfa_verified_at      timestamptz,
    mfa_method_used      varchar(20),
    is_suspicious        boolean NOT NULL DEFAULT false,
    suspicious_reason    text,
    requires_mfa_recheck boolean NOT NULL DEFAULT false,
    total_requests       integer NOT NULL DEFAULT 0,
    total_api_calls      integer NOT NULL DEFAULT 0,
    last_seen_at         timestamptz,
    revoked_at           timestamptz,
    revoked_reason       varchar(50),
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
) WITH (fillfactor = 80);
CREATE INDEX idx_sessions_user_id_status ON sessions (user_id, status);
CREATE INDEX idx_sessions_device_id ON sessions (device_id);
CREATE INDEX idx_sessions_expires_at ON sessions (expires_at);
CREATE INDEX idx_sessions_status ON sessions (status);
CREATE INDEX idx_sessions_mfa_verified ON sessions (mfa_verified);

CREATE TABLE refresh_tokens (
    id                uuid PRIMARY KEY,
    user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id        uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    jti               varchar(64) NOT NULL UNIQUE,     -- HMAC-SHA256 hex of the opaque token
    family_id         uuid NOT NULL,
    parent_jti        varchar(64),
    is_valid          boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL,
    expires_at        timestamptz NOT NULL,
    rotated_at        timestamptz,
    revoked_at        timestamptz,
    revocation_reason varchar(255)
) WITH (fillfactor = 80);
CREATE INDEX idx_refresh_tokens_user_id ON refresh_tokens (user_id);
CREATE INDEX idx_refresh_tokens_session_id ON refresh_tokens (session_id);
CREATE INDEX idx_refresh_tokens_family_id ON refresh_tokens (family_id);
CREATE INDEX idx_refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- Account-level events (register, profile update, ...). user_id is SET NULL when the
-- account is deleted so the trail (including the deletion itself) outlives the account.
CREATE TABLE account_audit_log (
    id         uuid PRIMARY KEY,
    user_id    uuid REFERENCES users (id) ON DELETE SET NULL,
    action     varchar(100) NOT NULL,
    details    jsonb,
    ip_address inet,
    created_at timestamptz NOT NULL
);
CREATE INDEX idx_account_audit_log_user_id_created_at ON account_audit_log (user_id, created_at DESC);
CREATE INDEX idx_account_audit_log_created_at ON account_audit_log (created_at);
