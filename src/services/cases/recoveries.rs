//! Money frozen at a bank or returned to victims (`docs/domain.md` §13): rows
//! on a case with the amount, date and the bank or agency, added and removed
//! like every other change (timeline and audit) by whoever may work the case.

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use diesel::{Connection, PgConnection};
use serde_json::json;

use crate::auth::{policy, CurrentUser, RequestMeta};
use crate::domain::form::FormErrors;
use crate::error::AppError;
use crate::i18n::k;
use crate::models::case::{self, CaseState};
use crate::models::case_event::{self, EventKind, NewEvent};
use crate::models::case_recovery::{self, NewRecovery, RecoveryKind};
use crate::services::access::load_visible;
use crate::services::journal::{audit_row, event};

/// The form on the case page.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RecoveryForm {
    pub kind: String,
    pub amount: String,
    pub on_date: String,
    pub bank: String,
    pub agency: String,
    pub note: String,
}

/// A valid row (for `case_id`, by `by`), or every field's error.
pub fn validate(
    f: &RecoveryForm,
    banks: &[String],
    today: NaiveDate,
    (case_id, by): (i64, i64),
) -> Result<NewRecovery, FormErrors> {
    let mut e = FormErrors::default();
    let kind = f.kind.parse::<RecoveryKind>().ok();
    if kind.is_none() {
        e.add("rec_kind", k("field-invalid-choice"));
    }
    let amount = crate::domain::value::parse_amount(&f.amount)
        .filter(|a| *a > 0 && *a <= crate::services::cases::MAX_AMOUNT);
    if amount.is_none() {
        e.add("rec_amount", k("recovery-amount-invalid"));
    }
    let on_date = NaiveDate::parse_from_str(f.on_date.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| *d <= today && d.year() >= 2000);
    if on_date.is_none() {
        e.add("rec_date", k("recovery-date-invalid"));
    }
    let text = |v: &str, max: usize| {
        Some(v.trim())
            .filter(|v| !v.is_empty())
            .map(|v| v.chars().take(max).collect::<String>())
    };
    let bank = text(&f.bank, 20);
    if bank.as_ref().is_some_and(|b| !banks.contains(b)) {
        e.add("rec_bank", k("identifier-unknown-bank"));
    }
    let agency = text(&f.agency, 300);
    if bank.is_none() && agency.is_none() {
        e.add("rec_bank", k("recovery-needs-bank"));
    }
    match (kind, amount, on_date) {
        (Some(kind), Some(amount), Some(on_date)) if e.is_empty() => Ok(NewRecovery {
            case_id,
            kind,
            amount,
            on_date,
            bank_code: bank,
            agency,
            note: text(&f.note, 1000),
            created_by: by,
        }),
        _ => Err(e),
    }
}

pub fn add(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    tz: Tz,
    reference: &str,
    form: &RecoveryForm,
) -> Result<(), AppError> {
    let banks = crate::models::bank::active_codes(conn)?;
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    conn.transaction(|conn| {
        let (c, watching) = load_visible(conn, me, reference, true)?;
        if !policy::can_work_case(me, &c, watching) {
            return Err(AppError::Forbidden);
        }
        let new = validate(form, &banks, today, (c.id, me.id)).map_err(AppError::Form)?;
        let r = case_recovery::insert(conn, &new)?;
        record(conn, me, meta, c.id, "case_recovery_add", &r, false)
    })
}

/// Removes a mistaken row.
pub fn remove(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    reference: &str,
    id: i64,
) -> Result<(), AppError> {
    conn.transaction(|conn| {
        let (c, watching) = load_visible(conn, me, reference, true)?;
        if !policy::can_work_case(me, &c, watching) {
            return Err(AppError::Forbidden);
        }
        let r = case_recovery::delete(conn, c.id, id)?;
        record(conn, me, meta, c.id, "case_recovery_remove", &r, true)
    })
}

fn record(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    case_id: i64,
    action: &str,
    r: &case_recovery::Recovery,
    removed: bool,
) -> Result<(), AppError> {
    // A change to the case like an edit: its version moves on.
    let c = case::update_state(conn, case_id, &CaseState::default(), me.id)?;
    let what = format!(
        "{}: {} ({}, {})",
        r.kind.code(),
        crate::domain::value::fmt_vnd(r.amount),
        r.on_date.format("%d/%m/%Y"),
        r.bank_code.as_deref().or(r.agency.as_deref()).unwrap_or("")
    );
    let data = json!({
        "kind": r.kind.code(), "amount": r.amount, "on_date": r.on_date.to_string(),
        "bank": r.bank_code, "agency": r.agency, "removed": removed,
    });
    let (old_value, new_value) = if removed {
        (Some(what), None)
    } else {
        (None, Some(what))
    };
    case_event::insert(
        conn,
        &[NewEvent {
            old_value,
            new_value,
            data: Some(data.clone()),
            ..event(&c, me, EventKind::Recovery)
        }],
    )?;
    audit_row(conn, me, meta, action, &c, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> RecoveryForm {
        let mut f = RecoveryForm {
            kind: "frozen".into(),
            amount: "12.500.000".into(),
            on_date: "2026-11-20".into(),
            bank: "VCB".into(),
            ..Default::default()
        };
        for (k, v) in pairs {
            match *k {
                "kind" => f.kind = v.to_string(),
                "amount" => f.amount = v.to_string(),
                "on_date" => f.on_date = v.to_string(),
                "bank" => f.bank = v.to_string(),
                "agency" => f.agency = v.to_string(),
                _ => {}
            }
        }
        f
    }

    #[test]
    fn every_bad_field_gets_its_reason() {
        let banks = vec!["VCB".to_string()];
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert!(validate(&form(&[]), &banks, today, (1, 1)).is_ok());
        assert!(validate(
            &form(&[("bank", ""), ("agency", "Viện kiểm sát")]),
            &banks,
            today,
            (1, 1)
        )
        .is_ok());
        for (pairs, field) in [
            (vec![("kind", "stolen")], "rec_kind"),
            (vec![("amount", "0")], "rec_amount"),
            (vec![("amount", "-5")], "rec_amount"),
            (vec![("amount", "abc")], "rec_amount"),
            (vec![("on_date", "2026-12-02")], "rec_date"),
            (vec![("on_date", "1999-12-31")], "rec_date"),
            (vec![("on_date", "20/11/2026")], "rec_date"),
            (vec![("bank", "XYZ")], "rec_bank"),
            (vec![("bank", "")], "rec_bank"),
        ] {
            let e = validate(&form(&pairs), &banks, today, (1, 1)).expect_err(field);
            assert!(e.get(field).is_some(), "{pairs:?} -> {field}");
        }
    }
}
