//! Linking identifiers to cases: the form's accounts and phone on each save,
//! and officers' links and unlinks by hand, with timeline and audit.

use std::collections::BTreeMap;

use diesel::prelude::*;

use super::{bank_code_in, reporter_key, resolve_bank};
use crate::auth::{policy, CurrentUser};
use crate::domain::ident::normalise::{bank_account, ewallet, normalise, phone, IdKind};
use crate::error::AppError;
use crate::models::case::Case;
use crate::models::identifier_link::{self, NewLink, Report, ROLES};

/// Re-links the identifiers an officer's case form carries — receiving
/// accounts of its money rows (suspect, with the amounts sent) and the
/// reporter's phone (victim) — after each save. Links added one by one, and
/// those from reporters, are left alone.
pub fn sync_case(
    conn: &mut PgConnection,
    r: &Report,
    txs: &[crate::models::case::Transaction],
    reporter_phone: Option<&str>,
    by: i64,
) -> QueryResult<()> {
    let Some(case_id) = r.case_id else {
        return Ok(());
    };
    identifier_link::delete_form_links(conn, case_id)?;
    let mut accounts: BTreeMap<String, i64> = BTreeMap::new();
    let banks = if txs.iter().any(|t| t.to_bank.is_some()) {
        crate::models::bank::names(conn)?
    } else {
        Vec::new()
    };
    for tx in txs {
        let Some(account) = tx.to_account.as_deref() else {
            continue;
        };
        let bank = tx.to_bank.as_deref().and_then(|b| bank_code_in(&banks, b));
        if let Some(v) = bank_account(bank.as_deref().unwrap_or(""), account) {
            let sum = accounts.entry(v).or_default();
            *sum = sum.saturating_add(tx.amount);
        }
    }
    for (value, amount) in &accounts {
        identifier_link::link(
            conn,
            r,
            &NewLink {
                kind: IdKind::BankAccount,
                value,
                role: "suspect",
                source: "officer",
                amount: *amount,
                from_form: true,
                added_by: Some(by),
            },
        )?;
    }
    if let Some(p) = reporter_phone.and_then(phone) {
        identifier_link::link(
            conn,
            r,
            &NewLink {
                kind: IdKind::Phone,
                value: &p,
                role: "victim",
                source: "officer",
                amount: 0,
                from_form: true,
                added_by: Some(by),
            },
        )?;
    }
    Ok(())
}

/// Links an identifier to a case by hand (`source` officer) or by confirming
/// a suggestion (`extracted`).
pub fn add_to_case(
    conn: &mut PgConnection,
    c: &Case,
    by: i64,
    kind: IdKind,
    value: &str,
    role: &str,
    source: &str,
) -> QueryResult<(i64, bool)> {
    let r = Report {
        submission_id: None,
        case_id: Some(c.id),
        unit_id: c.unit_id,
        reported_at: c.received_at,
        reporter_key: reporter_key(c.reporter_phone.as_deref(), c.reporter_email.as_deref()),
    };
    identifier_link::link(
        conn,
        &r,
        &NewLink {
            kind,
            value,
            role,
            source,
            amount: 0,
            from_form: false,
            added_by: Some(by),
        },
    )
}

/// What an officer sends to link an identifier to a case (typed by hand, or a
/// suggestion confirmed with one click).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct AddForm {
    pub kind: String,
    pub value: String,
    pub qualifier: String,
    pub role: String,
    /// "extracted" when confirming a suggestion.
    pub source: String,
}

/// Links an identifier to a case `me` may work, with a timeline entry and an
/// audit row. A malformed value is refused with the field's error.
pub fn add(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &crate::domain::RequestMeta,
    reference: &str,
    form: &AddForm,
) -> Result<(), AppError> {
    use crate::domain::form::FormErrors;
    use crate::i18n::k;
    let mut e = FormErrors::default();
    let kind = form.kind.parse::<IdKind>().ok();
    if kind.is_none() {
        e.add("id_kind", k("field-invalid-choice"));
    }
    let role = if form.role.is_empty() {
        "suspect"
    } else {
        form.role.as_str()
    };
    if !ROLES.contains(&role) {
        e.add("id_role", k("field-invalid-choice"));
    }
    let source = match form.source.as_str() {
        "extracted" => "extracted",
        _ => "officer",
    };
    conn.transaction(|conn| {
        let (c, watching) = crate::services::access::load_visible(conn, me, reference, true)?;
        if !policy::can_work_case(me, &c, watching) {
            return Err(AppError::Forbidden);
        }
        let qualifier = match kind {
            Some(IdKind::BankAccount) if !form.qualifier.trim().is_empty() => {
                match resolve_bank(conn, &form.qualifier)? {
                    Some(code) => code,
                    None => {
                        e.add("id_qualifier", k("identifier-unknown-bank"));
                        String::new()
                    }
                }
            }
            _ => form.qualifier.trim().to_owned(),
        };
        let value = kind.and_then(|kind| match kind {
            // A confirmed suggestion arrives normalised already ("VCB:0011…").
            IdKind::BankAccount if qualifier.is_empty() => form
                .value
                .split_once(':')
                .and_then(|(b, n)| bank_account(b, n))
                .or_else(|| bank_account("", &form.value)),
            IdKind::Ewallet if qualifier.is_empty() => form
                .value
                .split_once(':')
                .and_then(|(p, id)| ewallet(p, id)),
            _ => normalise(kind, &form.value, &qualifier),
        });
        let (Some(kind), Some(value)) = (kind, value) else {
            if kind.is_some() {
                e.add("id_value", k("identifier-invalid"));
            }
            return Err(AppError::Form(e));
        };
        if !e.is_empty() {
            return Err(AppError::Form(e));
        }
        let (id, new) = add_to_case(conn, &c, me.id, kind, &value, role, source)?;
        if new {
            record_change(
                conn,
                me,
                meta,
                &c,
                "identifier_link",
                (None, Some(format!("{}: {value}", kind.code()))),
                serde_json::json!({ "identifier": id, "kind": kind.code(), "role": role, "source": source }),
            )?;
        }
        Ok(())
    })
}

/// A timeline entry and an audit row for a linked or unlinked identifier.
fn record_change(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &crate::domain::RequestMeta,
    c: &Case,
    action: &'static str,
    (old_value, new_value): (Option<String>, Option<String>),
    data: serde_json::Value,
) -> Result<(), AppError> {
    use crate::models::case_event::{self, EventKind, NewEvent};
    case_event::insert(
        conn,
        &[NewEvent {
            old_value,
            new_value,
            data: Some(data.clone()),
            ..crate::services::journal::event(c, me, EventKind::Identifier)
        }],
    )?;
    crate::services::journal::audit_row(conn, me, meta, action, c, data)
}

/// Unlinks an identifier added by hand or confirmed (a mistake); reporters'
/// and the form's links stay. Timeline and audit record it.
pub fn remove(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &crate::domain::RequestMeta,
    reference: &str,
    link_id: i64,
) -> Result<(), AppError> {
    conn.transaction(|conn| {
        let (c, watching) = crate::services::access::load_visible(conn, me, reference, true)?;
        if !policy::can_work_case(me, &c, watching) {
            return Err(AppError::Forbidden);
        }
        let Some((kind, value)) = identifier_link::remove_from_case(conn, c.id, link_id)? else {
            return Err(AppError::NotFound);
        };
        record_change(
            conn,
            me,
            meta,
            &c,
            "identifier_unlink",
            (Some(format!("{}: {value}", kind.code())), None),
            serde_json::json!({ "kind": kind.code(), "removed": true }),
        )?;
        Ok(())
    })
}
