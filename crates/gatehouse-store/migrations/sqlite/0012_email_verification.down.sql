-- Reverts 0012_email_verification.
ALTER TABLE security_action_tokens DROP COLUMN email;
ALTER TABLE users DROP COLUMN email_verified_at;
