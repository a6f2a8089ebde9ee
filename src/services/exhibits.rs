//! Evidence of a case and its chain of custody: who received each file and
//! its hash at receipt, who viewed, downloaded (and why), re-verified, handed
//! over or withdrew it. Every step writes a custody row; files are never
//! deleted, and bytes that no longer match their recorded hash are never served.

use chrono::Utc;
use diesel::{Connection, PgConnection};
use serde_json::json;

use crate::auth::{policy, CurrentUser, RequestMeta};
use crate::domain::form::FormErrors;
use crate::error::AppError;
use crate::i18n::k;
use crate::models::case::{Case, CaseType};
use crate::models::case_event::{self, EventKind, NewEvent};
use crate::models::deadline::{self, ClockKind};
use crate::models::exhibit::{
    self, CustodyAction, CustodyEvent, Exhibit, ExhibitKind, NewCustodyEvent, NewExhibit,
};
use crate::models::submission;
use crate::services::access::load_visible;
use crate::services::deadlines::refresh_deadline;
use crate::services::journal::{audit_row, event};
use crate::storage::Stored;

/// What an officer states when adding an exhibit.
#[derive(Clone, Debug, Default)]
pub struct ExhibitForm {
    pub kind: String,
    pub description: String,
    pub exhibit_no: String,
    pub seal_no: String,
}

/// Checks the form before any byte of the file is kept.
pub fn validate(
    form: &ExhibitForm,
) -> Result<(ExhibitKind, Option<String>, Option<String>), FormErrors> {
    let mut e = FormErrors::default();
    let kind = match form.kind.trim() {
        "" => Some(ExhibitKind::Evidence),
        other => other.parse::<ExhibitKind>().ok(),
    };
    if kind.is_none() {
        e.add("kind", k("field-invalid-choice"));
    }
    if form.description.chars().count() > 2000 {
        e.add("description", k("field-too-long"));
    }
    let label = |name: &'static str, v: &str, e: &mut FormErrors| -> Option<String> {
        let v = v.trim();
        if v.is_empty() {
            return None;
        }
        if v.chars().count() > 40 || v.chars().any(char::is_control) {
            e.add(name, k("exhibit-label-invalid"));
            return None;
        }
        Some(v.to_owned())
    };
    let no = label("exhibit_no", &form.exhibit_no, &mut e);
    let seal = label("seal_no", &form.seal_no, &mut e);
    match kind {
        Some(kind) if e.is_empty() => Ok((kind, no, seal)),
        _ => Err(e),
    }
}

/// The case, if `me` may add evidence to it (who may work it).
pub fn case_for_upload(
    conn: &mut PgConnection,
    me: &CurrentUser,
    reference: &str,
) -> Result<Case, AppError> {
    let (c, watching) = load_visible(conn, me, reference, false)?;
    if !policy::can_work_case(me, &c, watching) {
        return Err(AppError::Forbidden);
    }
    Ok(c)
}

/// Records a file an officer has uploaded (already stored and hashed) as an
/// exhibit: its custody starts with "received" by that officer.
pub fn record_upload(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    reference: &str,
    form: &ExhibitForm,
    stored: Stored,
) -> Result<Exhibit, AppError> {
    let (kind, exhibit_no, seal_no) = validate(form).map_err(AppError::Form)?;
    conn.transaction(|conn| {
        let (c, watching) = load_visible(conn, me, reference, true)?;
        if !policy::can_work_case(me, &c, watching) {
            return Err(AppError::Forbidden);
        }
        if let Some(no) = &exhibit_no {
            if exhibit::for_case(conn, c.id)?
                .iter()
                .any(|x| x.exhibit_no.as_deref() == Some(no))
            {
                let mut e = FormErrors::default();
                e.add("exhibit_no", k("exhibit-number-taken"));
                return Err(AppError::Form(e));
            }
        }
        let now = Utc::now();
        let x = exhibit::insert(
            conn,
            &NewExhibit {
                case_id: c.id,
                storage_id: stored.storage_id.clone(),
                sha256: stored.sha256.clone(),
                size_bytes: stored.size,
                detected_type: stored.detected_type.to_owned(),
                original_name: stored.original_name.clone(),
                kind,
                source: "officer",
                description: form.description.trim().to_owned(),
                exhibit_no,
                seal_no,
                received_at: now,
                received_by: Some(me.id),
                submission_file_id: None,
            },
        )?;
        exhibit::log(
            conn,
            &NewCustodyEvent {
                exhibit_id: x.id,
                action: CustodyAction::Received,
                actor_id: Some(me.id),
                at: Some(now),
                ip: Some(meta.ip.chars().take(60).collect()),
                purpose: None,
                hash_ok: None,
                sha256_seen: Some(x.sha256.clone()),
                detail: None,
            },
        )?;
        after_new_exhibits(conn, Some(me.id), &c, &[&x])?;
        audit_row(
            conn,
            me,
            meta,
            "exhibit_add",
            &c,
            json!({ "exhibit": x.id, "sha256": x.sha256, "size": x.size_bytes, "kind": x.kind.code() }),
        )?;
        Ok(x)
    })
}

