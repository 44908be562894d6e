-- SQLite twin of migrations/postgres/0011_notification_outbox.up.sql (uuid -> BLOB,
-- timestamptz -> TEXT, varchar -> TEXT, STRICT tables as every table since 0007).
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
ALTER TABLE users ADD COLUMN locked_until TEXT;
ALTER TABLE email_notifications ADD COLUMN html_body TEXT;
ALTER TABLE email_notifications ADD COLUMN delivered_at TEXT;
ALTER TABLE email_notifications ADD COLUMN locked_until TEXT;
ALTER TABLE sms_notifications ADD COLUMN country_code INTEGER;
ALTER TABLE sms_notifications ADD COLUMN locked_until TEXT;
CREATE INDEX idx_sms_notifications_phone_number_created_at ON sms_notifications (phone_number, created_at);
CREATE INDEX idx_sms_notifications_country_code_created_at ON sms_notifications (country_code, created_at);

ALTER TABLE notification_log ADD COLUMN notification_id BLOB;
ALTER TABLE notification_log ADD COLUMN status TEXT;
CREATE INDEX idx_notification_log_notification_id ON notification_log (notification_id);

CREATE TABLE in_app_notifications (
    id                BLOB PRIMARY KEY NOT NULL,
    user_id           BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notification_type TEXT NOT NULL,
    priority          TEXT NOT NULL,
    title             TEXT NOT NULL,
    body              TEXT NOT NULL,
    read_at           TEXT,
    created_at        TEXT NOT NULL
) STRICT;
CREATE INDEX idx_in_app_notifications_user_id_id ON in_app_notifications (user_id, id);

CREATE TABLE notification_digest_items (
    id                BLOB PRIMARY KEY NOT NULL,
    user_id           BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notification_type TEXT NOT NULL,
    channel           TEXT NOT NULL,
    summary           TEXT NOT NULL,
    occurred_at       TEXT NOT NULL,
    window_end        TEXT NOT NULL,
    created_at        TEXT NOT NULL
) STRICT;
CREATE INDEX idx_notification_digest_items_window_end ON notification_digest_items (window_end);

CREATE TABLE security_action_tokens (
    id          BLOB PRIMARY KEY NOT NULL,
    user_id     BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    action      TEXT NOT NULL,
    session_id  BLOB,
    device_id   BLOB,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX idx_security_action_tokens_user_id ON security_action_tokens (user_id);
CREATE INDEX idx_security_action_tokens_expires_at ON security_action_tokens (expires_at);

-- The consent ledger: notification_consents holds each consent's current state (the seed's
-- table); every grant and withdrawal is also kept here, with where it came from.
CREATE TABLE notification_consent_events (
    id           BLOB PRIMARY KEY NOT NULL,
    user_id      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    consent_type TEXT NOT NULL,
    granted      INTEGER NOT NULL,
    source       TEXT NOT NULL,
    ip_address   TEXT,
    user_agent   TEXT,
    created_at   TEXT NOT NULL
) STRICT;
CREATE INDEX idx_notification_consent_events_user_id_id ON notification_consent_events (user_id, id);
