//! The `[database]` section: which database to use and how many connections to hold.
//! The binary fills in the default URL (an SQLite file in its data directory) and checks
//! the values at start-up; unknown keys are refused here.

use crate::db::DbOptions;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite:…` or `postgres://…`; empty means the binary's default SQLite file.
    pub url: String,
    /// Maximum PostgreSQL connections (or SQLite reader connections).
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            max_connections: DbOptions::default().max_connections,
        }
    }
}

impl DatabaseConfig {
    /// The pool options for [`Db::connect`](crate::Db::connect); what the section does not
    /// set keeps its default.
    pub fn options(&self) -> DbOptions {
        DbOptions {
            max_connections: self.max_connections,
            ..DbOptions::default()
        }
    }
}
