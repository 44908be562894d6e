//! The idle connections of one relay: a bounded stack, most recently used on top. A send
//! takes one out (so a connection carries at most one send at a time) and gives it back
//! synchronously when the send succeeded, so the next send finds it at once instead of
//! opening another connection while it is on its way back.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Idle connections kept for reuse: one per concurrent sender (the worker sends 8 at a
/// time by default) and a little more; a relay limits connections per client.
pub(super) const POOL_SIZE: usize = 10;

/// A connection idle longer than this is closed rather than reused: relays drop idle
/// clients (RFC 5321 4.5.3.2.7 lets a server wait 5 minutes, many wait less), and a
/// firewall may have forgotten the connection without telling either side, which would
/// show only as a send that hangs until its timeout. A new connection costs little.
pub(super) const MAX_IDLE: Duration = Duration::from_secs(60);

/// Bounded stack of idle connections, `T` being the connection (generic so the rules
/// can be tested without a relay).
pub(super) struct Pool<T> {
    idle: Mutex<Vec<Parked<T>>>,
    size: usize,
    max_idle: Duration,
}

struct Parked<T> {
    connection: T,
    since: Instant,
}

/// What [`Pool::take`] found: a connection fit for reuse, if any, and the ones that were
/// idle too long (for the caller to close; closing needs the network, the pool does not).
pub(super) struct Taken<T> {
    pub(super) fresh: Option<T>,
    pub(super) stale: Vec<T>,
}

impl<T> Pool<T> {
    pub(super) fn new(size: usize, max_idle: Duration) -> Self {
        Self {
            idle: Mutex::new(Vec::with_capacity(size)),
            size,
            max_idle,
        }
    }

    /// The most recently used connection if it has been idle at most `max_idle`. The
    /// stack is ordered by age, so when the top is stale everything under it is too.
    pub(super) fn take(&self, now: Instant) -> Taken<T> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        match idle.pop() {
            Some(top) if now.saturating_duration_since(top.since) <= self.max_idle => Taken {
                fresh: Some(top.connection),
                stale: Vec::new(),
            },
            Some(top) => {
                let mut stale: Vec<T> = idle.drain(..).map(|p| p.connection).collect();
                stale.push(top.connection);
                Taken { fresh: None, stale }
            }
            None => Taken {
                fresh: None,
                stale: Vec::new(),
            },
        }
    }

    /// Park `connection` for reuse; when the pool is full it is handed back to be closed.
    pub(super) fn give_back(&self, connection: T, now: Instant) -> Option<T> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() >= self.size {
            return Some(connection);
        }
        idle.push(Parked {
            connection,
            since: now,
        });
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn an_empty_pool_has_nothing_to_give() {
        let pool: Pool<u32> = Pool::new(2, MINUTE);
        let taken = pool.take(Instant::now());
        assert_eq!(taken.fresh, None);
        assert!(taken.stale.is_empty());
    }

    #[test]
    fn the_most_recently_used_connection_comes_back_first() {
        let pool = Pool::new(3, MINUTE);
        let start = Instant::now();
        assert_eq!(pool.give_back(1, start), None);
        assert_eq!(pool.give_back(2, start + Duration::from_secs(1)), None);
        let later = start + Duration::from_secs(2);
        assert_eq!(pool.take(later).fresh, Some(2));
        assert_eq!(pool.take(later).fresh, Some(1));
        assert_eq!(pool.take(later).fresh, None);
    }

    #[test]
    fn a_full_pool_hands_the_extra_connection_back_for_closing() {
        let pool = Pool::new(2, MINUTE);
        let now = Instant::now();
        assert_eq!(pool.give_back(1, now), None);
        assert_eq!(pool.give_back(2, now), None);
        assert_eq!(pool.give_back(3, now), Some(3));
        assert_eq!(pool.take(now).fresh, Some(2));
    }

    #[test]
    fn connections_idle_too_long_are_handed_out_for_closing_not_reuse() {
        let pool = Pool::new(3, MINUTE);
        let start = Instant::now();
        pool.give_back(1, start);
        pool.give_back(2, start + Duration::from_secs(10));

        // At exactly the limit the newest is still fit.
        let taken = pool.take(start + Duration::from_secs(70));
        assert_eq!(taken.fresh, Some(2));
        assert!(taken.stale.is_empty());
        pool.give_back(2, start + Duration::from_secs(10));

        // Past it, the newest is stale and so is everything older: all go, none is reused.
        let taken = pool.take(start + Duration::from_secs(71));
        assert_eq!(taken.fresh, None);
        let mut stale = taken.stale;
        stale.sort_unstable();
        assert_eq!(stale, [1, 2]);
        assert_eq!(pool.take(start + Duration::from_secs(71)).fresh, None);
    }
}
