-- gatehouse 0018: tamper evidence for the four audit logs (issue 10, item 1).
-- Each row stores a SHA-256 of its own content, computed by gatehouse at insert (no extra
-- round trip: it travels in the INSERT). The review columns are left out of it, as review
-- is the one change an audit row may see. Rows written before this migration have none.
ALTER TABLE session_audit_log ADD COLUMN row_hash bytea CHECK (octet_length(row_hash) = 32);
ALTER TABLE device_audit_log ADD COLUMN row_hash bytea CHECK (octet_length(row_hash) = 32);
ALTER TABLE mfa_audit_log ADD COLUMN row_hash bytea CHECK (octet_length(row_hash) = 32);
ALTER TABLE session_device_link_audit_log ADD COLUMN row_hash bytea CHECK (octet_length(row_hash) = 32);

-- The chain of seals. The sealer (in the workers) covers each log's rows window by window
-- (never across a UTC midnight); a seal holds a digest of the window's rows (id, time and
-- row hash, in order) and an HMAC, under a key derived from the server's pepper, over its
-- own fields and the previous seal's HMAC. Retention records how far it removed rows as a
-- seal of kind 'retention', so `gatehouse audit verify` tells removal by retention from
-- removal by anyone else.
CREATE TABLE audit_seals (
    seq          bigint PRIMARY KEY CHECK (seq > 0),
    log          varchar(20) NOT NULL CHECK (log IN ('sessions', 'devices', 'mfa', 'links')),
    kind         varchar(20) NOT NULL CHECK (kind IN ('rows', 'retention')),
    window_start timestamptz NOT NULL,
    window_end   timestamptz NOT NULL CHECK (window_end >= window_start),
    row_count    bigint NOT NULL CHECK (row_count >= 0),
    rows_digest  bytea NOT NULL CHECK (octet_length(rows_digest) = 32),
    prev_hash    bytea NOT NULL CHECK (octet_length(prev_hash) = 32),
    seal_hash    bytea NOT NULL CHECK (octet_length(seal_hash) = 32),
    sealed_at    timestamptz NOT NULL
);
-- "Where does this log's next window start": the latest seal of a log.
CREATE INDEX idx_audit_seals_log_seq ON audit_seals (log, seq DESC);

-- Append-only, enforced by the database: an UPDATE of an audit row may change only the
-- review columns; a DELETE is refused unless the transaction declares itself retention
-- (`SET LOCAL gatehouse.audit_retention = 'on'`, which only retention does); seals are
-- never changed. TRUNCATE is refused outright. (Dropping a whole monthly partition is DDL,
-- which row triggers do not see: that is retention's own path, for the tables' owner.)
CREATE FUNCTION gatehouse_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    review_columns text[] := ARRAY['review_status', 'reviewed_by_id', 'reviewed_at', 'review_notes'];
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF TG_TABLE_NAME <> 'audit_seals'
           AND (to_jsonb(NEW) - review_columns) = (to_jsonb(OLD) - review_columns) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit rows are append-only: % may change only its review columns', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    ELSIF TG_OP = 'DELETE' THEN
        IF TG_TABLE_NAME <> 'audit_seals'
           AND current_setting('gatehouse.audit_retention', true) = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit rows are append-only: only retention deletes from %', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RAISE EXCEPTION 'audit rows are append-only: % refused on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER session_audit_log_append_only BEFORE UPDATE OR DELETE ON session_audit_log
    FOR EACH ROW EXECUTE FUNCTION gatehouse_audit_append_only();
CREATE TRIGGER device_audit_log_append_only BEFORE UPDATE OR DELETE ON device_audit_log
    FOR EACH ROW EXECUTE FUNCTION gatehouse_audit_append_only();
CREATE TRIGGER mfa_audit_log_append_only BEFORE UPDATE OR DELETE ON mfa_audit_log
    FOR EACH ROW EXECUTE FUNCTION gatehouse_audit_append_only();
CREATE TRIGGER session_device_link_audit_log_append_only BEFORE UPDATE OR DELETE ON session_device_link_audit_log
    FOR EACH ROW EXECUTE FUNCTION gatehouse_audit_append_only();
CREATE TRIGGER audit_seals_append_only BEFORE UPDATE OR DELETE ON audit_seals
    FOR EACH ROW EXECUTE FUNCTION gatehouse_audit_append_only();

CREATE TRIGGER session_audit_log_no_truncate BEFORE TRUNCATE ON session_audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_audit_append_only();
CREATE TRIGGER device_audit_log_no_truncate BEFORE TRUNCATE ON device_audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_audit_append_only();
CREATE TRIGGER mfa_audit_log_no_truncate BEFORE TRUNCATE ON mfa_audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_audit_append_only();
CREATE TRIGGER session_device_link_audit_log_no_truncate BEFORE TRUNCATE ON session_device_link_audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_audit_append_only();
CREATE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON audit_seals
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_audit_append_only();
