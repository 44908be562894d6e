-- gatehouse 0010: a session remembers whether its login asked to be remembered, so each
-- refresh extends it by the right idle timeout (`tokens.idle_timeout_secs`, or
-- `tokens.remember_me_idle_timeout_secs`). Existing sessions were not.
ALTER TABLE sessions ADD COLUMN remember_me boolean NOT NULL DEFAULT false;
