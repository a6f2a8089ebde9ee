//! Case management: intake, edits with field history, workflow moves, assignment,
//! notes, deadlines, links, merges, watchers, lists and search. Every change runs in
//! one transaction with its timeline entries and audit row.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use diesel::{Connection, PgConnection};
use serde_json::json;

use crate::auth::{
    policy::{self, Action},
    CurrentUser, RequestMeta,
};
use crate::cache::Caches;
use crate::config::Config;
use crate::domain::form::{row_field, row_name, FormErrors};
use crate::domain::value::{fmt_vnd, local_input, looks_like_email, parse_amount, parse_local};
use crate::domain::workflow::{self, Needs};
use crate::error::AppError;
use crate::i18n::{k, MsgKey};
use crate::models::{
    case::{
        self, Case, CaseFields, CaseState, CaseType, Channel, IncidentState, NewCaseMeta, Outcome,
        PayMethod, ReporterKind, Severity, Status, Tlp, Transaction,
    },
    case_event::{self, EventKind, NewEvent},
    category::{self, Category},
    deadline::{self, ClockKind, StartsFrom},
    user,
};
use crate::services::access::{load_visible, load_visible_with_watchers};
use crate::services::identifiers;
use crate::services::journal::{audit_row, event};
use crate::services::{deadlines, notify};

