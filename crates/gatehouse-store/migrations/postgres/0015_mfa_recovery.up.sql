-- gatehouse 0015: account recovery (issue 9, item 5).
-- mfa_recoveries.ready_at: when an email recovery may be completed (the request time plus
-- mfa.recovery_delay_secs, fixed at the request so a later change of the setting does not
-- move a promise already mailed). NULL for a backup-code recovery, which takes effect at once.
-- mfa_recoveries.reenrolled_at: when a factor was enrolled again after a successful recovery;
-- while a successful recovery has none, the account shows reenrolment_required.
-- At most one email recovery per account is in progress (is_successful NULL): a second
-- request finds it instead of restarting its clock.
ALTER TABLE mfa_recoveries ADD COLUMN ready_at timestamptz;
ALTER TABLE mfa_recoveries ADD COLUMN reenrolled_at timestamptz;
CREATE UNIQUE INDEX idx_mfa_recoveries_one_pending ON mfa_recoveries (user_id)
    WHERE is_successful IS NULL;
-- GET /v1/me shows reenrolment_required: nodes that remember it forget it on a change.
CREATE TRIGGER trg_mfa_recoveries_account_changed
    AFTER INSERT OR UPDATE OF is_successful, reenrolled_at OR DELETE ON mfa_recoveries
    FOR EACH ROW EXECUTE FUNCTION gatehouse_notify_account_changed();
