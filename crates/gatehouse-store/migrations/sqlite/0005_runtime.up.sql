-- SQLite twin of migrations/postgres/0005_runtime.up.sql: same tables, columns, constraints and
-- index names. Types: uuid -> BLOB (16 raw bytes), timestamptz -> TEXT (RFC 3339, UTC),
-- date/time -> TEXT, inet/jsonb/text[] -> TEXT (text[] as a JSON array), double -> REAL.
-- gatehouse 0005: runtime state a multi-node service needs (not in the seed).

-- Failed-login counters shared by every gatehouse node (per account, per IP, ...).
-- key is chosen by the app, e.g. 'user:<uuid>' or 'ip:<addr>'.
CREATE TABLE auth_throttle (
    key               TEXT PRIMARY KEY NOT NULL,
    failures          INTEGER NOT NULL CHECK (failures >= 0),
    window_started_at TEXT NOT NULL,
    locked_until      TEXT,
    updated_at        TEXT NOT NULL
);
CREATE INDEX idx_auth_throttle_updated_at ON auth_throttle (updated_at);
