//! Checks every field of the case form (a message per field) and turns it
//! into what gets written.

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

use super::form::{CaseForm, TxRow, MAX_TX_ROWS};
use crate::domain::form::{row_name, FormErrors};
use crate::domain::value::{looks_like_email, parse_amount, parse_local};
use crate::i18n::k;
use crate::models::{
    case::{
        CaseFields, CaseType, Channel, IncidentState, PayMethod, ReporterKind, Severity, Tlp,
        Transaction,
    },
    category::Category,
};

/// Largest amount of one transaction, in đồng (a sanity bound, 1 000 tỷ).
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

fn phone_ok(v: &str) -> bool {
    let digits = v.chars().filter(char::is_ascii_digit).count();
    v.chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '.' | '-' | '(' | ')'))
        && (8..=15).contains(&digits)
}

/// Validated form: what gets written.
pub struct ValidCase {
    pub case_type: CaseType,
    pub channel: Channel,
    pub fields: CaseFields,
    pub txs: Vec<Transaction>,
}

/// Checks every field (per-field messages) against the category list and `now`.
pub fn validate(
    form: &CaseForm,
    categories: &[Category],
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<ValidCase, FormErrors> {
    let mut e = FormErrors::default();
    let text = |e: &mut FormErrors, name: &'static str, max: usize| -> Option<String> {
        crate::domain::form::optional_text(e, name, form.get(name), max)
    };
    fn choice<T: std::str::FromStr>(
        e: &mut FormErrors,
        name: &'static str,
        v: &str,
        required: bool,
    ) -> Option<T> {
        let v = v.trim();
        if v.is_empty() {
            if required {
                e.add(name, k("field-required"));
            }
            return None;
        }
        let parsed = v.parse::<T>().ok();
        if parsed.is_none() {
            e.add(name, k("field-invalid-choice"));
        }
        parsed
    }
    let soon = now + chrono::Duration::minutes(5);
    let when = |e: &mut FormErrors, name: &'static str, required: bool| -> Option<DateTime<Utc>> {
        let v = form.get(name).trim();
        if v.is_empty() {
            if required {
                e.add(name, k("field-required"));
            }
            return None;
        }
        match parse_local(v, tz) {
            None => {
                e.add(name, k("date-invalid"));
                None
            }
            Some(d) if d > soon => {
                e.add(name, k("date-in-future"));
                None
            }
            Some(d) if d.year() < 2000 => {
                e.add(name, k("date-too-old"));
                None
            }
            Some(d) => Some(d),
        }
    };

    let case_type: Option<CaseType> = choice(&mut e, "case_type", form.get("case_type"), true);
    let channel: Option<Channel> = choice(&mut e, "channel", form.get("channel"), true);
    let severity: Option<Severity> = choice(&mut e, "severity", form.get("severity"), true);
    let tlp: Option<Tlp> = choice(&mut e, "tlp", form.get("tlp"), true);
    let reporter_kind: Option<ReporterKind> =
        choice(&mut e, "reporter_kind", form.get("reporter_kind"), true);
    let incident_state: Option<IncidentState> =
        choice(&mut e, "incident_state", form.get("incident_state"), false);

    let mut id_of = |name: &'static str| -> Option<&Category> {
        let v = form.get(name).trim();
        if v.is_empty() {
            return None;
        }
        let found = v
            .parse::<i32>()
            .ok()
            .and_then(|id| categories.iter().find(|c| c.id == id && c.active));
        if found.is_none() {
            e.add(name, k("category-unknown"));
        }
        found
    };
    let category = id_of("category_id");
    let subcategory = id_of("subcategory_id");
    if category.is_none() && e.get("category_id").is_none() {
        e.add("category_id", k("field-required"));
    }
    if let (Some(c), Some(s)) = (category, subcategory) {
        if s.parent_id != Some(c.id) {
            e.add("subcategory_id", k("subcategory-mismatch"));
        }
    }
    if category.is_some_and(|c| c.parent_id.is_some()) {
        e.add("category_id", k("category-unknown"));
    }

    let title = crate::domain::form::required_text(&mut e, "title", form.get("title"), 200);
    let description = text(&mut e, "description", 20000).unwrap_or_default();
    let team = text(&mut e, "team", 80);
    let received_at = when(&mut e, "received_at", true);
    let occurred_at = when(&mut e, "occurred_at", false);
    let detected_at = when(&mut e, "detected_at", false);
    if let (Some(o), Some(r)) = (occurred_at, received_at) {
        if o > r {
            e.add("occurred_at", k("date-after-received"));
        }
    }

    let reporter_name = text(&mut e, "reporter_name", 200);
    if reporter_kind.is_some_and(|k| k != ReporterKind::Anonymous)
        && reporter_name.is_none()
        && e.get("reporter_name").is_none()
    {
        e.add("reporter_name", k("reporter-name-required"));
    }
    let reporter_tax_code = text(&mut e, "reporter_tax_code", 20);
    if let Some(t) = &reporter_tax_code {
        let digits = t.chars().filter(char::is_ascii_digit).count();
        if !t.chars().all(|c| c.is_ascii_digit() || c == '-') || !(digits == 10 || digits == 13) {
            e.add("reporter_tax_code", k("tax-code-invalid"));
        }
    }
    let reporter_phone = text(&mut e, "reporter_phone", 30);
    if reporter_phone.as_deref().is_some_and(|p| !phone_ok(p)) {
        e.add("reporter_phone", k("phone-invalid"));
    }
    let reporter_email = text(&mut e, "reporter_email", 254).map(|v| v.to_lowercase());
    if reporter_email
        .as_deref()
        .is_some_and(|m| !looks_like_email(m))
    {
        e.add("reporter_email", k("email-invalid"));
    }
    let reporter_address = text(&mut e, "reporter_address", 500);
    let reporter_national_id = text(&mut e, "reporter_national_id", 12);
    if reporter_national_id.as_deref().is_some_and(|n| {
        !(n.chars().all(|c| c.is_ascii_digit()) && (n.len() == 9 || n.len() == 12))
    }) {
        e.add("reporter_national_id", k("national-id-invalid"));
    }
    let victims = text(&mut e, "victims", 2000);
    let affected_system = text(&mut e, "affected_system", 300);
    let level = form.get("system_security_level").trim();
    let system_security_level = if level.is_empty() {
        None
    } else {
        match level.parse::<i16>() {
            Ok(l @ 1..=5) => Some(l),
            _ => {
                e.add("system_security_level", k("security-level-invalid"));
                None
            }
        }
    };
    let operating_unit = text(&mut e, "operating_unit", 300);
    let owner_agency = text(&mut e, "owner_agency", 300);
    let detection_method = text(&mut e, "detection_method", 300);
    let ips_domains = text(&mut e, "ips_domains", 2000);

    let mut txs = Vec::new();
    let filled: Vec<&TxRow> = form.txs.iter().filter(|r| !r.is_blank()).collect();
    if filled.len() > MAX_TX_ROWS {
        e.add("transactions", k("tx-too-many"));
    }
    for (i, row) in filled.iter().take(MAX_TX_ROWS).enumerate() {
        let amount = match parse_amount(&row.amount) {
            Some(a) if a > 0 && a <= MAX_AMOUNT => Some(a),
            Some(0) => {
                e.add(tx_field(i, "amount"), k("amount-not-positive"));
                None
            }
            Some(_) => {
                e.add(tx_field(i, "amount"), k("amount-too-large"));
                None
            }
            None if row.amount.trim().is_empty() => {
                e.add(tx_field(i, "amount"), k("field-required"));
                None
            }
            None => {
                e.add(tx_field(i, "amount"), k("amount-invalid"));
                None
            }
        };
        let method = row.method.parse::<PayMethod>().ok();
        if method.is_none() {
            e.add(tx_field(i, "method"), k("field-invalid-choice"));
        }
        let occurred_at = if row.time.trim().is_empty() {
            None
        } else {
            match parse_local(&row.time, tz) {
                Some(d) if d <= soon => Some(d),
                Some(_) => {
                    e.add(tx_field(i, "time"), k("date-in-future"));
                    None
                }
                None => {
                    e.add(tx_field(i, "time"), k("date-invalid"));
                    None
                }
            }
        };
        let bounded =
            |e: &mut FormErrors, name: &'static str, v: &str, max: usize| -> Option<String> {
                let v = v.trim();
                if v.chars().count() > max {
                    e.add(tx_field(i, name), k("field-too-long"));
                }
                (!v.is_empty()).then(|| v.chars().take(max).collect())
            };
        let from_bank = bounded(&mut e, "from_bank", &row.from_bank, 100);
        let from_account = bounded(&mut e, "from_account", &row.from_account, 100);
        let to_bank = bounded(&mut e, "to_bank", &row.to_bank, 100);
        let to_account = bounded(&mut e, "to_account", &row.to_account, 100);
        let to_holder = bounded(&mut e, "to_holder", &row.to_holder, 200);
        let reference = bounded(&mut e, "reference", &row.reference, 100);
        if let (Some(amount), Some(method)) = (amount, method) {
            txs.push(Transaction {
                position: i32::try_from(i).unwrap_or(0),
                occurred_at,
                amount,
                method,
                from_bank,
                from_account,
                to_bank,
                to_account,
                to_holder,
                reference,
            });
        }
    }

    e.clone().into_result()?;
    let (
        Some(case_type),
        Some(channel),
        Some(severity),
        Some(tlp),
        Some(reporter_kind),
        Some(received_at),
    ) = (
        case_type,
        channel,
        severity,
        tlp,
        reporter_kind,
        received_at,
    )
    else {
        return Err(e);
    };
    Ok(ValidCase {
        case_type,
        channel,
        txs,
        fields: CaseFields {
            category_id: category.map(|c| c.id),
            subcategory_id: subcategory.map(|c| c.id),
            title,
            description,
            severity,
            tlp,
            confidential_reporter: form.checked("confidential_reporter"),
            team,
            received_at,
            occurred_at,
            detected_at,
            reporter_kind,
            reporter_name: if reporter_kind == ReporterKind::Anonymous {
                None
            } else {
                reporter_name
            },
            reporter_tax_code,
            reporter_phone,
            reporter_email,
            reporter_address,
            reporter_national_id,
            reporter_is_victim: form.checked("reporter_is_victim"),
            victims,
            affected_system,
            system_security_level,
            operating_unit,
            owner_agency,
            detection_method,
            incident_state,
            ips_domains,
        },
    })
}

/// Field name of a money-row input, as the form and its error messages use it.
pub fn tx_field(i: usize, name: &str) -> String {
    row_name("tx", i, name)
}

/// Total reported loss: the sum of the money rows.
pub(super) fn total(txs: &[Transaction]) -> i64 {
    txs.iter().map(|t| t.amount).sum()
}

/// Text search picks up account numbers, transaction references and phone digits.
pub fn search_extra(fields: &CaseFields, txs: &[Transaction]) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(p) = &fields.reporter_phone {
        parts.push(p.chars().filter(char::is_ascii_digit).collect());
    }
    for t in txs {
        for v in [&t.from_account, &t.to_account, &t.reference, &t.to_holder]
            .into_iter()
            .flatten()
        {
            parts.push(v.clone());
        }
    }
    if let Some(ips) = &fields.ips_domains {
        parts.push(ips.clone());
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_need_8_to_15_digits() {
        assert!(phone_ok("0912 345 678"));
        assert!(phone_ok("+84 912-345-678"));
        assert!(!phone_ok("12345"));
        assert!(!phone_ok("0912abc678"));
    }
}
