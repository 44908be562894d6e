//! Routes, one file per area: `auth` (register, login, refresh, logout), `me` (account,
//! profile, password), `sessions` (sessions and devices), `system` (health, keys, docs).

pub mod auth;
pub mod me;
pub mod sessions;
pub mod system;
