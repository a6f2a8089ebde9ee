//! The case form as typed: its fields and money rows, read from a post or
//! from a case, and re-rendered as they were when invalid.

use std::collections::HashMap;

use chrono_tz::Tz;

use crate::domain::form::row_field;
use crate::domain::value::local_input;
use crate::models::case::{Case, Transaction};

/// Blank money rows offered under the filled ones.
pub const BLANK_TX_ROWS: usize = 2;

pub const MAX_TX_ROWS: usize = 50;

/// What the case form sent, as typed (re-rendered as is when invalid).
#[derive(Clone, Debug, Default)]
pub struct CaseForm {
    pub fields: HashMap<String, String>,
    pub txs: Vec<TxRow>,
}

/// One money row as typed.
#[derive(Clone, Debug, Default)]
pub struct TxRow {
    pub time: String,
    pub amount: String,
    pub method: String,
    pub from_bank: String,
    pub from_account: String,
    pub to_bank: String,
    pub to_account: String,
    pub to_holder: String,
    pub reference: String,
}

impl TxRow {
    pub(super) fn is_blank(&self) -> bool {
        [
            &self.time,
            &self.amount,
            &self.from_bank,
            &self.from_account,
            &self.to_bank,
            &self.to_account,
            &self.to_holder,
            &self.reference,
        ]
        .iter()
        .all(|v| v.trim().is_empty())
    }

    fn set(&mut self, name: &str, value: String) {
        match name {
            "time" => self.time = value,
            "amount" => self.amount = value,
            "method" => self.method = value,
            "from_bank" => self.from_bank = value,
            "from_account" => self.from_account = value,
            "to_bank" => self.to_bank = value,
            "to_account" => self.to_account = value,
            "to_holder" => self.to_holder = value,
            "reference" => self.reference = value,
            _ => {}
        }
    }
}

impl CaseForm {
    /// Reads `name=value` pairs; money rows come as `tx-<n>-<field>`.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> CaseForm {
        let mut form = CaseForm::default();
        let mut rows: std::collections::BTreeMap<usize, TxRow> = Default::default();
        for (key, value) in pairs {
            if key.starts_with("tx-") {
                if let Some((n, field)) =
                    row_field(&key, "tx").filter(|(n, _)| *n < MAX_TX_ROWS * 2)
                {
                    rows.entry(n).or_default().set(field, value);
                }
            } else if key != "csrf_token" {
                form.fields.insert(key, value);
            }
        }
        form.txs = rows.into_values().collect();
        form
    }

    /// The edit form of an existing case.
    pub fn from_case(c: &Case, txs: &[Transaction], tz: Tz) -> CaseForm {
        let mut f = HashMap::new();
        let mut put = |k: &str, v: String| {
            f.insert(k.to_owned(), v);
        };
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        put("case_type", c.case_type.code().into());
        put("channel", c.channel.code().into());
        put(
            "category_id",
            c.category_id.map(|v| v.to_string()).unwrap_or_default(),
        );
        put(
            "subcategory_id",
            c.subcategory_id.map(|v| v.to_string()).unwrap_or_default(),
        );
        put("title", c.title.clone());
        put("description", c.description.clone());
        put("severity", c.severity.code().into());
        put("tlp", c.tlp.code().into());
        put(
            "confidential_reporter",
            if c.confidential_reporter {
                "on".into()
            } else {
                String::new()
            },
        );
        put("team", opt(&c.team));
        put("received_at", local_input(&c.received_at, tz));
        put(
            "occurred_at",
            c.occurred_at
                .map(|d| local_input(&d, tz))
                .unwrap_or_default(),
        );
        put(
            "detected_at",
            c.detected_at
                .map(|d| local_input(&d, tz))
                .unwrap_or_default(),
        );
        put("reporter_kind", c.reporter_kind.code().into());
        put("reporter_name", opt(&c.reporter_name));
        put("reporter_tax_code", opt(&c.reporter_tax_code));
        put("reporter_phone", opt(&c.reporter_phone));
        put("reporter_email", opt(&c.reporter_email));
        put("reporter_address", opt(&c.reporter_address));
        put("reporter_national_id", opt(&c.reporter_national_id));
        put(
            "reporter_is_victim",
            if c.reporter_is_victim {
                "on".into()
            } else {
                String::new()
            },
        );
        put("victims", opt(&c.victims));
        put("affected_system", opt(&c.affected_system));
        put(
            "system_security_level",
            c.system_security_level
                .map(|v| v.to_string())
                .unwrap_or_default(),
        );
        put("operating_unit", opt(&c.operating_unit));
        put("owner_agency", opt(&c.owner_agency));
        put("detection_method", opt(&c.detection_method));
        put(
            "incident_state",
            c.incident_state
                .map(|s| s.code().to_owned())
                .unwrap_or_default(),
        );
        put("ips_domains", opt(&c.ips_domains));
        put("version", c.version.to_string());
        let txs = txs
            .iter()
            .map(|t| TxRow {
                time: t
                    .occurred_at
                    .map(|d| local_input(&d, tz))
                    .unwrap_or_default(),
                amount: t.amount.to_string(),
                method: t.method.code().into(),
                from_bank: opt(&t.from_bank),
                from_account: opt(&t.from_account),
                to_bank: opt(&t.to_bank),
                to_account: opt(&t.to_account),
                to_holder: opt(&t.to_holder),
                reference: opt(&t.reference),
            })
            .collect();
        CaseForm { fields: f, txs }
    }

    pub fn get(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn checked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }

    /// The filled rows plus blank ones to type into (`extra` more when asked).
    pub fn rows_for_display(&self, extra: usize) -> Vec<TxRow> {
        let mut rows: Vec<TxRow> = self.txs.iter().filter(|r| !r.is_blank()).cloned().collect();
        let blanks = (BLANK_TX_ROWS + extra).min(MAX_TX_ROWS.saturating_sub(rows.len()));
        rows.extend(std::iter::repeat_n(TxRow::default(), blanks));
        rows
    }
}