/// Blank money rows offered under the filled ones.
pub const BLANK_TX_ROWS: usize = 2;
pub const MAX_TX_ROWS: usize = 50;
/// Largest amount of one transaction, in đồng (a sanity bound, 1 000 tỷ).
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

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
    fn is_blank(&self) -> bool {
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
fn total(txs: &[Transaction]) -> i64 {
    txs.iter().map(|t| t.amount).sum()
}

/// Text search picks up account numbers, transaction references and phone digits.
fn search_extra(fields: &CaseFields, txs: &[Transaction]) -> String {
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

/// Starts the clocks whose start event has happened (`received`/`occurred` at
/// intake, `resolved` at resolution).
fn start_clocks(
    conn: &mut PgConnection,
    c: &Case,
    trigger: &[StartsFrom],
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    for rule in deadline::active_rules_for(conn, c.case_type)? {
        if !trigger.contains(&rule.starts_from) {
            continue;
        }
        let start = match rule.starts_from {
            StartsFrom::Received => c.received_at,
            StartsFrom::Occurred => c.occurred_at.unwrap_or(c.received_at),
            StartsFrom::Resolved => now,
        };
        deadline::start(
            conn,
            c.id,
            rule.kind,
            start,
            deadlines::due(start, rule.amount, rule.unit, tz),
        )?;
    }
    Ok(())
}

/// Logs a phone, walk-in, letter or e-mail report as a new case: reference number,
/// fields, money rows, clocks, timeline and audit, all in one transaction.
pub fn create(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    cfg: &Config,
    form: &CaseForm,
) -> Result<Case, AppError> {
    policy::require(me, Action::WorkCases)?;
    let categories = category::all(conn)?;
    let now = Utc::now();
    let mut v = validate(form, &categories, cfg.time_zone, now).map_err(AppError::Form)?;
    if v.fields.team.is_none() {
        v.fields.team = me.team.clone();
    }
    conn.transaction(|conn| {
        let year = now.with_timezone(&cfg.time_zone).year();
        let seq = case::next_seq(conn, v.case_type, year)?;
        let reference = format!(
            "{}-{}-{year}-{seq:05}",
            cfg.ref_prefix,
            v.case_type.ref_code()
        );
        let meta_row = NewCaseMeta {
            ref_: &reference,
            case_type: v.case_type,
            ref_year: year,
            ref_seq: seq,
            channel: v.channel,
            unit_name: &cfg.unit_name,
            created_by: me.id,
            updated_by: me.id,
            total_loss: total(&v.txs),
            search_extra: &search_extra(&v.fields, &v.txs),
        };
        let c = case::insert(conn, &meta_row, &v.fields)?;
        case::replace_transactions(conn, c.id, &v.txs)?;
        identifiers::sync_case(
            conn,
            &case_report(c.id, &v.fields),
            &v.txs,
            v.fields.reporter_phone.as_deref(),
            me.id,
        )?;
        start_clocks(
            conn,
            &c,
            &[StartsFrom::Received, StartsFrom::Occurred],
            cfg.time_zone,
            now,
        )?;
        crate::services::deadlines::refresh_deadline(conn, c.id)?;
        case_event::insert(
            conn,
            &[NewEvent {
                data: Some(json!({ "channel": c.channel.code() })),
                ..event(&c, me, EventKind::Created)
            }],
        )?;
        audit_row(
            conn,
            me,
            meta,
            "case_create",
            &c,
            json!({ "type": c.case_type.code() }),
        )?;
        Ok(case::find(conn, c.id)?)
    })
}

/// The case as a report, for linking its identifiers.
fn case_report(case_id: i64, f: &CaseFields) -> identifiers::Report {
    identifiers::Report {
        submission_id: None,
        case_id: Some(case_id),
        reported_at: f.received_at,
        reporter_key: identifiers::reporter_key(
            f.reporter_phone.as_deref(),
            f.reporter_email.as_deref(),
        ),
    }
}

/// (field, value as shown) of the fields the edit form changes, for the history.
fn field_values(f: &CaseFields, tz: Tz) -> Vec<(&'static str, String)> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let d = |v: &Option<DateTime<Utc>>| {
        v.map(|d| crate::i18n::fmt_datetime(&d, tz))
            .unwrap_or_default()
    };
    vec![
        (
            "category_id",
            f.category_id.map(|v| v.to_string()).unwrap_or_default(),
        ),
        (
            "subcategory_id",
            f.subcategory_id.map(|v| v.to_string()).unwrap_or_default(),
        ),
        ("title", f.title.clone()),
        ("description", f.description.clone()),
        ("severity", f.severity.code().into()),
        ("tlp", f.tlp.code().into()),
        ("confidential_reporter", f.confidential_reporter.to_string()),
        ("team", o(&f.team)),
        ("received_at", crate::i18n::fmt_datetime(&f.received_at, tz)),
        ("occurred_at", d(&f.occurred_at)),
        ("detected_at", d(&f.detected_at)),
        ("reporter_kind", f.reporter_kind.code().into()),
        ("reporter_name", o(&f.reporter_name)),
        ("reporter_tax_code", o(&f.reporter_tax_code)),
        ("reporter_phone", o(&f.reporter_phone)),
        ("reporter_email", o(&f.reporter_email)),
        ("reporter_address", o(&f.reporter_address)),
        ("reporter_national_id", o(&f.reporter_national_id)),
        ("reporter_is_victim", f.reporter_is_victim.to_string()),
        ("victims", o(&f.victims)),
        ("affected_system", o(&f.affected_system)),
        (
            "system_security_level",
            f.system_security_level
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ),
        ("operating_unit", o(&f.operating_unit)),
        ("owner_agency", o(&f.owner_agency)),
        ("detection_method", o(&f.detection_method)),
        (
            "incident_state",
            f.incident_state
                .map(|s| s.code().to_owned())
                .unwrap_or_default(),
        ),
        ("ips_domains", o(&f.ips_domains)),
    ]
}

fn fields_of(c: &Case) -> CaseFields {
    CaseFields {
        category_id: c.category_id,
        subcategory_id: c.subcategory_id,
        title: c.title.clone(),
        description: c.description.clone(),
        severity: c.severity,
        tlp: c.tlp,
        confidential_reporter: c.confidential_reporter,
        team: c.team.clone(),
        received_at: c.received_at,
        occurred_at: c.occurred_at,
        detected_at: c.detected_at,
        reporter_kind: c.reporter_kind,
        reporter_name: c.reporter_name.clone(),
        reporter_tax_code: c.reporter_tax_code.clone(),
        reporter_phone: c.reporter_phone.clone(),
        reporter_email: c.reporter_email.clone(),
        reporter_address: c.reporter_address.clone(),
        reporter_national_id: c.reporter_national_id.clone(),
        reporter_is_victim: c.reporter_is_victim,
        victims: c.victims.clone(),
        affected_system: c.affected_system.clone(),
        system_security_level: c.system_security_level,
        operating_unit: c.operating_unit.clone(),
        owner_agency: c.owner_agency.clone(),
        detection_method: c.detection_method.clone(),
        incident_state: c.incident_state,
        ips_domains: c.ips_domains.clone(),
    }
}

/// Saves an edit if nobody saved since the form was loaded (`version`), recording
/// each changed field with its old and new value.
pub fn update(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    cfg: &Config,
    reference: &str,
    form: &CaseForm,
) -> Result<Case, AppError> {
    let categories = category::all(conn)?;
    let now = Utc::now();
    conn.transaction(|conn| {
        let (c, watching) = load_visible(conn, me, reference, true)?;
        if !policy::can_work_case(me, &c, watching) || c.status == Status::Merged {
            return Err(AppError::Forbidden);
        }
        let mut with_fixed = form.clone();
        // Type and channel are fixed at intake (the reference carries the type).
        with_fixed
            .fields
            .insert("case_type".into(), c.case_type.code().into());
        with_fixed
            .fields
            .insert("channel".into(), c.channel.code().into());
        let v = validate(&with_fixed, &categories, cfg.time_zone, now).map_err(AppError::Form)?;
        if form.get("version").trim().parse::<i32>().ok() != Some(c.version) {
            let mut e = FormErrors::default();
            e.add("version", k("case-conflict"));
            return Err(AppError::Form(e));
        }
        let before = field_values(&fields_of(&c), cfg.time_zone);
        let after = field_values(&v.fields, cfg.time_zone);
        let mut events: Vec<NewEvent> = before
            .iter()
            .zip(after.iter())
            .filter(|(b, a)| b.1 != a.1)
            .map(|(b, a)| {
                // SECURITY: the reporter's personal data is shown only on a logged
                // request, so its history records that it changed, not the values.
                let personal = b.0.starts_with("reporter_")
                    && b.0 != "reporter_kind"
                    && b.0 != "reporter_is_victim";
                let shown = |v: &String| if personal { String::new() } else { v.clone() };
                NewEvent {
                    field: Some(b.0.into()),
                    old_value: Some(shown(&b.1)),
                    new_value: Some(shown(&a.1)),
                    ..event(&c, me, EventKind::Field)
                }
            })
            .collect();
        let old_txs = case::transactions(conn, c.id)?;
        let txs_changed = old_txs != v.txs;
        identifiers::sync_case(
            conn,
            &case_report(c.id, &v.fields),
            &v.txs,
            v.fields.reporter_phone.as_deref(),
            me.id,
        )?;
        if txs_changed {
            case::replace_transactions(conn, c.id, &v.txs)?;
            events.push(NewEvent {
                field: Some("transactions".into()),
                old_value: Some(fmt_vnd(total(&old_txs))),
                new_value: Some(fmt_vnd(total(&v.txs))),
                ..event(&c, me, EventKind::Field)
            });
        }
        if events.is_empty() {
            return Ok(c);
        }
        let updated = case::update_fields(
            conn,
            c.id,
            &v.fields,
            total(&v.txs),
            &search_extra(&v.fields, &v.txs),
            me.id,
        )?;
        let changed: Vec<String> = events.iter().filter_map(|e| e.field.clone()).collect();
        case_event::insert(conn, &events)?;
        audit_row(
            conn,
            me,
            meta,
            "case_update",
            &updated,
            json!({ "changed": changed }),
        )?;
        Ok(updated)
    })
}

/// Clocks a decision (resolution or transfer) stops.
const DECIDED_CLOCKS: &[ClockKind] = &[
    ClockKind::Classify,
    ClockKind::Assign,
    ClockKind::Decide,
    ClockKind::Notify,
];

/// What a workflow move may carry.
#[derive(Clone, Debug, Default)]
pub struct MoveInput {
    pub reason: String,
    pub agency: String,
    pub outcome: String,
    pub summary: String,
}

fn invalid(key: MsgKey) -> AppError {
    AppError::Invalid(key)
}

/// Moves a case to `to` if the workflow table allows it for this user, with what
/// the move needs; stops and starts clocks accordingly.
pub fn transition(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    cfg: &Config,
    reference: &str,
    to: Status,
    input: &MoveInput,
) -> Result<Case, AppError> {
    let now = Utc::now();
    conn.transaction(|conn| {
        let (c, watching) = load_visible(conn, me, reference, true)?;
        let Some(mv) = workflow::find(c.status, to) else {
            return Err(invalid(k("move-not-allowed")));
        };
        if !policy::can_make(me, &c, mv, watching) {
            return Err(AppError::Forbidden);
        }
        let text = |v: &str, max: usize| -> Option<String> {
            let v = v.trim();
            (!v.is_empty()).then(|| v.chars().take(max).collect())
        };
        let mut state = CaseState {
            status: Some(to),
            ..Default::default()
        };
        let mut data = json!({});
        match mv.needs {
            Needs::Nothing => {}
            Needs::Reason => {
                let reason =
                    text(&input.reason, 2000).ok_or_else(|| invalid(k("move-needs-reason")))?;
                if to == Status::Suspended {
                    state.suspend_reason = Some(Some(reason.clone()));
                }
                data = json!({ "reason": reason });
            }
            Needs::Agency => {
                let agency =
                    text(&input.agency, 300).ok_or_else(|| invalid(k("move-needs-agency")))?;
                state.receiving_agency = Some(Some(agency.clone()));
                data = json!({ "agency": agency });
            }
            Needs::Resolution => {
                let outcome = input
                    .outcome
                    .parse::<Outcome>()
                    .map_err(|_| invalid(k("move-needs-outcome")))?;
                let summary =
                    text(&input.summary, 5000).ok_or_else(|| invalid(k("move-needs-summary")))?;
                state.outcome = Some(Some(outcome));
                state.resolution_summary = Some(Some(summary.clone()));
                data = json!({ "outcome": outcome.code(), "summary": summary });
            }
            Needs::Closing => {
                if c.case_type == CaseType::SecurityIncident
                    && !crate::models::exhibit::has_final_report(conn, c.id)?
                {
                    return Err(invalid(k("move-needs-final-report")));
                }
            }
        }
        let updated = case::update_state(conn, c.id, &state, me.id)?;
        match to {
            Status::Resolved => {
                deadline::meet(conn, c.id, DECIDED_CLOCKS, now)?;
                start_clocks(conn, &updated, &[StartsFrom::Resolved], cfg.time_zone, now)?;
            }
            Status::Transferred => {
                deadline::meet(conn, c.id, DECIDED_CLOCKS, now)?;
            }
            Status::Closed => {
                deadline::meet(conn, c.id, ClockKind::ALL, now)?;
            }
            _ => {
                if c.status == Status::New {
                    deadline::meet(conn, c.id, &[ClockKind::Classify], now)?;
                }
            }
        }
        crate::services::deadlines::refresh_deadline(conn, c.id)?;
        case_event::insert(
            conn,
            &[NewEvent {
                old_value: Some(c.status.code().into()),
                new_value: Some(to.code().into()),
                data: Some(data),
                ..event(&c, me, EventKind::Status)
            }],
        )?;
        audit_row(
            conn,
            me,
            meta,
            "case_status",
            &updated,
            json!({ "from": c.status.code(), "to": to.code() }),
        )?;
        let updated = case::find(conn, c.id)?;
        notify::case_status(conn, cfg, me, &updated, c.status)?;
        Ok(updated)
    })
}

/// Assigns (or reassigns) the case to an active officer or supervisor: supervisors
/// for any case; an officer only takes an unassigned case of their own team.
pub fn assign(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    cfg: &Config,
    reference: &str,
    assignee_id: i64,
) -> Result<Case, AppError> {
    let now = Utc::now();
    conn.transaction(|conn| {
        let (c, _) = load_visible(conn, me, reference, true)?;
        let supervising = policy::allows(me.role, Action::SuperviseCases);
        let taking = assignee_id == me.id && policy::can_take_case(me, &c);
        if !supervising && !taking {
            return Err(AppError::Forbidden);
        }
        if c.status.is_final() {
            return Err(invalid(k("assign-final")));
        }
        let target =
            user::find(conn, assignee_id).map_err(|_| invalid(k("assign-unknown-user")))?;
        if !target.active || !policy::allows(target.role, Action::WorkCases) {
            return Err(invalid(k("assign-unknown-user")));
        }
        if c.assignee_id == Some(assignee_id) {
            return Ok(c);
        }
        let mut state = CaseState {
            assignee_id: Some(Some(assignee_id)),
            ..Default::default()
        };
        if target.team.is_some() {
            state.team = Some(target.team.clone());
        }
        if matches!(c.status, Status::New | Status::Triaged) {
            state.status = Some(Status::Assigned);
        }
        let updated = case::update_state(conn, c.id, &state, me.id)?;
        deadline::meet(conn, c.id, &[ClockKind::Classify, ClockKind::Assign], now)?;
        crate::services::deadlines::refresh_deadline(conn, c.id)?;
        let previous = match c.assignee_id {
            Some(id) => Some(user::find(conn, id)?.full_name),
            None => None,
        };
        let mut events = vec![NewEvent {
            old_value: previous,
            new_value: Some(target.full_name.clone()),
            data: Some(json!({ "assignee_id": assignee_id, "taken": taking && !supervising })),
            ..event(&c, me, EventKind::Assignment)
        }];
        if state.status.is_some() {
            events.push(NewEvent {
                old_value: Some(c.status.code().into()),
                new_value: Some(Status::Assigned.code().into()),
                ..event(&c, me, EventKind::Status)
            });
        }
        case_event::insert(conn, &events)?;
        audit_row(
            conn,
            me,
            meta,
            "case_assign",
            &updated,
            json!({ "assignee_id": assignee_id, "previous": c.assignee_id }),
        )?;
        // Mails show the deadline as it is now that the clocks moved.
        let updated = case::find(conn, c.id)?;
        notify::case_assigned(conn, cfg, me, &updated, assignee_id, c.assignee_id)?;
        Ok(updated)
    })
}

/// Adds an internal note (plain text; line breaks are kept when shown).
pub fn add_note(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    cfg: &Config,
    reference: &str,
    body: &str,
) -> Result<Case, AppError> {
    let body = body.trim();
    if body.is_empty() {
        let mut e = FormErrors::default();
        e.add("body", k("field-required"));
        return Err(AppError::Form(e));
    }
    if body.chars().count() > 20000 {
        let mut e = FormErrors::default();
        e.add("body", k("field-too-long"));
        return Err(AppError::Form(e));
    }
    conn.transaction(|conn| {
        let (c, watching) = load_visible(conn, me, reference, true)?;
        // Notes are work on the case: the assignee, supervisors, or officers who may
        // work it while nobody is assigned; never on a merged duplicate.
        if !policy::can_work_case(me, &c, watching) || c.status == Status::Merged {
            return Err(AppError::Forbidden);
        }
        case_event::insert(
            conn,
            &[NewEvent {
                body: Some(body.to_owned()),
                ..event(&c, me, EventKind::Note)
            }],
        )?;
        let updated = case::update_state(conn, c.id, &CaseState::default(), me.id)?;
        audit_row(
            conn,
            me,
            meta,
            "case_note",
            &updated,
            json!({ "length": body.chars().count() }),
        )?;
        notify::case_note(conn, cfg, me, &updated)?;
        Ok(updated)
    })
}

/// What a reporter added from the tracking page, as a timeline entry of the
/// case their submission became part of.
pub fn record_reporter_addition(
    conn: &mut PgConnection,
    case_id: i64,
    body: &str,
    files: usize,
) -> Result<(), AppError> {
    case_event::insert(
        conn,
        &[NewEvent {
            case_id,
            actor_id: None,
            kind: Some(EventKind::Reporter),
            body: Some(body.chars().take(20000).collect()),
            data: Some(json!({ "files": files })),
            ..Default::default()
        }],
    )?;
    Ok(())
}

/// Extends an unmet clock (supervisors), with a reason and, for the second
/// crime-report extension, the procuracy's document number.
#[allow(clippy::too_many_arguments)]
pub fn extend(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    cfg: &Config,
    reference: &str,
    kind: &str,
    new_date: &str,
    reason: &str,
    doc_no: &str,
) -> Result<Case, AppError> {
    policy::require(me, Action::SuperviseCases)?;
    let kind: ClockKind = kind
        .parse()
        .map_err(|_| invalid(k("extend-unknown-clock")))?;
    let date = NaiveDate::parse_from_str(new_date.trim(), "%Y-%m-%d")
        .map_err(|_| invalid(k("date-invalid")))?;
    let new_due = deadlines::end_of_day(date, cfg.time_zone);
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(invalid(k("move-needs-reason")));
    }
    let doc_no = Some(doc_no.trim())
        .filter(|d| !d.is_empty())
        .map(|d| d.chars().take(100).collect::<String>());
    conn.transaction(|conn| {
        let (c, _) = load_visible(conn, me, reference, true)?;
        let clock = deadline::clocks(conn, c.id)?
            .into_iter()
            .find(|cl| cl.kind == kind && cl.met_at.is_none())
            .ok_or_else(|| invalid(k("extend-unknown-clock")))?;
        deadlines::check_extension(
            c.case_type == CaseType::CrimeReport,
            c.received_at,
            &clock,
            new_due,
            doc_no.as_deref(),
            cfg.time_zone,
        )
        .map_err(invalid)?;
        deadline::extend(conn, clock.id, new_due)?;
        crate::services::deadlines::refresh_deadline(conn, c.id)?;
        let updated = case::update_state(conn, c.id, &CaseState::default(), me.id)?;
        case_event::insert(
            conn,
            &[NewEvent {
                field: Some(kind.code().into()),
                old_value: Some(crate::i18n::fmt_datetime(&clock.due_at, cfg.time_zone)),
                new_value: Some(crate::i18n::fmt_datetime(&new_due, cfg.time_zone)),
                body: Some(reason.chars().take(2000).collect()),
                data: Some(json!({ "doc_no": doc_no, "extension": clock.extensions + 1 })),
                ..event(&c, me, EventKind::Deadline)
            }],
        )?;
        audit_row(
            conn,
            me,
            meta,
            "case_extend",
            &updated,
            json!({ "clock": kind.code(), "extension": clock.extensions + 1 }),
        )?;
        Ok(updated)
    })
}

