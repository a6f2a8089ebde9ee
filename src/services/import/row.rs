//! One row of a register read into a case, or the reasons it cannot be:
//! codes and labels (either language, without accents) resolved, categories
//! by name or code, banks by code, name or alias, people by e-mail, dates,
//! amounts and identifiers normalised. Everything it needs from the database
//! is loaded once into `Lookups`.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use diesel::PgConnection;

use crate::domain::ident::extract::{extract, Bank};
use crate::domain::ident::normalise::{bank_account, phone, url, IdKind};
use crate::domain::import::cells::{self, Cell};
use crate::domain::import::{Field, Problem};
use crate::domain::text::fold_key;
use crate::domain::value::looks_like_email;
use crate::i18n::{t, Lang};
use crate::models::case::{CaseType, Channel, Outcome, ReporterKind, Status};
use crate::services::cases::MAX_AMOUNT;

/// A row that can become a case.
#[derive(Clone, Debug)]
pub struct Parsed {
    pub case_type: CaseType,
    pub received_at: DateTime<Utc>,
    pub category_id: Option<i32>,
    pub subcategory_id: Option<i32>,
    pub title: String,
    pub description: String,
    pub channel: Channel,
    pub reporter_kind: ReporterKind,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    /// The reporter's phone as an identifier (the victim's).
    pub reporter_phone_id: Option<String>,
    pub reporter_email: Option<String>,
    pub reporter_address: Option<String>,
    pub amount: i64,
    /// The receiving bank's code and the account as written.
    pub to_bank: Option<String>,
    pub to_account: Option<String>,
    /// The account as an identifier (`CODE:digits`).
    pub account_id: Option<String>,
    /// Suspect identifiers from their columns, normalised.
    pub suspects: Vec<(IdKind, String)>,
    /// What the extractor finds in the description (linked on request).
    pub suggestions: Vec<(IdKind, String)>,
    pub status: Status,
    pub outcome: Option<Outcome>,
    pub assignee_id: Option<i64>,
    pub closed_at: Option<DateTime<Utc>>,
    pub notes: Option<String>,
}

/// A row as read: its number, the old register's id, its values as text (to
/// tell a changed row from the same one), and the case or what is wrong.
#[derive(Clone, Debug)]
pub struct Row {
    pub row_no: usize,
    pub external_id: String,
    pub data: BTreeMap<&'static str, String>,
    pub parsed: Result<Parsed, Vec<Problem>>,
    /// Kept as a case all the same (an item nothing recognises, say).
    pub warnings: Vec<Problem>,
}

/// Someone a row may name as assignee.
#[derive(Clone, Debug)]
pub struct Worker {
    pub id: i64,
    pub active: bool,
    pub works_cases: bool,
    pub unit_id: i32,
}

/// What rows are resolved against, loaded once per run.
pub struct Lookups {
    pub unit_id: i32,
    pub tz: Tz,
    pub now: DateTime<Utc>,
    categories: HashMap<String, (i32, Option<i32>)>,
    banks: Vec<Bank>,
    workers: HashMap<String, Worker>,
    types: HashMap<String, CaseType>,
    statuses: HashMap<String, Status>,
    outcomes: HashMap<String, Outcome>,
    channels: HashMap<String, Channel>,
    kinds: HashMap<String, ReporterKind>,
}

/// Code, Vietnamese label and English label of each value, folded.
fn choices<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> HashMap<String, T> {
    let mut m = HashMap::new();
    for v in all {
        m.insert(fold_key(code(*v)), *v);
        m.insert(fold_key(&t(Lang::Vi, label(*v))), *v);
        m.insert(fold_key(&t(Lang::En, label(*v))), *v);
    }
    m
}

