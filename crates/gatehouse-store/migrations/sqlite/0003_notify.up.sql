-- SQLite twin of migrations/postgres/0003_notify.up.sql: same tables, columns, constraints and
-- index names. Types: uuid -> BLOB (16 raw bytes), timestamptz -> TEXT (RFC 3339, UTC),
-- date/time -> TEXT, inet/jsonb/text[] -> TEXT (text[] as a JSON array), double -> REAL.
-- gatehouse 0003: notifications (seed "NOTIFICATIONS APP"). email_notifications and
-- sms_notifications double as the delivery outbox (status + next_attempt_at).

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
CREATE INDEX idx_email_notifications_user_id_status_created_at ON email_notifications (user_id, status, created_at);
CREATE INDEX idx_email_notifications_status_next_attempt_at ON email_notifications (status, next_attempt_at);
CREATE INDEX idx_email_notifications_email_type ON email_notifications (email_type);
CREATE INDEX idx_email_notifications_created_at ON email_notifications (created_at);
CREATE INDEX idx_email_notifications_provider_message_id ON email_notifications (provider_message_id);

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
CREATE INDEX idx_sms_notifications_user_id_status_created_at ON sms_notifications (user_id, status, created_at);
CREATE INDEX idx_sms_notifications_status_next_attempt_at ON sms_notifications (status, next_attempt_at);
CREATE INDEX idx_sms_notifications_sms_type ON sms_notifications (sms_type);
CREATE INDEX idx_sms_notifications_created_at ON sms_notifications (created_at);
CREATE INDEX idx_sms_notifications_provider_message_id ON sms_notifications (provider_message_id);

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
CREATE INDEX idx_notification_type_preferences_notification_type ON notification_type_preferences (notification_type);

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
CREATE INDEX idx_quiet_hours_day_of_week ON quiet_hours (day_of_week);

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
CREATE INDEX idx_notification_blocklist_blocked_value ON notification_blocklist (blocked_value);

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
CREATE INDEX idx_notification_consents_consent_type ON notification_consents (consent_type);

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
CREATE INDEX idx_mfa_notifications_user_id ON mfa_notifications (user_id);
CREATE INDEX idx_mfa_notifications_mfa_type ON mfa_notifications (mfa_type);
CREATE INDEX idx_mfa_notifications_is_verified ON mfa_notifications (is_verified);

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
CREATE INDEX idx_notification_log_user_id ON notification_log (user_id);
CREATE INDEX idx_notification_log_channel ON notification_log (channel);
