//! An identifier's page: every report of it the user may open, with distinct
//! reporters, reported loss and reports per month.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::auth::{policy, CurrentUser};
use crate::domain::ident::normalise::IdKind;
use crate::error::AppError;
use crate::models::case::Visibility;
use crate::models::identifier_link::LinkRow;

/// One report on an identifier's page.
#[derive(Clone, Debug)]
pub struct ReportRow {
    pub case: Option<(String, String, crate::models::case::Status)>,
    pub submission: Option<(i64, String, String)>,
    pub reported_at: DateTime<Utc>,
    pub amount: i64,
    pub role: String,
}

/// An identifier's page: every report of it the user may open.
#[derive(Clone, Debug)]
pub struct IdentifierPage {
    pub id: i64,
    pub kind: IdKind,
    pub value: String,
    pub reports: i64,
    pub cases: i64,
    pub submissions: i64,
    pub reporters: i64,
    pub total_loss: i64,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    /// Reports per month (local "mm/yyyy"), oldest first, for the timeline.
    pub months: Vec<(String, i64)>,
    pub hidden_cases: i64,
    pub rows: Vec<ReportRow>,
    pub page: i64,
    pub pages: i64,
}

pub const PAGE_SIZE: usize = 50;

pub fn page(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &crate::auth::RequestMeta,
    tz: chrono_tz::Tz,
    id: i64,
    page: i64,
    purpose: &str,
) -> Result<IdentifierPage, AppError> {
    policy::require(me, policy::Action::WorkCases)?;
    let (kind, value) = crate::models::identifier::find(conn, id)?;
    let vis = policy::case_visibility(me);
    let mut links = crate::models::identifier_link::reports_of(conn, id, me.unit_id)?;
    let all_cases: HashSet<i64> = links.iter().filter_map(|l| l.1).collect();
    let candidates: Vec<i64> = all_cases.iter().copied().collect();
    let open = crate::models::case::visible_among(conn, &vis, &candidates)?;
    links.retain(|l| l.1.is_some_and(|c| open.contains(&c)));
    let hidden_cases = if policy::allows(me.role, policy::Action::SuperviseCases)
        && !matches!(vis, Visibility::Unit { .. })
    {
        (all_cases.len() - open.len()) as i64
    } else {
        0
    };
    if policy::can_triage(me) {
        let pending = crate::models::identifier_link::pending_reports_of(conn, id, me.unit_id)?;
        links.extend(pending);
    }
    // One entry per report: a case may hold the same identifier from a
    // submission and from the officer's form.
    let mut reports: BTreeMap<i64, LinkRow> = BTreeMap::new();
    for l in links {
        let Some(key) = l.0 else { continue };
        match reports.get_mut(&key) {
            Some(r) => {
                r.4 = r.4.max(l.4);
                r.5 = r.5.min(l.5);
                if r.3.is_none() {
                    r.3 = l.3;
                }
                if r.2.is_none() {
                    r.2 = l.2;
                }
            }
            None => {
                let mut l = l;
                // A merged duplicate's link stands for its survivor.
                if key > 0 {
                    l.1 = Some(key);
                }
                reports.insert(key, l);
            }
        }
    }
    // Which reports this is a victim's own identifier in is victim data
    // (`docs/domain.md` §19): the view is audited with its purpose.
    if reports.values().any(|r| r.6 == "victim") {
        let purpose = crate::domain::purpose::Purpose::from_form(
            purpose,
            crate::domain::purpose::Purpose::Verification,
        )
        .ok_or(AppError::Invalid(crate::i18n::k("purpose-invalid")))?;
        crate::models::audit::append(
            conn,
            meta,
            crate::models::audit::NewAudit {
                actor_id: Some(me.id),
                action: "identifier_view_victim",
                target_type: Some("identifier"),
                target_id: Some(id.to_string()),
                detail: serde_json::json!({ "purpose": purpose.code() }),
            },
        )?;
    }
    let mut reporters = HashSet::new();
    let mut months: BTreeMap<(i32, u32), i64> = BTreeMap::new();
    let (mut total_loss, mut n_cases) = (0i64, 0i64);
    for (key, r) in &reports {
        reporters.insert(r.3.clone().unwrap_or_else(|| format!("report:{key}")));
        total_loss = total_loss.saturating_add(r.4);
        if *key > 0 {
            n_cases += 1;
        }
        let local = r.5.with_timezone(&tz);
        *months
            .entry((
                chrono::Datelike::year(&local),
                chrono::Datelike::month(&local),
            ))
            .or_default() += 1;
    }
    let mut ordered: Vec<LinkRow> = reports.into_values().collect();
    ordered.sort_by(|a, b| b.5.cmp(&a.5).then(b.0.cmp(&a.0)));
    let total = ordered.len() as i64;
    let pages = ((total as usize).div_ceil(PAGE_SIZE)).max(1) as i64;
    let page = page.clamp(1, pages);
    let slice: Vec<LinkRow> = ordered
        .iter()
        .skip((page as usize - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .cloned()
        .collect();
    let case_ids: Vec<i64> = slice.iter().filter_map(|l| l.1).collect();
    let sub_ids: Vec<i64> = slice
        .iter()
        .filter(|l| l.1.is_none())
        .filter_map(|l| l.2)
        .collect();
    let case_rows = crate::models::case::summaries(conn, &case_ids)?;
    let sub_rows = crate::models::submission::code_summaries(conn, &sub_ids)?;
    let rows = slice
        .into_iter()
        .map(|l| ReportRow {
            case: l.1.and_then(|c| case_rows.get(&c).cloned()),
            submission: match l.1 {
                Some(_) => None,
                None => l.2.and_then(|s| {
                    sub_rows
                        .get(&s)
                        .map(|(c, sum)| (s, crate::domain::code::format_code(c), sum.clone()))
                }),
            },
            reported_at: l.5,
            amount: l.4,
            role: l.6,
        })
        .collect();
    Ok(IdentifierPage {
        id,
        kind,
        value,
        reports: total,
        cases: n_cases,
        submissions: total - n_cases,
        reporters: reporters.len() as i64,
        total_loss,
        first_seen: ordered.last().map(|l| l.5),
        last_seen: ordered.first().map(|l| l.5),
        months: months
            .into_iter()
            .map(|((y, m), n)| (format!("{m:02}/{y}"), n))
            .collect(),
        hidden_cases,
        rows,
        page,
        pages,
    })
}
