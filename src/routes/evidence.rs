//! `/cases/{ref}/exhibits…`: attaching evidence, its page and custody log,
//! downloads (re-hashed, with a stated purpose), verification, withdrawal,
//! hand-over, and the printable custody report.

use actix_multipart::Multipart;
use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db;
use crate::domain::form::FormErrors;
use crate::domain::value::encode_query_value;
use crate::error::AppError;
use crate::i18n::k;
use crate::models::case::Case;
use crate::models::exhibit::{CustodyEvent, Exhibit};
use crate::routes::{
    cases::show_with_errors, extract::Ctx, multipart, pages::LayoutCtx, render,
    see_other_with_flash,
};
use crate::services::exhibits::{self, Evidence, ExhibitForm};
use crate::storage::{Refused, Stored};

const FIELD_BYTES: usize = 8 * 1024;

/// Who did a custody step: a staff name, or the reporter (no account).
fn who(
    layout: &LayoutCtx,
    names: &std::collections::HashMap<i64, String>,
    id: &Option<i64>,
) -> String {
    match id {
        Some(id) => names.get(id).cloned().unwrap_or_default(),
        None => layout.t("custody-reporter"),
    }
}

fn case_url(reference: &str) -> String {
    format!("/cases/{}", encode_query_value(reference))
}

/// Reads the form: its text fields (bounded) and one file, written to storage
/// in batches off the async worker and hashed as it arrives. Past the limit
/// nothing more is kept and the request is refused (413).
async fn read_upload(
    ctx: &Ctx,
    payload: Multipart,
) -> Result<(ExhibitForm, Option<Result<Stored, Refused>>), AppError> {
    let cfg = &ctx.state.config;
    let limits = multipart::Limits {
        max_fields: 20,
        name_chars: 40,
        field_bytes: FIELD_BYTES,
        cut_long_text: false,
        text_total_bytes: 20 * FIELD_BYTES,
        file_field: "file",
        max_files: 1,
        file_bytes: cfg.evidence_max_bytes,
        total_bytes: None,
        any_type: true,
        oversize_fails: true,
    };
    let parts = multipart::read(cfg, payload, &ctx.req.csrf, &limits, &|_| true).await?;
    let field = |name: &str| parts.input.get(name).to_owned();
    let form = ExhibitForm {
        kind: field("kind"),
        description: field("description"),
        exhibit_no: field("exhibit_no"),
        seal_no: field("seal_no"),
    };
    let stored = parts
        .files
        .into_iter()
        .next()
        .map(|f| f.map_err(|(_, r)| r));
    Ok((form, stored))
}

pub async fn upload(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let reference = path.into_inner();
    // Who may add evidence is checked before a byte is stored.
    let (r, who) = (reference.clone(), me.clone());
    db::run(&ctx.state.pool, move |conn| {
        exhibits::case_for_upload(conn, &who, &r)
    })
    .await?;
    let (form, stored) = read_upload(&ctx, payload).await?;
    let stored = match stored {
        Some(Ok(s)) => s,
        Some(Err(Refused::TooLarge)) => return Err(AppError::TooLarge),
        Some(Err(refused)) => {
            let mut e = FormErrors::default();
            e.add("file", k(refused.key()));
            return show_with_errors(&ctx, me, reference, e).await;
        }
        None => {
            let mut e = FormErrors::default();
            e.add("file", k("exhibit-file-required"));
            return show_with_errors(&ctx, me, reference, e).await;
        }
    };
    let storage_id = stored.storage_id.clone();
    let meta = ctx.req.meta.clone();
    let (r, who) = (reference.clone(), me.clone());
    let result = db::run(&ctx.state.pool, move |conn| {
        exhibits::record_upload(conn, &who, &meta, &r, &form, stored)
    })
    .await;
    match result {
        Ok(x) => Ok(see_other_with_flash(
            &format!("{}/exhibits/{}", case_url(&reference), x.id),
            k("flash-exhibit-added"),
            &ctx.state.config,
        )),
        Err(e) => {
            // Not recorded: the stored bytes belong to nothing.
            let cfg = ctx.state.config.clone();
            web::block(move || crate::services::portal::remove_files(&cfg, &[storage_id])).await?;
            match e {
                AppError::Form(errors) => show_with_errors(&ctx, me, reference, errors).await,
                other => Err(other),
            }
        }
    }
}

#[derive(Template)]
#[template(path = "cases/exhibit.html")]
struct ExhibitPage {
    layout: LayoutCtx,
    case: Case,
    x: Exhibit,
    log: Vec<CustodyEvent>,
    can_work: bool,
    errors: FormErrors,
    names: std::collections::HashMap<i64, String>,
}

