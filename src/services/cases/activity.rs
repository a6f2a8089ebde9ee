//! Notes, reporter additions, watchers, links between cases and merges, and the
//! audited view of a reporter's contact details.

use chrono::Utc;
use diesel::{Connection, PgConnection};
use serde_json::json;

use super::moves::invalid;
use crate::auth::{
    policy::{self, Action},
    CurrentUser, RequestMeta,
};
use crate::config::Config;
use crate::domain::form::FormErrors;
use crate::error::AppError;
use crate::i18n::k;
use crate::models::{
    case::{self, Case, CaseState, Status},
    case_event::{self, EventKind, NewEvent},
    deadline::{self, ClockKind},
    user,
};
use crate::services::access::load_visible;
use crate::services::journal::{audit_row, event};
use crate::services::notify;

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
        if !target.active
            || !policy::allows(target.role, Action::WorkCases)
            || target.unit_id != c.unit_id
        {
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

/// Records that the reporter's contact details were shown (`docs/domain.md` §1: every
/// view of a reporter's personal data is logged).
pub fn log_reporter_view(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    c: &Case,
) -> Result<(), AppError> {
    audit_row(conn, me, meta, "case_reporter_view", c, json!({}))
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
        // One report from now on: its identifiers count as the survivor's.
        crate::models::identifier_link::merge_into(conn, dup.id, survivor.id)?;
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
