//! Domain operations: permission checks, transactions, audit rows. Plain sync Rust,
//! no actix, so they are easy to test with a bare connection.

pub mod auth;
pub mod dashboard;
pub mod form;
pub mod users;
