-- gatehouse 0006: a session keeps how it was authenticated, so every access token issued for
-- it (at login and at each refresh) carries the same `amr` (RFC 8176) and `auth_time`.
-- Sessions that exist already were all password logins.
ALTER TABLE sessions ADD COLUMN amr text[] NOT NULL DEFAULT '{pwd}';
ALTER TABLE sessions ALTER COLUMN amr DROP DEFAULT;
ALTER TABLE sessions ADD COLUMN authenticated_at timestamptz;
UPDATE sessions SET authenticated_at = created_at;
ALTER TABLE sessions ALTER COLUMN authenticated_at SET NOT NULL;
