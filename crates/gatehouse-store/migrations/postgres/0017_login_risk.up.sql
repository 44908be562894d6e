-- gatehouse 0017: the risk engine reads an account's recent sign-ins (where from, when,
-- failed or not) at every login. Session audit rows are mostly token refreshes, so a
-- partial index over the login rows alone keeps that read short and costs nothing on the
-- refresh path.
CREATE INDEX idx_session_audit_log_logins ON session_audit_log (user_id, created_at DESC)
    WHERE action IN ('login_succeeded', 'login_failed');
