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

/// A search that finds a victim's own identifier (a reporter's phone) is a
/// search of victim data (`docs/domain.md` §19): audited with its purpose
/// (`verification` unless chosen; an unknown one is refused).
pub fn audit_victim_search(
    conn: &mut PgConnection,
    me: &crate::auth::CurrentUser,
    meta: &crate::auth::RequestMeta,
    found: &[Found],
    q: &str,
    purpose: &str,
) -> Result<(), crate::error::AppError> {
    use crate::domain::purpose::Purpose;
    let ids: Vec<i64> = found.iter().map(|f| f.id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let victims = crate::models::identifier_link::with_victim_links(conn, &ids)?;
    if victims.is_empty() {
        return Ok(());
    }
    let purpose = Purpose::from_form(purpose, Purpose::Verification).ok_or(
        crate::error::AppError::Invalid(crate::i18n::k("purpose-invalid")),
    )?;
    crate::models::audit::append(
        conn,
        meta,
        crate::models::audit::NewAudit {
            actor_id: Some(me.id),
            action: "identifier_search_victim",
            target_type: None,
            target_id: None,
            detail: serde_json::json!({
                "query": q.trim(), "purpose": purpose.code(), "identifiers": victims,
            }),
        },
    )?;
    Ok(())
}