/// Links two related cases (same suspect, same campaign) both ways.
pub fn link(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    reference: &str,
    other_ref: &str,
) -> Result<Case, AppError> {
    conn.transaction(|conn| {
        let (c, watching) = load_visible(conn, me, reference, true)?;
        if !policy::can_work_case(me, &c, watching) {
            return Err(AppError::Forbidden);
        }
        let (other, _) = load_visible(conn, me, other_ref.trim(), false)
            .map_err(|_| invalid(k("link-unknown-case")))?;
        let other_watching = case::is_watcher(conn, other.id, me.id)?;
        if !policy::can_work_case(me, &other, other_watching) {
            return Err(AppError::Forbidden);
        }
        if other.id == c.id {
            return Err(invalid(k("link-self")));
        }
        if case::link(conn, c.id, other.id, me.id)? {
            case_event::insert(
                conn,
                &[
                    NewEvent {
                        new_value: Some(other.ref_.clone()),
                        ..event(&c, me, EventKind::Link)
                    },
                    NewEvent {
                        new_value: Some(c.ref_.clone()),
                        ..event(&other, me, EventKind::Link)
                    },
                ],
            )?;
            audit_row(
                conn,
                me,
                meta,
                "case_link",
                &c,
                json!({ "other": other.ref_ }),
            )?;
        }
        Ok(c)
    })
}

