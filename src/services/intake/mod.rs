//! Intake: the queue of public submissions for on-duty officers and supervisors,
//! each shown exactly as sent with its evidence and hits, and the triage
//! actions (open a case, attach to a case, ask the reporter, mark as spam).

pub mod report;
pub mod search;

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use serde_json::json;

use crate::auth::{policy, CurrentUser, RequestMeta};
use crate::config::Config;
use crate::domain::form::FormErrors;
use crate::domain::value::local_input;
use crate::error::AppError;
use crate::i18n::k;
use crate::models::audit::{self, NewAudit};
use crate::models::case::{self, Case};
use crate::models::case_event::{self, EventKind, NewEvent};
use crate::models::submission::{
    self, Message, MessageKind, Submission, SubmissionFile, SubmissionKind, SubmissionStatus,
};
use crate::services::cases::{self as case_service, CaseForm};
use crate::services::exhibits;
use crate::services::identifiers::{self, Hit};
use crate::services::notify::{self, ReporterMail};

fn require(me: &CurrentUser) -> Result<(), AppError> {
    if policy::can_triage(me) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Whether `me` may open case `case_id` (a triaged submission is as visible as
/// its case: on-duty officers do not read restricted cases through intake).
fn case_visible(conn: &mut PgConnection, me: &CurrentUser, case_id: i64) -> Result<bool, AppError> {
    let c = case::find(conn, case_id)?;
    let watching = case::is_watcher(conn, case_id, me.id)?;
    Ok(policy::can_view_case(me, &c, watching))
}

/// The submission, if `me` may see it.
fn visible_submission(
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: i64,
) -> Result<Submission, AppError> {
    let s = submission::find(conn, id)?;
    // Another unit's report does not exist for this one.
    if s.unit_id != me.unit_id {
        return Err(AppError::NotFound);
    }
    if let Some(cid) = s.case_id {
        if !case_visible(conn, me, cid)? {
            return Err(AppError::NotFound);
        }
    }
    Ok(s)
}

fn log(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    action: &'static str,
    id: i64,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    audit::append(
        conn,
        meta,
        NewAudit {
            actor_id: Some(me.id),
            action,
            target_type: Some("submission"),
            target_id: Some(id.to_string()),
            detail,
        },
    )?;
    Ok(())
}

/// One page of the queue (oldest first) and the number waiting.
pub struct Queue {
    pub rows: Vec<Submission>,
    pub waiting: i64,
    pub next: Option<(DateTime<Utc>, i64)>,
    pub spam: bool,
}

pub const QUEUE_PAGE: i64 = 50;

/// The queue's count stops here ("1.000+"): the page costs the same however
/// long the queue is.
pub const WAITING_CAP: i64 = 1000;

/// The queue: new and waiting-for-information submissions; `spam` lists what
/// was marked as spam instead (supervisors only).
pub fn queue(
    conn: &mut PgConnection,
    me: &CurrentUser,
    spam: bool,
    after: Option<(DateTime<Utc>, i64)>,
) -> Result<Queue, AppError> {
    require(me)?;
    if spam && me.role != crate::models::user::Role::Supervisor {
        return Err(AppError::Forbidden);
    }
    let statuses: &[SubmissionStatus] = if spam {
        &[SubmissionStatus::Spam]
    } else {
        &[SubmissionStatus::New, SubmissionStatus::InfoRequested]
    };
    let mut rows = submission::queue(conn, me.unit_id, statuses, after, QUEUE_PAGE + 1)?;
    let next = if rows.len() as i64 > QUEUE_PAGE {
        rows.truncate(QUEUE_PAGE as usize);
        rows.last().map(|s| (s.received_at, s.id))
    } else {
        None
    };
    Ok(Queue {
        waiting: submission::count_by_status(conn, me.unit_id, statuses, WAITING_CAP)?,
        rows,
        next,
        spam,
    })
}

/// An identifier (kind, value) that other units also hold.
pub struct HeldElsewhere {
    pub kind: String,
    pub value: String,
    pub units: Vec<crate::models::unit::UnitContact>,
}

/// A hit as shown: another submission, or a case (named only if `me` may open it).
pub struct HitView {
    pub kind: String,
    pub value: String,
    pub submission: Option<i64>,
    pub case_ref: Option<String>,
    /// A case exists that `me` may not open.
    pub hidden_case: bool,
}

pub struct SubmissionView {
    pub submission: Submission,
    /// Identifiers found in the narrative and messages, not linked yet.
    pub suggestions: Vec<crate::domain::ident::extract::Suggestion>,
    pub files: Vec<SubmissionFile>,
    pub messages: Vec<Message>,
    /// The reporter's requests about their data (answered once it is a case).
    pub data_requests: Vec<crate::models::data_request::DataRequest>,
    pub hits: Vec<HitView>,
    pub case_ref: Option<String>,
    pub public_status: crate::domain::submission::PublicStatus,
    /// Its identifiers that other units also hold: those units, never their
    /// cases.
    pub elsewhere: Vec<HeldElsewhere>,
}

/// The submission exactly as sent, with what it shares with other reports.
/// Each view shows reporter personal data, so each view is logged.
pub fn view(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    banks: &[crate::domain::ident::extract::Bank],
    id: i64,
) -> Result<SubmissionView, AppError> {
    require(me)?;
    let s = visible_submission(conn, me, id)?;
    log(conn, me, meta, "submission_view", id, json!({}))?;
    let raw: Vec<Hit> = identifiers::hits_for_submission(conn, id)?;
    let mut hits = Vec::new();
    for h in raw {
        // What another report went into is named only if `me` may open it.
        let via_submission = match h.other_submission {
            Some(sid) => submission::find(conn, sid)?.case_id,
            None => None,
        };
        let (case_ref, hidden_case) = match h.other_case.or(via_submission) {
            Some(cid) if case_visible(conn, me, cid)? => {
                let r = case::find(conn, cid)?.ref_;
                (h.other_case.map(|_| r), false)
            }
            Some(_) => (None, true),
            None => (None, false),
        };
        hits.push(HitView {
            kind: h.kind,
            value: h.value,
            submission: h.other_submission.filter(|_| !hidden_case),
            case_ref,
            hidden_case,
        });
    }
    let mut elsewhere: Vec<HeldElsewhere> = Vec::new();
    let shared = crate::models::identifier_link::other_units_of_submission(conn, id, s.unit_id)?;
    if !shared.is_empty() {
        let ids: Vec<i32> = shared.iter().map(|r| r.2).collect();
        let units = crate::models::unit::contacts(conn, &ids)?;
        for (kind, value, unit) in shared {
            let Some(u) = units.get(&unit).cloned() else {
                continue;
            };
            match elsewhere
                .iter_mut()
                .find(|e| e.kind == kind && e.value == value)
            {
                Some(e) => e.units.push(u),
                None => elsewhere.push(HeldElsewhere {
                    kind,
                    value,
                    units: vec![u],
                }),
            }
        }
    }
    let (case_ref, case_status) = match s.case_id {
        Some(cid) => {
            let c = case::find(conn, cid)?;
            (Some(c.ref_), Some(c.status))
        }
        None => (None, None),
    };
    let suggestions = suggestions_for(conn, &s, banks)?;
    Ok(SubmissionView {
        suggestions,
        files: submission::files(conn, id)?,
        messages: submission::messages(conn, id)?,
        data_requests: crate::models::data_request::of_submission(conn, id)?,
        hits,
        case_ref,
        public_status: crate::domain::submission::public_status(s.status, case_status),
        elsewhere,
        submission: s,
    })
}

/// What the reporter wrote (summary, narrative, later additions), read for
/// identifiers they did not enter as such; those already linked are left out.
fn suggestions_for(
    conn: &mut PgConnection,
    s: &Submission,
    banks: &[crate::domain::ident::extract::Bank],
) -> Result<Vec<crate::domain::ident::extract::Suggestion>, AppError> {
    let linked = crate::models::identifier_link::of_submission(conn, s.id)?;
    let additions: Vec<String> = submission::messages(conn, s.id)?
        .into_iter()
        .filter(|m| m.kind == MessageKind::Addition)
        .map(|m| m.body)
        .collect();
    let mut texts: Vec<&str> = vec![&s.summary, &s.narrative];
    texts.extend(additions.iter().map(String::as_str));
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for t in texts {
        for sug in crate::domain::ident::extract::extract(t, banks) {
            let known = linked
                .iter()
                .any(|(k, v)| k == sug.kind.code() && *v == sug.value);
            if !known && seen.insert((sug.kind, sug.value.clone())) {
                out.push(sug);
            }
        }
    }
    out.truncate(50);
    Ok(out)
}

/// Links a confirmed suggestion to the submission (and to its case once it
/// is in one), audited.
pub fn confirm_identifier(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    id: i64,
    kind: &str,
    value: &str,
    role: &str,
) -> Result<(), AppError> {
    require(me)?;
    let mut e = FormErrors::default();
    let kind = kind.parse::<identifiers::IdKind>().ok();
    let role = if role.is_empty() { "suspect" } else { role };
    if !identifiers::ROLES.contains(&role) {
        e.add("id_role", k("field-invalid-choice"));
    }
    // A confirmed suggestion arrives normalised; it must still be one.
    let value = kind.and_then(|kind| match value.split_once(':') {
        Some((q, v))
            if matches!(
                kind,
                identifiers::IdKind::BankAccount | identifiers::IdKind::Ewallet
            ) =>
        {
            identifiers::normalise(kind, v, q)
        }
        _ => identifiers::normalise(kind, value, ""),
    });
    let (Some(kind), Some(value)) = (kind, value) else {
        e.add("id_value", k("identifier-invalid"));
        return Err(AppError::Form(e));
    };
    if !e.is_empty() {
        return Err(AppError::Form(e));
    }
    conn.transaction(|conn| {
        let s = visible_submission(conn, me, id)?;
        let report = identifiers::Report {
            submission_id: Some(s.id),
            case_id: s.case_id,
            unit_id: s.unit_id,
            reported_at: s.received_at,
            reporter_key: identifiers::reporter_key(
                s.contact_phone.as_deref(),
                s.contact_email.as_deref(),
            ),
        };
        let (identifier, new) = identifiers::link(
            conn,
            &report,
            &identifiers::NewLink {
                kind,
                value: &value,
                role,
                source: "extracted",
                amount: 0,
                from_form: false,
                added_by: Some(me.id),
            },
        )?;
        if new {
            log(
                conn,
                me,
                meta,
                "submission_identifier",
                id,
                json!({ "identifier": identifier, "kind": kind.code() }),
            )?;
        }
        Ok(())
    })
}

/// A file of a submission, for download (logged).
pub fn file_for_download(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    id: i64,
    file_id: i64,
) -> Result<SubmissionFile, AppError> {
    require(me)?;
    visible_submission(conn, me, id)?;
    let f = submission::file(conn, id, file_id)?;
    log(
        conn,
        me,
        meta,
        "submission_file_download",
        id,
        json!({ "file": f.id, "sha256": f.sha256 }),
    )?;
    Ok(f)
}

/// Choices of the "open a case" form.
pub struct NewCaseChoice {
    pub case_type: String,
    pub category_id: String,
    pub severity: String,
}

fn payload<'a>(s: &'a Submission, key: &str) -> &'a str {
    s.payload.get(key).and_then(|v| v.as_str()).unwrap_or("")
}

