//! Personal data kept only as long as the rules allow (`docs/domain.md` §19):
//! retention rules as data, legal holds, and the anonymisation housekeeping
//! runs (or an administrator runs, or dry-runs) on cases past their rule.

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use serde_json::json;

use crate::auth::{
    policy::{self, Action},
    CurrentUser, RequestMeta,
};
use crate::domain::form::FormErrors;
use crate::domain::redact::{Needles, MASK};
use crate::error::AppError;
use crate::i18n::k;
use crate::models::{
    audit::{self, NewAudit},
    case::{CaseType, Outcome},
    case_event::{self, EventKind, NewEvent},
    retention::{self, Due, Rule},
};
use crate::services::journal;

/// At most this many cases a run anonymises (housekeeping runs again the next
/// day; a dry run lists this many).
pub const RUN_MAX: i64 = 500;

/// A retention period as typed: whole months, 1 to 1,200.
fn months(v: &str, field: &str) -> Result<i32, AppError> {
    match v.trim().parse::<i64>() {
        Ok(m) if (1..=1200).contains(&m) => Ok(i32::try_from(m).unwrap_or(1200)),
        _ => {
            let mut e = FormErrors::default();
            e.add(field, k("retention-months-invalid"));
            Err(AppError::Form(e))
        }
    }
}

fn audit_rule(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    action: &'static str,
    rule: &Rule,
    before: Option<i32>,
) -> Result<(), AppError> {
    audit::append(
        conn,
        meta,
        NewAudit {
            actor_id: Some(me.id),
            action,
            target_type: Some("retention_rule"),
            target_id: Some(rule.id.to_string()),
            detail: json!({
                "case_type": rule.case_type.code(),
                "outcome": rule.outcome.map(|o| o.code()),
                "before": before, "after": rule.months,
            }),
        },
    )?;
    Ok(())
}

/// Changes a rule's months.
pub fn save_rule(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    id: i32,
    months_text: &str,
) -> Result<(), AppError> {
    policy::require(me, Action::ManageReferenceData)?;
    let m = months(months_text, &format!("months-{id}"))?;
    conn.transaction(|conn| {
        let before = retention::rules(conn)?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(AppError::NotFound)?;
        let rule = retention::update_rule(conn, id, m)?;
        audit_rule(
            conn,
            me,
            meta,
            "retention_rule_update",
            &rule,
            Some(before.months),
        )
    })
}

/// Adds a rule for a case type and, optionally, an outcome.
pub fn add_rule(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    case_type: &str,
    outcome: &str,
    months_text: &str,
) -> Result<(), AppError> {
    policy::require(me, Action::ManageReferenceData)?;
    let mut e = FormErrors::default();
    let ct = case_type.parse::<CaseType>().ok();
    if ct.is_none() {
        e.add("case_type", k("field-invalid-choice"));
    }
    let oc = match outcome.trim() {
        "" => Some(None),
        o => o.parse::<Outcome>().ok().map(Some),
    };
    if oc.is_none() {
        e.add("outcome", k("field-invalid-choice"));
    }
    let m = months(months_text, "months");
    if m.is_err() {
        e.add("months", k("retention-months-invalid"));
    }
    e.into_result().map_err(AppError::Form)?;
    let (Some(ct), Some(oc), Ok(m)) = (ct, oc, m) else {
        return Err(AppError::BadRequest);
    };
    conn.transaction(|conn| {
        if retention::rules(conn)?
            .iter()
            .any(|r| r.case_type == ct && r.outcome == oc)
        {
            let mut e = FormErrors::default();
            e.add("outcome", k("retention-rule-exists"));
            return Err(AppError::Form(e));
        }
        let rule = retention::insert_rule(conn, ct, oc, m)?;
        audit_rule(conn, me, meta, "retention_rule_create", &rule, None)
    })
}