/// Merges a duplicate into another case (supervisors): the duplicate becomes
/// `merged`, points at the survivor and keeps its history; both are linked.
pub fn merge(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    cfg: &Config,
    reference: &str,
    into_ref: &str,
) -> Result<Case, AppError> {
    policy::require(me, Action::SuperviseCases)?;
    let now = Utc::now();
    conn.transaction(|conn| {
        let (dup, _) = load_visible(conn, me, reference, true)?;
        let (survivor, _) = load_visible(conn, me, into_ref.trim(), true)
            .map_err(|_| invalid(k("link-unknown-case")))?;
        if dup.id == survivor.id {
            return Err(invalid(k("link-self")));
        }
        if dup.status == Status::Merged || survivor.status == Status::Merged {
            return Err(invalid(k("merge-already")));
        }
        let updated = case::update_state(
            conn,
            dup.id,
            &CaseState {
                status: Some(Status::Merged),
                merged_into_id: Some(Some(survivor.id)),
                ..Default::default()
            },
            me.id,
        )?;
        deadline::meet(conn, dup.id, ClockKind::ALL, now)?;
        crate::services::deadlines::refresh_deadline(conn, dup.id)?;
        case::link(conn, dup.id, survivor.id, me.id)?;
        case_event::insert(
            conn,
            &[
                NewEvent {
                    old_value: Some(dup.status.code().into()),
                    new_value: Some(survivor.ref_.clone()),
                    ..event(&dup, me, EventKind::Merge)
                },
                NewEvent {
                    new_value: Some(dup.ref_.clone()),
                    data: Some(json!({ "merged_from": dup.ref_ })),
                    ..event(&survivor, me, EventKind::Merge)
                },
            ],
        )?;
        audit_row(
            conn,
            me,
            meta,
            "case_merge",
            &updated,
            json!({ "into": survivor.ref_ }),
        )?;
        let updated = case::find(conn, dup.id)?;
        notify::case_status(conn, cfg, me, &updated, dup.status)?;
        Ok(updated)
    })
}

