//! [`Core`]: everything a use case needs — database, clock, keys, hasher, settings —
//! passed explicitly (no globals), cheap to clone.

pub use crate::client::ClientInfo;

use crate::accounts::SessionCache;
use crate::clock::Clock;
use crate::config::CoreConfig;
use crate::keys::Keys;
use crate::metrics::CoreMetrics;
use crate::notify::templates::TemplateError;
use crate::notify::Notifier;
use crate::password::{HashError, PasswordHasher};
use crate::risk::{GeoIp, GeoIpError};
use crate::tokens::VerifiedTokens;
use gatehouse_store::Db;
use std::sync::Arc;

/// Shared state of the use cases.
#[derive(Clone)]
pub struct Core {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub keys: Arc<Keys>,
    pub hasher: PasswordHasher,
    pub config: Arc<CoreConfig>,
    /// Access tokens already verified (signature only; sessions are checked per request).
    pub verified_tokens: Arc<VerifiedTokens>,
    /// Sessions (and their account views) recently checked; see `accounts::session_cache`.
    pub session_cache: Arc<SessionCache>,
    /// Counters of logins, lockouts, reuse and tokens (see [`crate::metrics`]).
    pub metrics: Arc<CoreMetrics>,
    /// Templates, limits and the workers' wake-up signal, for queueing notifications.
    pub notifier: Arc<Notifier>,
    /// Where client addresses are (`risk.geoip_city_db`; empty without one).
    pub geoip: Arc<GeoIp>,
}

/// Why core could not be built from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum CoreInitError {
    #[error("invalid password hashing parameters: {0}")]
    Hash(#[from] HashError),
    #[error("notification templates: {0}")]
    Templates(#[from] TemplateError),
    #[error(transparent)]
    GeoIp(#[from] GeoIpError),
}

impl Core {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        keys: Keys,
        config: CoreConfig,
    ) -> Result<Self, CoreInitError> {
        let hasher = PasswordHasher::new(config.argon2, config.hash_concurrency)?;
        let notifier = Arc::new(Notifier::new(config.notifications.clone())?);
        let session_cache = Arc::new(SessionCache::new(config.session_cache_entries));
        let geoip = Arc::new(GeoIp::open(&config.risk.geoip_city_db)?);
        Ok(Self {
            db,
            clock,
            keys: Arc::new(keys),
            hasher,
            config: Arc::new(config),
            // ~600 bytes an entry: at most ~6 MiB, well inside the memory budget.
            verified_tokens: Arc::new(VerifiedTokens::new(10_000)),
            session_cache,
            metrics: Arc::default(),
            notifier,
            geoip,
        })
    }
}