/// The cases a run would anonymise now (at most [`RUN_MAX`]).
pub fn dry_run(
    conn: &mut PgConnection,
    me: &CurrentUser,
    now: DateTime<Utc>,
) -> Result<Vec<Due>, AppError> {
    policy::require(me, Action::ManageReferenceData)?;
    Ok(retention::due(conn, now, RUN_MAX)?)
}

/// Anonymises the cases past their rule, each in its own transaction with its
/// audit row; then one row for the run. `actor` is None for housekeeping.
pub fn run(
    conn: &mut PgConnection,
    actor: Option<&CurrentUser>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    if let Some(me) = actor {
        policy::require(me, Action::ManageReferenceData)?;
    }
    let due = retention::due(conn, now, RUN_MAX)?;
    let mut done = 0;
    for d in &due {
        if conn.transaction(|conn| anonymise(conn, actor.map(|a| a.id), meta, d, now))? {
            done += 1;
        }
    }
    audit::append(
        conn,
        meta,
        NewAudit {
            actor_id: actor.map(|a| a.id),
            action: "retention_run",
            target_type: None,
            target_id: None,
            detail: json!({ "anonymised": done, "at": now.to_rfc3339() }),
        },
    )?;
    Ok(done)
}

/// The daily run of housekeeping: none when a run (by any instance, or an
/// administrator's) was recorded since the start of `now`'s UTC day, so a
/// restart or a second instance does not search a million cases again.
pub fn run_daily(
    conn: &mut PgConnection,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Option<usize>, AppError> {
    let today = now.date_naive();
    if audit::last_of(conn, "retention_run")?.is_some_and(|at| at.date_naive() == today) {
        return Ok(None);
    }
    run(conn, None, meta, now).map(Some)
}

/// One case: the reporter's and victims' details cleared, and replaced
/// wherever they were written (timeline, public reports and their messages,
/// files' names, transfers, mail, the case's texts); suspects' identifiers,
/// money and figures stay. Skipped (false) when the case was put under a hold
/// or anonymised since it was found due.
fn anonymise(
    conn: &mut PgConnection,
    actor: Option<i64>,
    meta: &RequestMeta,
    d: &Due,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let Some(details) = retention::details(conn, d.id)? else {
        return Ok(false);
    };
    let mut needles = Needles::default();
    for w in details
        .reporter
        .iter()
        .chain(&details.accounts)
        .flatten()
        .chain(&details.victim_identifiers)
    {
        needles.add_word(w);
    }
    // The victims field lists people: each name is looked for on its own.
    for name in details
        .victims
        .iter()
        .flat_map(|v| v.split([',', ';', '\n']))
    {
        needles.add_word(name);
    }
    for p in details
        .phones
        .iter()
        .flatten()
        .chain(&details.victim_identifiers)
    {
        needles.add_phone(p);
    }
    let redact = |t: &str| needles.redact(t);
    retention::mark(conn, d.id, now)?;
    retention::declare_anonymising(conn, true)?;
    // Mail to the reporter is found by their address, before it is cleared.
    let others = retention::redact_other_texts(conn, d.id, &redact)?;
    let (title, description, summary, extra) = details.texts;
    retention::clear_case(
        conn,
        d.id,
        (
            redact(&title),
            redact(&description),
            summary.as_deref().map(redact),
            redact(&extra),
        ),
        now,
    )?;
    let events = retention::redact_events(conn, d.id, &redact, MASK)?;
    let reports = retention::clear_submissions(conn, d.id, &redact)?;
    let links = retention::drop_victim_links(conn, d.id)?;
    crate::models::data_request::redact_of_case(conn, d.id, &redact)?;
    retention::declare_anonymising(conn, false)?;
    audit::append(
        conn,
        meta,
        NewAudit {
            actor_id: actor,
            action: "case_anonymise",
            target_type: Some("case"),
            target_id: Some(d.ref_.clone()),
            detail: json!({
                "decided_at": d.decided_at.to_rfc3339(), "months": d.months,
                "events_redacted": events, "reports_cleared": reports,
                "victim_links_removed": links, "other_texts_redacted": others,
            }),
        },
    )?;
    Ok(true)
}

/// Puts a case under a legal hold (`reason` Some) or lifts it: its personal
/// data are then kept whatever the rules say. Supervisors only; audited and on
/// the timeline.
pub fn set_hold(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    reference: &str,
    reason: Option<&str>,
) -> Result<(), AppError> {
    policy::require(me, Action::SuperviseCases)?;
    let reason = match reason.map(str::trim) {
        Some("") => return Err(AppError::Invalid(k("hold-reason-required"))),
        Some(r) if r.chars().count() > 500 => return Err(AppError::Invalid(k("hold-reason-long"))),
        other => other,
    };
    conn.transaction(|conn| {
        let (c, _) = crate::services::access::load_visible(conn, me, reference, true)?;
        if c.anonymised_at.is_some() {
            return Err(AppError::Invalid(k("hold-anonymised")));
        }
        if reason.is_none() && c.hold_at.is_none() {
            return Ok(());
        }
        retention::set_hold(conn, c.id, reason.map(|r| (r, me.id)), Utc::now())?;
        case_event::insert(
            conn,
            &[NewEvent {
                field: Some("legal_hold".into()),
                old_value: c.hold_reason.clone(),
                new_value: reason.map(str::to_owned),
                ..journal::event(&c, me, EventKind::Field)
            }],
        )?;
        let action = if reason.is_some() {
            "case_hold_set"
        } else {
            "case_hold_release"
        };
        journal::audit_row(conn, me, meta, action, &c, json!({ "reason": reason }))?;
        Ok(())
    })
}

/// The assignee (or a supervisor) records how a reporter's request about
/// their data was answered; any change to the data itself is made by editing
/// the case, as for any other correction.
pub fn close_data_request(
    conn: &mut PgConnection,
    cfg: &crate::config::Config,
    me: &CurrentUser,
    meta: &RequestMeta,
    reference: &str,
    id: i64,
    answer: &str,
) -> Result<(), AppError> {
    let answer = answer.trim();
    if answer.is_empty() {
        return Err(AppError::Invalid(k("data-request-answer-required")));
    }
    if answer.chars().count() > 2000 {
        return Err(AppError::Invalid(k("data-request-answer-long")));
    }
    conn.transaction(|conn| {
        let (c, watching) = crate::services::access::load_visible(conn, me, reference, true)?;
        if !policy::can_work_case(me, &c, watching) {
            return Err(AppError::Forbidden);
        }
        let Some(request) = crate::models::data_request::of_case(conn, c.id)?
            .into_iter()
            .find(|r| r.id == id)
        else {
            return Err(AppError::NotFound);
        };
        if crate::models::data_request::close(conn, c.id, id, me.id, answer, Utc::now())? == 0 {
            return Err(AppError::Invalid(k("data-request-already-done")));
        }
        // The answer reaches the reporter like any message: on the tracking
        // page, and by mail if they gave an address.
        let s = crate::models::submission::find(conn, request.submission_id)?;
        crate::models::submission::add_message(
            conn,
            s.id,
            crate::models::submission::MessageKind::Message,
            Some(me.id),
            answer,
        )?;
        crate::services::notify::to_reporter(
            conn,
            cfg,
            &s,
            crate::services::notify::ReporterMail::Message(answer),
        )?;
        case_event::insert(
            conn,
            &[NewEvent {
                field: Some("data_request".into()),
                body: Some(answer.to_owned()),
                data: Some(json!({ "request": id })),
                ..journal::event(&c, me, EventKind::Reporter)
            }],
        )?;
        journal::audit_row(
            conn,
            me,
            meta,
            "data_request_answer",
            &c,
            json!({ "request": id }),
        )?;
        Ok(())
    })
}
