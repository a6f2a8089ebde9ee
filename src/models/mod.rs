//! One module per table: row structs and the queries on that table, nothing else.

pub mod audit;
pub mod login_attempt;
pub mod session;
pub mod user;
