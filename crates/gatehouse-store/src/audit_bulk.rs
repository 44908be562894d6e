//! Bulk inserts into the session audit log: a batch of rows in one statement.
//!
//! The login path writes its audit rows one at a time inside the change's transaction
//! (`audit::insert_session`); this is the path for many rows at once, and the one an
//! importer of old audit events uses (issue 12 imports the Django system's history).
//! Each row gets the same `row_hash` the single-row insert gives it (the entry's
//! `content`, hashed by `audit_hash`), so the sealer and `gatehouse audit verify` treat
//! imported rows like any other.
//!
//! On PostgreSQL the batch is one `INSERT ... SELECT FROM UNNEST(...)` with one array per
//! column: one round trip and one plan for the whole batch. The arrays have no SQLite
//! encoding, so this statement runs on the PostgreSQL connection directly rather than
//! through `execute!` (which would bind the same values on both backends). On SQLite, where
//! a round trip is a function call, the batch is a loop of the single-row insert inside the
//! caller's transaction.

use crate::audit::{insert_session, SessionAuditEntry};
use crate::audit_retention::AuditLog;
use crate::db::Exec;
use crate::error::StoreResult;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// One row to insert: its id, its content, its `created_at`.
pub type SessionRow = (Uuid, SessionAuditEntry, DateTime<Utc>);

/// The columns of a batch, one array per column, in the statement's order.
#[derive(Default)]
struct Columns {
    id: Vec<Uuid>,
    user_id: Vec<Uuid>,
    session_id: Vec<Option<Uuid>>,
    device_id: Vec<Option<Uuid>>,
    action: Vec<&'static str>,
    session_type: Vec<Option<&'static str>>,
    mfa_verified: Vec<Option<bool>>,
    ip_address: Vec<Option<String>>,
    risk_level: Vec<&'static str>,
    is_anomalous: Vec<bool>,
    // A text[] per row cannot be an element of a PostgreSQL array (arrays of arrays must be
    // rectangular), so each row's reasons travel as a JSON array and are unpacked in SQL.
    anomaly_reasons: Vec<String>,
    session_duration_seconds: Vec<Option<i32>>,
    requires_review: Vec<bool>,
    review_status: Vec<Option<&'static str>>,
    old_value: Vec<Option<String>>,
    new_value: Vec<Option<String>>,
    metadata: Vec<Option<String>>,
    error_message: Vec<Option<String>>,
    created_at: Vec<DateTime<Utc>>,
    country: Vec<Option<String>>,
    city: Vec<Option<String>>,
    latitude: Vec<Option<f64>>,
    longitude: Vec<Option<f64>>,
    row_hash: Vec<Option<Vec<u8>>>,
}

impl Columns {
    fn of(rows: &[SessionRow]) -> Self {
        let mut c = Columns::default();
        for (id, e, at) in rows {
            c.id.push(*id);
            c.user_id.push(e.user_id.as_uuid());
            c.session_id.push(e.session_id.map(|s| s.as_uuid()));
            c.device_id.push(e.device_id.map(|d| d.as_uuid()));
            c.action.push(e.action.as_str());
            c.session_type.push(e.session_type.map(|t| t.as_str()));
            c.mfa_verified.push(e.mfa_verified);
            c.ip_address.push(e.ip_address.map(|ip| ip.0.to_string()));
            c.risk_level.push(e.risk_level.as_str());
            c.is_anomalous.push(e.is_anomalous);
            c.anomaly_reasons
                .push(serde_json::Value::from(e.anomaly_reasons.clone()).to_string());
            c.session_duration_seconds.push(e.session_duration_seconds);
            c.requires_review.push(e.requires_review);
            c.review_status.push(e.review_status());
            c.old_value
                .push(e.old_value.as_ref().map(|v| v.to_string()));
            c.new_value
                .push(e.new_value.as_ref().map(|v| v.to_string()));
            c.metadata.push(e.metadata.as_ref().map(|v| v.to_string()));
            c.error_message.push(e.error_message.clone());
            c.created_at.push(*at);
            c.country.push(e.place.country.clone());
            c.city.push(e.place.city.clone());
            c.latitude.push(e.place.latitude);
            c.longitude.push(e.place.longitude);
            c.row_hash
                .push(e.content(*id, *at).row_hash(AuditLog::Sessions));
        }
        c
    }
}

/// Insert `rows` into `session_audit_log`, each with its row hash. An empty batch does
/// nothing. Call it inside a transaction when the batch must land whole.
pub async fn insert_sessions(ex: Exec<'_>, rows: &[SessionRow]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    match ex {
        Exec::Pg(conn) => {
            let c = Columns::of(rows);
            sqlx::query(
                "INSERT INTO session_audit_log (id, user_id, session_id, device_id, action,
                    session_type, mfa_verified, ip_address, risk_level, is_anomalous,
                    anomaly_reasons, session_duration_seconds, requires_review, review_status,
                    old_value, new_value, metadata, error_message, created_at, country, city,
                    latitude, longitude, row_hash)
                 SELECT id, user_id, session_id, device_id, action, session_type, mfa_verified,
                    ip_address::inet, risk_level, is_anomalous,
                    ARRAY(SELECT jsonb_array_elements_text(anomaly_reasons::jsonb)),
                    session_duration_seconds, requires_review, review_status, old_value::jsonb,
                    new_value::jsonb, metadata::jsonb, error_message, created_at, country, city,
                    latitude, longitude, row_hash
                 FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[],
                    $6::text[], $7::bool[], $8::text[], $9::text[], $10::bool[], $11::text[],
                    $12::int4[], $13::bool[], $14::text[], $15::text[], $16::text[], $17::text[],
                    $18::text[], $19::timestamptz[], $20::text[], $21::text[], $22::float8[],
                    $23::float8[], $24::bytea[])
                 AS t(id, user_id, session_id, device_id, action, session_type, mfa_verified,
                    ip_address, risk_level, is_anomalous, anomaly_reasons,
                    session_duration_seconds, requires_review, review_status, old_value,
                    new_value, metadata, error_message, created_at, country, city, latitude,
                    longitude, row_hash)",
            )
            .bind(c.id)
            .bind(c.user_id)
            .bind(c.session_id)
            .bind(c.device_id)
            .bind(c.action)
            .bind(c.session_type)
            .bind(c.mfa_verified)
            .bind(c.ip_address)
            .bind(c.risk_level)
            .bind(c.is_anomalous)
            .bind(c.anomaly_reasons)
            .bind(c.session_duration_seconds)
            .bind(c.requires_review)
            .bind(c.review_status)
            .bind(c.old_value)
            .bind(c.new_value)
            .bind(c.metadata)
            .bind(c.error_message)
            .bind(c.created_at)
            .bind(c.country)
            .bind(c.city)
            .bind(c.latitude)
            .bind(c.longitude)
            .bind(c.row_hash)
            .execute(conn)
            .await?;
        }
        Exec::Sqlite(conn) => {
            for (id, e, at) in rows {
                insert_session(Exec::Sqlite(&mut *conn), *id, e, *at).await?;
            }
        }
    }
    Ok(())
}
