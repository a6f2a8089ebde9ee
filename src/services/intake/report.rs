//! A submission's form, as stored, read back as the report the citizen
//! wrote: sections with labels in the officer's language, codes by name,
//! times in the unit's zone, money and identifiers as tables. Nothing stored
//! is dropped: a field this reading does not know is listed under "other".

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use crate::domain::form::{row_field, MAX_ROWS};
use crate::domain::ident::extract::{resolve_bank, Bank};
use crate::domain::ident::normalise::IdKind;
use crate::domain::submission::FIRST_CONTACT;
use crate::domain::value::{fmt_vnd, parse_amount, parse_local};
use crate::i18n::Lang;
use crate::models::case::PayMethod;
use crate::models::category::Category;
use crate::models::submission::SubmissionKind;

/// One value as it is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// Free text, shown line by line.
    Text(String),
    /// A catalogue key (a choice's label, yes/no).
    Label(&'static str),
    /// A catalogue key built from a stored code, known to be one of the
    /// form's choices.
    Code(String),
    Time(DateTime<Utc>),
}

#[derive(Debug, Clone)]
pub struct Field {
    /// Catalogue key of the label.
    pub label: &'static str,
    pub value: Shown,
}

#[derive(Debug, Clone)]
pub struct Section {
    pub title: &'static str,
    pub fields: Vec<Field>,
}

/// One money transfer, each cell as the officer reads it.
#[derive(Debug, Clone, Default)]
pub struct TxRow {
    pub n: usize,
    pub time: Option<Shown>,
    pub amount: String,
    pub method: Option<Shown>,
    pub from: String,
    pub to: String,
    pub to_holder: String,
    pub reference: String,
}

#[derive(Debug, Clone)]
pub struct IdRow {
    pub kind: Shown,
    pub value: String,
    pub qualifier: String,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The reporter, the system or breach (by kind), what happened.
    pub sections: Vec<Section>,
    pub money: Vec<TxRow>,
    /// The total of the amounts that read as amounts.
    pub money_total: String,
    pub identifiers: Vec<IdRow>,
    pub declarations: Vec<Field>,
    /// Stored fields this reading does not place (raw key, value).
    pub other: Vec<(String, String)>,
}

/// What the reading needs besides the stored form.
pub struct Lookups<'a> {
    pub banks: &'a [Bank],
    pub categories: &'a [Category],
    /// (code, Vietnamese name, English name) of the provinces.
    pub provinces: &'a [(String, String, String)],
    pub lang: Lang,
    pub tz: Tz,
}

const WHO: &[(&str, &str)] = &[
    ("on_behalf", "sub-f-on_behalf"),
    ("reporter_kind", "sub-f-reporter_kind"),
    ("anonymous", "sub-f-anonymous"),
    ("reporter_name", "sub-f-reporter_name"),
    ("reporter_phone", "sub-f-reporter_phone"),
    ("reporter_email", "sub-f-reporter_email"),
    ("reporter_address", "sub-f-reporter_address"),
    ("reporter_national_id", "sub-f-reporter_national_id"),
    ("reporter_tax_code", "sub-f-reporter_tax_code"),
    ("victim_name", "sub-f-victim_name"),
    ("province", "report-province"),
    ("ward", "report-ward"),
    ("confidential", "sub-f-confidential"),
];

const SYSTEM: &[(&str, &str)] = &[
    ("org_name", "report-f-org_name"),
    ("operating_unit", "report-f-operating_unit"),
    ("owner_agency", "report-f-owner_agency"),
    ("affected_system", "report-f-affected_system"),
    ("security_level", "report-f-security_level"),
    ("detected_at", "report-f-detected_at"),
    ("detection_method", "report-f-detection_method"),
    ("incident_state", "report-f-incident_state"),
    ("notified", "report-f-notified"),
    ("ips_domains", "report-f-ips_domains"),
    ("os_services", "report-f-os_services"),
    ("measures", "report-f-measures"),
    ("support_requested", "report-f-support_requested"),
];

