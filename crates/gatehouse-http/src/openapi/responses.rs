//! Problem responses that many operations share, declared once as OpenAPI response
//! components and referenced from the operations (`(status = 401, response =
//! Unauthenticated)`). Each is `application/problem+json` with the [`Problem`] schema.
//! An operation whose error means something narrower (login's 401) declares its own.
//! [`JsonBodyErrors`] lists at once what every operation with a JSON body can answer.
//!
//! [`Problem`]: crate::error::Problem

use std::collections::BTreeMap;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, ToResponse};

const PROBLEM_JSON: &str = "application/problem+json";

/// A problem+json response with the given description.
fn problem(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        PROBLEM_JSON,
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build(),
    )
}

fn integer_header(description: &str) -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(Object::with_type(Type::Integer))
        .description(Some(description))
        .build()
}

fn string_header(description: &str) -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(Object::with_type(Type::String))
        .description(Some(description))
        .build()
}

/// Declares a unit type whose [`ToResponse`] is the named component.
macro_rules! shared_response {
    ($(#[$doc:meta])* $name:ident => $build:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl<'r> ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<Response>) {
                (stringify!($name), RefOr::T($build.build()))
            }
        }
    };
}

shared_response!(
    /// 400: the request could not be read.
    BadRequest => problem(
        "The request could not be read: malformed JSON (`malformed_json`), a body that could \
         not be read at all (`invalid_body`), an invalid query string (`invalid_query`, \
         `invalid_cursor`) or an invalid id in the path (`invalid_path`).",
    )
);

shared_response!(
    /// 401: no valid access token of an active session.
    Unauthenticated => problem(
        "No valid access token for an active session (`unauthenticated`): the `Authorization: \
         Bearer` header is missing, the token is invalid or expired, or its session has ended.",
    )
    .header("WWW-Authenticate", string_header("Always `Bearer`."))
);

shared_response!(
    /// 403: a sensitive change asked of a session that signed in too long ago.
    ReauthenticationRequired => problem(
        "This change needs a recent sign-in (`reauthentication_required`): the session \
         authenticated more than `mfa.recent_auth_secs` ago. Sign in again and \
         retry with the new access token.",
    )
);

shared_response!(
    /// 404: nothing of that id belongs to the caller.
    NotFound => problem(
        "Nothing with that id belongs to the signed-in account (`not_found`).",
    )
);

shared_response!(
    /// 422: the body parsed but a field is missing, mistyped or invalid.
    ValidationFailed => problem(
        "A field is missing, has the wrong type or is unknown (`invalid_body`), or its value \
         is refused (`validation_failed`, with the fields named in `errors`; \
         `invalid_characters` for a string holding U+0000 or an unpaired surrogate).",
    )
);

shared_response!(
    /// 429: locked after too many attempts.
    TooManyAttempts => problem(
        "Too many attempts (`too_many_attempts`): failed logins or password checks on this \
         account or from this address, or sign-ups or password changes past their hourly \
         allowance. Try again after `Retry-After` seconds.",
    )
    .header("Retry-After", integer_header("Seconds until the lock ends."))
);

shared_response!(
    /// 429: the hourly allowance of sent codes is spent.
    TooManyCodes => problem(
        "Too many codes sent (`too_many_codes`): `mfa.codes_sent_per_hour` codes already \
         went out for this account and purpose in the last hour; nothing was sent. Try \
         again after `Retry-After` seconds.",
    )
    .header("Retry-After", integer_header("Seconds until a code may be sent again."))
);

shared_response!(
    /// 408: the JSON body stalled.
    BodyTimeout => problem(
        "The request body stopped arriving for `http.body_read_timeout_secs` \
         (`body_timeout`). The connection is closed.",
    )
    .header("Connection", string_header("Always `close`."))
);

shared_response!(
    /// 413: the JSON body is larger than allowed.
    PayloadTooLarge => problem(
        "The body is larger than `http.max_body_bytes` (`payload_too_large`).",
    )
);

shared_response!(
    /// 415: a JSON-body operation was called without a JSON content type.
    UnsupportedMediaType => problem(
        "The body is not declared as JSON (`unsupported_media_type`): send \
         `Content-Type: application/json`.",
    )
);

shared_response!(
    /// 503: the database is out of reach, or the request ran out of time.
    ServiceUnavailable => problem(
        "The service cannot reach its database (`database_unavailable`; try again after \
         `Retry-After` seconds), or the request was not answered within \
         `http.request_timeout_secs` and was abandoned, its changes rolled back \
         (`request_timeout`).",
    )
    .header(
        "Retry-After",
        integer_header("Seconds to wait before trying again (with `database_unavailable`)."),
    )
);

/// What any operation reading a JSON body ([`ApiJson`]) can answer before its handler runs:
/// 400 (malformed JSON), 408 (the body stalled), 413 (too large), 415 (not JSON) and 422
/// (wrong fields, refused characters). Listed as `responses(.., JsonBodyErrors)`.
///
/// [`ApiJson`]: crate::extract::ApiJson
pub struct JsonBodyErrors;

impl IntoResponses for JsonBodyErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        [
            ("400", reference::<BadRequest>()),
            ("408", reference::<BodyTimeout>()),
            ("413", reference::<PayloadTooLarge>()),
            ("415", reference::<UnsupportedMediaType>()),
            ("422", reference::<ValidationFailed>()),
        ]
        .into_iter()
        .map(|(status, response)| (status.to_owned(), response))
        .collect()
    }
}

/// A reference to the shared response `R`, by the name it is registered under.
fn reference<R: ToResponse<'static>>() -> RefOr<Response> {
    RefOr::Ref(Ref::from_response_name(R::response().0))
}
