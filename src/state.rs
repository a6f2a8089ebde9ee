//! What every request handler shares: settings, the pool, the caches and the
//! portal's throttle.

use std::sync::Arc;

use crate::cache::Caches;
use crate::config::Config;
use crate::db::{self, DbPool};
use crate::throttle::Throttle;

/// Everything a request handler needs, shared by all workers.
pub struct AppState {
    pub config: Config,
    pub pool: DbPool,
    /// Shared with blocking closures, hence the `Arc`.
    pub caches: Arc<Caches>,
    pub throttle: Arc<Throttle>,
    /// Statistics computed in the last minute.
    pub stats: Arc<crate::services::stats::Recent>,
    /// API tokens' rate limits and use counts.
    pub api: Arc<crate::services::api::Gate>,
}

impl AppState {
    /// The state for `config`, with a pool that connects lazily.
    pub fn new(config: Config) -> AppState {
        let pool = db::build_pool(&config.database_url, config.pool_size, config.db_timeout);
        AppState {
            throttle: Arc::new(Throttle::new(&config.portal)),
            api: Arc::new(crate::services::api::Gate::new(
                config.api_requests_per_minute,
            )),
            config,
            pool,
            caches: Default::default(),
            stats: Default::default(),
        }
    }
}
