-- gatehouse 0008: announce account changes to every gatehouse node (LISTEN/NOTIFY), so a node
-- that remembers per-session reads (the signed-in account behind an access token) forgets them
-- within a moment of a change made anywhere: by another node, or by hand in psql.
-- The payload is the user id; NOTIFY is delivered when the changing transaction commits.
-- Only columns that can end a session's validity or change what GET /v1/me returns fire:
-- the per-refresh session update (token ids, last_seen_at) does not, so refresh pays nothing.
CREATE FUNCTION gatehouse_notify_account_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'users' THEN
        PERFORM pg_notify('gatehouse_account_changed', COALESCE(NEW.id, OLD.id)::text);
    ELSE
        PERFORM pg_notify('gatehouse_account_changed', COALESCE(NEW.user_id, OLD.user_id)::text);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER trg_sessions_account_changed
    AFTER UPDATE OF status, expires_at, user_id OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION gatehouse_notify_account_changed();
CREATE TRIGGER trg_users_account_changed
    AFTER UPDATE OF email, username, is_active, last_login_at OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION gatehouse_notify_account_changed();
CREATE TRIGGER trg_profiles_account_changed
    AFTER UPDATE OR DELETE ON profiles
    FOR EACH ROW EXECUTE FUNCTION gatehouse_notify_account_changed();
