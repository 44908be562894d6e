-- gatehouse 0008 is PostgreSQL's: triggers that announce account changes to other nodes with
-- NOTIFY. SQLite has no such channel (and gatehouse keeps no per-session cache on SQLite), so
-- there is nothing to do here; the file keeps the two migration trees in lockstep.
SELECT 1;
