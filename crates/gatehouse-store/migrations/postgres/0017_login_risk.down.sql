-- Reverts 0017_login_risk.
DROP INDEX idx_session_audit_log_logins;
