-- Reverts 0008_account_change_notices.
DROP TRIGGER trg_profiles_account_changed ON profiles;
DROP TRIGGER trg_users_account_changed ON users;
DROP TRIGGER trg_sessions_account_changed ON sessions;
DROP FUNCTION gatehouse_notify_account_changed();