impl Lookups {
    pub fn load(
        conn: &mut PgConnection,
        unit_id: i32,
        tz: Tz,
    ) -> Result<Lookups, crate::error::AppError> {
        let mut categories = HashMap::new();
        for c in crate::models::category::all(conn)? {
            for name in [&c.code, &c.name_vi, &c.name_en] {
                categories.insert(fold_key(name), (c.id, c.parent_id));
            }
        }
        let workers = crate::models::user::workers(conn)?
            .into_iter()
            .map(|(email, id, role, active, unit_id)| {
                (
                    email.to_lowercase(),
                    Worker {
                        id,
                        active,
                        works_cases: crate::auth::policy::allows(
                            role,
                            crate::auth::policy::Action::WorkCases,
                        ),
                        unit_id,
                    },
                )
            })
            .collect();
        // Statuses a register may hold: not "merged", which needs a survivor.
        let statuses: Vec<Status> = Status::ALL
            .iter()
            .copied()
            .filter(|s| *s != Status::Merged)
            .collect();
        Ok(Lookups {
            unit_id,
            tz,
            now: Utc::now(),
            categories,
            banks: crate::models::bank::names(conn)?,
            workers,
            types: choices(CaseType::ALL, CaseType::code, CaseType::label_key),
            statuses: choices(&statuses, Status::code, Status::label_key),
            outcomes: choices(Outcome::ALL, Outcome::code, Outcome::label_key),
            channels: choices(Channel::ALL, Channel::code, Channel::label_key),
            kinds: choices(
                ReporterKind::ALL,
                ReporterKind::code,
                ReporterKind::label_key,
            ),
        })
    }
}

impl Lookups {
    /// A category by code or name (either language, no accents), or by the
    /// start of one name if only one starts so ("Lừa đảo" for "Lừa đảo
    /// chiếm đoạt tài sản qua mạng"): registers write them short.
    fn category(&self, written: &str) -> Option<&(i32, Option<i32>)> {
        let key = fold_key(written);
        if let Some(c) = self.categories.get(&key) {
            return Some(c);
        }
        if key.chars().count() < 4 {
            return None;
        }
        let mut found = self
            .categories
            .iter()
            .filter(|(name, _)| name.starts_with(&key))
            .map(|(_, c)| c);
        let first = found.next()?;
        found.all(|c| c == first).then_some(first)
    }
}

/// Limits on text, as on the case form.
const TITLE_MAX: usize = 200;
const DESCRIPTION_MAX: usize = 20_000;
const NAME_MAX: usize = 200;
const ADDRESS_MAX: usize = 500;
const NOTES_MAX: usize = 5_000;
const EXTERNAL_ID_MAX: usize = 100;