/// The case form a submission becomes, with the officer's choices.
fn case_form(
    s: &Submission,
    choice: &NewCaseChoice,
    categories: &[crate::models::category::Category],
    cfg: &Config,
) -> CaseForm {
    let tz = cfg.time_zone;
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, v: &str| pairs.push((k.to_owned(), v.to_owned()));
    put("case_type", &choice.case_type);
    put("channel", "online_portal");
    put("severity", &choice.severity);
    put("tlp", "AMBER");
    // A subcategory chosen by the reporter lands under its parent.
    let chosen = choice.category_id.parse::<i32>().ok();
    match chosen.and_then(|id| categories.iter().find(|c| c.id == id)) {
        Some(c) => match c.parent_id {
            Some(parent) => {
                put("category_id", &parent.to_string());
                put("subcategory_id", &c.id.to_string());
            }
            None => put("category_id", &c.id.to_string()),
        },
        None => put("category_id", &choice.category_id),
    }
    let reporter_kind = if s.anonymous {
        "anonymous"
    } else if payload(s, "reporter_kind") == "organisation" || s.kind != SubmissionKind::Crime {
        "organisation"
    } else {
        "individual"
    };
    put("reporter_kind", reporter_kind);
    if let Some(n) = &s.reporter_name {
        put("reporter_name", n);
    } else if !payload(s, "org_name").is_empty() {
        put("reporter_name", payload(s, "org_name"));
    } else if !payload(s, "controller").is_empty() {
        put("reporter_name", payload(s, "controller"));
    }
    if let Some(p) = &s.contact_phone {
        put("reporter_phone", p);
    }
    if let Some(e) = &s.contact_email {
        put("reporter_email", e);
    }
    put("reporter_address", payload(s, "reporter_address"));
    put("reporter_national_id", payload(s, "reporter_national_id"));
    put("reporter_tax_code", payload(s, "reporter_tax_code"));
    if payload(s, "on_behalf") != "other" && s.kind == SubmissionKind::Crime {
        put("reporter_is_victim", "on");
    }
    put("victims", payload(s, "victim_name"));
    if s.confidential {
        put("confidential_reporter", "on");
    }
    put("title", &s.summary);
    put(
        "description",
        &format!(
            "{}\n\n[{}]",
            s.narrative,
            crate::domain::code::format_code(&s.tracking_code)
        ),
    );
    put("received_at", &local_input(&s.received_at, tz));
    if let Some(o) = s.occurred_at.filter(|o| *o <= s.received_at) {
        put("occurred_at", &local_input(&o, tz));
    }
    for (from, to) in [
        ("affected_system", "affected_system"),
        ("operating_unit", "operating_unit"),
        ("owner_agency", "owner_agency"),
        ("detection_method", "detection_method"),
        ("ips_domains", "ips_domains"),
        ("security_level", "system_security_level"),
        ("incident_state", "incident_state"),
        ("detected_at", "detected_at"),
    ] {
        put(to, payload(s, from));
    }
    if let Some(obj) = s.payload.as_object() {
        for (key, value) in obj {
            if key.starts_with("tx-") {
                if let Some(v) = value.as_str() {
                    put(key, v);
                }
            }
        }
    }
    CaseForm::from_pairs(pairs)
}