/// Timeline entries for new exhibits, and a final report stops its clock.
fn after_new_exhibits(
    conn: &mut PgConnection,
    actor_id: Option<i64>,
    c: &Case,
    new: &[&Exhibit],
) -> Result<(), AppError> {
    let events: Vec<NewEvent> = new
        .iter()
        .map(|x| NewEvent {
            case_id: c.id,
            actor_id,
            kind: Some(EventKind::Exhibit),
            new_value: Some(x.original_name.clone()),
            data: Some(json!({ "exhibit": x.id, "kind": x.kind.code(), "source": x.source })),
            ..Default::default()
        })
        .collect();
    case_event::insert(conn, &events)?;
    if c.case_type == CaseType::SecurityIncident
        && new.iter().any(|x| x.kind == ExhibitKind::FinalReport)
    {
        deadline::meet(conn, c.id, &[ClockKind::FinalReport], Utc::now())?;
        refresh_deadline(conn, c.id)?;
    }
    Ok(())
}

/// The files of a submission triaged into (or added later to) a case become
/// its exhibits, keeping their receipt time and hash; each file once.
/// `officer` is who triaged it (None for files a reporter adds afterwards).
pub fn from_submission(
    conn: &mut PgConnection,
    officer: Option<i64>,
    submission_id: i64,
    c: &Case,
) -> Result<usize, AppError> {
    let files = submission::files(conn, submission_id)?;
    let ids: Vec<i64> = files.iter().map(|f| f.id).collect();
    let done = exhibit::from_submission_files(conn, &ids)?;
    let s = submission::find(conn, submission_id)?;
    let code = crate::domain::code::format_code(&s.tracking_code);
    let mut made = Vec::new();
    for f in files.into_iter().filter(|f| !done.contains(&f.id)) {
        let x = exhibit::insert(
            conn,
            &NewExhibit {
                case_id: c.id,
                storage_id: f.storage_id.clone(),
                sha256: f.sha256.clone(),
                size_bytes: f.size_bytes,
                detected_type: f.detected_type.clone(),
                original_name: if f.original_name.is_empty() {
                    "file".into()
                } else {
                    f.original_name.clone()
                },
                kind: ExhibitKind::Evidence,
                source: "reporter",
                description: String::new(),
                exhibit_no: None,
                seal_no: None,
                received_at: f.received_at,
                received_by: None,
                submission_file_id: Some(f.id),
            },
        )?;
        // Received from the reporter through the portal (hash taken then),
        // then taken into the case by the triaging officer.
        exhibit::log(
            conn,
            &NewCustodyEvent {
                exhibit_id: x.id,
                action: CustodyAction::Received,
                actor_id: None,
                at: Some(f.received_at),
                ip: None,
                purpose: None,
                hash_ok: None,
                sha256_seen: Some(f.sha256.clone()),
                detail: Some(format!("portal {code}")),
            },
        )?;
        if let Some(officer) = officer {
            exhibit::log(
                conn,
                &NewCustodyEvent {
                    exhibit_id: x.id,
                    action: CustodyAction::Received,
                    actor_id: Some(officer),
                    at: None,
                    ip: None,
                    purpose: None,
                    hash_ok: None,
                    sha256_seen: None,
                    detail: Some(format!("triage {code} → {}", c.ref_)),
                },
            )?;
        }
        made.push(x);
    }
    if !made.is_empty() {
        let refs: Vec<&Exhibit> = made.iter().collect();
        after_new_exhibits(conn, officer, c, &refs)?;
    }
    Ok(made.len())
}

/// A case's exhibits and their custody logs, for its page and its report.
pub struct Evidence {
    pub exhibits: Vec<Exhibit>,
    pub custody: Vec<CustodyEvent>,
}

impl Evidence {
    pub fn log_of(&self, id: &i64) -> Vec<&CustodyEvent> {
        self.custody
            .iter()
            .filter(|e| e.exhibit_id == *id)
            .collect()
    }

