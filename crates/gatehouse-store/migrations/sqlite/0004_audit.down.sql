-- Reverts 0004_audit (SQLite: plain tables, no partitions, no maintenance function).
DROP TABLE audit_daily_summaries;
DROP TABLE mfa_audit_log;
DROP TABLE session_device_link_audit_log;
DROP TABLE device_audit_log;
DROP TABLE session_audit_log;
