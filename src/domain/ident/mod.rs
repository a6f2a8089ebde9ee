//! Identifiers as values: normalising what people write, and finding them in
//! free text. Pure functions, no database (see `services::identifiers`).

pub mod extract;
pub mod normalise;
