-- gatehouse 0017: daily summaries and audit retention (issue 10, items 4 and 5).
-- audit_daily_summaries (0004) already has every counter of the seed's
-- audit_log_auditlogsummary and UNIQUE (user_id, date), the key of the summariser's
-- upsert. The staff list reads one day's rows newest first by id: (date, id) serves it and
-- replaces the index on date alone.
DROP INDEX idx_audit_daily_summaries_date;
CREATE INDEX idx_audit_daily_summaries_date_id ON audit_daily_summaries (date, id DESC);

-- Detaches and drops the monthly partitions <log>_pYYYYMM of the four audit logs whose
-- whole month ends at or before `cutoff` (retention: `gatehouse audit maintain`).
-- Partitions not named by gatehouse_ensure_audit_partitions and the DEFAULT partitions are
-- left alone. Returns the number of partitions dropped. Needs the tables' owner.
CREATE FUNCTION gatehouse_drop_audit_partitions(cutoff timestamptz)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    parents constant text[] := ARRAY[
        'session_audit_log', 'device_audit_log', 'session_device_link_audit_log', 'mfa_audit_log'
    ];
    schema_name text := current_schema();
    parent      text;
    child       text;
    month_end   timestamptz;
    dropped     integer := 0;
BEGIN
    IF cutoff IS NULL THEN
        RAISE EXCEPTION 'gatehouse_drop_audit_partitions: need a cutoff';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('gatehouse_ensure_audit_partitions'));
    FOREACH parent IN ARRAY parents LOOP
        FOR child IN
            SELECT c.relname FROM pg_inherits i
              JOIN pg_class c ON c.oid = i.inhrelid
              JOIN pg_class p ON p.oid = i.inhparent
              JOIN pg_namespace n ON n.oid = p.relnamespace
             WHERE n.nspname = schema_name AND p.relname = parent
               AND c.relname ~ ('^' || parent || '_p[0-9]{6}$')
             ORDER BY c.relname
        LOOP
            month_end := (to_date(right(child, 6), 'YYYYMM') + interval '1 month')::timestamp
                         AT TIME ZONE 'UTC';
            CONTINUE WHEN month_end > cutoff;
            EXECUTE format('ALTER TABLE %I.%I DETACH PARTITION %I.%I',
                           schema_name, parent, schema_name, child);
            EXECUTE format('DROP TABLE %I.%I', schema_name, child);
            dropped := dropped + 1;
        END LOOP;
    END LOOP;
    RETURN dropped;
END;
$$;
