//! The audit review workflow (issue 10, item 3): staff list and read rows of the four
//! audit logs and set their review status; everyone reads their own security events.
//!
//! Rules (docs/security.md): only staff reach the review use cases (the HTTP extractor
//! checks `users.is_staff` in the database on each request); a staff member never reviews
//! a row about themselves (`OwnRecord`), so nobody can close the review of their own
//! suspicious activity; a review changes only the review columns, and is itself audited
//! (an `audit_reviewed` row in the account log, in the same transaction).

use crate::accounts::AuthContext;
use crate::client::ClientInfo;
use crate::events::{self, Event};
use crate::state::Core;
use chrono::{DateTime, Utc};
use gatehouse_domain::audit::{AuditKind, ReviewStatus};
use gatehouse_domain::FieldError;
use gatehouse_store::audit_review as store;
use gatehouse_store::{Executor, StoreError};
use uuid::Uuid;

pub use gatehouse_store::audit_review::{
    AuditCursor, AuditFilter, AuditRecordRow, SecurityEventRow,
};

/// The longest `review_notes` accepted, in characters.
pub const MAX_REVIEW_NOTES: usize = 4000;

#[derive(Debug, thiserror::Error)]
pub enum AuditReviewError {
    /// The review body is invalid (status, notes).
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// A filter names a column this log does not have.
    #[error("the {kind} log has no {filter} to filter on")]
    UnsupportedFilter {
        kind: &'static str,
        filter: &'static str,
    },
    #[error("audit record not found")]
    NotFound,
    /// Staff do not review rows about themselves.
    #[error("a staff member cannot review audit records about themselves")]
    OwnRecord,
    #[error("the database is unavailable")]
    Unavailable(#[source] StoreError),
    #[error("internal error")]
    Store(#[source] StoreError),
}

impl From<StoreError> for AuditReviewError {
    fn from(err: StoreError) -> Self {
        if err.is_unavailable() {
            AuditReviewError::Unavailable(err)
        } else {
            AuditReviewError::Store(err)
        }
    }
}

pub type AuditReviewResult<T> = Result<T, AuditReviewError>;

/// A page request over (created_at, id), newest first; `limit` already includes the
/// look-ahead row the caller uses to tell whether another page follows.
#[derive(Debug, Clone, Copy)]
pub struct AuditPage {
    pub before: Option<AuditCursor>,
    pub limit: i64,
}

/// The filters `kind` cannot apply: the device log scores risk (`risk_score`) rather than
/// grading it, and the link log has neither a risk level nor an anomaly flag. Such a
/// filter is refused (422 `unsupported_filter`) rather than silently ignored.
pub fn check_filter(kind: AuditKind, filter: &AuditFilter) -> AuditReviewResult<()> {
    let unsupported = |name| AuditReviewError::UnsupportedFilter {
        kind: kind.as_str(),
        filter: name,
    };
    let no_risk_level = matches!(kind, AuditKind::Devices | AuditKind::Links);
    if no_risk_level && filter.risk_level.is_some() {
        return Err(unsupported("risk_level"));
    }
    if kind == AuditKind::Links && filter.anomalous.is_some() {
        return Err(unsupported("anomalous"));
    }
    Ok(())
}

/// A page of `kind`'s rows matching `filter` (staff; the caller checked).
pub async fn list(
    core: &Core,
    kind: AuditKind,
    filter: &AuditFilter,
    page: AuditPage,
) -> AuditReviewResult<Vec<AuditRecordRow>> {
    check_filter(kind, filter)?;
    // A report: the replica, when there is one, may serve it a little behind the primary.
    let mut conn = core.db.report_reader().await?;
    Ok(store::list(conn.exec(), kind, filter, page.before, page.limit).await?)
}

/// One row of `kind` (staff; the caller checked).
pub async fn get(core: &Core, kind: AuditKind, id: Uuid) -> AuditReviewResult<AuditRecordRow> {
    let mut conn = core.db.reader().await?;
    store::find(conn.exec(), kind, id)
        .await?
        .ok_or(AuditReviewError::NotFound)
}

/// What a reviewer sets.
#[derive(Debug, Clone)]
pub struct ReviewRequest {
    /// As sent; must be one of [`ReviewStatus::SETTABLE`].
    pub review_status: String,
    /// `None` keeps the notes there.
    pub review_notes: Option<String>,
}

/// Check a review request: a settable status, notes of at most [`MAX_REVIEW_NOTES`]
/// characters without U+0000.
pub fn validate(request: &ReviewRequest) -> Result<(ReviewStatus, Option<&str>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let status = request
        .review_status
        .parse::<ReviewStatus>()
        .ok()
        .filter(|s| ReviewStatus::SETTABLE.contains(s));
    if status.is_none() {
        errors.push(FieldError::new(
            "review_status",
            "invalid_value",
            "review_status must be open, acknowledged, resolved or false_positive",
        ));
    }
    if let Some(notes) = &request.review_notes {
        if notes.chars().count() > MAX_REVIEW_NOTES {
            errors.push(FieldError::new(
                "review_notes",
                "too_long",
                format!("review_notes must be at most {MAX_REVIEW_NOTES} characters"),
            ));
        } else if notes.contains('\0') {
            errors.push(FieldError::new(
                "review_notes",
                "invalid_characters",
                "review_notes must not contain U+0000",
            ));
        }
    }
    match status {
        Some(status) if errors.is_empty() => Ok((status, request.review_notes.as_deref())),
        _ => Err(errors),
    }
}

/// Set the review status (and notes) of one row about someone else, as `staff`, and
/// audit the review; gives the row as it is now.
#[tracing::instrument(skip_all, fields(staff_id = %staff.user_id, kind = %kind, record_id = %id))]
pub async fn review(
    core: &Core,
    staff: &AuthContext,
    kind: AuditKind,
    id: Uuid,
    request: &ReviewRequest,
    client: &ClientInfo,
) -> AuditReviewResult<AuditRecordRow> {
    let (status, notes) = validate(request).map_err(AuditReviewError::Validation)?;
    let now: DateTime<Utc> = core.clock.now();
    let mut tx = core.db.begin().await?;
    let row = store::find(tx.exec(), kind, id)
        .await?
        .ok_or(AuditReviewError::NotFound)?;
    if row.user_id == staff.user_id.as_uuid() {
        return Err(AuditReviewError::OwnRecord);
    }
    if !store::set_review(tx.exec(), kind, id, status, notes, staff.user_id, now).await? {
        return Err(AuditReviewError::NotFound);
    }
    let event = Event::AuditReviewed {
        reviewer: staff.user_id,
        kind,
        id,
        subject: gatehouse_domain::ids::UserId(row.user_id),
        previous_status: row.review_status.as_deref(),
        status,
        notes_changed: notes.is_some(),
    };
    events::record(&mut tx, core, now, client, event).await?;
    let updated = store::find(tx.exec(), kind, id)
        .await?
        .ok_or(AuditReviewError::NotFound)?;
    tx.commit().await?;
    Ok(updated)
}

/// A page of the caller's own events from the four logs, newest first.
pub async fn security_events(
    core: &Core,
    me: &AuthContext,
    page: AuditPage,
) -> AuditReviewResult<Vec<SecurityEventRow>> {
    let mut conn = core.db.reader().await?;
    Ok(store::security_events(conn.exec(), me.user_id, page.before, page.limit).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_domain::risk::RiskLevel;

    fn request(status: &str, notes: Option<&str>) -> ReviewRequest {
        ReviewRequest {
            review_status: status.to_owned(),
            review_notes: notes.map(str::to_owned),
        }
    }

    #[test]
    fn only_the_four_settable_statuses_and_bounded_notes_pass() {
        for s in ["open", "acknowledged", "resolved", "false_positive"] {
            assert!(validate(&request(s, Some("ok"))).is_ok(), "{s}");
        }
        for s in ["pending", "closed", ""] {
            let errors = validate(&request(s, None)).unwrap_err();
            assert_eq!(errors[0].field, "review_status", "{s}");
        }
        let long = "é".repeat(MAX_REVIEW_NOTES + 1);
        assert_eq!(
            validate(&request("open", Some(&long))).unwrap_err()[0].code,
            "too_long"
        );
        assert!(validate(&request("open", Some(&"é".repeat(MAX_REVIEW_NOTES)))).is_ok());
        assert_eq!(
            validate(&request("open", Some("a\0b"))).unwrap_err()[0].code,
            "invalid_characters"
        );
    }

    #[test]
    fn filters_without_a_column_are_refused_by_name() {
        let risk = AuditFilter {
            risk_level: Some(RiskLevel::High),
            ..AuditFilter::default()
        };
        let anomalous = AuditFilter {
            anomalous: Some(true),
            ..AuditFilter::default()
        };
        assert!(check_filter(AuditKind::Sessions, &risk).is_ok());
        assert!(check_filter(AuditKind::Mfa, &risk).is_ok());
        assert!(check_filter(AuditKind::Devices, &anomalous).is_ok());
        for (kind, filter, name) in [
            (AuditKind::Devices, &risk, "risk_level"),
            (AuditKind::Links, &risk, "risk_level"),
            (AuditKind::Links, &anomalous, "anomalous"),
        ] {
            match check_filter(kind, filter) {
                Err(AuditReviewError::UnsupportedFilter { filter, .. }) => assert_eq!(filter, name),
                other => panic!("{kind}: {other:?}"),
            }
        }
    }
}
