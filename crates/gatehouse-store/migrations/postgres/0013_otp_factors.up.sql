-- gatehouse 0013: email and SMS second factors (issue 9, items 1 and 2).
-- otp_codes.challenge_id: the login challenge a `mfa_login` code answers (NULL for an
-- enrolment code, which belongs to the account alone).
-- otp_codes.destination: the address or phone number the code was sent to.
-- The partial indexes fit the two lookups: the live codes of an account and purpose
-- (enrolment), and the live codes of one challenge (login).
ALTER TABLE otp_codes ADD COLUMN challenge_id uuid;
ALTER TABLE otp_codes ADD COLUMN destination varchar(255);
CREATE INDEX idx_otp_codes_live ON otp_codes (user_id, purpose, created_at) WHERE used_at IS NULL;
CREATE INDEX idx_otp_codes_challenge ON otp_codes (challenge_id, created_at) WHERE challenge_id IS NOT NULL;
