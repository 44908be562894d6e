-- SQLite twin of migrations/postgres/0006_session_authentication.up.sql (text[] -> TEXT
-- holding a JSON array). SQLite cannot add a NOT NULL column without a default, so the
-- columns keep a default here; the data always comes from the application.
-- Sessions that exist already were all password logins.
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '["pwd"]';
ALTER TABLE sessions ADD COLUMN authenticated_at TEXT NOT NULL DEFAULT '';
UPDATE sessions SET authenticated_at = created_at;
