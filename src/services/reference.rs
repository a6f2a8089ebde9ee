//! Reference data administrators edit: categories, deadline rules and banks.

use diesel::{Connection, PgConnection};
use serde_json::json;

use crate::auth::{
    policy::{self, Action},
    CurrentUser, RequestMeta,
};
use crate::domain::form::{parse_day, required_text, FormErrors};
use crate::error::AppError;
use crate::i18n::k;
use crate::models::{
    audit::{self, NewAudit},
    category::{self, Category, CategoryFields},
    deadline::{self, Unit},
    legal_basis::{self, BasisFields, LegalBasis, Topic},
};

/// What the category form sends.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CategoryInput {
    pub code: String,
    pub parent_id: String,
    pub name_vi: String,
    pub name_en: String,
    pub active: Option<String>,
    pub sort: String,
}

fn validate(
    input: &CategoryInput,
    all: &[Category],
    editing: Option<i32>,
) -> Result<CategoryFields, AppError> {
    let mut e = FormErrors::default();
    let code = input.code.trim().to_lowercase();
    if code.is_empty()
        || code.len() > 40
        || !code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        e.add("code", k("category-code-invalid"));
    } else if all.iter().any(|c| c.code == code && Some(c.id) != editing) {
        e.add("code", k("category-code-taken"));
    }
    let name_vi = required_text(&mut e, "name_vi", &input.name_vi, 200);
    let name_en = required_text(&mut e, "name_en", &input.name_en, 200);
    let parent_id = match input.parent_id.trim() {
        "" => None,
        v => match v.parse::<i32>().ok().filter(|id| {
            all.iter()
                .any(|c| c.id == *id && c.parent_id.is_none() && Some(c.id) != editing)
        }) {
            Some(id) => Some(id),
            None => {
                e.add("parent_id", k("category-unknown"));
                None
            }
        },
    };
    if editing.is_some_and(|id| parent_id.is_some() && all.iter().any(|c| c.parent_id == Some(id)))
    {
        e.add("parent_id", k("category-has-children"));
    }
    let sort = match input.sort.trim() {
        "" => 0,
        v => v.parse::<i32>().unwrap_or_else(|_| {
            e.add("sort", k("field-invalid-number"));
            0
        }),
    };
    e.into_result().map_err(AppError::Form)?;
    Ok(CategoryFields {
        code,
        parent_id,
        name_vi,
        name_en,
        active: input.active.is_some(),
        sort,
    })
}

/// Adds (`id` None) or edits a category. Categories are never deleted (cases
/// refer to them); an inactive one is hidden from new cases.
pub fn save_category(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    id: Option<i32>,
    input: &CategoryInput,
) -> Result<Category, AppError> {
    policy::require(me, Action::ManageReferenceData)?;
    conn.transaction(|conn| {
        let all = category::all(conn)?;
        if let Some(id) = id {
            if !all.iter().any(|c| c.id == id) {
                return Err(AppError::NotFound);
            }
        }
        let fields = validate(input, &all, id)?;
        let saved = match id {
            Some(id) => category::update(conn, id, &fields)?,
            None => category::insert(conn, &fields)?,
        };
        audit::append(
            conn,
            meta,
            NewAudit {
                actor_id: Some(me.id),
                action: if id.is_some() {
                    "category_update"
                } else {
                    "category_create"
                },
                target_type: Some("category"),
                target_id: Some(saved.id.to_string()),
                detail: json!({ "code": saved.code, "active": saved.active }),
            },
        )?;
        Ok(saved)
    })
}

/// Changes a deadline rule's length and whether it applies. Running clocks keep
/// their due dates; new cases use the new rule.
pub fn save_rule(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    id: i32,
    amount: &str,
    unit: &str,
    active: bool,
) -> Result<(), AppError> {
    policy::require(me, Action::ManageReferenceData)?;
    let mut e = FormErrors::default();
    let amount = amount
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|a| (1..=10000).contains(a));
    if amount.is_none() {
        e.add(format!("amount-{id}"), k("rule-amount-invalid"));
    }
    let unit = unit.parse::<Unit>().ok();
    if unit.is_none() {
        e.add(format!("unit-{id}"), k("field-invalid-choice"));
    }
    e.into_result().map_err(AppError::Form)?;
    let (Some(amount), Some(unit)) = (amount, unit) else {
        return Err(AppError::BadRequest);
    };
    conn.transaction(|conn| {
        let before = deadline::rules(conn)?.into_iter().find(|r| r.id == id).ok_or(AppError::NotFound)?;
        deadline::update_rule(conn, id, amount, unit, active)?;
        audit::append(
            conn,
            meta,
            NewAudit {
                actor_id: Some(me.id),
                action: "deadline_rule_update",
                target_type: Some("deadline_rule"),
                target_id: Some(id.to_string()),
                detail: json!({
                    "case_type": before.case_type.code(), "kind": before.kind.code(),
                    "before": format!("{} {}{}", before.amount, before.unit.code(), if before.active { "" } else { " (off)" }),
                    "after": format!("{amount} {}{}", unit.code(), if active { "" } else { " (off)" }),
                }),
            },
        )?;
        Ok(())
    })
}

