-- gatehouse 0007 is SQLite's: its tables become STRICT (typed like PostgreSQL's). PostgreSQL
-- columns are strictly typed already, so there is nothing to do here; the file keeps the two
-- migration trees in lockstep.
SELECT 1;
