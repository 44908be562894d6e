-- Reverts 0008_account_change_notices: nothing to undo on SQLite.
SELECT 1;
