//! Domain operations: permission checks, transactions, audit rows. Plain sync Rust,
//! no actix, so they are easy to test with a bare connection.

pub mod access;
pub mod api;
pub mod audit_log;
pub mod auth;
pub mod backup;
pub mod case_list;
pub mod cases;
pub mod dashboard;
pub mod deadlines;
pub mod exhibits;
pub mod exports;
pub mod identifiers;
pub mod import;
pub mod intake;
pub mod journal;
pub mod metrics;
pub mod notify;
pub mod outbox;
pub mod portal;
pub mod reference;
pub mod requests;
pub mod retention;
pub mod second_factor;
pub mod stats;
pub mod transfers;
pub mod units;
pub mod users;
