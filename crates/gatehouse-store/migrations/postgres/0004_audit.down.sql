-- Reverts 0004_audit: the maintenance function and the audit tables (dropping a
-- partitioned table drops its partitions, default included).
DROP FUNCTION gatehouse_ensure_audit_partitions(date, integer);
DROP TABLE audit_daily_summaries;
DROP TABLE mfa_audit_log;
DROP TABLE session_device_link_audit_log;
DROP TABLE device_audit_log;
DROP TABLE session_audit_log;
