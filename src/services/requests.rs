//! Requests for details between units (`docs/domain.md` §10): a unit that
//! holds an identifier also reported elsewhere asks that unit; its
//! supervisors share chosen cases read-only (revocable) or decline. Nothing of
//! another unit's case is shown before it is shared; every step is audited.

use diesel::{Connection, PgConnection};
use serde_json::json;

use crate::auth::{policy, CurrentUser, RequestMeta};
use crate::config::Config;
use crate::error::AppError;
use crate::i18n::k;
use crate::models::audit::{self, NewAudit};
use crate::models::case::{self, Case};
use crate::models::case_share::{self, Share};
use crate::models::detail_request::{self as request, DetailRequest, NewRequest, RequestState};
use crate::models::unit;
use crate::services::notify;

pub const LIST: i64 = 100;

fn log(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    action: &'static str,
    r: &DetailRequest,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    audit::append(
        conn,
        meta,
        NewAudit {
            actor_id: Some(me.id),
            action,
            target_type: Some("detail_request"),
            target_id: Some(r.id.to_string()),
            detail,
        },
    )?;
    Ok(())
}

/// Asks the unit `to_code` for details about identifier `identifier_id`.
/// Refused unless `me` works cases in a unit that holds the identifier, and
/// the other unit (active, not one's own) holds it too.
pub fn ask(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    cfg: &Config,
    identifier_id: i64,
    to_code: &str,
    message: &str,
) -> Result<DetailRequest, AppError> {
    policy::require(me, policy::Action::WorkCases)?;
    conn.transaction(|conn| {
        if !request::unit_holds(conn, me.unit_id, identifier_id)? {
            return Err(AppError::Invalid(k("request-not-seen")));
        }
        let to = match unit::find_active(conn, to_code)? {
            Some(u) if u.id != me.unit_id => u,
            _ => return Err(AppError::Invalid(k("unit-unknown"))),
        };
        if !request::unit_holds(conn, to.id, identifier_id)? {
            return Err(AppError::Invalid(k("request-not-held")));
        }
        let message = message.trim();
        if message.is_empty() {
            return Err(AppError::Invalid(k("request-message-required")));
        }
        if message.chars().count() > 2000 {
            return Err(AppError::Invalid(k("field-too-long")));
        }
        let r = request::insert(
            conn,
            &NewRequest {
                identifier_id,
                from_unit: me.unit_id,
                to_unit: to.id,
                asked_by: me.id,
                message,
            },
        )?;
        log(
            conn,
            me,
            meta,
            "detail_request_ask",
            &r,
            json!({ "to_unit": to.id }),
        )?;
        let from_name = unit::name_now(conn, me.unit_id)?;
        notify::detail_requested(conn, cfg, to.id, r.id, &from_name)?;
        Ok(r)
    })
}

/// A request as its page shows it.
pub struct RequestView {
    pub request: DetailRequest,
    /// (kind, value) of the identifier.
    pub identifier: (String, String),
    pub from_name: String,
    pub to_name: String,
    /// (share, reference, title) of what was shared; the requesting unit sees
    /// only those still in force.
    pub shares: Vec<(Share, String, String)>,
    /// (case id, reference, title) of the answering unit's cases that hold the
    /// identifier, while `me` may answer.
    pub candidates: Vec<(i64, String, String)>,
    /// `me` supervises the answering unit.
    pub answering: bool,
}

fn answering(me: &CurrentUser, r: &DetailRequest) -> bool {
    r.to_unit == me.unit_id && policy::allows(me.role, policy::Action::SuperviseCases)
}

fn asking(me: &CurrentUser, r: &DetailRequest) -> bool {
    r.from_unit == me.unit_id && policy::allows(me.role, policy::Action::WorkCases)
}

pub fn view(conn: &mut PgConnection, me: &CurrentUser, id: i64) -> Result<RequestView, AppError> {
    let r = request::find(conn, id)?;
    let answering = answering(me, &r);
    if !answering && !asking(me, &r) {
        return Err(AppError::NotFound);
    }
    let identifier = crate::models::identifier::find(conn, r.identifier_id)?;
    let mut shares = Vec::new();
    for s in case_share::of_request(conn, r.id)? {
        if !answering && s.revoked_at.is_some() {
            continue;
        }
        let c = case::find(conn, s.case_id)?;
        shares.push((s, c.ref_, c.title));
    }
    let candidates = if answering && r.state == RequestState::Open {
        let ids = request::cases_holding(conn, me.unit_id, r.identifier_id)?;
        let mut out = Vec::new();
        for cid in ids {
            let c = case::find(conn, cid)?;
            out.push((c.id, c.ref_, c.title));
        }
        out
    } else {
        Vec::new()
    };
    Ok(RequestView {
        identifier: (identifier.0.code().to_owned(), identifier.1),
        from_name: unit::name_now(conn, r.from_unit)?,
        to_name: unit::name_now(conn, r.to_unit)?,
        shares,
        candidates,
        answering,
        request: r,
    })
}

