//! Account change notices between gatehouse nodes (PostgreSQL `LISTEN/NOTIFY`). Triggers
//! from migration 0008 announce, on channel [`ACCOUNT_CHANGED`], the user id of every
//! committed change that can end a session's validity or alter what `GET /v1/me` shows
//! (a session's status or expiry, the account's state, its profile), whichever node or
//! tool made it. Nodes that cache per-session reads forget that user's entries on notice.
//! SQLite has no such channel: [`AccountChanges::listen`] answers `None` there.

use crate::db::Db;
use crate::error::StoreResult;
use gatehouse_domain::ids::UserId;
use sqlx::postgres::PgListener;

/// The channel the triggers notify on; the payload is the user id.
pub const ACCOUNT_CHANGED: &str = "gatehouse_account_changed";

/// A live subscription to account change notices.
pub struct AccountChanges(PgListener);

/// One thing heard on the subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// This user's sessions, account or profile changed.
    User(UserId),
    /// A notice whose payload is not a user id: treat it as "anything may have changed".
    Unknown,
    /// The connection dropped, so notices may have been missed (it reconnects on the next
    /// call): whatever was learned before is no longer known to be current.
    Lost,
}

impl AccountChanges {
    /// Subscribe. `None` on SQLite.
    pub async fn listen(db: &Db) -> StoreResult<Option<Self>> {
        per_backend!(db,
            pg(pool) => {
                let mut listener = PgListener::connect_with(pool).await?;
                listener.listen(ACCOUNT_CHANGED).await?;
                Ok(Some(AccountChanges(listener)))
            },
            sqlite => Ok(None),
        )
    }

    /// Wait for the next notice.
    pub async fn next(&mut self) -> StoreResult<Notice> {
        Ok(match self.0.try_recv().await? {
            None => Notice::Lost,
            Some(n) => n
                .payload()
                .parse()
                .map(|id| Notice::User(UserId(id)))
                .unwrap_or(Notice::Unknown),
        })
    }
}
