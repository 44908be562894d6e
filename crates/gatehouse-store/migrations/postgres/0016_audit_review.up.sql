-- gatehouse 0016: the audit review workflow (issue 10, item 3). Staff mark audit rows
-- open / acknowledged / resolved / false_positive with notes; who reviewed and when is
-- recorded. session_audit_log already had the seed's review columns except reviewed_at;
-- the device, MFA and link logs get all five. review_status is NULL for a row nobody has
-- looked at (or `pending` when it was written needing review). The four logs are
-- range-partitioned: ALTER TABLE on the parent adds the columns and constraints to every
-- partition, and an index on the parent is created on each partition.
ALTER TABLE session_audit_log ADD COLUMN reviewed_at timestamptz;
ALTER TABLE session_audit_log ADD CONSTRAINT session_audit_log_review_status_check
    CHECK (review_status IN ('pending', 'open', 'acknowledged', 'resolved', 'false_positive'));

ALTER TABLE device_audit_log
    ADD COLUMN requires_review boolean NOT NULL DEFAULT false,
    ADD COLUMN review_status varchar(20)
        CHECK (review_status IN ('pending', 'open', 'acknowledged', 'resolved', 'false_positive')),
    ADD COLUMN reviewed_by_id uuid,
    ADD COLUMN reviewed_at timestamptz,
    ADD COLUMN review_notes text;

ALTER TABLE mfa_audit_log
    ADD COLUMN requires_review boolean NOT NULL DEFAULT false,
    ADD COLUMN review_status varchar(20)
        CHECK (review_status IN ('pending', 'open', 'acknowledged', 'resolved', 'false_positive')),
    ADD COLUMN reviewed_by_id uuid,
    ADD COLUMN reviewed_at timestamptz,
    ADD COLUMN review_notes text;

ALTER TABLE session_device_link_audit_log
    ADD COLUMN requires_review boolean NOT NULL DEFAULT false,
    ADD COLUMN review_status varchar(20)
        CHECK (review_status IN ('pending', 'open', 'acknowledged', 'resolved', 'false_positive')),
    ADD COLUMN reviewed_by_id uuid,
    ADD COLUMN reviewed_at timestamptz,
    ADD COLUMN review_notes text;

-- The review queue ("rows that require review, newest first") is the one new filter the
-- existing indexes do not serve: a partial index keeps it small, as few rows need review.
-- session_audit_log already has idx_session_audit_log_requires_review.
CREATE INDEX idx_device_audit_log_review_queue ON device_audit_log (created_at DESC) WHERE requires_review;
CREATE INDEX idx_mfa_audit_log_review_queue ON mfa_audit_log (created_at DESC) WHERE requires_review;
CREATE INDEX idx_session_device_link_audit_log_review_queue ON session_device_link_audit_log (created_at DESC) WHERE requires_review;