/// Opens a case from a submission: pre-filled from what was sent, the
/// submission linked, its identifiers linked to the case, the reporter told.
pub fn to_case(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    cfg: &Config,
    id: i64,
    choice: &NewCaseChoice,
) -> Result<Case, AppError> {
    require(me)?;
    conn.transaction(|conn| {
        let s = lock_untriaged(conn, me, id)?;
        let categories = crate::models::category::all(conn)?;
        let form = case_form(&s, choice, &categories, cfg);
        let c = case_service::create(conn, me, meta, cfg, &form)?;
        finish_triage(
            conn,
            me,
            meta,
            cfg,
            &s,
            &c,
            SubmissionStatus::Case,
            "submission_to_case",
        )?;
        Ok(c)
    })
}

/// Links a submission to the case it went into (identifiers, timeline), records
/// the triage, and tells the reporter their report's new public status.
#[allow(clippy::too_many_arguments)]
fn finish_triage(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    cfg: &Config,
    s: &Submission,
    c: &Case,
    status: SubmissionStatus,
    action: &'static str,
) -> Result<(), AppError> {
    link_to_case(conn, me, s, c)?;
    submission::set_triage(
        conn,
        s.id,
        status,
        Some(c.id),
        Some(me.id),
        None,
        Utc::now(),
    )?;
    log(conn, me, meta, action, s.id, json!({ "case": c.ref_ }))?;
    // Requests about their data made while in intake reach the case's people now.
    if crate::models::data_request::open_count(conn, s.id)? > 0 {
        notify::data_request(conn, cfg, c.id)?;
    }
    let s = submission::find(conn, s.id)?;
    notify::to_reporter(
        conn,
        cfg,
        &s,
        ReporterMail::Status(crate::domain::submission::public_status(
            s.status,
            Some(c.status),
        )),
    )
}

