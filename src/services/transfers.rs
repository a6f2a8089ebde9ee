//! Passing a case to another unit (`docs/domain.md` §10): the sending unit
//! transfers it, the receiving unit sees it in its intake with everything
//! attached and accepts it (the case moves; its legal clocks continue from the
//! original receipt) or returns it with a reason. Every step is in the case's
//! timeline and the audit log; the sending unit keeps a read-only summary.

use diesel::{Connection, PgConnection};
use serde_json::json;

use crate::auth::{policy, CurrentUser, RequestMeta};
use crate::config::Config;
use crate::error::AppError;
use crate::i18n::k;
use crate::models::audit::{self, NewAudit};
use crate::models::case::{self, Case};
use crate::models::case_event::{self, EventKind, NewEvent};
use crate::models::case_transfer::{self as transfer, NewTransfer, Transfer, TransferState};
use crate::models::unit;
use crate::services::{access, journal, notify};

/// Transfers shown per list.
pub const LIST: i64 = 100;

fn log(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    action: &'static str,
    t: &Transfer,
) -> Result<(), AppError> {
    audit::append(
        conn,
        meta,
        NewAudit {
            actor_id: Some(me.id),
            action,
            target_type: Some("case"),
            target_id: Some(t.case_ref.clone()),
            detail: json!({
                "transfer": t.id,
                "from_unit": t.from_unit,
                "to_unit": t.to_unit,
            }),
        },
    )?;
    Ok(())
}

fn timeline(
    conn: &mut PgConnection,
    me: &CurrentUser,
    c: &Case,
    step: &str,
    (from, to): (&str, &str),
    body: Option<String>,
) -> Result<(), AppError> {
    case_event::insert(
        conn,
        &[NewEvent {
            field: Some(step.to_owned()),
            old_value: Some(from.to_owned()),
            new_value: Some(to.to_owned()),
            body,
            ..journal::event(c, me, EventKind::Transfer)
        }],
    )?;
    Ok(())
}

/// Sends case `reference` to the unit with code `to_code`. Only one who may
/// work the case; not to one's own unit, nor to an unknown or inactive unit,
/// nor while another transfer of it is pending.
pub fn send(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    cfg: &Config,
    reference: &str,
    to_code: &str,
    note: &str,
) -> Result<Transfer, AppError> {
    conn.transaction(|conn| {
        let (c, watching) = access::load_visible(conn, me, reference, true)?;
        if !policy::can_work_case(me, &c, watching) {
            return Err(AppError::NotFound);
        }
        // The form is one select and a note on the case page: each refusal is
        // one message on the error page, and nothing is written.
        let to = match unit::find_active(conn, to_code)? {
            Some(u) if u.id == c.unit_id => return Err(AppError::Invalid(k("transfer-own-unit"))),
            Some(u) => u,
            None => return Err(AppError::Invalid(k("unit-unknown"))),
        };
        let note = note.trim();
        if note.chars().count() > 2000 {
            return Err(AppError::Invalid(k("field-too-long")));
        }
        if transfer::pending_of(conn, c.id)?.is_some() {
            return Err(AppError::Conflict(k("transfer-pending")));
        }
        let t = transfer::insert(
            conn,
            &NewTransfer {
                case_id: c.id,
                from_unit: c.unit_id,
                to_unit: to.id,
                note,
                sent_by: me.id,
                case_ref: &c.ref_,
                case_title: &c.title,
            },
        )?;
        let (from_name, to_name) = (
            unit::name_now(conn, c.unit_id)?,
            unit::name_now(conn, to.id)?,
        );
        timeline(
            conn,
            me,
            &c,
            "sent",
            (&from_name, &to_name),
            Some(note.to_owned()).filter(|n| !n.is_empty()),
        )?;
        log(conn, me, meta, "case_transfer_send", &t)?;
        notify::case_transferred(conn, cfg, &c, t.id, to.id, &from_name)?;
        Ok(t)
    })
}

/// A transfer as its page shows it.
pub struct TransferView {
    pub transfer: Transfer,
    pub from_name: String,
    pub to_name: String,
    /// The case, for the receiving unit while it decides (and for the sending
    /// unit while it is still theirs).
    pub case: Option<Case>,
    /// May `me` accept or return it now?
    pub can_decide: bool,
}

fn may_decide(me: &CurrentUser, t: &Transfer) -> bool {
    t.state == TransferState::Pending && t.to_unit == me.unit_id && policy::can_triage(me)
}

/// The transfer `id`, if `me` belongs to the receiving unit and triages
/// there, or to the sending unit; 404 otherwise.
pub fn view(conn: &mut PgConnection, me: &CurrentUser, id: i64) -> Result<TransferView, AppError> {
    let t = transfer::find(conn, id)?;
    let receiving = t.to_unit == me.unit_id && policy::can_triage(me);
    let sending = t.from_unit == me.unit_id && policy::allows(me.role, policy::Action::WorkCases);
    if !receiving && !sending {
        return Err(AppError::NotFound);
    }
    let c = case::find(conn, t.case_id)?;
    // The case's contents go to whichever unit holds it or decides on it.
    let case =
        (c.unit_id == me.unit_id || (receiving && t.state == TransferState::Pending)).then_some(c);
    Ok(TransferView {
        from_name: unit::name_now(conn, t.from_unit)?,
        to_name: unit::name_now(conn, t.to_unit)?,
        can_decide: may_decide(me, &t),
        case,
        transfer: t,
    })
}

