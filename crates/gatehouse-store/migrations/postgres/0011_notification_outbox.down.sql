-- Reverts 0011_notification_outbox.
DROP TABLE notification_consent_events;
DROP TABLE security_action_tokens;
DROP TABLE notification_digest_items;
DROP TABLE in_app_notifications;
DROP INDEX idx_notification_log_notification_id;
ALTER TABLE notification_log DROP COLUMN status;
ALTER TABLE notification_log DROP COLUMN notification_id;
DROP INDEX idx_sms_notifications_country_code_created_at;
DROP INDEX idx_sms_notifications_phone_number_created_at;
ALTER TABLE sms_notifications DROP COLUMN locked_until;
ALTER TABLE sms_notifications DROP COLUMN country_code;
ALTER TABLE email_notifications DROP COLUMN locked_until;
ALTER TABLE email_notifications DROP COLUMN delivered_at;
ALTER TABLE email_notifications DROP COLUMN html_body;
ALTER TABLE users DROP COLUMN locked_until;