/// Adds or removes a watcher (co-worker). Supervisors and the assignee manage
/// watchers; anyone who may see a case may watch or unwatch it themselves.
pub fn set_watcher(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    reference: &str,
    user_id: i64,
    watch: bool,
) -> Result<Case, AppError> {
    conn.transaction(|conn| {
        let (c, watching) = load_visible(conn, me, reference, true)?;
        let manages =
            policy::allows(me.role, Action::SuperviseCases) || c.assignee_id == Some(me.id);
        if !(manages || (user_id == me.id && policy::allows(me.role, Action::WorkCases))) {
            return Err(AppError::Forbidden);
        }
        let target = user::find(conn, user_id).map_err(|_| invalid(k("assign-unknown-user")))?;
        if !target.active || !policy::allows(target.role, Action::WorkCases) {
            return Err(invalid(k("assign-unknown-user")));
        }
        let changed = if watch {
            case::add_watcher(conn, c.id, user_id, me.id)?
        } else {
            case::remove_watcher(conn, c.id, user_id)?
        };
        let _ = watching;
        if changed > 0 {
            case_event::insert(
                conn,
                &[NewEvent {
                    old_value: (!watch).then(|| target.full_name.clone()),
                    new_value: watch.then(|| target.full_name.clone()),
                    ..event(&c, me, EventKind::Watcher)
                }],
            )?;
            audit_row(
                conn,
                me,
                meta,
                "case_watch",
                &c,
                json!({ "user_id": user_id, "watch": watch }),
            )?;
        }
        Ok(c)
    })
}

