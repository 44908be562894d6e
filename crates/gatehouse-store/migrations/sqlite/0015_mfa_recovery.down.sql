-- Reverts 0015_mfa_recovery.
DROP INDEX idx_mfa_recoveries_one_pending;
ALTER TABLE mfa_recoveries DROP COLUMN reenrolled_at;
ALTER TABLE mfa_recoveries DROP COLUMN ready_at;