const BREACH: &[(&str, &str)] = &[
    ("controller", "report-f-controller"),
    ("data_types", "report-f-data_types"),
    ("subjects_count", "report-f-subjects_count"),
    ("discovered_at", "report-f-discovered_at"),
    ("measures", "report-f-measures"),
];

const WHAT: &[(&str, &str)] = &[
    ("category_id", "sub-f-category_id"),
    ("occurred_at", "sub-f-occurred_at"),
    ("first_contact", "sub-f-first_contact"),
    ("summary", "sub-f-summary"),
    ("narrative", "sub-f-narrative"),
];

const DECLARE: &[(&str, &str)] = &[
    ("consent", "sub-f-consent"),
    ("false_report_ack", "sub-f-false_report_ack"),
];

/// Reads the stored form of a submission of `kind`.
pub fn read(payload: &Value, kind: SubmissionKind, l: &Lookups) -> Report {
    let mut left: BTreeMap<&str, &str> = payload
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    let mut report = Report::default();
    let by_kind = match kind {
        SubmissionKind::Crime => None,
        SubmissionKind::Incident => Some(("report-section-system", SYSTEM)),
        SubmissionKind::Breach => Some(("report-section-breach", BREACH)),
    };
    for (title, names) in [
        Some(("sub-section-who", WHO)),
        by_kind,
        Some(("report-section-what", WHAT)),
    ]
    .into_iter()
    .flatten()
    {
        let fields = take_fields(&mut left, names, l);
        if !fields.is_empty() {
            report.sections.push(Section { title, fields });
        }
    }
    report.declarations = take_fields(&mut left, DECLARE, l);
    let (money, total) = money_rows(&mut left, l);
    report.money = money;
    report.money_total = if report.money.is_empty() {
        String::new()
    } else {
        fmt_vnd(total)
    };
    report.identifiers = id_rows(&mut left, l);
    report.other = left
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    report
}

fn take_fields(
    left: &mut BTreeMap<&str, &str>,
    names: &[(&'static str, &'static str)],
    l: &Lookups,
) -> Vec<Field> {
    names
        .iter()
        .filter_map(|(name, label)| {
            let raw = left.remove(name)?;
            Some(Field {
                label,
                value: shown(name, raw, l),
            })
        })
        .collect()
}

/// A single field's value: choices by label, times in the unit's zone.
fn shown(name: &str, raw: &str, l: &Lookups) -> Shown {
    let code = |prefix: &str, allowed: &[&str]| {
        if allowed.contains(&raw) {
            Shown::Code(format!("{prefix}{raw}"))
        } else {
            Shown::Text(raw.to_owned())
        }
    };
    match name {
        "anonymous" | "confidential" | "consent" | "false_report_ack" => {
            Shown::Label(if raw.is_empty() { "no" } else { "yes" })
        }
        "on_behalf" => code("report-on-behalf-", &["self", "other"]),
        "reporter_kind" => code("reporter-kind-", &["individual", "organisation"]),
        "incident_state" => code("incident-state-", &["handled", "not_handled"]),
        "first_contact" => code("contact-", FIRST_CONTACT),
        "category_id" => raw
            .parse::<i32>()
            .ok()
            .and_then(|id| l.categories.iter().find(|c| c.id == id))
            .map_or_else(
                || Shown::Text(raw.to_owned()),
                |c| Shown::Text(c.name(&l.lang).to_owned()),
            ),
        "occurred_at" | "detected_at" | "discovered_at" => time(raw, l.tz),
        "province" => l
            .provinces
            .iter()
            .find(|(code, _, _)| code == raw)
            .map_or_else(
                || Shown::Text(raw.to_owned()),
                |(_, vi, en)| Shown::Text(if l.lang == Lang::En { en } else { vi }.clone()),
            ),
        _ => Shown::Text(raw.to_owned()),
    }
}