/// The submission, locked, if nobody has triaged it yet.
fn lock_untriaged(
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: i64,
) -> Result<Submission, AppError> {
    let s = submission::lock(conn, id)?;
    if s.unit_id != me.unit_id {
        return Err(AppError::NotFound);
    }
    if !matches!(
        s.status,
        SubmissionStatus::New | SubmissionStatus::InfoRequested
    ) {
        return Err(AppError::Conflict(k("intake-already-triaged")));
    }
    Ok(s)
}

fn link_to_case(
    conn: &mut PgConnection,
    me: &CurrentUser,
    s: &Submission,
    c: &Case,
) -> Result<(), AppError> {
    identifiers::move_to_case(conn, s.id, c.id)?;
    exhibits::from_submission(conn, Some(me.id), s.id, c)?;
    case_event::insert(
        conn,
        &[NewEvent {
            case_id: c.id,
            actor_id: Some(me.id),
            kind: Some(EventKind::Submission),
            new_value: Some(crate::domain::code::format_code(&s.tracking_code)),
            data: Some(json!({ "submission": s.id })),
            ..Default::default()
        }],
    )?;
    Ok(())
}

/// Attaches a submission to an existing case (same incident reported again).
pub fn attach(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    cfg: &Config,
    id: i64,
    case_ref: &str,
) -> Result<Case, AppError> {
    require(me)?;
    conn.transaction(|conn| {
        let s = lock_untriaged(conn, me, id)?;
        let c = crate::services::access::load_visible(conn, me, case_ref.trim(), true)
            .map(|(c, _)| c)
            .map_err(|_| {
                let mut e = FormErrors::default();
                e.add("case_ref", k("link-unknown-case"));
                AppError::Form(e)
            })?;
        finish_triage(
            conn,
            me,
            meta,
            cfg,
            &s,
            &c,
            SubmissionStatus::Attached,
            "submission_attach",
        )?;
        Ok(c)
    })
}

