-- Reverts 0017_audit_summaries.
DROP FUNCTION gatehouse_drop_audit_partitions(timestamptz);
DROP INDEX idx_audit_daily_summaries_date_id;
CREATE INDEX idx_audit_daily_summaries_date ON audit_daily_summaries (date);