fn time(raw: &str, tz: Tz) -> Shown {
    parse_local(raw, tz).map_or_else(|| Shown::Text(raw.to_owned()), Shown::Time)
}

/// "Vietcombank (VCB)" for a code or name the bank table knows; else as typed.
fn bank_name(banks: &[Bank], written: &str) -> String {
    match resolve_bank(banks, written) {
        Some(b) if b.short_name() != b.code => format!("{} ({})", b.short_name(), b.code),
        Some(b) => b.code.clone(),
        None => written.to_owned(),
    }
}

/// Takes the rows `<prefix>-<n>-<field>` out of `left`, by row number.
fn take_rows<'a>(
    left: &mut BTreeMap<&'a str, &'a str>,
    prefix: &str,
) -> BTreeMap<usize, BTreeMap<&'a str, &'a str>> {
    let mut rows: BTreeMap<usize, BTreeMap<&str, &str>> = BTreeMap::new();
    let keys: Vec<&str> = left.keys().copied().collect();
    for key in keys {
        if let Some((n, field)) = row_field(key, prefix).filter(|(n, _)| *n < MAX_ROWS) {
            if let Some(v) = left.remove(key) {
                rows.entry(n).or_default().insert(field, v);
            }
        }
    }
    rows
}

fn money_rows<'a>(left: &mut BTreeMap<&'a str, &'a str>, l: &Lookups) -> (Vec<TxRow>, i64) {
    let mut total: i64 = 0;
    let rows = take_rows(left, "tx")
        .into_values()
        .enumerate()
        .map(|(i, r)| {
            let get = |f: &str| r.get(f).copied().unwrap_or("");
            let amount = match parse_amount(get("amount")) {
                Some(a) => {
                    total = total.saturating_add(a);
                    fmt_vnd(a)
                }
                None => get("amount").to_owned(),
            };
            let side = |bank: &str, account: &str| {
                let bank = get(bank);
                let bank = if bank.is_empty() {
                    String::new()
                } else {
                    bank_name(l.banks, bank)
                };
                [bank.as_str(), get(account)]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" · ")
            };
            TxRow {
                n: i + 1,
                time: Some(get("time"))
                    .filter(|t| !t.is_empty())
                    .map(|t| time(t, l.tz)),
                amount,
                method: Some(get("method")).filter(|m| !m.is_empty()).map(|m| {
                    match m.parse::<PayMethod>() {
                        Ok(pm) => Shown::Label(pm.label_key()),
                        Err(()) => Shown::Text(m.to_owned()),
                    }
                }),
                from: side("from_bank", "from_account"),
                to: side("to_bank", "to_account"),
                to_holder: get("to_holder").to_owned(),
                reference: get("reference").to_owned(),
            }
        })
        .collect();
    (rows, total)
}

