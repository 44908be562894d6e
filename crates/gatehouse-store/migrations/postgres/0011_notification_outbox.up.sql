-- gatehouse 0011: the notification outbox at work (issue 8).
-- * email/sms rows are claimed by a worker for a lease (`locked_until`) so several workers on
--   one database share the work without sending one message twice at once;
-- * an email keeps its HTML part and when it was delivered/bounced;
-- * an SMS keeps its country calling code, so the daily caps per number and per country are
--   one index range each;
-- * notification_log becomes the history of every state change of a message;
-- * in-app notifications and the digest's waiting items get tables of their own;
-- * "this wasn't me" links are single-use tokens stored as keyed hashes; using one locks
--   the account (`users.locked_until`) against every client, device tokens included.
ALTER TABLE users ADD COLUMN locked_until timestamptz;
ALTER TABLE email_notifications ADD COLUMN html_body text;
ALTER TABLE email_notifications ADD COLUMN delivered_at timestamptz;
ALTER TABLE email_notifications ADD COLUMN locked_until timestamptz;
ALTER TABLE sms_notifications ADD COLUMN country_code integer;
ALTER TABLE sms_notifications ADD COLUMN locked_until timestamptz;
CREATE INDEX idx_sms_notifications_phone_number_created_at ON sms_notifications (phone_number, created_at);
CREATE INDEX idx_sms_notifications_country_code_created_at ON sms_notifications (country_code, created_at);

ALTER TABLE notification_log ADD COLUMN notification_id uuid;
ALTER TABLE notification_log ADD COLUMN status varchar(20);
CREATE INDEX idx_notification_log_notification_id ON notification_log (notification_id);

CREATE TABLE in_app_notifications (
    id                uuid PRIMARY KEY,
    user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notification_type varchar(50) NOT NULL,
    priority          varchar(20) NOT NULL,
    title             varchar(255) NOT NULL,
    body              text NOT NULL,
    read_at           timestamptz,
    created_at        timestamptz NOT NULL
);
CREATE INDEX idx_in_app_notifications_user_id_id ON in_app_notifications (user_id, id);

CREATE TABLE notification_digest_items (
    id                uuid PRIMARY KEY,
    user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notification_type varchar(50) NOT NULL,
    channel           varchar(20) NOT NULL,
    summary           text NOT NULL,
    occurred_at       timestamptz NOT NULL,
    window_end        timestamptz NOT NULL,
    created_at        timestamptz NOT NULL
);
CREATE INDEX idx_notification_digest_items_window_end ON notification_digest_items (window_end);

CREATE TABLE security_action_tokens (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  varchar(64) NOT NULL UNIQUE,
    action      varchar(30) NOT NULL,
    session_id  uuid,
    device_id   uuid,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL
);
CREATE INDEX idx_security_action_tokens_user_id ON security_action_tokens (user_id);
CREATE INDEX idx_security_action_tokens_expires_at ON security_action_tokens (expires_at);

-- The consent ledger: notification_consents holds each consent's current state (the seed's
-- table); every grant and withdrawal is also kept here, with where it came from.
CREATE TABLE notification_consent_events (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    consent_type varchar(50) NOT NULL,
    granted      boolean NOT NULL,
    source       varchar(50) NOT NULL,
    ip_address   inet,
    user_agent   text,
    created_at   timestamptz NOT NULL
);
CREATE INDEX idx_notification_consent_events_user_id_id ON notification_consent_events (user_id, id);