/// Transfers waiting for `me`'s unit (its intake), and those it sent.
pub fn lists(
    conn: &mut PgConnection,
    me: &CurrentUser,
) -> Result<(Vec<TransferView>, Vec<TransferView>), AppError> {
    // The intake page lists these on every load: the names in one go.
    let names = unit::names_now(conn)?;
    let name = |id: i32| names.get(&id).cloned().unwrap_or_default();
    let mut waiting = Vec::new();
    if policy::can_triage(me) {
        for t in transfer::waiting_for(conn, me.unit_id, LIST)? {
            waiting.push(TransferView {
                from_name: name(t.from_unit),
                to_name: String::new(),
                can_decide: may_decide(me, &t),
                case: None,
                transfer: t,
            });
        }
    }
    let mut sent = Vec::new();
    if policy::allows(me.role, policy::Action::SuperviseCases) {
        for t in transfer::sent_by_unit(conn, me.unit_id, LIST)? {
            sent.push(TransferView {
                from_name: String::new(),
                to_name: name(t.to_unit),
                can_decide: false,
                case: None,
                transfer: t,
            });
        }
    }
    Ok((waiting, sent))
}

/// `/transfers`: what the unit sent, by state and the days sent (the
/// statistics' transfer figures link here).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct SentQuery {
    pub state: String,
    pub from: String,
    pub to: String,
    /// Keyset: the page after this row (`domain::value::cursor`).
    pub after: String,
}

pub struct SentList {
    pub rows: Vec<TransferView>,
    pub total: i64,
    pub next: Option<String>,
    /// A filter could not be read (and was left out).
    pub bad: bool,
}

/// One page of the transfers `me`'s unit sent (supervisors).
pub fn sent_list(
    conn: &mut PgConnection,
    me: &CurrentUser,
    tz: chrono_tz::Tz,
    q: &SentQuery,
) -> Result<SentList, AppError> {
    policy::require(me, policy::Action::SuperviseCases)?;
    let mut bad = false;
    let state = match q.state.trim() {
        "" => None,
        v => {
            let s = v.parse::<TransferState>().ok();
            bad |= s.is_none();
            s
        }
    };
    let mut day = |v: &str, plus: u64| {
        let v = v.trim();
        if v.is_empty() {
            return None;
        }
        let d = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").ok();
        bad |= d.is_none();
        let d = d?.checked_add_days(chrono::Days::new(plus))?;
        Some(crate::services::stats::start_of(d, tz))
    };
    let filter = transfer::SentFilter {
        unit: me.unit_id,
        state,
        from: day(&q.from, 0),
        to: day(&q.to, 1),
    };
    let before = match q.after.trim() {
        "" => None,
        v => {
            let c = crate::domain::value::parse_cursor(v);
            bad |= c.is_none();
            c
        }
    };
    let mut rows = transfer::sent_page(conn, &filter, before, LIST + 1)?;
    let more = rows.len() as i64 > LIST;
    rows.truncate(LIST as usize);
    let next = rows
        .last()
        .filter(|_| more)
        .map(|t| crate::domain::value::cursor(t.sent_at, t.id));
    let total = transfer::sent_count(conn, &filter)?;
    let names = unit::names_now(conn)?;
    Ok(SentList {
        rows: rows
            .into_iter()
            .map(|t| TransferView {
                from_name: String::new(),
                to_name: names.get(&t.to_unit).cloned().unwrap_or_default(),
                can_decide: false,
                case: None,
                transfer: t,
            })
            .collect(),
        total,
        next,
        bad,
    })
}

/// Accepts (`reason` None) or returns (with a reason) transfer `id`.
pub fn decide(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    id: i64,
    reason: Option<&str>,
) -> Result<Transfer, AppError> {
    conn.transaction(|conn| {
        let t = transfer::lock(conn, id)?;
        if t.to_unit != me.unit_id || !policy::can_triage(me) {
            return Err(AppError::NotFound);
        }
        if t.state != TransferState::Pending {
            return Err(AppError::Conflict(k("transfer-decided")));
        }
        let reason = match reason.map(str::trim) {
            None => None,
            Some("") => return Err(AppError::Invalid(k("transfer-reason-required"))),
            Some(r) if r.chars().count() > 2000 => {
                return Err(AppError::Invalid(k("field-too-long")))
            }
            Some(r) => Some(r),
        };
        let c = case::find(conn, t.case_id)?;
        let (from_name, to_name) = (
            unit::name_now(conn, t.from_unit)?,
            unit::name_now(conn, t.to_unit)?,
        );
        let (state, step, action) = match reason {
            None => (TransferState::Accepted, "accepted", "case_transfer_accept"),
            Some(_) => (TransferState::Returned, "returned", "case_transfer_return"),
        };
        let t = transfer::decide(conn, id, state, me.id, reason)?;
        if state == TransferState::Accepted {
            transfer::move_case(conn, c.id, t.to_unit, me.team.as_deref())?;
        }
        timeline(
            conn,
            me,
            &c,
            step,
            (&from_name, &to_name),
            reason.map(str::to_owned),
        )?;
        log(conn, me, meta, action, &t)?;
        Ok(t)
    })
}
