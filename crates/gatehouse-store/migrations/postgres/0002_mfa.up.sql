-- gatehouse 0002: MFA (seed "OTP APP"). Codes are stored only as keyed hashes
-- (HMAC-SHA256 with a server pepper); TOTP secrets only encrypted (AES-256-GCM).

CREATE TABLE otp_codes (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash     varchar(255) NOT NULL,
    purpose       varchar(20) NOT NULL,
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz,
    used_by_ip    inet,
    attempt_count integer NOT NULL DEFAULT 0,
    max_attempts  integer NOT NULL DEFAULT 3,
    is_valid      boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL
);
CREATE INDEX idx_otp_codes_user_id ON otp_codes (user_id);
CREATE INDEX idx_otp_codes_purpose ON otp_codes (purpose);
CREATE INDEX idx_otp_codes_expires_at ON otp_codes (expires_at);
CREATE INDEX idx_otp_codes_is_valid ON otp_codes (is_valid);

CREATE TABLE totp_devices (
    id                        uuid PRIMARY KEY,
    user_id                   uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    secret_encrypted          text NOT NULL,   -- base64(nonce || AES-256-GCM ciphertext || tag)
    last_used_step            bigint,          -- RFC 6238 time step of the last accepted code (replay guard)
    backup_codes_generated_at timestamptz,
    is_verified               boolean NOT NULL DEFAULT false,
    verified_at               timestamptz,
    created_at                timestamptz NOT NULL,
    updated_at                timestamptz NOT NULL
);

CREATE TABLE backup_codes (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  varchar(255) NOT NULL,
    used_at    timestamptz,
    used_by_ip inet,
    created_at timestamptz NOT NULL
);
CREATE INDEX idx_backup_codes_user_id ON backup_codes (user_id);
CREATE INDEX idx_backup_codes_used_at ON backup_codes (used_at);

CREATE TABLE mfa_challenges (
    id              uuid PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id      uuid REFERENCES sessions (id),
    device_id       uuid REFERENCES devices (id),
    challenge_id    uuid NOT NULL UNIQUE,
    challenge_type  varchar(20),
    expires_at      timestamptz NOT NULL,
    verified_at     timestamptz,
    failed_attempts integer NOT NULL DEFAULT 0,
    max_attempts    integer NOT NULL DEFAULT 3,
    risk_level      varchar(20) NOT NULL DEFAULT 'medium'
                    CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
    metadata        jsonb,
    created_at      timestamptz NOT NULL
);
CREATE INDEX idx_mfa_challenges_user_id ON mfa_challenges (user_id);
CREATE INDEX idx_mfa_challenges_session_id ON mfa_challenges (session_id);
CREATE INDEX idx_mfa_challenges_expires_at ON mfa_challenges (expires_at);

CREATE TABLE email_mfa_methods (
    id               uuid PRIMARY KEY,
    user_id          uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    email            varchar(255) NOT NULL,
    is_verified      boolean NOT NULL DEFAULT false,
    verified_at      timestamptz,
    otp_sent_count   integer NOT NULL DEFAULT 0,
    last_otp_sent_at timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);

CREATE TABLE sms_mfa_methods (
    id               uuid PRIMARY KEY,
    user_id          uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    phone_number     varchar(20) NOT NULL,
    is_verified      boolean NOT NULL DEFAULT false,
    verified_at      timestamptz,
    otp_sent_count   integer NOT NULL DEFAULT 0,
    last_otp_sent_at timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);

CREATE TABLE mfa_recoveries (
    id              uuid PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    recovery_method varchar(50) NOT NULL,
    used_at         timestamptz,
    used_by_ip      inet,
    is_successful   boolean,                   -- NULL while the recovery is in progress
    created_at      timestamptz NOT NULL
);
CREATE INDEX idx_mfa_recoveries_user_id ON mfa_recoveries (user_id);
CREATE INDEX idx_mfa_recoveries_recovery_method ON mfa_recoveries (recovery_method);
