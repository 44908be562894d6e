-- gatehouse 0004: audit logs (seed "AUDIT_LOG APP").
-- The four event logs are range-partitioned by month on created_at (UTC month bounds).
-- A partitioned table's primary key must include the partition key, hence
-- PRIMARY KEY (id, created_at); ids are UUIDv7 and unique on their own in practice.
-- Each log has a DEFAULT partition so that an insert never fails for lack of a partition;
-- gatehouse_ensure_audit_partitions() (below) creates monthly partitions ahead of time.

-- Audit rows reference sessions, devices and reviewers by id without foreign keys: an
-- audit log is an append-only record that must outlive what it describes, and each
-- foreign key would add a referential check to every insert on the hottest write paths
-- (three audit rows per login). Only user_id keeps its foreign key, so deleting an
-- account still deletes its audit trail (ON DELETE CASCADE, as in the seed).
CREATE TABLE session_audit_log (
    id                       uuid NOT NULL,
    user_id                  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id               uuid,
    device_id                uuid,
    action                   varchar(50) NOT NULL,
    session_type             varchar(20),
    mfa_verified             boolean,
    mfa_method               varchar(20),
    country                  varchar(100),
    city                     varchar(100),
    ip_address               inet,
    latitude                 double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude                double precision CHECK (longitude BETWEEN -180 AND 180),
    risk_level               varchar(20) NOT NULL DEFAULT 'low'
                             CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
    is_anomalous             boolean NOT NULL DEFAULT false,
    anomaly_reasons          text[],
    session_duration_seconds integer,
    total_requests           integer,
    requires_review          boolean NOT NULL DEFAULT false,
    review_status            varchar(20),
    reviewed_by_id           uuid,
    review_notes             text,
    old_value                jsonb,
    new_value                jsonb,
    metadata                 jsonb,
    error_message            text,
    created_at               timestamptz NOT NULL,
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE TABLE session_audit_log_default PARTITION OF session_audit_log DEFAULT;
CREATE INDEX idx_session_audit_log_user_id_created_at ON session_audit_log (user_id, created_at DESC);
CREATE INDEX idx_session_audit_log_session_id ON session_audit_log (session_id);
CREATE INDEX idx_session_audit_log_risk_level ON session_audit_log (risk_level);
CREATE INDEX idx_session_audit_log_created_at ON session_audit_log (created_at);
CREATE INDEX idx_session_audit_log_requires_review ON session_audit_log (requires_review);

CREATE TABLE device_audit_log (
    id                    uuid NOT NULL,
    user_id               uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id             uuid NOT NULL,
    session_id            uuid,
    action                varchar(50) NOT NULL,
    device_fingerprint    varchar(255),
    device_type           varchar(50),
    browser               varchar(100),
    os                    varchar(100),
    risk_score            integer NOT NULL DEFAULT 0 CHECK (risk_score BETWEEN 0 AND 100),
    previous_risk_score   integer CHECK (previous_risk_score BETWEEN 0 AND 100),
    is_anomalous          boolean NOT NULL DEFAULT false,
    anomaly_reasons       text[],
    country               varchar(100),
    city                  varchar(100),
    latitude              double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude             double precision CHECK (longitude BETWEEN -180 AND 180),
    trust_state_change    varchar(100),
    verified_at           timestamptz,
    trusted_at            timestamptz,
    compromised_at        timestamptz,
    verification_method   varchar(50),
    link_duration_seconds integer,
    ip_address            inet,
    previous_ip           inet,
    old_value             jsonb,
    new_value             jsonb,
    metadata              jsonb,
    error_message         text,
    created_at            timestamptz NOT NULL,
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE TABLE device_audit_log_default PARTITION OF device_audit_log DEFAULT;
CREATE INDEX idx_device_audit_log_user_id_created_at ON device_audit_log (user_id, created_at DESC);
CREATE INDEX idx_device_audit_log_device_id ON device_audit_log (device_id);
CREATE INDEX idx_device_audit_log_risk_score_created_at ON device_audit_log (risk_score DESC, created_at DESC);
CREATE INDEX idx_device_audit_log_is_anomalous ON device_audit_log (is_anomalous);
CREATE INDEX idx_device_audit_log_created_at ON device_audit_log (created_at);

CREATE TABLE session_device_link_audit_log (
    id                    uuid NOT NULL,
    user_id               uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id            uuid NOT NULL,
    device_id             uuid NOT NULL,
    link_action           varchar(50),
    previous_device_id    uuid,
    verified_at           timestamptz,
    trusted_at            timestamptz,
    revoked_at            timestamptz,
    link_duration_seconds integer,
    context               jsonb,
    metadata              jsonb,
    created_at            timestamptz NOT NULL,
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE TABLE session_device_link_audit_log_default PARTITION OF session_device_link_audit_log DEFAULT;
CREATE INDEX idx_session_device_link_audit_log_user_id_created_at ON session_device_link_audit_log (user_id, created_at DESC);
CREATE INDEX idx_session_device_link_audit_log_session_id ON session_device_link_audit_log (session_id);
CREATE INDEX idx_session_device_link_audit_log_device_id ON session_device_link_audit_log (device_id);
CREATE INDEX idx_session_device_link_audit_log_created_at ON session_device_link_audit_log (created_at);

CREATE TABLE mfa_audit_log (
    id                      uuid NOT NULL,
    user_id                 uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id               uuid,
    action                  varchar(50) NOT NULL,
    mfa_method              varchar(20),
    primary_method          boolean NOT NULL DEFAULT false,
    challenge_id            uuid,
    verification_attempts   integer,
    max_attempts            integer NOT NULL DEFAULT 3,
    code_length             integer,
    code_hash               varchar(255),
    recovery_method         varchar(50),
    request_count_last_hour integer,
    rate_limit_status       varchar(20) NOT NULL DEFAULT 'ok',
    risk_level              varchar(20) NOT NULL DEFAULT 'low'
                            CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
    is_anomalous            boolean NOT NULL DEFAULT false,
    anomaly_reasons         text[],
    old_value               jsonb,
    new_value               jsonb,
    metadata                jsonb,
    error_message           text,
    created_at              timestamptz NOT NULL,
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE TABLE mfa_audit_log_default PARTITION OF mfa_audit_log DEFAULT;
CREATE INDEX idx_mfa_audit_log_user_id_created_at ON mfa_audit_log (user_id, created_at DESC);
CREATE INDEX idx_mfa_audit_log_device_id ON mfa_audit_log (device_id);
CREATE INDEX idx_mfa_audit_log_mfa_method ON mfa_audit_log (mfa_method);
CREATE INDEX idx_mfa_audit_log_created_at ON mfa_audit_log (created_at);
CREATE INDEX idx_mfa_audit_log_is_anomalous ON mfa_audit_log (is_anomalous);

-- Daily per-user aggregation; small, not partitioned.
CREATE TABLE audit_daily_summaries (
    id                     uuid PRIMARY KEY,
    user_id                uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    date                   date NOT NULL,
    total_sessions         integer NOT NULL DEFAULT 0,
    total_devices          integer NOT NULL DEFAULT 0,
    total_failed_logins    integer NOT NULL DEFAULT 0,
    total_mfa_challenges   integer NOT NULL DEFAULT 0,
    total_api_calls        integer NOT NULL DEFAULT 0,
    low_risk_events        integer NOT NULL DEFAULT 0,
    medium_risk_events     integer NOT NULL DEFAULT 0,
    high_risk_events       integer NOT NULL DEFAULT 0,
    critical_risk_events   integer NOT NULL DEFAULT 0,
    countries_accessed     integer NOT NULL DEFAULT 0,
    unique_ips             integer NOT NULL DEFAULT 0,
    unique_devices         integer NOT NULL DEFAULT 0,
    mfa_enabled_count      integer NOT NULL DEFAULT 0,
    mfa_disabled_count     integer NOT NULL DEFAULT 0,
    backup_codes_generated integer NOT NULL DEFAULT 0,
    rate_limit_exceeded    integer NOT NULL DEFAULT 0,
    anomalies_detected     integer NOT NULL DEFAULT 0,
    approvals_required     integer NOT NULL DEFAULT 0,
    approvals_completed    integer NOT NULL DEFAULT 0,
    created_at             timestamptz NOT NULL,
    UNIQUE (user_id, date)
);
CREATE INDEX idx_audit_daily_summaries_date ON audit_daily_summaries (date);
CREATE INDEX idx_audit_daily_summaries_high_risk_events ON audit_daily_summaries (high_risk_events DESC);

-- Creates the monthly partitions <table>_pYYYYMM of the four audit logs for `months`
-- months starting with the month that contains `from_month`, bounds at UTC midnight of
-- the 1st. Existing partitions are left alone. A month that already has rows in a
-- table's DEFAULT partition is skipped with a NOTICE (attaching it would fail; move
-- those rows out first). Returns the number of partitions created. Safe to call
-- concurrently from several nodes (transaction-scoped advisory lock).
CREATE FUNCTION gatehouse_ensure_audit_partitions(from_month date, months integer)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    parents constant text[] := ARRAY[
        'session_audit_log', 'device_audit_log', 'session_device_link_audit_log', 'mfa_audit_log'
    ];
    schema_name    text := current_schema();
    parent         text;
    month_start    date;
    month_end      date;
    lower_literal  text;
    upper_literal  text;
    partition_name text;
    default_busy   boolean;
    created        integer := 0;
BEGIN
    IF from_month IS NULL OR months IS NULL OR months < 0 THEN
        RAISE EXCEPTION 'gatehouse_ensure_audit_partitions: need a date and months >= 0 (got %, %)',
            from_month, months;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('gatehouse_ensure_audit_partitions'));

    FOR i IN 0 .. months - 1 LOOP
        month_start := (date_trunc('month', from_month) + make_interval(months => i))::date;
        month_end := (month_start + interval '1 month')::date;
        -- ISO literals with an explicit UTC offset: independent of TimeZone and DateStyle.
        lower_literal := to_char(month_start, 'YYYY-MM-DD') || ' 00:00:00+00';
        upper_literal := to_char(month_end, 'YYYY-MM-DD') || ' 00:00:00+00';

        FOREACH parent IN ARRAY parents LOOP
            partition_name := parent || '_p' || to_char(month_start, 'YYYYMM');
            CONTINUE WHEN EXISTS (
                SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = schema_name AND c.relname = partition_name
            );
            EXECUTE format(
                'SELECT EXISTS (SELECT 1 FROM %I.%I WHERE created_at >= $1::timestamptz AND created_at < $2::timestamptz)',
                schema_name, parent || '_default'
            ) INTO default_busy USING lower_literal, upper_literal;
            IF default_busy THEN
                RAISE NOTICE 'gatehouse: not creating %: rows for % already sit in %_default',
                    partition_name, to_char(month_start, 'YYYY-MM'), parent;
                CONTINUE;
            END IF;
            EXECUTE format(
                'CREATE TABLE IF NOT EXISTS %I.%I PARTITION OF %I.%I FOR VALUES FROM (%L) TO (%L)',
                schema_name, partition_name, schema_name, parent, lower_literal, upper_literal
            );
            created := created + 1;
        END LOOP;
    END LOOP;
    RETURN created;
END;
$$;

SELECT gatehouse_ensure_audit_partitions(CURRENT_DATE, 4);
