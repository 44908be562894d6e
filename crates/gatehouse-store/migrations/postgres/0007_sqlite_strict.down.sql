-- Reverts 0007_sqlite_strict: nothing to undo on PostgreSQL.
SELECT 1;
