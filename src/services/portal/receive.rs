//! Receiving a report: files staged whatever happens, then everything checked
//! and, if all is well, stored whole in one transaction; staged files of forms
//! never sent are swept.

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::guards::{challenge_ok, Guards, Refusal};
use super::validate::{validate, Valid};
use crate::config::Config;
use crate::domain::code::{normalise_code, ALPHABET};
use crate::domain::form::{FormErrors, FormInput};
use crate::domain::ident::extract::Bank;
use crate::domain::sign::Signer;
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::i18n::{k, Lang};
use crate::models::audit::{self, NewAudit};
use crate::models::submission::{self, NewFile, Submission, SubmissionKind};
use crate::services::identifiers::{self};
use crate::services::notify;
use crate::storage::{Refused, Stored};

pub(super) fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(normalise_code(secret).as_bytes()).to_vec()
}

/// A report accepted.
#[derive(Debug)]
pub struct Receipt {
    pub tracking_code: String,
    /// Shown once to an anonymous reporter; only its hash is kept.
    pub secret: Option<String>,
    pub received_at: DateTime<Utc>,
    pub kind: SubmissionKind,
    pub email: Option<String>,
    /// The unit whose intake it went to.
    pub unit_id: i32,
}

/// The receipt of a report already received, for a repeat of its send.
fn receipt_of(s: &Submission, signer: &Signer) -> Receipt {
    Receipt {
        tracking_code: s.tracking_code.clone(),
        secret: s
            .anonymous
            .then(|| send_secret(signer, s.send_key.as_deref().unwrap_or(""))),
        received_at: s.received_at,
        kind: s.kind,
        email: s.contact_email.clone(),
        unit_id: s.unit_id,
    }
}

/// How long a receipt's address stays valid (it may be bookmarked).
const RECEIPT_DAYS: i64 = 90;
/// How long the one showing of an anonymous report's secret waits for the
/// receipt page after the send.
const SECRET_VIEW_SECONDS: i64 = 600;

/// The receipt's address token: the tracking code, signed, for 90 days. It
/// holds nothing but the code, which tracks nothing without the contact given.
pub fn receipt_token(signer: &Signer, code: &str, now: DateTime<Utc>) -> String {
    signer.token(
        "receipt",
        code,
        (now + chrono::Duration::days(RECEIPT_DAYS)).timestamp(),
    )
}

/// The one-time showing of a secret on the receipt of `code`, kept in a
/// short-lived cookie (never in the address).
pub fn secret_view(signer: &Signer, code: &str, secret: &str, now: DateTime<Utc>) -> String {
    signer.token(
        "receipt-secret",
        &format!("{code}:{secret}"),
        now.timestamp() + SECRET_VIEW_SECONDS,
    )
}

