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
    /// The streaming replica reads may go to (`DATABASE_REPLICA_URL`).
    pub replica: Option<Arc<db::replica::Replica>>,
    /// What this instance served, for `/metrics`.
    pub http: crate::services::metrics::Http,
    /// When housekeeping last finished here (Unix seconds; 0: not yet).
    pub housekeeping_at: std::sync::atomic::AtomicI64,
}

impl AppState {
    /// Where a read that may lag a little goes: the replica while it is
    /// fresh, unless the reader has just written (`wrote`), else the primary.
    pub fn read_pool(&self, wrote: bool) -> &DbPool {
        match &self.replica {
            Some(r) if !wrote && r.is_fresh() => &r.pool,
            _ => &self.pool,
        }
    }

    /// The state for `config`, with a pool that connects lazily.
    pub fn new(config: Config) -> AppState {
        let pool = db::build_pool(&config.database_url, config.pool_size, config.db_timeout);
        AppState {
            throttle: Arc::new(Throttle::new(&config.portal)),
            api: Arc::new(crate::services::api::Gate::new(
                config.api_requests_per_minute,
            )),
            replica: config.replica_url.as_deref().map(|url| {
                Arc::new(db::replica::Replica::new(
                    url,
                    config.pool_size,
                    config.db_timeout,
                ))
            }),
            config,
            pool,
            caches: Default::default(),
            stats: Default::default(),
            http: Default::default(),
            housekeeping_at: Default::default(),
        }
    }
}
