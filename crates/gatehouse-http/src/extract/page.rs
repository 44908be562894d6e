//! [`Pagination`]: `limit` (1 to 100, default 50) and an opaque `cursor` from the query
//! string, checked once here so list handlers only pass a core [`Page`] along.

use crate::error::ApiError;
use crate::wire::{decode_cursor, encode_cursor, PageQuery, DEFAULT_LIMIT, MAX_LIMIT};
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::StatusCode;
use gatehouse_core::accounts::Page;
use uuid::Uuid;

/// A checked page request. Unknown parameters, a `limit` outside 1..=100 and a cursor this
/// API did not issue are each a problem+json 400. Documented in OpenAPI as [`PageQuery`].
#[derive(Debug, Clone, Copy)]
pub struct Pagination {
    limit: u32,
    before: Option<Uuid>,
}

impl<S: Send + Sync> FromRequestParts<S> for Pagination {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(query) = Query::<PageQuery>::from_request_parts(parts, state)
            .await
            .map_err(|e| invalid_query(e.body_text()))?;
        Self::parse(query)
    }
}

impl Pagination {
    /// Check `limit` and `cursor` read by a list's own query type (one that has filters
    /// beside them, so it cannot be [`PageQuery`]).
    pub fn from_query(limit: Option<u32>, cursor: Option<String>) -> Result<Self, ApiError> {
        Self::parse(PageQuery { limit, cursor })
    }

    fn parse(query: PageQuery) -> Result<Self, ApiError> {
        let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(invalid_query(format!("limit must be 1 to {MAX_LIMIT}")));
        }
        let before = match query.cursor.as_deref() {
            Some(cursor) => Some(decode_cursor(cursor).ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_cursor",
                    "cursor is not valid",
                )
            })?),
            None => None,
        };
        Ok(Self { limit, before })
    }

    /// What to ask the core for: one row more than `limit`, so that [`Self::split`] can
    /// tell whether another page follows without a count query.
    pub fn page(&self) -> Page {
        Page {
            before: self.before,
            limit: i64::from(self.limit) + 1,
        }
    }

    /// Drop the look-ahead row, if it came, and give the cursor of the next page
    /// (`None` on the last page).
    pub fn split<T>(&self, mut items: Vec<T>, id: impl Fn(&T) -> Uuid) -> (Vec<T>, Option<String>) {
        let limit = self.limit as usize;
        if items.len() <= limit {
            return (items, None);
        }
        items.truncate(limit);
        let next = items.last().map(|last| encode_cursor(id(last)));
        (items, next)
    }
}

fn invalid_query(detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::openapi::path::ParameterIn;
    use utoipa::IntoParams;

    fn query(limit: Option<u32>, cursor: Option<&str>) -> PageQuery {
        PageQuery {
            limit,
            cursor: cursor.map(str::to_owned),
        }
    }

    #[test]
    fn limits_outside_the_documented_bounds_are_refused() {
        for limit in [0, MAX_LIMIT + 1] {
            let err = Pagination::parse(query(Some(limit), None)).unwrap_err();
            assert_eq!(
                (err.status, err.code),
                (StatusCode::BAD_REQUEST, "invalid_query")
            );
        }
        assert_eq!(Pagination::parse(query(Some(1), None)).unwrap().limit, 1);
        assert_eq!(
            Pagination::parse(query(Some(MAX_LIMIT), None))
                .unwrap()
                .limit,
            MAX_LIMIT
        );
        assert_eq!(
            Pagination::parse(query(None, None)).unwrap().limit,
            DEFAULT_LIMIT
        );
    }

    #[test]
    fn a_foreign_cursor_is_refused() {
        let err = Pagination::parse(query(None, Some("bm90IG91cnM"))).unwrap_err();
        assert_eq!(
            (err.status, err.code),
            (StatusCode::BAD_REQUEST, "invalid_cursor")
        );
    }

    #[test]
    fn the_page_looks_one_row_ahead_and_split_gives_the_next_cursor() {
        let ids: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
        let pagination = Pagination::parse(query(Some(3), None)).unwrap();
        assert_eq!(pagination.page().limit, 4);

        let (items, next) = pagination.split(ids.clone(), |id| *id);
        assert_eq!(items, ids[..3]);
        assert_eq!(next.as_deref().and_then(decode_cursor), Some(ids[2]));

        let (items, next) = pagination.split(ids[..3].to_vec(), |id| *id);
        assert_eq!((items.len(), next), (3, None));

        let cursor = encode_cursor(ids[2]);
        let after = Pagination::parse(query(Some(3), Some(&cursor))).unwrap();
        assert_eq!(after.page().before, Some(ids[2]));
    }

    /// The OpenAPI document states the bounds that `parse` enforces, as query parameters.
    #[test]
    fn the_documented_parameters_match_the_enforced_bounds() {
        let params = PageQuery::into_params(|| None);
        let limit = params.iter().find(|p| p.name == "limit").unwrap();
        assert!(matches!(limit.parameter_in, ParameterIn::Query));
        let schema = serde_json::to_value(&limit.schema).unwrap();
        assert_eq!(schema["minimum"], 1);
        assert_eq!(schema["maximum"], MAX_LIMIT);
        assert_eq!(schema["default"], DEFAULT_LIMIT);
        let cursor = params.iter().find(|p| p.name == "cursor").unwrap();
        assert!(matches!(cursor.parameter_in, ParameterIn::Query));
    }
}
