//! Account change notices between gatehouse nodes (PostgreSQL `LISTEN/NOTIFY`). Triggers
//! from migration 0008 announce, on channel [`ACCOUNT_CHANGED`], the user id of every
//! committed change that can end a session's validity or alter what `GET /v1/me` shows
//! (a session's status or expiry, the account's state, its profile), whichever node or
//! tool made it. Nodes that cache per-session reads forget that user's entries on notice.
//! SQLite has no such channel: [`AccountChanges::listen`] answers `None` there.
//!
//! A subscription that has gone quiet is asked `SELECT 1` on its own connection, so a peer
//! that fell silent (a half-open connection: the network dropped, no reset ever arrives)
//! is reported as [`Notice::Lost`] within [`QUIET_CHECK`] + [`CHECK_ANSWER`] instead of
//! never.

use crate::db::Db;
use crate::error::StoreResult;
use gatehouse_domain::ids::UserId;
use sqlx::postgres::PgListener;
use std::time::Duration;

/// The channel the triggers notify on; the payload is the user id.
pub const ACCOUNT_CHANGED: &str = "gatehouse_account_changed";

/// After this long without a notice, [`AccountChanges::next`] checks the connection.
pub const QUIET_CHECK: Duration = Duration::from_secs(2);

/// How long that check may take before the subscription counts as lost.
pub const CHECK_ANSWER: Duration = Duration::from_secs(1);

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
                // A lost connection must be reported at once (`Notice::Lost`), not after
                // sqlx has tried to reconnect for the pool's acquire timeout: until the
                // caller hears of it, it trusts what it learned before.
                listener.eager_reconnect(false);
                listener.listen(ACCOUNT_CHANGED).await?;
                Ok(Some(AccountChanges(listener)))
            },
            sqlite => Ok(None),
        )
    }

    /// Wait for the next notice. An error, like [`Notice::Lost`], means the subscription
    /// is gone; make a new one with [`AccountChanges::listen`].
    pub async fn next(&mut self) -> StoreResult<Notice> {
        loop {
            // `try_recv` is cancel-safe (sqlx keeps a partly read message buffered), so
            // giving up on it after a quiet spell loses nothing.
            match tokio::time::timeout(QUIET_CHECK, self.0.try_recv()).await {
                Ok(received) => {
                    return Ok(match received? {
                        None => Notice::Lost,
                        Some(n) => n
                            .payload()
                            .parse()
                            .map(|id| Notice::User(UserId(id)))
                            .unwrap_or(Notice::Unknown),
                    })
                }
                Err(_quiet) => {
                    let check = sqlx::query("SELECT 1").execute(&mut self.0);
                    match tokio::time::timeout(CHECK_ANSWER, check).await {
                        // Notices that arrived meanwhile are kept for the next `try_recv`.
                        Ok(Ok(_)) => continue,
                        Ok(Err(_)) | Err(_) => return Ok(Notice::Lost),
                    }
                }
            }
        }
    }
}
