-- gatehouse 0005: runtime state a multi-node service needs (not in the seed).

-- Failed-login counters shared by every gatehouse node (per account, per IP, ...).
-- key is chosen by the app, e.g. 'user:<uuid>' or 'ip:<addr>'.
CREATE TABLE auth_throttle (
    key               text PRIMARY KEY,
    failures          integer NOT NULL CHECK (failures >= 0),
    window_started_at timestamptz NOT NULL,
    locked_until      timestamptz,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX idx_auth_throttle_updated_at ON auth_throttle (updated_at);