/// What the bank form sends (`aliases` comma-separated).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct BankInput {
    pub code: String,
    pub bin: String,
    pub short_name: String,
    pub name_vi: String,
    pub aliases: String,
    pub sort: String,
    pub active: Option<String>,
}

fn validate_bank(
    input: &BankInput,
    editing: Option<&str>,
) -> Result<crate::models::bank::Bank, AppError> {
    let mut e = FormErrors::default();
    let code = match editing {
        Some(code) => code.to_owned(),
        None => {
            let code = input.code.trim().to_uppercase();
            let ok = (2..=20).contains(&code.len())
                && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !ok {
                e.add("code", k("bank-code-invalid"));
            }
            code
        }
    };
    let bin = input.bin.trim().to_owned();
    if bin.len() != 6 || !bin.chars().all(|c| c.is_ascii_digit()) {
        e.add("bin", k("bank-bin-invalid"));
    }
    let short_name = required_text(&mut e, "short_name", &input.short_name, 100);
    let name_vi = required_text(&mut e, "name_vi", &input.name_vi, 200);
    let aliases: Vec<String> = input
        .aliases
        .split(',')
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty())
        .collect();
    if aliases.len() > 20 || aliases.iter().any(|a| a.chars().count() > 60) {
        e.add("aliases", k("bank-aliases-invalid"));
    }
    let sort = match input.sort.trim() {
        "" => 0,
        v => v.parse::<i32>().unwrap_or_else(|_| {
            e.add("sort", k("field-invalid-number"));
            0
        }),
    };
    e.into_result().map_err(AppError::Form)?;
    Ok(crate::models::bank::Bank {
        code,
        bin,
        short_name,
        name_vi,
        aliases,
        sort,
        active: input.active.is_some(),
    })
}

/// Adds (`code` None) or edits a bank. A bank's code never changes: stored
/// account identifiers carry it. Banks are deactivated, never deleted.
pub fn save_bank(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    code: Option<&str>,
    input: &BankInput,
) -> Result<crate::models::bank::Bank, AppError> {
    use crate::models::bank;
    policy::require(me, Action::ManageReferenceData)?;
    conn.transaction(|conn| {
        let all = bank::all(conn)?;
        if let Some(code) = code {
            if !all.iter().any(|b| b.code == code) {
                return Err(AppError::NotFound);
            }
        }
        let fields = validate_bank(input, code)?;
        if code.is_none() && all.iter().any(|b| b.code == fields.code) {
            let mut e = FormErrors::default();
            e.add("code", k("bank-code-taken"));
            return Err(AppError::Form(e));
        }
        let saved = match code {
            Some(_) => bank::update(conn, &fields)?,
            None => bank::insert(conn, &fields)?,
        };
        audit::append(
            conn,
            meta,
            NewAudit {
                actor_id: Some(me.id),
                action: if code.is_some() {
                    "bank_update"
                } else {
                    "bank_create"
                },
                target_type: Some("bank"),
                target_id: Some(saved.code.clone()),
                detail: json!({ "bin": saved.bin, "active": saved.active }),
            },
        )?;
        Ok(saved)
    })
}

/// What the legal-basis form sends (dates as `yyyy-mm-dd`).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct BasisInput {
    pub topic: String,
    pub instrument: String,
    pub article: String,
    pub title_vi: String,
    pub title_en: String,
    pub in_force_from: String,
    pub in_force_to: String,
    pub note: String,
}

