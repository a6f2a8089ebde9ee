//! Workflow moves (`domain::workflow`), assignment and deadline extensions.

use chrono::{NaiveDate, Utc};
use diesel::{Connection, PgConnection};
use serde_json::json;

use super::edit::start_clocks;
use crate::auth::{
    policy::{self, Action},
    CurrentUser, RequestMeta,
};
use crate::config::Config;
use crate::domain::workflow::{self, Needs};
use crate::error::AppError;
use crate::i18n::{k, MsgKey};
use crate::models::{
    case::{self, Case, CaseState, CaseType, Outcome, Status},
    case_event::{self, EventKind, NewEvent},
    deadline::{self, ClockKind, StartsFrom},
    user,
};
use crate::services::access::load_visible;
use crate::services::journal::{audit_row, event};
use crate::services::{deadlines, notify};

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

pub(super) fn invalid(key: MsgKey) -> AppError {
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
        record_moments(conn, &c, to, &mut state, now)?;
        let updated = case::update_state(conn, c.id, &state, me.id)?;
        match to {
            Status::Resolved => {
                deadline::meet(conn, c.id, DECIDED_CLOCKS, now)?;
                start_clocks(
                    conn,
                    &updated,
                    &[StartsFrom::Resolved],
                    me.tz(cfg.time_zone),
                    now,
                )?;
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

/// The moments a move sets for the figures (`docs/domain.md` §13): the first
/// classification, the decision and, for the first decision of a crime report,
/// whether it was in time.
fn record_moments(
    conn: &mut PgConnection,
    c: &Case,
    to: Status,
    state: &mut CaseState,
    now: chrono::DateTime<Utc>,
) -> Result<(), AppError> {
    if c.status == Status::New && c.classified_at.is_none() {
        state.classified_at = Some(Some(now));
    }
    match workflow::decision(c.status, to) {
        workflow::Decision::Decides => {
            state.decided_at = Some(Some(now));
            if c.case_type == CaseType::CrimeReport && c.decide_compliance.is_none() {
                if let Some(clock) = deadline::clocks(conn, c.id)?
                    .into_iter()
                    .find(|cl| cl.kind == ClockKind::Decide)
                {
                    let at = clock.met_at.unwrap_or(now);
                    state.decide_compliance = Some(Some(
                        workflow::compliance(at, clock.first_due(), clock.due_at).to_owned(),
                    ));
                }
            }
        }
        workflow::Decision::Undoes => state.decided_at = Some(None),
        workflow::Decision::Keeps => {}
    }
    Ok(())
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
        // Only someone of the case's unit works it.
        if !target.active
            || !policy::allows(target.role, Action::WorkCases)
            || target.unit_id != c.unit_id
        {
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
        if c.classified_at.is_none() && c.status == Status::New {
            state.classified_at = Some(Some(now));
        }
        if c.assigned_at.is_none() {
            state.assigned_at = Some(Some(now));
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
    let new_due = deadlines::end_of_day(date, me.tz(cfg.time_zone));
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
            me.tz(cfg.time_zone),
        )
        .map_err(invalid)?;
        deadline::extend(conn, clock.id, new_due)?;
        crate::services::deadlines::refresh_deadline(conn, c.id)?;
        let updated = case::update_state(conn, c.id, &CaseState::default(), me.id)?;
        case_event::insert(
            conn,
            &[NewEvent {
                field: Some(kind.code().into()),
                old_value: Some(crate::i18n::fmt_datetime(
                    &clock.due_at,
                    me.tz(cfg.time_zone),
                )),
                new_value: Some(crate::i18n::fmt_datetime(&new_due, me.tz(cfg.time_zone))),
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
