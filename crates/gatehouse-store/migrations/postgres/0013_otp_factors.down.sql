-- Reverts 0013_otp_factors.
DROP INDEX idx_otp_codes_challenge;
DROP INDEX idx_otp_codes_live;
ALTER TABLE otp_codes DROP COLUMN destination;
ALTER TABLE otp_codes DROP COLUMN challenge_id;
