//! The accounts part: parsed identity values (email, username, phone), profile field
//! rules, the password policy and user-agent parsing, and session/device statuses.

pub mod challenge;
pub mod email;
pub mod password_policy;
pub mod profile;
pub mod status;
pub mod user_agent;
pub mod username;

pub use challenge::{ChallengeRefusal, ChallengeState};
pub use email::EmailAddress;
pub use password_policy::{normalize_password, PasswordPolicy, PasswordRejection};
pub use profile::{parse_language, parse_time_zone, PhoneNumber};
pub use status::{
    AuthMethod, LockKind, PasswordChangeReason, RevocationReason, SessionStatus, SessionType,
};
pub use user_agent::{parse_user_agent, truncate_user_agent, ParsedUserAgent};
pub use username::Username;
