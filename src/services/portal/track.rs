//! Tracking a report: the code and the contact given prove it; the reporter then
//! reads the unit's messages and adds information and files.

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use serde_json::json;

use super::receive::{remove_files, secret_hash};
use crate::config::Config;
use crate::domain::code::{normalise_code, CODE_LEN};
use crate::domain::form::FormErrors;
use crate::domain::sign::Signer;
use crate::domain::submission::public_status;
use crate::domain::submission::PublicStatus;
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::i18n::k;
use crate::models::audit::{self, NewAudit};
use crate::models::submission::{
    self, MessageKind, NewFile, Submission, SubmissionFile, SubmissionStatus,
};
use crate::services::identifiers::{self};
use crate::services::notify;
use crate::storage::{Refused, Stored};

/// What a reporter who proved their code sees.
pub struct Tracked {
    pub submission: Submission,
    pub status: PublicStatus,
    pub messages: Vec<submission::Message>,
    pub files: Vec<SubmissionFile>,
}

/// Looks a report up by code and the phone or e-mail given (or the anonymous
/// secret). Any mismatch is `None`, whatever the reason.
pub fn track(
    conn: &mut PgConnection,
    code: &str,
    proof: &str,
) -> Result<Option<Tracked>, AppError> {
    let code = normalise_code(code);
    let proof = proof.trim();
    if code.len() != CODE_LEN || proof.is_empty() || proof.len() > 254 {
        return Ok(None);
    }
    let Some(s) = submission::find_by_code(conn, &code)? else {
        return Ok(None);
    };
    let by_phone = identifiers::phone(proof)
        .zip(s.contact_phone.as_deref())
        .is_some_and(|(a, b)| crate::domain::token::tokens_match(&a, b));
    let by_email = identifiers::email(proof)
        .map(|e| e.to_lowercase())
        .zip(s.contact_email.as_deref())
        .is_some_and(|(a, b)| crate::domain::token::tokens_match(&a, b));
    let by_secret = s.secret_hash.as_deref().is_some_and(|h| {
        let given = secret_hash(proof);
        given.len() == h.len() && bool::from(subtle::ConstantTimeEq::ct_eq(given.as_slice(), h))
    });
    if !(by_phone || by_email || by_secret) {
        return Ok(None);
    }
    tracked(conn, s).map(Some)
}

/// The tracking view of a submission (after the proof, or from a grant).
pub fn tracked(conn: &mut PgConnection, s: Submission) -> Result<Tracked, AppError> {
    let case_status = match s.case_id {
        Some(id) => Some(crate::models::case::find(conn, id)?.status),
        None => None,
    };
    let messages = submission::messages(conn, s.id)?;
    let files = submission::files(conn, s.id)?;
    Ok(Tracked {
        status: public_status(s.status, case_status),
        submission: s,
        messages,
        files,
    })
}

/// A grant to add information to submission `id` for 30 minutes.
pub fn grant(signer: &Signer, id: i64, now: DateTime<Utc>) -> String {
    signer.token("track", &id.to_string(), now.timestamp() + 1800)
}

pub fn granted(signer: &Signer, token: &str, now: DateTime<Utc>) -> Option<i64> {
    signer.verify("track", token, now.timestamp())?.parse().ok()
}

