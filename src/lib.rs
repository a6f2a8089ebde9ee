//! cyberdesk: intake, assignment and tracking of cybercrime and information-security
//! incidents for a provincial police cyber unit.

pub mod auth;
pub mod cache;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod mail;
pub mod models;
pub mod routes;
pub mod seed;
pub mod services;
pub mod state;
pub mod storage;
pub mod throttle;

pub use routes::configure;
pub use state::AppState;
