-- Reverts 0006_session_authentication.
ALTER TABLE sessions DROP COLUMN authenticated_at;
ALTER TABLE sessions DROP COLUMN amr;