    pub fn has_final_report(&self) -> bool {
        self.exhibits
            .iter()
            .any(|x| x.kind == ExhibitKind::FinalReport && !x.is_withdrawn())
    }
}

pub fn of_case(
    conn: &mut PgConnection,
    case_id: i64,
    with_custody: bool,
) -> Result<Evidence, AppError> {
    let exhibits = exhibit::for_case(conn, case_id)?;
    let custody = if with_custody {
        let ids: Vec<i64> = exhibits.iter().map(|x| x.id).collect();
        exhibit::custody(conn, &ids)?
    } else {
        Vec::new()
    };
    Ok(Evidence { exhibits, custody })
}

/// One exhibit of a case `me` may open.
fn visible_exhibit(
    conn: &mut PgConnection,
    me: &CurrentUser,
    reference: &str,
    id: i64,
    lock: bool,
) -> Result<(Case, bool, Exhibit), AppError> {
    let (c, watching) = load_visible(conn, me, reference, lock)?;
    let x = if lock {
        exhibit::lock(conn, id)
    } else {
        exhibit::find(conn, id)
    }
    .map_err(|_| AppError::NotFound)?;
    if x.case_id != c.id {
        return Err(AppError::NotFound);
    }
    Ok((c, watching, x))
}

fn custody_row(
    me: &CurrentUser,
    meta: &RequestMeta,
    x: &Exhibit,
    action: CustodyAction,
) -> NewCustodyEvent {
    NewCustodyEvent {
        exhibit_id: x.id,
        action,
        actor_id: Some(me.id),
        at: None,
        ip: Some(meta.ip.chars().take(60).collect()),
        purpose: None,
        hash_ok: None,
        sha256_seen: None,
        detail: None,
    }
}

/// The exhibit's page: its record and custody log. Opening it is itself logged.
pub fn view(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    reference: &str,
    id: i64,
) -> Result<(Case, Exhibit, Vec<CustodyEvent>, bool), AppError> {
    let (c, watching, x) = visible_exhibit(conn, me, reference, id, false)?;
    exhibit::log(conn, &custody_row(me, meta, &x, CustodyAction::Viewed))?;
    let log = exhibit::custody(conn, &[x.id])?;
    let can_work = policy::can_work_case(me, &c, watching);
    Ok((c, x, log, can_work))
}

fn purpose_of(raw: &str) -> Result<String, AppError> {
    let p = raw.trim();
    if p.chars().count() < 3 || p.chars().count() > 1000 {
        let mut e = FormErrors::default();
        e.add("purpose", k("exhibit-purpose-required"));
        return Err(AppError::Form(e));
    }
    Ok(p.to_owned())
}

/// Before a download: the exhibit, if `me` may have it, it is not withdrawn,
/// and a purpose is stated. Nothing is logged until the bytes are checked.
pub fn for_download(
    conn: &mut PgConnection,
    me: &CurrentUser,
    reference: &str,
    id: i64,
    purpose: &str,
) -> Result<(Exhibit, String), AppError> {
    let (_, _, x) = visible_exhibit(conn, me, reference, id, false)?;
    if x.is_withdrawn() {
        return Err(AppError::Conflict(k("exhibit-withdrawn")));
    }
    let purpose = purpose_of(purpose)?;
    Ok((x, purpose))
}

/// Logs a download once its bytes were re-hashed: "downloaded" when they
/// match the hash taken on receipt, "refused" (and nothing served) otherwise.
pub fn log_download(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    x: &Exhibit,
    purpose: &str,
    seen: Option<&str>,
) -> Result<(), AppError> {
    let ok = seen == Some(x.sha256.as_str());
    exhibit::log(
        conn,
        &NewCustodyEvent {
            purpose: Some(purpose.to_owned()),
            hash_ok: Some(ok),
            sha256_seen: seen.map(str::to_owned),
            detail: (!ok).then(|| {
                if seen.is_none() {
                    "file missing".to_owned()
                } else {
                    "hash mismatch".to_owned()
                }
            }),
            ..custody_row(
                me,
                meta,
                x,
                if ok {
                    CustodyAction::Downloaded
                } else {
                    CustodyAction::Refused
                },
            )
        },
    )?;
    if !ok {
        log::error!(
            "exhibit {} failed its hash check at download; refused",
            x.id
        );
    }
    Ok(())
}

