//! The public forms' fields: each bounded and checked on the server, with a
//! message per field, and only the form's own fields kept.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use crate::domain::code::{random_code, CODE_LEN};
use crate::domain::form::{row_field, row_name, FormErrors, FormInput, MAX_ROWS};
use crate::domain::ident::extract::{resolve_bank, Bank};
use crate::domain::value::{parse_amount, parse_local};
use crate::i18n::{k, Lang};
use crate::models::case::PayMethod;
use crate::models::submission::{NewSubmission, SubmissionKind};
use crate::services::identifiers::{self, IdKind};

/// Rows of money and identifiers shown at first; "add another" adds one.
pub const TX_ROWS: usize = 2;

pub const ID_ROWS: usize = 2;

pub use crate::domain::submission::FIRST_CONTACT;

pub(super) fn text(
    errors: &mut FormErrors,
    input: &FormInput,
    field: &str,
    max: usize,
    required: bool,
) -> Option<String> {
    let v = input.get(field).trim();
    if v.is_empty() {
        if required {
            errors.add(field, k("field-required"));
        }
        return None;
    }
    if v.chars().count() > max {
        errors.add(field, k("field-too-long"));
    }
    if v.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errors.add(field, k("field-invalid-text"));
    }
    Some(v.chars().take(max).collect())
}

fn past_time(
    errors: &mut FormErrors,
    input: &FormInput,
    field: &str,
    tz: Tz,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let v = input.get(field).trim();
    if v.is_empty() {
        return None;
    }
    match parse_local(v, tz) {
        None => {
            errors.add(field, k("date-invalid"));
            None
        }
        Some(d) if d > now + chrono::Duration::minutes(5) => {
            errors.add(field, k("date-in-future"));
            None
        }
        Some(d) if d.format("%Y").to_string().parse::<i32>().unwrap_or(0) < 1990 => {
            errors.add(field, k("date-too-old"));
            None
        }
        Some(d) => Some(d),
    }
}

fn choice(
    errors: &mut FormErrors,
    input: &FormInput,
    field: &str,
    allowed: &[&str],
    required: bool,
) -> Option<String> {
    let v = input.get(field).trim();
    if v.is_empty() {
        if required {
            errors.add(field, k("field-required"));
        }
        return None;
    }
    if allowed.contains(&v) {
        Some(v.to_owned())
    } else {
        errors.add(field, k("field-invalid-choice"));
        None
    }
}

/// Whether `key` is a field of this kind of form (what is stored as sent).
fn known_field(kind: SubmissionKind, key: &str) -> bool {
    const COMMON: &[&str] = &[
        "on_behalf",
        "reporter_kind",
        "anonymous",
        "reporter_name",
        "reporter_phone",
        "reporter_email",
        "reporter_address",
        "reporter_national_id",
        "reporter_tax_code",
        "victim_name",
        "province",
        "ward",
        "confidential",
        "category_id",
        "occurred_at",
        "first_contact",
        "summary",
        "narrative",
        "consent",
        "false_report_ack",
    ];
    const INCIDENT: &[&str] = &[
        "org_name",
        "operating_unit",
        "owner_agency",
        "affected_system",
        "security_level",
        "detected_at",
        "detection_method",
        "incident_state",
        "notified",
        "ips_domains",
        "os_services",
        "measures",
        "support_requested",
    ];
    const BREACH: &[&str] = &[
        "controller",
        "data_types",
        "subjects_count",
        "discovered_at",
        "measures",
    ];
    const TX: &[&str] = &[
        "time",
        "amount",
        "method",
        "from_bank",
        "from_account",
        "to_bank",
        "to_account",
        "to_holder",
        "reference",
    ];
    const ID: &[&str] = &["kind", "value", "qualifier"];
    let row = |prefix: &str, names: &[&str]| {
        row_field(key, prefix).is_some_and(|(n, name)| n < MAX_ROWS && names.contains(&name))
    };
    COMMON.contains(&key)
        || row("id", ID)
        || match kind {
            SubmissionKind::Crime => row("tx", TX),
            SubmissionKind::Incident => INCIDENT.contains(&key),
            SubmissionKind::Breach => BREACH.contains(&key),
        }
}

