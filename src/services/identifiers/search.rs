//! Finding identifiers by whatever a person typed.

use diesel::prelude::*;

use crate::domain::ident::extract::{self, Bank, Suggestion};
use crate::domain::ident::normalise::{normalise, phone, social, IdKind};
use crate::models::identifier::Found;

/// Identifiers matching what the user typed, in any written form: the query is
/// normalised as every kind would be, and an account or wallet number written
/// without its bank or provider matches it at any bank or provider.
pub fn search(conn: &mut PgConnection, banks: &[Bank], q: &str) -> QueryResult<Vec<Found>> {
    let q = q.trim();
    if q.is_empty() || q.chars().count() > 300 {
        return Ok(Vec::new());
    }
    let mut exact: Vec<(IdKind, String)> = IdKind::ALL
        .iter()
        .filter_map(|k| normalise(*k, q, "").map(|v| (*k, v)))
        .collect();
    exact.extend(
        extract::extract(q, banks)
            .into_iter()
            .map(|s: Suggestion| (s.kind, s.value)),
    );
    let mut bare: Vec<String> = Vec::new();
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    if q.chars().all(|c| c.is_ascii_digit() || " .-".contains(c))
        && (6..=19).contains(&digits.len())
    {
        bare.push(digits);
    }
    bare.extend(phone(q));
    if let Some(h) = social(q).and_then(|v| v.split_once(':').map(|(_, h)| h.to_owned())) {
        bare.push(h);
    }
    crate::models::identifier::search(conn, exact, bare)
}