/// A public message to the reporter; a request for information also puts the
/// submission in "awaiting information".
pub fn message(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    cfg: &Config,
    id: i64,
    body: &str,
    request_info: bool,
) -> Result<(), AppError> {
    require(me)?;
    let body = body.trim();
    let mut e = FormErrors::default();
    if body.is_empty() {
        e.add("body", k("field-required"));
    } else if body.chars().count() > 5000 {
        e.add("body", k("field-too-long"));
    }
    if !e.is_empty() {
        return Err(AppError::Form(e));
    }
    conn.transaction(|conn| {
        visible_submission(conn, me, id)?;
        let s = submission::lock(conn, id)?;
        if s.status == SubmissionStatus::Spam {
            return Err(AppError::Conflict(k("intake-already-triaged")));
        }
        let kind = if request_info {
            MessageKind::InfoRequest
        } else {
            MessageKind::Message
        };
        submission::add_message(conn, s.id, kind, Some(me.id), body)?;
        if request_info && s.status == SubmissionStatus::New {
            submission::set_triage(
                conn,
                s.id,
                SubmissionStatus::InfoRequested,
                None,
                None,
                None,
                Utc::now(),
            )?;
        }
        log(
            conn,
            me,
            meta,
            "submission_message",
            s.id,
            json!({ "request": request_info, "length": body.chars().count() }),
        )?;
        let what = if request_info {
            ReporterMail::InfoRequest(body)
        } else {
            ReporterMail::Message(body)
        };
        notify::to_reporter(conn, cfg, &s, what)?;
        Ok(())
    })
}

/// Marks a submission as spam or abuse, with a reason. It is kept, hidden from
/// the queue and listed for supervisors.
pub fn spam(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    id: i64,
    reason: &str,
) -> Result<(), AppError> {
    require(me)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        let mut e = FormErrors::default();
        e.add(
            "reason",
            k(if reason.is_empty() {
                "field-required"
            } else {
                "field-too-long"
            }),
        );
        return Err(AppError::Form(e));
    }
    conn.transaction(|conn| {
        let s = lock_untriaged(conn, me, id)?;
        submission::set_triage(
            conn,
            s.id,
            SubmissionStatus::Spam,
            None,
            Some(me.id),
            Some(reason),
            Utc::now(),
        )?;
        log(
            conn,
            me,
            meta,
            "submission_spam",
            s.id,
            json!({ "reason": reason }),
        )?;
        Ok(())
    })
}

/// Forwards a report not yet triaged to the intake of the unit `to_code`
/// (the competent one): it leaves this unit's queue, arrives in that unit's
/// with everything attached, and its on-duty staff are told. Audited; the
/// reporter's public status does not change.
pub fn forward(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    cfg: &Config,
    id: i64,
    to_code: &str,
) -> Result<(), AppError> {
    require(me)?;
    conn.transaction(|conn| {
        let s = lock_untriaged(conn, me, id)?;
        let to = match crate::models::unit::find_active(conn, to_code)? {
            Some(u) if u.id == s.unit_id => return Err(AppError::Invalid(k("transfer-own-unit"))),
            Some(u) => u,
            None => return Err(AppError::Invalid(k("unit-unknown"))),
        };
        submission::move_to_unit(conn, s.id, to.id)?;
        log(
            conn,
            me,
            meta,
            "submission_forward",
            s.id,
            json!({ "from_unit": s.unit_id, "to_unit": to.id }),
        )?;
        let moved = submission::find(conn, s.id)?;
        notify::report_arrived(conn, cfg, &moved)?;
        Ok(())
    })
}