/// Records that the reporter's contact details were shown (DESIGN.md §1: every
/// view of a reporter's personal data is logged).
pub fn log_reporter_view(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    c: &Case,
) -> Result<(), AppError> {
    audit_row(conn, me, meta, "case_reporter_view", c, json!({}))
}

/// A clock with its state now.
pub struct ClockView {
    pub clock: deadline::Clock,
    pub state: deadlines::DeadlineState,
}

/// Everything the case page shows, filtered to what `me` may see and do.
pub struct CaseView {
    pub case: Case,
    pub identifiers: Vec<identifiers::Correlated>,
    pub suggestions: Vec<crate::domain::ident::extract::Suggestion>,
    pub evidence: crate::services::exhibits::Evidence,
    pub txs: Vec<Transaction>,
    pub events: Vec<(case_event::CaseEvent, Option<String>)>,
    pub clocks: Vec<ClockView>,
    pub watchers: Vec<(i64, String)>,
    pub linked: Vec<Case>,
    pub assignee: Option<String>,
    pub created_by: String,
    pub updated_by: String,
    pub category: Option<Category>,
    pub subcategory: Option<Category>,
    pub categories: std::sync::Arc<Vec<Category>>,
    pub merged_into: Option<String>,
    /// Moves this user may make now.
    pub moves: Vec<&'static workflow::Move>,
    pub can_edit: bool,
    pub can_supervise: bool,
    pub can_take: bool,
    pub watching: bool,
    /// Contact details were asked for (and the view logged).
    pub show_reporter: bool,
    /// Officers and supervisors one may assign to or add as watchers.
    pub staff: Vec<(i64, String)>,
}