impl ExhibitPage {
    fn size(&self, bytes: &i64) -> String {
        crate::domain::value::human_size(*bytes)
    }
    fn who(&self, id: &Option<i64>) -> String {
        who(&self.layout, &self.names, id)
    }
    fn err(&self, field: &str) -> Option<&'static str> {
        self.errors.get(field)
    }
}

async fn exhibit_page(
    ctx: &Ctx,
    me: CurrentUser,
    reference: String,
    id: i64,
    errors: FormErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let meta = ctx.req.meta.clone();
    let caches = ctx.state.caches.clone();
    let (case, x, log, can_work, dir) = db::run(&ctx.state.pool, move |conn| {
        let (c, x, log, can_work) = exhibits::view(conn, &me, &meta, &reference, id)?;
        let mut ids: Vec<i64> = log.iter().filter_map(|e| e.actor_id).collect();
        ids.extend(x.received_by);
        ids.extend(x.withdrawn_by);
        let dir = caches.directory(conn, &ids)?;
        let names = ids.iter().map(|id| (*id, dir.name(*id))).collect();
        Ok((c, x, log, can_work, names))
    })
    .await?;
    render(
        status,
        &ExhibitPage {
            layout: ctx.layout(),
            case,
            x,
            log,
            can_work,
            errors,
            names: dir,
        },
    )
}