fn id_rows<'a>(left: &mut BTreeMap<&'a str, &'a str>, l: &Lookups) -> Vec<IdRow> {
    take_rows(left, "id")
        .into_values()
        .filter(|r| r.get("value").is_some_and(|v| !v.is_empty()))
        .map(|r| {
            let get = |f: &str| r.get(f).copied().unwrap_or("");
            let kind = get("kind").parse::<IdKind>();
            let qualifier = match kind {
                Ok(IdKind::BankAccount) if !get("qualifier").is_empty() => {
                    bank_name(l.banks, get("qualifier"))
                }
                _ => get("qualifier").to_owned(),
            };
            IdRow {
                kind: match kind {
                    Ok(k) => Shown::Label(k.label_key()),
                    Err(()) => Shown::Text(get("kind").to_owned()),
                },
                value: get("value").to_owned(),
                qualifier,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lookups<'a>(banks: &'a [Bank], categories: &'a [Category]) -> Lookups<'a> {
        Lookups {
            banks,
            categories,
            provinces: &[],
            lang: Lang::Vi,
            tz: chrono_tz::Asia::Ho_Chi_Minh,
        }
    }

    fn vcb() -> Vec<Bank> {
        vec![Bank {
            code: "VCB".into(),
            names: vec![
                "VCB".into(),
                "970436".into(),
                "Vietcombank".into(),
                "Ngân hàng TMCP Ngoại thương Việt Nam".into(),
            ],
        }]
    }

    #[test]
    fn reads_a_crime_report_as_sections_and_tables() {
        let banks = vcb();
        let cats = vec![Category {
            id: 7,
            code: "fraud_jobs".into(),
            parent_id: None,
            name_vi: "Lừa đảo việc làm".into(),
            name_en: "Job scam".into(),
            active: true,
            sort: 0,
        }];
        let payload = json!({
            "reporter_name": "Nguyễn Văn A",
            "reporter_phone": "0903 123 456",
            "anonymous": "",
            "consent": "1",
            "false_report_ack": "1",
            "category_id": "7",
            "occurred_at": "2026-11-30T14:05",
            "first_contact": "zalo",
            "summary": "Bị lừa làm nhiệm vụ",
            "narrative": "Một người nhắn tin qua Zalo...",
            "tx-0-amount": "5.000.000",
            "tx-0-to_bank": "VCB",
            "tx-0-to_account": "0123456789",
            "tx-0-method": "bank_transfer",
            "tx-1-amount": "2000000",
            "id-0-kind": "bank_account",
            "id-0-value": "0123456789",
            "id-0-qualifier": "vietcombank",
            "website": "http://spam",
        });
        let r = read(&payload, SubmissionKind::Crime, &lookups(&banks, &cats));
        let titles: Vec<_> = r.sections.iter().map(|s| s.title).collect();
        assert_eq!(titles, ["sub-section-who", "report-section-what"]);
        let what = &r.sections[1].fields;
        assert_eq!(what[0].value, Shown::Text("Lừa đảo việc làm".into()));
        // 14:05 in Hồ Chí Minh is 07:05 UTC.
        assert_eq!(
            what[1].value,
            Shown::Time("2026-11-30T07:05:00Z".parse().unwrap())
        );
        assert_eq!(what[2].value, Shown::Code("contact-zalo".into()));
        assert_eq!(r.money.len(), 2);
        assert_eq!(r.money[0].to, "Vietcombank (VCB) · 0123456789");
        assert_eq!(
            r.money[0].method,
            Some(Shown::Label("method-bank_transfer"))
        );
        assert_eq!(r.money_total, fmt_vnd(7_000_000));
        assert_eq!(r.identifiers.len(), 1);
        assert_eq!(r.identifiers[0].qualifier, "Vietcombank (VCB)");
        assert_eq!(r.identifiers[0].kind, Shown::Label("id-kind-bank_account"));
        assert_eq!(r.declarations.len(), 2);
        assert_eq!(r.declarations[0].value, Shown::Label("yes"));
        // A stored key the reading does not know is kept, not dropped.
        assert_eq!(r.other, vec![("website".into(), "http://spam".into())]);
    }

    #[test]
    fn unknown_codes_and_bad_times_read_as_typed() {
        let payload = json!({
            "first_contact": "carrier pigeon",
            "occurred_at": "yesterday",
            "category_id": "999",
            "detected_at": "2026-01-01T00:00",
        });
        let r = read(&payload, SubmissionKind::Crime, &lookups(&[], &[]));
        let what = &r.sections[0].fields;
        assert_eq!(what[0].value, Shown::Text("999".into()));
        assert_eq!(what[1].value, Shown::Text("yesterday".into()));
        assert_eq!(what[2].value, Shown::Text("carrier pigeon".into()));
        // An incident field in a crime report: not placed, but kept.
        assert_eq!(r.other.len(), 1);
        assert!(r.money_total.is_empty());
    }
}