/// Everything checked and normalised, ready to store.
pub(super) struct Valid {
    pub(super) new: NewSubmission,
    /// (kind, normalised value, role) to link.
    pub(super) identifiers: Vec<(IdKind, String, &'static str, i64)>,
}

#[allow(clippy::too_many_arguments)]
pub(super) fn validate(
    kind: SubmissionKind,
    input: &FormInput,
    categories: &[(i32, bool)],
    banks: &[Bank],
    provinces: &[String],
    tz: Tz,
    lang: Lang,
    now: DateTime<Utc>,
    errors: &mut FormErrors,
) -> Option<Valid> {
    let anonymous = input.checked("anonymous");
    let name = text(errors, input, "reporter_name", 200, !anonymous);
    let phone_raw = text(errors, input, "reporter_phone", 30, false);
    let phone = phone_raw.as_deref().and_then(|p| {
        let n = identifiers::phone(p);
        if n.is_none() {
            errors.add("reporter_phone", k("phone-invalid"));
        }
        n
    });
    let email_raw = text(errors, input, "reporter_email", 254, false);
    let email = email_raw.as_deref().and_then(|e| {
        let n = identifiers::email(e).filter(|_| crate::domain::value::looks_like_email(e));
        if n.is_none() {
            errors.add("reporter_email", k("email-invalid"));
        }
        n.map(|v| v.to_lowercase())
    });
    if !anonymous && phone_raw.is_none() && email_raw.is_none() {
        errors.add("reporter_phone", k("report-contact-required"));
    }
    text(errors, input, "reporter_address", 300, false);
    if let Some(id) = text(errors, input, "reporter_national_id", 20, false) {
        if !(id.len() == 9 || id.len() == 12) || !id.chars().all(|c| c.is_ascii_digit()) {
            errors.add("reporter_national_id", k("national-id-invalid"));
        }
    }
    if let Some(t) = text(errors, input, "reporter_tax_code", 20, false) {
        let digits = t.chars().filter(char::is_ascii_digit).count();
        if !t.chars().all(|c| c.is_ascii_digit() || c == '-') || !(digits == 10 || digits == 13) {
            errors.add("reporter_tax_code", k("tax-code-invalid"));
        }
    }
    choice(errors, input, "on_behalf", &["self", "other"], false);
    choice(
        errors,
        input,
        "reporter_kind",
        &["individual", "organisation"],
        false,
    );
    text(errors, input, "victim_name", 200, false);
    // Where the reporter is: routes the report to that unit's intake.
    let province = input.get("province").trim();
    if !province.is_empty() && !provinces.iter().any(|p| p == province) {
        errors.add("province", k("field-invalid-choice"));
    }
    text(errors, input, "ward", 100, false);

    let category_id = match input.get("category_id").trim() {
        "" => {
            errors.add("category_id", k("field-required"));
            None
        }
        v => match v
            .parse::<i32>()
            .ok()
            .filter(|id| categories.iter().any(|(c, active)| c == id && *active))
        {
            Some(id) => Some(id),
            None => {
                errors.add("category_id", k("category-unknown"));
                None
            }
        },
    };
    let summary = text(errors, input, "summary", 200, true).unwrap_or_default();
    let narrative = text(errors, input, "narrative", 20000, true).unwrap_or_default();
    if !narrative.is_empty() && narrative.chars().count() < 20 {
        errors.add("narrative", k("report-narrative-short"));
    }
    let occurred_at = past_time(errors, input, "occurred_at", tz, now);
    choice(errors, input, "first_contact", FIRST_CONTACT, false);

    // Money.
    let methods: Vec<&str> = PayMethod::ALL.iter().map(|m| m.code()).collect();
    let bank_codes: Vec<&str> = banks.iter().map(|b| b.code.as_str()).collect();
    let mut total_loss: i64 = 0;
    let mut ids: Vec<(IdKind, String, &'static str, i64)> = Vec::new();
    for i in 0..input.rows("tx", 0) {
        let f = |name: &str| row_name("tx", i, name);
        let filled = [
            "time",
            "amount",
            "from_bank",
            "from_account",
            "to_bank",
            "to_account",
            "to_holder",
            "reference",
        ]
        .iter()
        .any(|n| !input.get(&f(n)).trim().is_empty());
        if !filled {
            continue;
        }
        let mut row_amount = 0;
        match parse_amount(input.get(&f("amount"))) {
            _ if input.get(&f("amount")).trim().is_empty() => {
                errors.add(f("amount"), k("field-required"))
            }
            None => errors.add(f("amount"), k("amount-invalid")),
            Some(0) => errors.add(f("amount"), k("amount-not-positive")),
            Some(a) if a > 1_000_000_000_000_000 => errors.add(f("amount"), k("amount-too-large")),
            Some(a) => {
                row_amount = a;
                total_loss = total_loss.saturating_add(a);
            }
        }
        past_time(errors, input, &f("time"), tz, now);
        choice(errors, input, &f("method"), &methods, false);
        for side in ["from", "to"] {
            let bank = choice(
                errors,
                input,
                &f(&format!("{side}_bank")),
                &bank_codes,
                false,
            );
            if let Some(acc) = text(errors, input, &f(&format!("{side}_account")), 40, false) {
                match identifiers::bank_account(bank.as_deref().unwrap_or(""), &acc) {
                    Some(v) if side == "to" => {
                        ids.push((IdKind::BankAccount, v, "suspect", row_amount))
                    }
                    Some(_) => {}
                    None => errors.add(f(&format!("{side}_account")), k("account-invalid")),
                }
            }
        }
        text(errors, input, &f("to_holder"), 100, false);
        text(errors, input, &f("reference"), 100, false);
    }
    // Suspect identifiers.
    let kinds: Vec<&str> = identifiers::PUBLIC_KINDS.iter().map(|k| k.code()).collect();
    for i in 0..input.rows("id", 0) {
        let f = |name: &str| row_name("id", i, name);
        let Some(value) = text(errors, input, &f("value"), 300, false) else {
            continue;
        };
        let Some(kind) =
            choice(errors, input, &f("kind"), &kinds, true).and_then(|c| c.parse::<IdKind>().ok())
        else {
            continue;
        };
        let mut qualifier = text(errors, input, &f("qualifier"), 40, false).unwrap_or_default();
        // The bank as people write it: code, short or full name, former name,
        // with or without diacritics.
        if kind == IdKind::BankAccount && !qualifier.is_empty() {
            match resolve_bank(banks, &qualifier) {
                Some(b) => qualifier = b.code.clone(),
                None => errors.add(f("qualifier"), k("identifier-unknown-bank")),
            }
        }
        match identifiers::normalise(kind, &value, &qualifier) {
            Some(v) => ids.push((kind, v, "suspect", 0)),
            None => errors.add(f("value"), k("identifier-invalid")),
        }
    }

    match kind {
        SubmissionKind::Crime => {}
        SubmissionKind::Incident => {
            text(errors, input, "org_name", 300, true);
            text(errors, input, "operating_unit", 300, false);
            text(errors, input, "owner_agency", 300, false);
            text(errors, input, "affected_system", 300, true);
            choice(
                errors,
                input,
                "security_level",
                &["1", "2", "3", "4", "5"],
                false,
            );
            past_time(errors, input, "detected_at", tz, now);
            text(errors, input, "detection_method", 300, false);
            choice(
                errors,
                input,
                "incident_state",
                &["handled", "not_handled"],
                false,
            );
            text(errors, input, "notified", 500, false);
            text(errors, input, "ips_domains", 2000, false);
            text(errors, input, "os_services", 1000, false);
            text(errors, input, "measures", 2000, false);
            text(errors, input, "support_requested", 2000, false);
        }
        SubmissionKind::Breach => {
            text(errors, input, "controller", 300, true);
            text(errors, input, "data_types", 1000, true);
            if let Some(n) = text(errors, input, "subjects_count", 12, false) {
                if n.parse::<u64>().is_err() {
                    errors.add("subjects_count", k("field-invalid-number"));
                }
            }
            past_time(errors, input, "discovered_at", tz, now);
            text(errors, input, "measures", 2000, false);
        }
    }
    if !input.checked("consent") {
        errors.add("consent", k("report-consent-required"));
    }
    if !input.checked("false_report_ack") {
        errors.add("false_report_ack", k("report-ack-required"));
    }
    // The form as sent: the fields this form has (first value of each; rows
    // within the row limit), blank ones dropped, within a total budget.
    let mut payload = Map::new();
    let mut budget: usize = 200_000;
    for (key, value) in &input.pairs {
        let value = value.trim();
        if value.is_empty() || payload.contains_key(key) || !known_field(kind, key) {
            continue;
        }
        let value: String = value.chars().take(20000).collect();
        budget = budget.saturating_sub(value.len());
        if budget == 0 {
            errors.add("form", k("field-too-long"));
            break;
        }
        payload.insert(key.clone(), Value::String(value));
    }
    if let Some(p) = &phone {
        ids.push((IdKind::Phone, p.clone(), "victim", 0));
    }
    if !errors.is_empty() {
        return None;
    }
    Some(Valid {
        new: NewSubmission {
            tracking_code: random_code(CODE_LEN),
            kind,
            lang: lang.code().into(),
            received_at: now,
            anonymous,
            confidential: input.checked("confidential"),
            reporter_name: name,
            contact_phone: phone,
            contact_email: email,
            secret_hash: None,
            category_id,
            summary,
            narrative,
            occurred_at,
            total_loss,
            payload: Value::Object(payload),
            ip: None,
            send_key: None,
            // Routed to a unit when received.
            unit_id: 0,
        },
        identifiers: ids,
    })
}
