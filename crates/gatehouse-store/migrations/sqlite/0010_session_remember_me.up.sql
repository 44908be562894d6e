-- SQLite twin of migrations/postgres/0010_session_remember_me.up.sql (boolean -> INTEGER
-- 0/1, as every boolean since 0007).
ALTER TABLE sessions ADD COLUMN remember_me INTEGER NOT NULL DEFAULT 0;
