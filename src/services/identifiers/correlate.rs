//! Where else a case's identifiers were seen — "this account was reported by
//! 14 victims" — counted only over the cases the user may open, and the
//! identifiers found in its texts that are not linked yet.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use crate::auth::{policy, CurrentUser};
use crate::domain::ident::extract::{self, Bank, Suggestion};
use crate::domain::ident::normalise::IdKind;
use crate::models::case::Visibility;

/// An identifier of a case, with where else it was seen.
#[derive(Clone, Debug)]
pub struct Correlated {
    pub link_id: i64,
    pub identifier_id: i64,
    pub kind: IdKind,
    pub value: String,
    pub role: String,
    pub source: String,
    pub amount: i64,
    /// Added one by one (not from the form or a reporter): may be removed.
    pub removable: bool,
    /// Other cases the user may open.
    pub other_cases: i64,
    /// Submissions still in intake (only for those who triage).
    pub other_submissions: i64,
    /// Other cases of the unit the user may not open (only ever set for
    /// supervisors).
    pub hidden_cases: i64,
    /// Other units whose cases or reports hold it: their ids only, never
    /// anything of those cases.
    pub other_units: Vec<i32>,
}

impl Correlated {
    pub fn seen_elsewhere(&self) -> bool {
        self.other_cases + self.other_submissions + self.hidden_cases > 0
            || !self.other_units.is_empty()
    }
}

struct CaseLinkRow {
    link_id: i64,
    identifier_id: i64,
    kind: IdKind,
    value: String,
    role: String,
    source: String,
    amount: i64,
    from_form: bool,
    submission_id: Option<i64>,
    cases: i64,
    pending: i64,
}

/// The identifiers linked to a case, each once, with its correlation counts:
/// the links (one prepared query), then the counts of those not cached (one
/// grouped query, skipped when all are). The case page is the busiest there is.
pub fn for_case(
    conn: &mut PgConnection,
    me: &CurrentUser,
    caches: &crate::cache::Caches,
    case_id: i64,
) -> QueryResult<Vec<Correlated>> {
    let links = crate::models::identifier_link::of_case(conn, case_id)?;
    let ids: Vec<i64> = links.iter().map(|l| l.1).collect();
    let elsewhere = if ids.is_empty() {
        Vec::new()
    } else {
        crate::models::identifier_link::other_units(conn, &ids, me.unit_id)?
    };
    with_links(conn, me, caches, case_id, links, elsewhere)
}

/// `for_case` with the links and the other units already read (the case page
/// reads them in its one query).
pub fn with_links(
    conn: &mut PgConnection,
    me: &CurrentUser,
    caches: &crate::cache::Caches,
    case_id: i64,
    links: Vec<crate::models::identifier_link::CaseLink>,
    other_units: Vec<(i64, i32)>,
) -> QueryResult<Vec<Correlated>> {
    let triage = policy::can_triage(me);
    let ids: Vec<i64> = links.iter().map(|l| l.1).collect();
    let cached = caches.heavy_counts(me.unit_id, &ids);
    let need: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !cached.contains_key(id))
        .collect::<HashSet<i64>>()
        .into_iter()
        .collect();
    let mut counts: HashMap<i64, (i64, i64)> = cached
        .iter()
        .map(|(id, c)| (*id, (c.cases, c.pending)))
        .collect();
    if !need.is_empty() {
        let fresh = crate::models::identifier_link::counts(conn, &need, me.unit_id)?;
        for c in fresh {
            caches.remember_heavy(
                me.unit_id,
                c.identifier_id,
                crate::cache::HeavyCounts {
                    cases: c.cases,
                    pending: c.pending,
                },
            );
            counts.insert(c.identifier_id, (c.cases, c.pending));
        }
    }
    let rows: Vec<CaseLinkRow> = links
        .into_iter()
        .map(|l| {
            let (cases, pending) = counts.get(&l.1).copied().unwrap_or((1, 0));
            CaseLinkRow {
                link_id: l.0,
                identifier_id: l.1,
                kind: l.2,
                value: l.3,
                role: l.4,
                source: l.5,
                amount: l.6,
                from_form: l.7,
                submission_id: l.8,
                // The count includes this case.
                cases: (cases - 1).max(0),
                pending: if triage { pending } else { 0 },
            }
        })
        .collect();
    let mut seen = HashSet::new();
    let rows: Vec<CaseLinkRow> = rows
        .into_iter()
        .filter(|r| seen.insert(r.identifier_id))
        .collect();
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // Officers: only the cases they may open are counted; supervisors see
    // their unit's counts as they are.
    let vis = policy::case_visibility(me);
    let (visible, hidden) = if matches!(vis, Visibility::Unit { .. }) {
        (None, HashMap::new())
    } else {
        let ids: Vec<i64> = rows.iter().map(|r| r.identifier_id).collect();
        let visible = count_cases(conn, &ids, case_id, &vis)?;
        let hidden = if policy::allows(me.role, policy::Action::SuperviseCases) {
            rows.iter()
                .map(|r| {
                    let shown = visible.get(&r.identifier_id).copied().unwrap_or(0);
                    (r.identifier_id, r.cases - shown)
                })
                .collect()
        } else {
            HashMap::new()
        };
        (Some(visible), hidden)
    };
    let mut elsewhere: HashMap<i64, Vec<i32>> = HashMap::new();
    for (id, unit) in other_units {
        elsewhere.entry(id).or_default().push(unit);
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let kind = r.kind;
            let mut other_units = elsewhere.remove(&r.identifier_id).unwrap_or_default();
            other_units.sort_unstable();
            let other_cases = match &visible {
                None => r.cases,
                Some(v) => v.get(&r.identifier_id).copied().unwrap_or(0),
            };
            Correlated {
                link_id: r.link_id,
                identifier_id: r.identifier_id,
                kind,
                removable: !r.from_form && r.submission_id.is_none() && r.source != "reporter",
                other_cases,
                other_submissions: r.pending,
                hidden_cases: hidden.get(&r.identifier_id).copied().unwrap_or(0),
                other_units,
                value: r.value,
                role: r.role,
                source: r.source,
                amount: r.amount,
            }
        })
        .collect())
}

/// The cases other than `except` linked to each identifier that a user with
/// `vis` may open.
fn count_cases(
    conn: &mut PgConnection,
    ids: &[i64],
    except: i64,
    vis: &Visibility,
) -> QueryResult<HashMap<i64, i64>> {
    let pairs = crate::models::identifier_link::case_pairs(conn, ids, except)?;
    let candidates: Vec<i64> = pairs.iter().map(|p| p.1).collect();
    let open = crate::models::case::visible_among(conn, vis, &candidates)?;
    let mut counts = HashMap::new();
    for (id, case_id) in pairs {
        if open.contains(&case_id) {
            *counts.entry(id).or_default() += 1;
        }
    }
    Ok(counts)
}

/// Suggestions from the case's texts that are not linked yet.
pub fn suggestions(texts: &[&str], banks: &[Bank], linked: &[Correlated]) -> Vec<Suggestion> {
    let have: HashSet<(IdKind, &str)> = linked.iter().map(|c| (c.kind, c.value.as_str())).collect();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for t in texts {
        for s in extract::extract(t, banks) {
            if !have.contains(&(s.kind, s.value.as_str())) && seen.insert((s.kind, s.value.clone()))
            {
                out.push(s);
            }
        }
    }
    out.truncate(50);
    out
}