/// The reporter adds information (text and/or files) to their submission: kept
/// in its thread, shown in the case timeline, and mailed to the assignee.
pub fn add_information(
    conn: &mut PgConnection,
    cfg: &Config,
    submission_id: i64,
    body: &str,
    uploads: &[Result<Stored, (String, Refused)>],
    meta: &RequestMeta,
) -> Result<Result<Tracked, FormErrors>, AppError> {
    let mut errors = FormErrors::default();
    let body = body.trim();
    if body.chars().count() > 10000 {
        errors.add("body", k("field-too-long"));
    }
    let good: Vec<&Stored> = uploads.iter().filter_map(|u| u.as_ref().ok()).collect();
    for u in uploads {
        if let Err((_, r)) = u {
            errors.add("evidence", k(r.key()));
        }
    }
    if body.is_empty() && good.is_empty() && errors.is_empty() {
        errors.add("body", k("field-required"));
    }
    let existing = submission::files(conn, submission_id)?.len();
    if existing + good.len() > cfg.portal.max_files * 2 {
        errors.add("evidence", k(Refused::TooMany.key()));
    }
    if !errors.is_empty() {
        let ids: Vec<String> = good.iter().map(|s| s.storage_id.clone()).collect();
        remove_files(cfg, &ids);
        return Ok(Err(errors));
    }
    conn.transaction(|conn| -> Result<(), AppError> {
        let s = submission::lock(conn, submission_id)?;
        let rows: Vec<NewFile<'_>> = good
            .iter()
            .map(|f| NewFile {
                storage_id: &f.storage_id,
                submission_id: Some(s.id),
                draft_key: None,
                original_name: &f.original_name,
                size_bytes: f.size,
                sha256: &f.sha256,
                detected_type: f.detected_type,
                follow_up: true,
            })
            .collect();
        submission::insert_files(conn, &rows)?;
        let text = if body.is_empty() {
            format!("[{} tệp]", good.len())
        } else {
            body.to_owned()
        };
        submission::add_message(conn, s.id, MessageKind::Addition, None, &text)?;
        if s.status == SubmissionStatus::InfoRequested {
            submission::set_triage(
                conn,
                s.id,
                SubmissionStatus::New,
                None,
                None,
                None,
                Utc::now(),
            )?;
        }
        if let Some(case_id) = s.case_id {
            crate::services::cases::record_reporter_addition(conn, case_id, &text, good.len())?;
            // Files sent later join the case's evidence too.
            let c = crate::models::case::find(conn, case_id)?;
            crate::services::exhibits::from_submission(conn, None, s.id, &c)?;
            notify::reporter_added(conn, cfg, case_id)?;
        }
        audit::append(
            conn,
            meta,
            NewAudit {
                actor_id: None,
                action: "submission_addition",
                target_type: Some("submission"),
                target_id: Some(s.id.to_string()),
                detail: json!({ "files": good.len(), "length": body.chars().count() }),
            },
        )?;
        Ok(())
    })?;
    let s = submission::find(conn, submission_id)?;
    tracked(conn, s).map(Ok)
}

/// A reporter asks to see or correct their personal data (`docs/domain.md`
/// §19): a task for the case's assignee (by mail and on the case page), or
/// for intake while the report is not yet a case; nothing is changed by it.
pub fn data_request(
    conn: &mut PgConnection,
    cfg: &Config,
    submission_id: i64,
    kind: &str,
    body: &str,
    meta: &RequestMeta,
) -> Result<Result<(), FormErrors>, AppError> {
    use crate::models::data_request::{self, RequestKind};
    let mut errors = FormErrors::default();
    let kind = kind.parse::<RequestKind>().ok();
    if kind.is_none() {
        errors.add("request_kind", k("data-request-kind-required"));
    }
    let body = body.trim();
    if body.is_empty() {
        errors.add("request_body", k("field-required"));
    } else if body.chars().count() > 2000 {
        errors.add("request_body", k("field-too-long"));
    }
    let Some(kind) = kind.filter(|_| errors.is_empty()) else {
        return Ok(Err(errors));
    };
    conn.transaction(|conn| {
        let s = submission::lock(conn, submission_id)?;
        if data_request::open_count(conn, s.id)? >= data_request::OPEN_MAX {
            let mut e = FormErrors::default();
            e.add("request_body", k("data-request-too-many"));
            return Ok(Err(e));
        }
        let r = data_request::insert(conn, s.id, kind, body)?;
        crate::models::audit::append(
            conn,
            meta,
            crate::models::audit::NewAudit {
                actor_id: None,
                action: "data_request_receive",
                target_type: Some("submission"),
                target_id: Some(s.id.to_string()),
                detail: serde_json::json!({ "request": r.id, "kind": kind.code() }),
            },
        )?;
        if let Some(case_id) = s.case_id {
            notify::data_request(conn, cfg, case_id)?;
        }
        Ok(Ok(()))
    })
}