/// The receipt at a receipt address, and the secret when `view` is the
/// one-time showing for this report. An address not ours, expired or of no
/// report is not found.
pub fn receipt(
    conn: &mut PgConnection,
    signer: &Signer,
    token: &str,
    view: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Receipt, AppError> {
    let code = signer
        .verify("receipt", token, now.timestamp())
        .ok_or(AppError::NotFound)?;
    let s = submission::find_by_code(conn, &code)?.ok_or(AppError::NotFound)?;
    let secret = view
        .and_then(|v| signer.verify("receipt-secret", v, now.timestamp()))
        .and_then(|p| p.split_once(':').map(|(c, s)| (c.to_owned(), s.to_owned())))
        .filter(|(c, _)| *c == s.tracking_code)
        .map(|(_, secret)| secret);
    Ok(Receipt {
        tracking_code: s.tracking_code.clone(),
        secret,
        received_at: s.received_at,
        kind: s.kind,
        email: s.contact_email.clone(),
        unit_id: s.unit_id,
    })
}

/// The secret code of an anonymous report, derived from its send (the draft
/// key) with the server's key: a repeat of the send shows the same secret, and
/// only the server can compute it. 10 characters of 31: 49.5 bits.
fn send_secret(signer: &Signer, draft: &str) -> String {
    let digest = signer.digest("secret", draft);
    digest
        .as_bytes()
        .chunks(2)
        .take(10)
        .map(|pair| {
            let byte = std::str::from_utf8(pair)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .unwrap_or(0);
            char::from(ALPHABET[usize::from(byte) % ALPHABET.len()])
        })
        .collect()
}

/// (id, active) of every category.
type CategoryStates = Vec<(i32, bool)>;

/// The reference data a report is checked against: categories and bank codes.
fn reference_data(conn: &mut PgConnection) -> Result<(CategoryStates, Vec<Bank>), AppError> {
    let cats = crate::models::category::states(conn)?;
    // The banks in use, with every name they go by.
    let active = crate::models::bank::active_codes(conn)?;
    let mut banks = crate::models::bank::names(conn)?;
    banks.retain(|b| active.contains(&b.code));
    Ok((cats, banks))
}

/// Receives a report: keeps newly uploaded files staged under `draft` whatever
/// happens, then checks everything and, if all is well, stores the submission
/// with its files, identifiers, receipt mail and duty notifications in one
/// transaction.
#[allow(clippy::too_many_arguments)]
pub fn receive(
    conn: &mut PgConnection,
    cfg: &Config,
    guards: &Guards<'_>,
    kind: SubmissionKind,
    input: &FormInput,
    uploads: &[Result<Stored, (String, Refused)>],
    draft: &str,
    lang: Lang,
    meta: &RequestMeta,
) -> Result<Result<Receipt, Refusal>, AppError> {
    let now = guards.now;
    // One report per send: a repeat of a send already received (double tap,
    // reload, back-and-resend) gets the same receipt and creates nothing; the
    // files it brought again are not kept.
    if let Some(s) = submission::find_by_send_key(conn, draft)? {
        let ids: Vec<String> = uploads
            .iter()
            .filter_map(|u| u.as_ref().ok())
            .map(|s| s.storage_id.clone())
            .collect();
        remove_files(cfg, &ids);
        return Ok(Ok(receipt_of(&s, guards.signer)));
    }
    let mut errors = FormErrors::default();
    // The honeypot is filled only by robots: such a form keeps nothing it
    // uploaded. A form sent too fast, expired or with a wrong challenge answer
    // may be a person's: its files stay staged (bounded by the file limits and
    // removed after a day if never sent), so they need not be chosen again.
    let abusive = !input.get("website").is_empty();
    if abusive {
        errors.add("form", k("report-refused"));
    }
    match guards
        .signer
        .verify("form", input.get("form_ts"), now.timestamp())
        .and_then(|t| t.parse::<i64>().ok())
    {
        None => errors.add("form", k("report-form-expired")),
        Some(started) if now.timestamp() - started < guards.min_fill_seconds => {
            errors.add("form", k("report-too-fast"))
        }
        Some(_) => {}
    }
    if guards.challenge
        && !challenge_ok(
            guards.signer,
            input.get("challenge"),
            input.get("challenge_answer"),
            now,
        )
    {
        errors.add("challenge_answer", k("report-challenge-wrong"));
    }
    // Files next: what arrived is kept for the next attempt, within the limit.
    let remove: Vec<i64> = input
        .all("remove_file")
        .filter_map(|v| v.parse().ok())
        .collect();
    let removed = if remove.is_empty() {
        Vec::new()
    } else {
        submission::unstage(conn, draft, &remove)?
    };
    remove_files(cfg, &removed);
    let mut staged = submission::staged(conn, draft)?;
    let mut keep = Vec::new();
    for upload in uploads {
        match upload {
            Ok(stored) if !abusive && staged.len() + keep.len() < cfg.portal.max_files => {
                keep.push(stored)
            }
            Ok(stored) => {
                remove_files(cfg, std::slice::from_ref(&stored.storage_id));
                if !abusive {
                    errors.add("evidence", k(Refused::TooMany.key()));
                }
            }
            Err((_, refused)) => errors.add("evidence", k(refused.key())),
        }
    }
    if !keep.is_empty() {
        let rows: Vec<NewFile<'_>> = keep
            .iter()
            .map(|s| NewFile {
                storage_id: &s.storage_id,
                submission_id: None,
                draft_key: Some(draft),
                original_name: &s.original_name,
                size_bytes: s.size,
                sha256: &s.sha256,
                detected_type: s.detected_type,
                follow_up: false,
            })
            .collect();
        submission::insert_files(conn, &rows)?;
        staged = submission::staged(conn, draft)?;
    }
    // "Add another row" and "remove file" are not a send: only the files'
    // errors are shown for them.
    let steering = input.checked("add_tx") || input.checked("add_id") || !remove.is_empty();
    if steering && !abusive {
        let mut only_files = FormErrors::default();
        if let Some(key) = errors.get("evidence") {
            only_files.add("evidence", k(key));
        }
        return Ok(Err(Refusal {
            errors: only_files,
            staged,
        }));
    }
    let (categories, banks) = reference_data(conn)?;
    let provinces: Vec<String> = crate::models::report_route::provinces(conn)?
        .into_iter()
        .map(|(code, _, _)| code)
        .collect();
    let valid = validate(
        kind,
        input,
        &categories,
        &banks,
        &provinces,
        cfg.time_zone,
        lang,
        now,
        &mut errors,
    );
    let valid = match valid {
        Some(v) if errors.is_empty() => v,
        _ => return Ok(Err(Refusal { errors, staged })),
    };

    let Valid {
        mut new,
        identifiers,
    } = valid;
    let secret = new.anonymous.then(|| send_secret(guards.signer, draft));
    new.secret_hash = secret.as_deref().map(secret_hash);
    new.ip = Some(meta.ip.chars().take(60).collect());
    new.send_key = Some(draft.to_owned());
    // The unit of the reporter's province and ward, by the routing rules;
    // without one, the first unit.
    let ward = crate::domain::unit::ward_key(input.get("ward"));
    new.unit_id =
        match crate::models::report_route::unit_for(conn, input.get("province").trim(), &ward)? {
            Some(unit) => unit,
            None => crate::models::unit::first_active(conn)?,
        };
    let mut dropped = Vec::new();
    let receipt = conn.transaction(|conn| -> Result<Receipt, AppError> {
        // Two sends of one form at once: the second waits here, then finds the
        // first and answers with its receipt; what it staged is let go.
        submission::lock_send(conn, draft)?;
        if let Some(s) = submission::find_by_send_key(conn, draft)? {
            let mine: Vec<i64> = submission::staged(conn, draft)?
                .iter()
                .map(|f| f.id)
                .collect();
            dropped = submission::unstage(conn, draft, &mine)?;
            return Ok(receipt_of(&s, guards.signer));
        }
        let s = submission::insert(conn, &new)?;
        submission::attach_staged(conn, draft, s.id)?;
        let report = identifiers::Report {
            submission_id: Some(s.id),
            case_id: None,
            unit_id: s.unit_id,
            reported_at: s.received_at,
            reporter_key: identifiers::reporter_key(
                s.contact_phone.as_deref(),
                s.contact_email.as_deref(),
            ),
        };
        for (kind, value, role, amount) in &identifiers {
            identifiers::link(
                conn,
                &report,
                &identifiers::NewLink {
                    kind: *kind,
                    value,
                    role,
                    source: "reporter",
                    amount: *amount,
                    from_form: false,
                    added_by: None,
                },
            )?;
        }
        audit::append(
            conn,
            meta,
            NewAudit {
                actor_id: None,
                action: "submission_create",
                target_type: Some("submission"),
                target_id: Some(s.id.to_string()),
                detail: json!({ "kind": s.kind.code(), "files": staged.len() }),
            },
        )?;
        notify::submission_received(conn, cfg, &s)?;
        Ok(Receipt {
            tracking_code: s.tracking_code.clone(),
            secret: secret.clone(),
            received_at: s.received_at,
            kind: s.kind,
            email: s.contact_email.clone(),
            unit_id: s.unit_id,
        })
    })?;
    remove_files(cfg, &dropped);
    Ok(Ok(receipt))
}

/// Files staged with a form that was never sent are removed after a day, and
/// so are files a broken-off request left without any row.
pub fn expire_staged(conn: &mut PgConnection, cfg: &Config) -> Result<usize, AppError> {
    let ids = submission::expire_staged(conn, Utc::now() - chrono::Duration::hours(24))?;
    remove_files(cfg, &ids);
    let mut failed = None;
    let orphans = crate::storage::sweep(
        &cfg.data_dir,
        std::time::Duration::from_secs(24 * 3600),
        &mut |candidates| match submission::existing_storage_ids(conn, candidates).and_then(
            |mut known| {
                // Officers' exhibits live in the same folder.
                known.extend(crate::models::exhibit::existing_storage_ids(
                    conn, candidates,
                )?);
                Ok(known)
            },
        ) {
            Ok(known) => known,
            Err(e) => {
                // Keep everything when the database cannot say.
                failed = Some(e);
                candidates.to_vec()
            }
        },
    );
    if let Some(e) = failed {
        return Err(e.into());
    }
    Ok(ids.len() + orphans)
}

/// Deletes stored files that are not (or no longer) referenced by any row.
pub fn remove_files(cfg: &Config, storage_ids: &[String]) {
    for id in storage_ids {
        crate::storage::remove(&cfg.data_dir, cfg.s3.as_ref(), id);
    }
}
