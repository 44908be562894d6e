-- Reverts 0001_accounts: drops exactly the tables it created (indexes go with them),
-- children before parents.
DROP TABLE account_audit_log;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE trusted_devices;
DROP TABLE devices;
DROP TABLE password_history;
DROP TABLE mfa_change_log;
DROP TABLE mfa_method_preferences;
DROP TABLE mfa_settings;
DROP TABLE profiles;
DROP TABLE users;
