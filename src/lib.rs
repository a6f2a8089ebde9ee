//! cyberdesk: intake, assignment and tracking of cybercrime and information-security
//! incidents for a provincial police cyber unit.

pub mod auth;
pub mod cache;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod mail;
pub mod models;
pub mod routes;
pub mod seed;
pub mod services;
pub mod storage;
pub mod throttle;

pub use routes::configure;

/// Everything a request handler needs, shared by all workers.
pub struct AppState {
    pub config: config::Config,
    pub pool: db::DbPool,
    /// Shared with blocking closures, hence the `Arc`.
    pub caches: std::sync::Arc<cache::Caches>,
    pub throttle: std::sync::Arc<throttle::Throttle>,
}

impl AppState {
    /// The state for `config`, with a pool that connects lazily.
    pub fn new(config: config::Config) -> AppState {
        let pool = db::build_pool(&config.database_url, config.pool_size, config.db_timeout);
        AppState {
            throttle: std::sync::Arc::new(throttle::Throttle::new(&config.portal)),
            config,
            pool,
            caches: Default::default(),
        }
    }
}