/// Requests with the name of the other unit.
pub type Listed = Vec<(DetailRequest, String)>;

/// The requests `me`'s unit received (supervisors) and sent.
pub fn lists(conn: &mut PgConnection, me: &CurrentUser) -> Result<(Listed, Listed), AppError> {
    policy::require(me, policy::Action::WorkCases)?;
    let names = unit::names_now(conn)?;
    let name = |id: i32| names.get(&id).cloned().unwrap_or_default();
    let mut incoming = Vec::new();
    if policy::allows(me.role, policy::Action::SuperviseCases) {
        for r in request::of_unit(conn, me.unit_id, true, LIST)? {
            let from = name(r.from_unit);
            incoming.push((r, from));
        }
    }
    let mut outgoing = Vec::new();
    for r in request::of_unit(conn, me.unit_id, false, LIST)? {
        let to = name(r.to_unit);
        outgoing.push((r, to));
    }
    Ok((incoming, outgoing))
}

/// Answers request `id`: shares `case_ids` (cases of the unit holding the
/// identifier) read-only, or, with none, declines; `answer` is the note.
pub fn answer(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    id: i64,
    case_ids: &[i64],
    answer: &str,
) -> Result<DetailRequest, AppError> {
    conn.transaction(|conn| {
        let r = request::lock(conn, id)?;
        if !answering(me, &r) {
            return Err(AppError::NotFound);
        }
        if r.state != RequestState::Open {
            return Err(AppError::Conflict(k("request-answered")));
        }
        let answer = answer.trim();
        if answer.chars().count() > 2000 {
            return Err(AppError::Invalid(k("field-too-long")));
        }
        let holding = request::cases_holding(conn, me.unit_id, r.identifier_id)?;
        if case_ids.iter().any(|c| !holding.contains(c)) {
            return Err(AppError::Invalid(k("request-case-not-holding")));
        }
        let state = if case_ids.is_empty() {
            if answer.is_empty() {
                return Err(AppError::Invalid(k("request-decline-reason")));
            }
            RequestState::Declined
        } else {
            case_share::insert(conn, r.id, case_ids, me.id)?;
            RequestState::Answered
        };
        let r = request::answer(conn, id, state, me.id, answer)?;
        log(
            conn,
            me,
            meta,
            if state == RequestState::Declined {
                "detail_request_decline"
            } else {
                "detail_request_share"
            },
            &r,
            json!({ "cases": case_ids }),
        )?;
        Ok(r)
    })
}

/// Revokes a share (the sharing unit's supervisors). Returns its request.
pub fn revoke(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    share_id: i64,
) -> Result<i64, AppError> {
    conn.transaction(|conn| {
        let s = case_share::find(conn, share_id)?;
        let r = request::find(conn, s.request_id)?;
        if !answering(me, &r) {
            return Err(AppError::NotFound);
        }
        if !case_share::revoke(conn, share_id, me.id)? {
            return Err(AppError::Conflict(k("share-revoked")));
        }
        log(
            conn,
            me,
            meta,
            "case_share_revoke",
            &r,
            json!({ "case": s.case_id }),
        )?;
        Ok(r.id)
    })
}

/// A case shared with `me`'s unit, read-only, while the share is in force.
/// Each view is audited.
pub fn shared_case(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    share_id: i64,
) -> Result<(Share, Case, String), AppError> {
    let s = case_share::find(conn, share_id)?;
    let r = request::find(conn, s.request_id)?;
    if !asking(me, &r) || s.revoked_at.is_some() {
        return Err(AppError::NotFound);
    }
    let c = case::find(conn, s.case_id)?;
    let unit = unit::name_now(conn, c.unit_id)?;
    log(
        conn,
        me,
        meta,
        "case_share_view",
        &r,
        json!({ "case": c.id }),
    )?;
    Ok((s, c, unit))
}
