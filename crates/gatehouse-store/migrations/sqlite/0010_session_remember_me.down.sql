-- Reverts 0010_session_remember_me.
ALTER TABLE sessions DROP COLUMN remember_me;
