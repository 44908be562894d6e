-- SQLite twin of migrations/postgres/0017_audit_summaries.up.sql: the (date, id) index of
-- the staff list. SQLite has no partitions, so no retention function: expired rows are
-- deleted in batches.
DROP INDEX idx_audit_daily_summaries_date;
CREATE INDEX idx_audit_daily_summaries_date_id ON audit_daily_summaries (date, id DESC);
