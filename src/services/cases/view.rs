//! The case page's view model: the case with its timeline, clocks, links,
//! watchers, identifiers, evidence and the moves the user may make.

use std::collections::HashMap;

use chrono::Utc;
use diesel::PgConnection;

use super::activity::log_reporter_view;
use crate::auth::{
    policy::{self, Action},
    CurrentUser, RequestMeta,
};
use crate::cache::Caches;
use crate::domain::workflow::{self};
use crate::error::AppError;
use crate::models::{
    case::{self, Case, Status, Transaction},
    case_event::{self, EventKind},
    category::Category,
    deadline::{self},
};
use crate::services::deadlines;
use crate::services::identifiers;

/// A clock with its state now.
pub struct ClockView {
    pub clock: deadline::Clock,
    pub state: deadlines::DeadlineState,
}

/// Everything the case page shows, filtered to what `me` may see and do.
pub struct CaseView {
    pub case: Case,
    pub identifiers: Vec<identifiers::Correlated>,
    /// (code, name) of the active units a case may be transferred to.
    pub transfer_units: Vec<(String, String)>,
    /// (transfer id, receiving unit's name) while a transfer is pending.
    pub pending_transfer: Option<(i64, String)>,
    /// The other units an identifier was reported in.
    pub units_elsewhere: HashMap<i32, crate::models::unit::UnitContact>,
    pub suggestions: Vec<crate::domain::ident::extract::Suggestion>,
    pub evidence: crate::services::exhibits::Evidence,
    pub txs: Vec<Transaction>,
    /// Money frozen or returned, and the banks the form offers.
    pub recoveries: Vec<crate::models::case_recovery::Recovery>,
    /// Reporters' requests to see or correct their data (`docs/domain.md` §19).
    pub data_requests: Vec<crate::models::data_request::DataRequest>,
    pub bank_choices: Vec<(String, String)>,
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
/// not open (`seen`: whether each case the page names may be opened).
fn hide_unseen_refs(
    seen: &HashMap<&str, bool>,
    mut events: Vec<(case_event::CaseEvent, Option<String>)>,
) -> Vec<(case_event::CaseEvent, Option<String>)> {
    for (e, _) in events
        .iter_mut()
        .filter(|(e, _)| matches!(e.kind, EventKind::Link | EventKind::Merge))
    {
        for value in [&mut e.old_value, &mut e.new_value] {
            let Some(reference) = value.as_deref() else {
                continue;
            };
            if reference.parse::<Status>().is_ok() {
                continue;
            }
            if !seen.get(reference).copied().unwrap_or(false) {
                *value = Some(String::new());
            }
        }
    }
    events
}

/// Loads the case page: one query for the case and its parts, and one for the
/// correlation counts the cache does not hold. Showing the reporter's contact
/// details is an explicit request and writes an audit row.
pub fn view(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    reference: &str,
    caches: &Caches,
    show_reporter: bool,
    newest_first: bool,
) -> Result<CaseView, AppError> {
    let page = case::page::load(conn, reference, (me.id, me.unit_id), newest_first)?;
    let watcher_ids = page.watchers;
    let watching = watcher_ids.contains(&me.id);
    let c = page.case;
    if !policy::can_view_case(me, &c, watching) {
        return Err(AppError::NotFound);
    }
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
    // Whether each case the page names may be opened: one that may not is not
    // named, not even by its reference.
    let seen: HashMap<&str, bool> = page
        .others
        .iter()
        .map(|o| {
            (
                o.case.ref_.as_str(),
                policy::can_view_case(me, &o.case, o.watching),
            )
        })
        .collect();
    let merged_into = c.merged_into_id.map(|id| {
        page.others
            .iter()
            .find(|o| o.case.id == id)
            .filter(|o| seen.get(o.case.ref_.as_str()).copied().unwrap_or(false))
            .map(|o| o.case.ref_.clone())
            .unwrap_or_default()
    });
    let linked = page
        .linked
        .iter()
        .filter_map(|id| page.others.iter().find(|o| o.case.id == *id))
        .filter(|o| policy::can_view_case(me, &o.case, false) || o.case.assignee_id == Some(me.id))
        .map(|o| o.case.clone())
        .collect();
    let clocks = page
        .clocks
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
        dir.workers_of(c.unit_id)
    } else {
        Vec::new()
    };
    let events = hide_unseen_refs(&seen, page.events);
    let identifiers = identifiers::with_links(conn, me, caches, c.id, page.links, page.elsewhere)?;
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
    let evidence = crate::services::exhibits::Evidence {
        exhibits: page.exhibits,
        custody: Vec::new(),
    };
    // The units, from the cache: naming other units and offering transfers
    // cost the case page no query.
    let units = caches.units(conn)?;
    let units_elsewhere: HashMap<i32, crate::models::unit::UnitContact> = identifiers
        .iter()
        .flat_map(|i| i.other_units.iter())
        .filter_map(|id| units.iter().find(|u| u.id == *id))
        .map(|u| (u.id, u.contact.clone()))
        .collect();
    let pending_transfer = page.pending_transfer.map(|t| {
        let name = units
            .iter()
            .find(|u| u.id == t.to_unit)
            .map(|u| u.contact.name.clone())
            .unwrap_or_default();
        (t.id, name)
    });
    // Only those who may work the case send it on.
    let transfer_units = if can_edit && pending_transfer.is_none() {
        units
            .iter()
            .filter(|u| u.active && u.id != c.unit_id)
            .map(|u| (u.contact.code.clone(), u.contact.name.clone()))
            .collect()
    } else {
        Vec::new()
    };
    Ok(CaseView {
        transfer_units,
        pending_transfer,
        units_elsewhere,
        identifiers,
        suggestions,
        evidence,
        txs: page.transactions,
        recoveries: page.recoveries,
        data_requests: page.data_requests,
        bank_choices: if can_edit {
            caches.bank_choices(conn)?.as_ref().clone()
        } else {
            Vec::new()
        },
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
