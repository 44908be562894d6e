//! Consent (GDPR Art. 7(1): the controller must be able to show that consent was given):
//! `notification_consents` holds each consent's current state and
//! `notification_consent_events` every grant and withdrawal, with when, where from (the
//! `source`), the IP address and the user agent. Both change in one transaction.

use super::input::collect;
use crate::client::ClientInfo;
use crate::notify::NotifyError;
use crate::state::Core;
use chrono::{DateTime, Utc};
use gatehouse_domain::ids::UserId;
use gatehouse_domain::notify::ConsentType;
use gatehouse_domain::FieldError;
use gatehouse_store::notify::preferences::{self as store, ConsentEventRow, ConsentRow};
use gatehouse_store::types::Inet;
use gatehouse_store::Executor;
use std::net::IpAddr;
use uuid::Uuid;

/// Where a change comes from when the caller does not say.
pub const DEFAULT_CONSENT_SOURCE: &str = "api";
/// `source` is a `varchar(50)` in both tables.
const SOURCE_MAX_CHARS: usize = 50;

/// A consent's current state; never recorded means not granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentState {
    pub consent_type: ConsentType,
    pub granted: bool,
    /// Where the last change came from; `None` when there was none.
    pub source: Option<String>,
    /// When it was last granted, and when last withdrawn (cleared by a new grant).
    pub consented_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// One line of the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentEvent {
    pub consent_type: ConsentType,
    pub granted: bool,
    pub source: String,
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub at: DateTime<Utc>,
}

/// Every consent's state, in [`ConsentType::ALL`] order, and the ledger, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consents {
    pub states: Vec<ConsentState>,
    pub history: Vec<ConsentEvent>,
}

/// A grant or withdrawal, as sent.
#[derive(Debug, Clone)]
pub struct ConsentChange {
    pub granted: bool,
    /// A short lower-case word (`api`, `web`, `mobile`, ...); [`DEFAULT_CONSENT_SOURCE`]
    /// when absent.
    pub source: Option<String>,
}

/// A consent type named in a path; one that does not exist is not found.
pub fn consent_type(raw: &str) -> Result<ConsentType, NotifyError> {
    raw.parse()
        .map_err(|_| NotifyError::NotFound("consent type"))
}

/// The current states and the whole ledger.
pub async fn consents(core: &Core, user_id: UserId) -> Result<Consents, NotifyError> {
    let mut conn = core.db.reader().await?;
    let rows = store::consents(conn.exec(), user_id).await?;
    let events = store::consent_events(conn.exec(), user_id).await?;
    Ok(Consents {
        states: ConsentType::ALL
            .iter()
            .map(|&kind| state(kind, &rows))
            .collect(),
        history: events.into_iter().filter_map(event).collect(),
    })
}

/// Grant or withdraw one consent: the state changes and the ledger gains a line with the
/// caller's IP address and user agent. Answers the new state.
#[tracing::instrument(skip_all, fields(user_id = %user_id, consent_type = %consent_type))]
pub async fn record_consent(
    core: &Core,
    user_id: UserId,
    consent_type: ConsentType,
    change: ConsentChange,
    client: &ClientInfo,
) -> Result<ConsentState, NotifyError> {
    let mut errors = Vec::new();
    let source = collect(source(change.source), &mut errors);
    let Some(source) = source else {
        return Err(NotifyError::Validation(errors));
    };
    let event = ConsentEventRow {
        id: Uuid::now_v7(),
        consent_type: consent_type.as_str().to_owned(),
        granted: change.granted,
        source,
        ip_address: client.ip.map(Inet),
        user_agent: client.user_agent.clone(),
        created_at: core.clock.now(),
    };
    let mut tx = core.db.begin().await?;
    store::record_consent(tx.exec(), user_id, &event).await?;
    let rows = store::consents(tx.exec(), user_id).await?;
    tx.commit().await?;
    Ok(state(consent_type, &rows))
}

fn state(consent_type: ConsentType, rows: &[ConsentRow]) -> ConsentState {
    let row = rows
        .iter()
        .find(|row| row.consent_type == consent_type.as_str());
    ConsentState {
        consent_type,
        granted: row.is_some_and(|row| row.is_consented),
        source: row.and_then(|row| row.source.clone()),
        consented_at: row.and_then(|row| row.consented_at),
        withdrawn_at: row.and_then(|row| row.withdrawn_at),
    }
}

fn event(row: ConsentEventRow) -> Option<ConsentEvent> {
    Some(ConsentEvent {
        consent_type: row.consent_type.parse().ok()?,
        granted: row.granted,
        source: row.source,
        ip: row.ip_address.map(|ip| ip.0),
        user_agent: row.user_agent,
        at: row.created_at,
    })
}

/// 1 to 50 of `a-z 0-9 _ -`: a label for reports, not free text.
fn source(raw: Option<String>) -> Result<String, FieldError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_CONSENT_SOURCE.to_owned());
    };
    let is_label = !raw.is_empty()
        && raw.chars().count() <= SOURCE_MAX_CHARS
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !is_label {
        return Err(FieldError::new(
            "source",
            "invalid_source",
            format!("Use 1 to {SOURCE_MAX_CHARS} of a-z, 0-9, _ and -, such as web or mobile."),
        ));
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_short_labels() {
        assert_eq!(source(None).as_deref(), Ok("api"));
        assert_eq!(source(Some("mobile".into())).as_deref(), Ok("mobile"));
        assert_eq!(
            source(Some("support-desk_2".into())).as_deref(),
            Ok("support-desk_2")
        );
        let long = "a".repeat(SOURCE_MAX_CHARS + 1);
        for raw in ["", "Web", "web app", "wéb", long.as_str()] {
            let err = source(Some(raw.to_owned())).err();
            assert_eq!(
                err.map(|e| (e.field, e.code)),
                Some(("source", "invalid_source")),
                "{raw:?}"
            );
        }
        assert!(source(Some("a".repeat(SOURCE_MAX_CHARS))).is_ok());
    }

    #[test]
    fn never_recorded_means_not_granted() {
        let none = state(ConsentType::Marketing, &[]);
        assert!(!none.granted && none.source.is_none() && none.consented_at.is_none());
        assert!(matches!(
            consent_type("newsletter"),
            Err(NotifyError::NotFound(_))
        ));
        assert_eq!(
            consent_type("sms_marketing").ok(),
            Some(ConsentType::SmsMarketing)
        );
    }
}
