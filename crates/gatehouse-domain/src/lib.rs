//! gatehouse-domain: the pure types and rules of gatehouse — typed ids, parsed values,
//! password policy, enumerations of statuses and audit actions. No I/O, no SQL, no HTTP:
//! everything here takes its inputs (including `now`) as values, so it is table-testable.

#[macro_use]
mod string_enum;

pub mod accounts;
pub mod audit;
pub mod error;
pub mod ids;
pub mod mfa;
pub mod notify;
pub mod risk;
pub mod time;

pub use error::FieldError;