/// Blanks the references in link and merge entries that point at cases `me` may
/// not open.
fn hide_unseen_refs(
    conn: &mut PgConnection,
    me: &CurrentUser,
    mut events: Vec<(case_event::CaseEvent, Option<String>)>,
) -> Result<Vec<(case_event::CaseEvent, Option<String>)>, AppError> {
    let mut seen: HashMap<String, bool> = HashMap::new();
    for (e, _) in events
        .iter_mut()
        .filter(|(e, _)| matches!(e.kind, EventKind::Link | EventKind::Merge))
    {
        for value in [&mut e.old_value, &mut e.new_value] {
            let Some(reference) = value.clone() else {
                continue;
            };
            if reference.parse::<Status>().is_ok() {
                continue;
            }
            let visible = match seen.get(&reference) {
                Some(v) => *v,
                None => {
                    let v = match case::find_by_ref(conn, &reference) {
                        Ok(other) => {
                            let watching = case::is_watcher(conn, other.id, me.id)?;
                            policy::can_view_case(me, &other, watching)
                        }
                        Err(diesel::result::Error::NotFound) => false,
                        Err(e) => return Err(e.into()),
                    };
                    seen.insert(reference.clone(), v);
                    v
                }
            };
            if !visible {
                *value = Some(String::new());
            }
        }
    }
    Ok(events)
}

