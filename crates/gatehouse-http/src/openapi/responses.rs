//! Problem responses that many operations share, declared once as OpenAPI response
//! components and referenced from the operations (`(status = 401, response =
//! Unauthenticated)`). Each is `application/problem+json` with the [`Problem`] schema.
//! An operation whose error means something narrower (login's 401) declares its own.
//!
//! [`Problem`]: crate::error::Problem

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::ToResponse;

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
        "The request could not be read: malformed JSON (`malformed_json`), an invalid query \
         string (`invalid_query`, `invalid_cursor`) or an invalid id in the path (`invalid_path`).",
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
    /// 429: locked after too many failed attempts.
    TooManyAttempts => problem(
        "Too many failed attempts (`too_many_attempts`); try again after `Retry-After` seconds.",
    )
    .header("Retry-After", integer_header("Seconds until the lock ends."))
);

shared_response!(
    /// 503: the database is out of reach.
    DatabaseUnavailable => problem(
        "The service cannot reach its database (`database_unavailable`). Try again after \
         `Retry-After` seconds.",
    )
    .header("Retry-After", integer_header("Seconds to wait before trying again."))
);
