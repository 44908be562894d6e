-- Reverts 0018_login_risk.
DROP INDEX idx_session_audit_log_logins;
