-- gatehouse 0003: notifications (seed "NOTIFICATIONS APP"). email_notifications and
-- sms_notifications double as the delivery outbox (status + next_attempt_at).

CREATE TABLE email_notifications (
    id                  uuid PRIMARY KEY,
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    to_email            varchar(255) NOT NULL,
    subject             varchar(255),
    email_type          varchar(50),
    template_name       varchar(100),
    body                text,
    status              varchar(20) NOT NULL DEFAULT 'pending',
    sent_at             timestamptz,
    opened_at           timestamptz,
    clicked_at          timestamptz,
    click_url           varchar(500),
    error_message       text,
    retry_count         integer NOT NULL DEFAULT 0,
    max_retries         integer NOT NULL DEFAULT 3,
    provider            varchar(50),
    provider_message_id varchar(255),
    next_attempt_at     timestamptz,               -- outbox: when a worker may (re)try it
    created_at          timestamptz NOT NULL
);
CREATE INDEX idx_email_notifications_user_id_status_created_at ON email_notifications (user_id, status, created_at);
CREATE INDEX idx_email_notifications_status_next_attempt_at ON email_notifications (status, next_attempt_at);
CREATE INDEX idx_email_notifications_email_type ON email_notifications (email_type);
CREATE INDEX idx_email_notifications_created_at ON email_notifications (created_at);
CREATE INDEX idx_email_notifications_provider_message_id ON email_notifications (provider_message_id);

CREATE TABLE sms_notifications (
    id                  uuid PRIMARY KEY,
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    phone_number        varchar(20) NOT NULL,
    message             text NOT NULL,
    sms_type            varchar(50),
    status              varchar(20) NOT NULL DEFAULT 'pending',
    sent_at             timestamptz,
    delivered_at        timestamptz,
    error_message       text,
    error_code          varchar(50),
    retry_count         integer NOT NULL DEFAULT 0,
    max_retries         integer NOT NULL DEFAULT 3,
    cost_micros         bigint,                    -- seed cost DECIMAL(10,4), in millionths of cost_currency
    cost_currency       varchar(3),                -- ISO 4217 code
    provider            varchar(50),
    provider_message_id varchar(255),
    next_attempt_at     timestamptz,
    created_at          timestamptz NOT NULL
);
CREATE INDEX idx_sms_notifications_user_id_status_created_at ON sms_notifications (user_id, status, created_at);
CREATE INDEX idx_sms_notifications_status_next_attempt_at ON sms_notifications (status, next_attempt_at);
CREATE INDEX idx_sms_notifications_sms_type ON sms_notifications (sms_type);
CREATE INDEX idx_sms_notifications_created_at ON sms_notifications (created_at);
CREATE INDEX idx_sms_notifications_provider_message_id ON sms_notifications (provider_message_id);

CREATE TABLE notification_preferences (
    id                  uuid PRIMARY KEY,
    user_id             uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    email_otp           boolean NOT NULL DEFAULT true,
    email_alerts        boolean NOT NULL DEFAULT true,
    email_marketing     boolean NOT NULL DEFAULT false,
    sms_otp             boolean NOT NULL DEFAULT true,
    sms_alerts          boolean NOT NULL DEFAULT true,
    push_enabled        boolean NOT NULL DEFAULT false,
    quiet_hours_enabled boolean NOT NULL DEFAULT false,
    quiet_start         time,
    quiet_end           time,
    digest_frequency    varchar(20) NOT NULL DEFAULT 'real-time',
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);

CREATE TABLE notification_type_preferences (
    id                  uuid PRIMARY KEY,
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notification_type   varchar(50) NOT NULL,
    email_enabled       boolean NOT NULL DEFAULT true,
    sms_enabled         boolean NOT NULL DEFAULT true,
    in_app_enabled      boolean NOT NULL DEFAULT true,
    push_enabled        boolean NOT NULL DEFAULT true,
    priority            varchar(20) NOT NULL DEFAULT 'medium',
    respect_quiet_hours boolean NOT NULL DEFAULT true,
    delay_minutes       integer NOT NULL DEFAULT 0,
    max_per_day         integer NOT NULL DEFAULT 100,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    UNIQUE (user_id, notification_type)
);
CREATE INDEX idx_notification_type_preferences_notification_type ON notification_type_preferences (notification_type);

CREATE TABLE quiet_hours (
    id                  uuid PRIMARY KEY,
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day_of_week         integer NOT NULL CHECK (day_of_week BETWEEN 0 AND 6),
    start_time          time NOT NULL,
    end_time            time NOT NULL,
    is_enabled          boolean NOT NULL DEFAULT true,
    allow_critical_only boolean NOT NULL DEFAULT true,
    timezone            varchar(63) NOT NULL DEFAULT 'UTC',
    description         varchar(100),
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    UNIQUE (user_id, day_of_week, start_time)
);
CREATE INDEX idx_quiet_hours_day_of_week ON quiet_hours (day_of_week);

CREATE TABLE notification_blocklist (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    block_type    varchar(50) NOT NULL,
    blocked_value varchar(255) NOT NULL,
    is_active     boolean NOT NULL DEFAULT true,
    blocked_at    timestamptz NOT NULL,
    unblocked_at  timestamptz,
    reason        varchar(255),
    created_at    timestamptz NOT NULL,
    UNIQUE (user_id, block_type, blocked_value)
);
CREATE INDEX idx_notification_blocklist_blocked_value ON notification_blocklist (blocked_value);

CREATE TABLE notification_consents (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    consent_type varchar(50) NOT NULL,
    is_consented boolean NOT NULL DEFAULT false,
    consented_at timestamptz,
    withdrawn_at timestamptz,
    source       varchar(50),
    ip_address   inet,
    user_agent   text,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    UNIQUE (user_id, consent_type)
);
CREATE INDEX idx_notification_consents_consent_type ON notification_consents (consent_type);

CREATE TABLE mfa_notifications (
    id                    uuid PRIMARY KEY,
    user_id               uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    mfa_type              varchar(50),
    delivery_method       varchar(20),
    recipient             varchar(255),
    subject               varchar(255),
    message               text,
    otp_code_hash         varchar(255),
    code_length           integer NOT NULL DEFAULT 6,
    is_sent               boolean NOT NULL DEFAULT false,
    sent_at               timestamptz,
    is_delivered          boolean NOT NULL DEFAULT false,
    delivered_at          timestamptz,
    is_verified           boolean NOT NULL DEFAULT false,
    verified_at           timestamptz,
    verification_attempts integer NOT NULL DEFAULT 0,
    max_attempts          integer NOT NULL DEFAULT 3,
    expires_at            timestamptz,
    error_message         text,
    retry_count           integer NOT NULL DEFAULT 0,
    provider              varchar(50),
    provider_message_id   varchar(255),
    created_at            timestamptz NOT NULL
);
CREATE INDEX idx_mfa_notifications_user_id ON mfa_notifications (user_id);
CREATE INDEX idx_mfa_notifications_mfa_type ON mfa_notifications (mfa_type);
CREATE INDEX idx_mfa_notifications_is_verified ON mfa_notifications (is_verified);

CREATE TABLE notification_log (
    id                uuid PRIMARY KEY,
    user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notification_type varchar(50),
    channel           varchar(50),
    recipient         varchar(255),
    delivered         boolean NOT NULL DEFAULT false,
    metadata          jsonb,
    created_at        timestamptz NOT NULL
);
CREATE INDEX idx_notification_log_user_id ON notification_log (user_id);
CREATE INDEX idx_notification_log_channel ON notification_log (channel);