/// Reads one row's values (already through the mapping).
pub fn parse(
    row_no: usize,
    values: &BTreeMap<Field, Cell>,
    l: &Lookups,
    link_suggestions: bool,
) -> Row {
    let mut errors: Vec<Problem> = Vec::new();
    let mut warnings: Vec<Problem> = Vec::new();
    let text = |f: Field| values.get(&f).map(Cell::text).filter(|s| !s.is_empty());
    let data: BTreeMap<&'static str, String> = values
        .iter()
        .map(|(f, c)| (f.code(), c.text()))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let bad = |f: Field, key: &'static str| Problem::new(key).arg("field", f.code());
    let long = |f: Field, max: usize, errors: &mut Vec<Problem>| -> Option<String> {
        let v = text(f)?;
        if v.chars().count() > max {
            errors.push(bad(f, "import-too-long").arg("max", max.to_string()));
        }
        Some(v)
    };
    fn choose<T: Copy>(
        v: Option<String>,
        f: Field,
        map: &HashMap<String, T>,
        errors: &mut Vec<Problem>,
    ) -> Option<T> {
        let v = v?;
        let found = map.get(&fold_key(&v)).copied();
        if found.is_none() {
            errors.push(
                Problem::new("import-unknown-value")
                    .arg("field", f.code())
                    .arg("value", v),
            );
        }
        found
    }

    let external_id = text(Field::ExternalId).unwrap_or_default();
    if external_id.is_empty() {
        errors.push(Problem::new("import-no-external-id"));
    } else if external_id.chars().count() > EXTERNAL_ID_MAX {
        errors.push(
            bad(Field::ExternalId, "import-too-long").arg("max", EXTERNAL_ID_MAX.to_string()),
        );
    }
    let case_type = choose(
        text(Field::CaseType),
        Field::CaseType,
        &l.types,
        &mut errors,
    );
    if text(Field::CaseType).is_none() {
        errors.push(Problem::new("import-no-case-type"));
    }
    let date = |f: Field, errors: &mut Vec<Problem>| -> Option<DateTime<Utc>> {
        let cell = values.get(&f)?;
        match cells::datetime(cell, l.tz) {
            Some(d) if d > l.now + chrono::Duration::days(1) => {
                errors.push(bad(f, "import-future-date").arg("value", cell.text()));
                None
            }
            Some(d) => Some(d),
            None => {
                errors.push(bad(f, "import-bad-date").arg("value", cell.text()));
                None
            }
        }
    };
    let received_at = date(Field::ReceivedAt, &mut errors);
    if !values.contains_key(&Field::ReceivedAt) {
        errors.push(Problem::new("import-no-received"));
    }
    let closed_at = date(Field::ClosedAt, &mut errors);
    if let (Some(r), Some(c)) = (received_at, closed_at) {
        if c < r {
            errors.push(Problem::new("import-closed-before-received"));
        }
    }

    let (mut category_id, mut subcategory_id) = (None, None);
    if let Some(v) = text(Field::Category) {
        match l.category(&v) {
            Some((id, None)) => category_id = Some(*id),
            Some((id, Some(parent))) => {
                category_id = Some(*parent);
                subcategory_id = Some(*id);
            }
            None => errors.push(bad(Field::Category, "import-unknown-category").arg("value", v)),
        }
    }

    let description = long(Field::Description, DESCRIPTION_MAX, &mut errors).unwrap_or_default();
    let title = match long(Field::Title, TITLE_MAX, &mut errors) {
        Some(t) => t,
        None => {
            // Old registers often have only a summary ("trích yếu"): its start is the title.
            let first_line = description.lines().next().unwrap_or("").trim();
            let mut t: String = first_line.chars().take(120).collect();
            if first_line.chars().count() > 120 {
                t.push('…');
            }
            if t.is_empty() {
                errors.push(Problem::new("import-no-title"));
            }
            t
        }
    };
    let channel = choose(
        text(Field::Channel),
        Field::Channel,
        &l.channels,
        &mut errors,
    )
    .unwrap_or(Channel::Transfer);

    let reporter_name = long(Field::ReporterName, NAME_MAX, &mut errors);
    let reporter_address = long(Field::ReporterAddress, ADDRESS_MAX, &mut errors);
    let reporter_phone = text(Field::ReporterPhone);
    let reporter_phone_id = reporter_phone.as_deref().and_then(phone);
    if let (Some(raw), None) = (&reporter_phone, &reporter_phone_id) {
        errors.push(bad(Field::ReporterPhone, "import-bad-phone").arg("value", raw.as_str()));
    }
    let reporter_email = text(Field::ReporterEmail);
    if let Some(e) = reporter_email.as_deref().filter(|e| !looks_like_email(e)) {
        errors.push(bad(Field::ReporterEmail, "import-bad-email").arg("value", e));
    }
    let reporter_kind = choose(
        text(Field::ReporterKind),
        Field::ReporterKind,
        &l.kinds,
        &mut errors,
    )
    .unwrap_or(
        if reporter_name.is_none() && reporter_phone.is_none() && reporter_email.is_none() {
            ReporterKind::Anonymous
        } else {
            ReporterKind::Individual
        },
    );

    let amount = match values.get(&Field::AmountLost) {
        None => 0,
        Some(c) => match cells::amount(c) {
            Some(a) if a <= MAX_AMOUNT => a,
            _ => {
                errors.push(bad(Field::AmountLost, "import-bad-amount").arg("value", c.text()));
                0
            }
        },
    };
    let to_bank = match text(Field::ReceivingBank) {
        None => None,
        Some(b) => match crate::domain::ident::extract::resolve_bank(&l.banks, &b) {
            Some(bank) => Some(bank.code.clone()),
            None => {
                errors.push(bad(Field::ReceivingBank, "import-unknown-bank").arg("value", b));
                None
            }
        },
    };
    let to_account = text(Field::ReceivingAccount);
    let account_id = match to_account.as_deref() {
        None => None,
        Some(a) => {
            let v = bank_account(to_bank.as_deref().unwrap_or(""), a);
            if v.is_none() {
                errors.push(bad(Field::ReceivingAccount, "import-bad-account").arg("value", a));
            }
            v
        }
    };

    let mut suspects = Vec::new();
    for item in text(Field::SuspectPhone)
        .map(|v| cells::items(&v))
        .unwrap_or_default()
    {
        match phone(&item) {
            Some(p) => suspects.push((IdKind::Phone, p)),
            None => errors.push(bad(Field::SuspectPhone, "import-bad-phone").arg("value", item)),
        }
    }
    for item in text(Field::SuspectUrl)
        .map(|v| cells::items(&v))
        .unwrap_or_default()
    {
        match url(&item) {
            Some(u) => suspects.push((IdKind::Url, u)),
            None => errors.push(bad(Field::SuspectUrl, "import-bad-url").arg("value", item)),
        }
    }
    for item in text(Field::SuspectOther)
        .map(|v| cells::items(&v))
        .unwrap_or_default()
    {
        let found = extract(&item, &l.banks);
        if found.is_empty() {
            warnings.push(bad(Field::SuspectOther, "import-unrecognised").arg("value", item));
        }
        suspects.extend(found.into_iter().map(|s| (s.kind, s.value)));
    }
    let suggestions = if link_suggestions {
        extract(&description, &l.banks)
            .into_iter()
            .map(|s| (s.kind, s.value))
            .filter(|s| !suspects.contains(s) && account_id.as_deref() != Some(s.1.as_str()))
            .collect()
    } else {
        Vec::new()
    };

    let status = match choose(text(Field::Status), Field::Status, &l.statuses, &mut errors) {
        Some(s) => s,
        None if closed_at.is_some() => Status::Closed,
        None => Status::New,
    };
    let outcome = choose(
        text(Field::Outcome),
        Field::Outcome,
        &l.outcomes,
        &mut errors,
    );
    if outcome.is_some() && !matches!(status, Status::Resolved | Status::Closed) {
        errors.push(Problem::new("import-outcome-open").arg("status", status.code()));
    }
    let decided = matches!(
        status,
        Status::Resolved | Status::Closed | Status::Transferred | Status::Suspended
    );
    if closed_at.is_some() && !decided {
        errors.push(Problem::new("import-closed-open").arg("status", status.code()));
    }
    let assignee_id = match text(Field::Assignee) {
        None => None,
        Some(e) => match l.workers.get(&e.to_lowercase()) {
            Some(w) if w.active && w.works_cases && w.unit_id == l.unit_id => Some(w.id),
            _ => {
                errors.push(bad(Field::Assignee, "import-unknown-assignee").arg("value", e));
                None
            }
        },
    };
    let notes = long(Field::Notes, NOTES_MAX, &mut errors);

    let parsed = match (case_type, received_at) {
        (Some(case_type), Some(received_at)) if errors.is_empty() => Ok(Parsed {
            case_type,
            received_at,
            category_id,
            subcategory_id,
            title,
            description,
            channel,
            reporter_kind,
            reporter_name,
            reporter_phone,
            reporter_phone_id,
            reporter_email,
            reporter_address,
            amount,
            to_bank,
            to_account,
            account_id,
            suspects,
            suggestions,
            status,
            outcome,
            assignee_id,
            closed_at,
            notes,
        }),
        _ => Err(errors),
    };
    Row {
        row_no,
        external_id,
        data,
        parsed,
        warnings,
    }
}

/// The fields whose text differs between a row imported before and now.
pub fn differences(
    before: &serde_json::Value,
    now: &BTreeMap<&'static str, String>,
) -> Vec<String> {
    let mut fields: Vec<String> = Vec::new();
    for f in Field::all() {
        let old = before.get(f.code()).and_then(|v| v.as_str()).unwrap_or("");
        let new = now.get(f.code()).map(String::as_str).unwrap_or("");
        if old != new {
            fields.push(f.code().to_owned());
        }
    }
    fields
}