pub async fn show(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (reference, id) = path.into_inner();
    exhibit_page(
        &ctx,
        me,
        reference,
        id,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PurposeForm {
    purpose: String,
    reason: String,
    recipient: String,
}

/// Sends the exhibit as an attachment after re-hashing the bytes about to be
/// served: a file that no longer matches its receipt hash is refused (409)
/// and the refusal logged. The file is hashed and then sent from the same open
/// handle, so a file swapped on disk in between is not what gets served.
pub async fn download(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<(String, i64)>,
    form: web::Form<PurposeForm>,
) -> Result<HttpResponse, AppError> {
    let (reference, id) = path.into_inner();
    let purpose = form.into_inner().purpose;
    let (r, who) = (reference.clone(), me.clone());
    let checked = db::run(&ctx.state.pool, move |conn| {
        exhibits::for_download(conn, &who, &r, id, &purpose)
    })
    .await;
    let (x, purpose) = match checked {
        Ok(v) => v,
        Err(AppError::Form(errors)) => {
            return exhibit_page(
                &ctx,
                me,
                reference,
                id,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => return Err(e),
    };
    let (data_dir, s3, sid) = (
        ctx.state.config.data_dir.clone(),
        ctx.state.config.s3.clone(),
        x.storage_id.clone(),
    );
    let opened =
        web::block(move || crate::storage::open_verified(&data_dir, s3.as_ref(), &sid)).await??;
    let (file, seen) = match opened {
        Some((f, h)) => (Some(f), Some(h)),
        None => (None, None),
    };
    let meta = ctx.req.meta.clone();
    let (x2, who, p) = (x.clone(), me.clone(), purpose.clone());
    let seen2 = seen.clone();
    db::run(&ctx.state.pool, move |conn| {
        exhibits::log_download(conn, &who, &meta, &x2, &p, seen2.as_deref())
    })
    .await?;
    let (Some(file), Some(seen)) = (file, seen) else {
        return Err(AppError::Conflict(k("exhibit-file-missing")));
    };
    if seen != x.sha256 {
        return Err(AppError::Conflict(k("exhibit-hash-mismatch")));
    }
    Ok(attachment(
        file,
        x.size_bytes,
        &x.detected_type,
        &download_name(&x),
    ))
}

/// A stored file as an attachment: streamed from its open handle in 256 KB
/// reads off the async worker, with `nosniff` and a sandbox CSP, never inline.
pub fn attachment(file: std::fs::File, size: i64, content_type: &str, name: &str) -> HttpResponse {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = encode_query_value(name);
    let stream = futures_util::stream::unfold(file, |mut f| async move {
        let read = web::block(move || {
            use std::io::Read;
            let mut buf = vec![0u8; 256 * 1024];
            let n = f.read(&mut buf)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>((f, buf))
        })
        .await;
        match read {
            Ok(Ok((_, buf))) if buf.is_empty() => None,
            Ok(Ok((f, buf))) => Some((Ok::<_, std::io::Error>(web::Bytes::from(buf)), f)),
            Ok(Err(e)) => {
                log::error!("reading a stored file for download failed: {e}");
                None
            }
            Err(_) => None,
        }
    });
    HttpResponse::Ok()
        .content_type(content_type)
        .no_chunking(u64::try_from(size).unwrap_or(0))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Security-Policy", "default-src 'none'; sandbox"))
        .insert_header(("Cache-Control", "no-store"))
        .streaming(stream)
}

/// Officers' files keep their own name when their type cannot be told;
/// otherwise the name's extension follows the detected type.
fn download_name(x: &Exhibit) -> String {
    if x.detected_type == "application/octet-stream" || x.source == "officer" {
        crate::storage::clean_name(&x.original_name)
    } else {
        crate::storage::download_name(&x.original_name, &x.detected_type)
    }
}

pub async fn verify(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (reference, id) = path.into_inner();
    let (r, who) = (reference.clone(), me.clone());
    let x = db::run(&ctx.state.pool, move |conn| {
        exhibits::for_verify(conn, &who, &r, id)
    })
    .await?;
    let (data_dir, s3) = (
        ctx.state.config.data_dir.clone(),
        ctx.state.config.s3.clone(),
    );
    let storage_id = x.storage_id.clone();
    let seen = web::block(move || crate::storage::hash_kept(&data_dir, s3.as_ref(), &storage_id))
        .await??;
    let meta = ctx.req.meta.clone();
    let r = reference.clone();
    let ok = db::run(&ctx.state.pool, move |conn| {
        exhibits::log_verify(conn, &me, &meta, &r, id, seen.as_deref())
    })
    .await?;
    Ok(see_other_with_flash(
        &format!("{}/exhibits/{id}", case_url(&reference)),
        if ok {
            k("flash-exhibit-verified")
        } else {
            k("flash-exhibit-mismatch")
        },
        &ctx.state.config,
    ))
}

pub async fn withdraw(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<(String, i64)>,
    form: web::Form<PurposeForm>,
) -> Result<HttpResponse, AppError> {
    let reason = form.into_inner().reason;
    exhibit_action(
        ctx,
        me,
        path.into_inner(),
        k("flash-exhibit-withdrawn"),
        move |conn, me, meta, r, id| exhibits::withdraw(conn, me, meta, r, id, &reason),
    )
    .await
}

pub async fn export(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<(String, i64)>,
    form: web::Form<PurposeForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.into_inner();
    exhibit_action(
        ctx,
        me,
        path.into_inner(),
        k("flash-exhibit-exported"),
        move |conn, me, meta, r, id| {
            exhibits::export(conn, me, meta, r, id, &f.recipient, &f.purpose)
        },
    )
    .await
}

/// Runs a form action on an exhibit: back to its page with `flash`, or the
/// page again with the form's errors (422).
async fn exhibit_action<F>(
    ctx: Ctx,
    me: CurrentUser,
    (reference, id): (String, i64),
    flash: crate::i18n::MsgKey,
    action: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(
            &mut diesel::PgConnection,
            &CurrentUser,
            &crate::domain::RequestMeta,
            &str,
            i64,
        ) -> Result<(), AppError>
        + Send
        + 'static,
{
    let meta = ctx.req.meta.clone();
    let (r, who) = (reference.clone(), me.clone());
    match db::run(&ctx.state.pool, move |conn| {
        action(conn, &who, &meta, &r, id)
    })
    .await
    {
        Ok(()) => Ok(see_other_with_flash(
            &format!("{}/exhibits/{id}", case_url(&reference)),
            flash,
            &ctx.state.config,
        )),
        Err(AppError::Form(errors)) => {
            exhibit_page(
                &ctx,
                me,
                reference,
                id,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "cases/custody.html")]
struct CustodyPage {
    layout: LayoutCtx,
    case: Case,
    ev: Evidence,
    names: std::collections::HashMap<i64, String>,
    printed_at: chrono::DateTime<chrono::Utc>,
}

impl CustodyPage {
    fn size(&self, bytes: &i64) -> String {
        crate::domain::value::human_size(*bytes)
    }
    fn who(&self, id: &Option<i64>) -> String {
        who(&self.layout, &self.names, id)
    }
}

pub async fn custody(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let reference = path.into_inner();
    let meta = ctx.req.meta.clone();
    let caches = ctx.state.caches.clone();
    let (case, ev, names) = db::run(&ctx.state.pool, move |conn| {
        let (c, ev) = exhibits::custody_report(conn, &me, &meta, &reference)?;
        let mut ids: Vec<i64> = ev.custody.iter().filter_map(|e| e.actor_id).collect();
        ids.extend(ev.exhibits.iter().filter_map(|x| x.received_by));
        let dir = caches.directory(conn, &ids)?;
        let names = ids.iter().map(|id| (*id, dir.name(*id))).collect();
        Ok((c, ev, names))
    })
    .await?;
    render(
        StatusCode::OK,
        &CustodyPage {
            layout: ctx.layout(),
            case,
            ev,
            names,
            printed_at: chrono::Utc::now(),
        },
    )
}
