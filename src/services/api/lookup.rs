//! The bank check: is this account, phone or wallet among the reported ones?
//! Counts only — reports, cases, first and last seen, reported loss — never
//! a case's contents (`docs/domain.md` §15).

use chrono::{DateTime, Utc};
use diesel::PgConnection;

use crate::auth::{policy, CurrentUser};
use crate::domain::ident::extract::Bank;
use crate::domain::ident::normalise::{normalise, IdKind};
use crate::error::AppError;
use crate::i18n::{k, MsgKey};
use crate::models::{hot_identifier, identifier_link};

/// The most values one batch may ask about.
pub const LOOKUP_MAX: usize = 1000;

/// One value asked about, as sent.
#[derive(Clone, Debug, Default)]
pub struct Ask {
    pub kind: String,
    pub value: String,
    /// For an account: its bank (code, short name or BIN); for a wallet: the
    /// provider. Blank matches the number at any bank or provider.
    pub bank: String,
}

/// The answer for one value: its normalised form and counts, or why it
/// could not be read.
#[derive(Clone, Debug)]
pub struct Answer {
    pub kind: String,
    pub value: Option<String>,
    pub error: Option<MsgKey>,
    pub reports: i64,
    pub cases: i64,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    pub total_loss: i64,
}

/// Whose reports `me` counts over: every unit for national analysts, their
/// own unit for those who work cases; nobody else looks up.
fn scope_of(me: &CurrentUser) -> Result<i32, AppError> {
    if policy::allows(me.role, policy::Action::ReadNationalCorrelation) {
        Ok(hot_identifier::NATIONAL)
    } else if policy::allows(me.role, policy::Action::WorkCases) {
        Ok(me.unit_id)
    } else {
        Err(AppError::Forbidden)
    }
}

/// Reads one asked value: (kind, normalised value, bare number) or the key
/// of what is wrong with it.
fn read(ask: &Ask, banks: &[Bank]) -> Result<(IdKind, String, String), MsgKey> {
    let kind: IdKind = ask
        .kind
        .trim()
        .parse()
        .map_err(|_| k("identifier-kind-invalid"))?;
    let qualifier = match kind {
        IdKind::BankAccount if !ask.bank.trim().is_empty() => {
            crate::services::identifiers::bank_code_in(banks, &ask.bank)
                .ok_or(k("identifier-bank-unknown"))?
        }
        _ => ask.bank.trim().to_owned(),
    };
    let value = normalise(kind, &ask.value, &qualifier).ok_or(k("identifier-value-invalid"))?;
    // An account or wallet asked without its bank or provider matches the
    // number at any of them.
    let bare = match (kind, value.split_once(':')) {
        (IdKind::BankAccount | IdKind::Ewallet, Some(("?", rest))) => rest.to_owned(),
        _ => String::new(),
    };
    Ok((kind, value, bare))
}

/// Answers each of `asks` in order, in one query.
pub fn lookup(
    conn: &mut PgConnection,
    me: &CurrentUser,
    banks: &[Bank],
    asks: &[Ask],
) -> Result<Vec<Answer>, AppError> {
    let scope = scope_of(me)?;
    if asks.len() > LOOKUP_MAX {
        return Err(AppError::Invalid(k("lookup-too-many")));
    }
    let read: Vec<Result<(IdKind, String, String), MsgKey>> =
        asks.iter().map(|a| read(a, banks)).collect();
    let wanted: Vec<identifier_link::LookupAsk> = read
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            r.as_ref()
                .ok()
                .map(|(kind, value, bare)| identifier_link::LookupAsk {
                    ord: i as i32,
                    kind: kind.code(),
                    value,
                    bare,
                })
        })
        .collect();
    let rows = identifier_link::lookup(conn, &wanted, scope)?;
    let mut out: Vec<Answer> = read
        .into_iter()
        .zip(asks)
        .map(|(r, ask)| match r {
            Ok((kind, value, _)) => Answer {
                kind: kind.code().to_owned(),
                value: Some(value),
                error: None,
                reports: 0,
                cases: 0,
                first_seen: None,
                last_seen: None,
                total_loss: 0,
            },
            Err(key) => Answer {
                kind: ask.kind.chars().take(40).collect(),
                value: None,
                error: Some(key),
                reports: 0,
                cases: 0,
                first_seen: None,
                last_seen: None,
                total_loss: 0,
            },
        })
        .collect();
    for row in rows {
        if let Some(a) = out.get_mut(row.ord as usize) {
            a.reports = row.reports;
            a.cases = row.cases;
            a.first_seen = Some(row.first_seen);
            a.last_seen = Some(row.last_seen);
            a.total_loss = row.loss;
        }
    }
    Ok(out)
}
