-- SQLite twin of migrations/postgres/0002_mfa.up.sql: same tables, columns, constraints and
-- index names. Types: uuid -> BLOB (16 raw bytes), timestamptz -> TEXT (RFC 3339, UTC),
-- date/time -> TEXT, inet/jsonb/text[] -> TEXT (text[] as a JSON array), double -> REAL.
-- gatehouse 0002: MFA (seed "OTP APP"). Codes are stored only as keyed hashes
-- (HMAC-SHA256 with a server pepper); TOTP secrets only encrypted (AES-256-GCM).

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
CREATE INDEX idx_otp_codes_user_id ON otp_codes (user_id);
CREATE INDEX idx_otp_codes_purpose ON otp_codes (purpose);
CREATE INDEX idx_otp_codes_expires_at ON otp_codes (expires_at);
CREATE INDEX idx_otp_codes_is_valid ON otp_codes (is_valid);

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

CREATE TABLE backup_codes (
    id         BLOB PRIMARY KEY NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    used_at    TEXT,
    used_by_ip TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX idx_backup_codes_user_id ON backup_codes (user_id);
CREATE INDEX idx_backup_codes_used_at ON backup_codes (used_at);

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
CREATE INDEX idx_mfa_challenges_user_id ON mfa_challenges (user_id);
CREATE INDEX idx_mfa_challenges_session_id ON mfa_challenges (session_id);
CREATE INDEX idx_mfa_challenges_expires_at ON mfa_challenges (expires_at);

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

CREATE TABLE mfa_recoveries (
    id              BLOB PRIMARY KEY NOT NULL,
    user_id         BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    recovery_method TEXT NOT NULL,
    used_at         TEXT,
    used_by_ip      TEXT,
    is_successful   BOOLEAN,                   -- NULL while the recovery is in progress
    created_at      TEXT NOT NULL
);
CREATE INDEX idx_mfa_recoveries_user_id ON mfa_recoveries (user_id);
CREATE INDEX idx_mfa_recoveries_recovery_method ON mfa_recoveries (recovery_method);