/// Loads the case page. Showing the reporter's contact details is an explicit
/// request and writes an audit row.
pub fn view(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    reference: &str,
    caches: &Caches,
    show_reporter: bool,
    newest_first: bool,
) -> Result<CaseView, AppError> {
    let (c, watcher_ids) = load_visible_with_watchers(conn, me, reference, false)?;
    let watching = watcher_ids.contains(&me.id);
    let now = Utc::now();
    if show_reporter {
        log_reporter_view(conn, me, meta, &c)?;
    }
    let mut ids = vec![c.created_by, c.updated_by];
    ids.extend(c.assignee_id);
    ids.extend(&watcher_ids);
    let dir = caches.directory(conn, &ids)?;
    let assignee = c.assignee_id.map(|id| dir.name(id));
    let created_by = dir.name(c.created_by);
    let updated_by = dir.name(c.updated_by);
    let mut watchers: Vec<(i64, String)> =
        watcher_ids.iter().map(|id| (*id, dir.name(*id))).collect();
    watchers.sort_by(|a, b| a.1.cmp(&b.1));
    let categories = caches.categories(conn)?;
    let find_cat =
        |id: Option<i32>| id.and_then(|id| categories.iter().find(|x| x.id == id).cloned());
    let merged_into = match c.merged_into_id {
        Some(id) => {
            let target = case::find(conn, id)?;
            let visible = policy::can_view_case(me, &target, case::is_watcher(conn, id, me.id)?);
            // A case one may not open is not named, not even by its reference.
            Some(if visible { target.ref_ } else { String::new() })
        }
        None => None,
    };
    let linked = case::linked(conn, c.id)?
        .into_iter()
        .filter(|other| policy::can_view_case(me, other, false) || other.assignee_id == Some(me.id))
        .collect();
    let clocks = deadline::clocks(conn, c.id)?
        .into_iter()
        .map(|clock| {
            let state =
                deadlines::state(clock.starts_at, clock.due_at, clock.met_at.is_some(), now);
            ClockView { clock, state }
        })
        .collect();
    let moves = workflow::targets(c.status)
        .into_iter()
        .filter(|m| policy::can_make(me, &c, m, watching))
        .collect();
    let can_supervise = policy::allows(me.role, Action::SuperviseCases);
    // Only those who assign or manage watchers need the staff list.
    let staff = if can_supervise || c.assignee_id == Some(me.id) {
        dir.workers.clone()
    } else {
        Vec::new()
    };
    let events = case_event::list(conn, c.id, newest_first)?;
    let events = hide_unseen_refs(conn, me, events)?;
    let identifiers = identifiers::for_case(conn, me, caches, c.id)?;
    let can_edit = policy::can_work_case(me, &c, watching) && c.status != Status::Merged;
    // Suggestions are offered to those who can confirm them.
    let suggestions = if can_edit {
        let banks = caches.banks(conn)?;
        let mut texts: Vec<&str> = vec![&c.title, &c.description];
        texts.extend(
            events
                .iter()
                .filter(|(e, _)| e.kind == EventKind::Note)
                .filter_map(|(e, _)| e.body.as_deref()),
        );
        identifiers::suggestions(&texts, &banks, &identifiers)
    } else {
        Vec::new()
    };
    let evidence = crate::services::exhibits::of_case(conn, c.id, false)?;
    Ok(CaseView {
        identifiers,
        suggestions,
        evidence,
        txs: case::transactions(conn, c.id)?,
        events,
        clocks,
        watchers,
        linked,
        assignee,
        created_by,
        updated_by,
        category: find_cat(c.category_id),
        subcategory: find_cat(c.subcategory_id),
        merged_into,
        moves,
        can_edit,
        can_supervise,
        can_take: policy::can_take_case(me, &c),
        watching,
        show_reporter,
        staff,
        categories,
        case: c,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_accept_vietnamese_separators_only() {
        assert_eq!(parse_amount("1.250.000"), Some(1_250_000));
        assert_eq!(parse_amount("1,250,000 ₫"), Some(1_250_000));
        assert_eq!(parse_amount(" 500000 "), Some(500_000));
        assert_eq!(parse_amount("-5"), None);
        assert_eq!(parse_amount("1.5e6"), None);
        assert_eq!(parse_amount(""), None);
        assert_eq!(fmt_vnd(1_250_000), "1.250.000 ₫");
        assert_eq!(fmt_vnd(0), "0 ₫");
    }

    #[test]
    fn local_times_are_read_in_the_unit_time_zone() {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let d = parse_local("2026-12-01T07:30", tz).expect("parse");
        assert_eq!(d.to_rfc3339(), "2026-12-01T00:30:00+00:00");
        assert_eq!(parse_local("01/12/2026 07:30", tz), Some(d));
        assert_eq!(local_input(&d, tz), "2026-12-01T07:30");
        assert!(parse_local("2026-13-01T07:30", tz).is_none());
    }

    #[test]
    fn phone_numbers_need_8_to_15_digits() {
        assert!(phone_ok("0912 345 678"));
        assert!(phone_ok("+84 912-345-678"));
        assert!(!phone_ok("12345"));
        assert!(!phone_ok("0912abc678"));
    }
}