/// Logs a re-verification of the stored bytes against the recorded hash.
pub fn log_verify(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    reference: &str,
    id: i64,
    seen: Option<&str>,
) -> Result<bool, AppError> {
    let (_, _, x) = visible_exhibit(conn, me, reference, id, false)?;
    let ok = seen == Some(x.sha256.as_str());
    exhibit::log(
        conn,
        &NewCustodyEvent {
            hash_ok: Some(ok),
            sha256_seen: seen.map(str::to_owned),
            detail: seen.is_none().then(|| "file missing".to_owned()),
            ..custody_row(me, meta, &x, CustodyAction::Verified)
        },
    )?;
    Ok(ok)
}

/// The exhibit for a verification (any one who may open the case may verify).
pub fn for_verify(
    conn: &mut PgConnection,
    me: &CurrentUser,
    reference: &str,
    id: i64,
) -> Result<Exhibit, AppError> {
    visible_exhibit(conn, me, reference, id, false).map(|(_, _, x)| x)
}

/// An exhibit still held (not withdrawn), locked, of a case `me` may work.
fn held_exhibit(
    conn: &mut PgConnection,
    me: &CurrentUser,
    reference: &str,
    id: i64,
) -> Result<(Case, Exhibit), AppError> {
    let (c, watching, x) = visible_exhibit(conn, me, reference, id, true)?;
    if !policy::can_work_case(me, &c, watching) {
        return Err(AppError::Forbidden);
    }
    if x.is_withdrawn() {
        return Err(AppError::Conflict(k("exhibit-withdrawn")));
    }
    Ok((c, x))
}

/// Withdraws an exhibit (it stays listed with its log; it can no longer be
/// downloaded). Those who may work the case may do it, with a reason.
pub fn withdraw(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    reference: &str,
    id: i64,
    reason: &str,
) -> Result<(), AppError> {
    let reason = reason.trim();
    if reason.chars().count() < 3 || reason.chars().count() > 1000 {
        let mut e = FormErrors::default();
        e.add("reason", k("exhibit-reason-required"));
        return Err(AppError::Form(e));
    }
    conn.transaction(|conn| {
        let (c, x) = held_exhibit(conn, me, reference, id)?;
        exhibit::withdraw(conn, x.id, me.id, reason, Utc::now())?;
        exhibit::log(
            conn,
            &NewCustodyEvent {
                purpose: Some(reason.to_owned()),
                ..custody_row(me, meta, &x, CustodyAction::Withdrawn)
            },
        )?;
        case_event::insert(
            conn,
            &[NewEvent {
                old_value: Some(x.original_name.clone()),
                data: Some(json!({ "exhibit": x.id, "withdrawn": true })),
                ..event(&c, me, EventKind::Exhibit)
            }],
        )?;
        audit_row(
            conn,
            me,
            meta,
            "exhibit_withdraw",
            &c,
            json!({ "exhibit": x.id }),
        )?;
        Ok(())
    })
}

/// Records a hand-over of an exhibit (to a court, an expert, another agency).
pub fn export(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    reference: &str,
    id: i64,
    recipient: &str,
    purpose: &str,
) -> Result<(), AppError> {
    let recipient = recipient.trim();
    let mut e = FormErrors::default();
    if recipient.is_empty() || recipient.chars().count() > 300 {
        e.add("recipient", k("field-required"));
    }
    let purpose = match purpose_of(purpose) {
        Ok(p) => p,
        Err(_) => {
            e.add("purpose", k("exhibit-purpose-required"));
            String::new()
        }
    };
    if !e.is_empty() {
        return Err(AppError::Form(e));
    }
    conn.transaction(|conn| {
        let (c, x) = held_exhibit(conn, me, reference, id)?;
        exhibit::log(
            conn,
            &NewCustodyEvent {
                purpose: Some(purpose.clone()),
                detail: Some(recipient.to_owned()),
                ..custody_row(me, meta, &x, CustodyAction::Exported)
            },
        )?;
        audit_row(
            conn,
            me,
            meta,
            "exhibit_export",
            &c,
            json!({ "exhibit": x.id }),
        )?;
        Ok(())
    })
}

/// The custody report of a case: every exhibit and its full log.
pub fn custody_report(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    reference: &str,
) -> Result<(Case, Evidence), AppError> {
    let (c, _) = load_visible(conn, me, reference, false)?;
    let ev = of_case(conn, c.id, true)?;
    audit_row(
        conn,
        me,
        meta,
        "custody_report",
        &c,
        json!({ "exhibits": ev.exhibits.len() }),
    )?;
    Ok((c, ev))
}