/// Checks a basis against the others: fields present, dates in order, and no
/// day on which two bases of the same topic would both be in force (the
/// message names the one in the way).
fn validate_basis(
    input: &BasisInput,
    others: &[LegalBasis],
    editing: Option<i32>,
) -> Result<BasisFields, AppError> {
    let mut e = FormErrors::default();
    let topic = input.topic.parse::<Topic>().ok();
    if topic.is_none() {
        e.add("topic", k("field-invalid-choice"));
    }
    let instrument = required_text(&mut e, "instrument", &input.instrument, 120);
    let article = input.article.trim().to_owned();
    if article.chars().count() > 60 {
        e.add("article", k("field-too-long"));
    }
    let title_vi = required_text(&mut e, "title_vi", &input.title_vi, 300);
    let title_en = required_text(&mut e, "title_en", &input.title_en, 300);
    let note = input.note.trim().to_owned();
    if note.chars().count() > 500 {
        e.add("note", k("field-too-long"));
    }
    let from = parse_day(&input.in_force_from);
    if from.is_none() {
        e.add("in_force_from", k("legal-date-invalid"));
    }
    let to = match input.in_force_to.trim() {
        "" => Ok(None),
        v => parse_day(v).map(Some).ok_or(()),
    };
    match (from, &to) {
        (_, Err(())) => e.add("in_force_to", k("legal-date-invalid")),
        (Some(f), Ok(Some(t))) if *t <= f => e.add("in_force_to", k("legal-dates-order")),
        _ => {}
    }
    e.into_result().map_err(AppError::Form)?;
    let (Some(topic), Some(from), Ok(to)) = (topic, from, to) else {
        return Err(AppError::BadRequest);
    };
    if let Some(other) = others.iter().find(|b| {
        Some(b.id) != editing
            && b.topic == topic
            && crate::domain::law::overlaps(b.span(), (from, to))
    }) {
        // The field says what is wrong; the other basis's row is marked.
        let mut e = FormErrors::default();
        e.add("in_force_from", k("legal-dates-overlap"));
        e.add(format!("overlap-{}", other.id), k("legal-overlaps-this"));
        return Err(AppError::Form(e));
    }
    Ok(BasisFields {
        topic,
        instrument,
        article,
        title_vi,
        title_en,
        in_force_from: from,
        in_force_to: to,
        note,
    })
}

/// Adds a legal basis (`id` None) or changes one, audited with the text
/// before and after; the cache of bases is the caller's to refresh.
pub fn save_basis(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    id: Option<i32>,
    input: &BasisInput,
) -> Result<LegalBasis, AppError> {
    policy::require(me, Action::ManageReferenceData)?;
    conn.transaction(|conn| {
        legal_basis::lock(conn)?;
        let all = legal_basis::all(conn)?;
        let before = match id {
            Some(id) => Some(
                all.iter()
                    .find(|b| b.id == id)
                    .cloned()
                    .ok_or(AppError::NotFound)?,
            ),
            None => None,
        };
        // A basis stays with its topic: cases cite it for that topic.
        if before
            .as_ref()
            .is_some_and(|b| b.topic.code() != input.topic.trim())
        {
            let mut e = FormErrors::default();
            e.add("topic", k("legal-topic-fixed"));
            return Err(AppError::Form(e));
        }
        let fields = validate_basis(input, &all, id)?;
        let saved = match id {
            Some(id) => legal_basis::update(conn, id, &fields)?,
            None => legal_basis::insert(conn, &fields)?,
        };
        // Cases received on the days this change covers now cite what was
        // in force then.
        let repointed = legal_basis::repoint_cases(conn, saved.topic)?;
        let describe = |b: &LegalBasis| {
            json!({
                "topic": b.topic.code(), "instrument": b.instrument, "article": b.article,
                "title_vi": b.title_vi, "title_en": b.title_en,
                "from": b.in_force_from.to_string(),
                "to": b.in_force_to.map(|d| d.to_string()),
            })
        };
        audit::append(
            conn,
            meta,
            NewAudit {
                actor_id: Some(me.id),
                action: if before.is_some() {
                    "legal_basis_update"
                } else {
                    "legal_basis_create"
                },
                target_type: Some("legal_basis"),
                target_id: Some(saved.id.to_string()),
                detail: json!({
                    "before": before.as_ref().map(describe), "after": describe(&saved),
                    "cases_repointed": repointed,
                }),
            },
        )?;
        Ok(saved)
    })
}
