-- Reverts 0002_mfa.
DROP TABLE mfa_recoveries;
DROP TABLE sms_mfa_methods;
DROP TABLE email_mfa_methods;
DROP TABLE mfa_challenges;
DROP TABLE backup_codes;
DROP TABLE totp_devices;
DROP TABLE otp_codes;
