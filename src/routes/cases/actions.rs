//! The case page's forms: workflow moves, assignment, notes, deadline
//! extensions, links, merges and watchers. Each answers with a redirect to the
//! case, or the case page again with its errors.

use actix_web::{http::StatusCode, web, HttpResponse};
use serde::Deserialize;

use super::show::CaseShowPage;
use crate::auth::CurrentUser;
use crate::db;
use crate::domain::form::FormErrors;
use crate::domain::value::encode_query_value;
use crate::error::AppError;
use crate::i18n::{k, MsgKey};
use crate::models::case::Status;
use crate::routes::{extract::Ctx, render, see_other, see_other_with_flash};
use crate::services::cases::{self, MoveInput};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MoveForm {
    to: String,
    reason: String,
    agency: String,
    outcome: String,
    summary: String,
}

pub async fn transition(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, AppError> {
    let reference = path.into_inner();
    let f = form.into_inner();
    let to: Status =
        f.to.parse()
            .map_err(|_| AppError::Invalid(k("move-not-allowed")))?;
    let input = MoveInput {
        reason: f.reason,
        agency: f.agency,
        outcome: f.outcome,
        summary: f.summary,
    };
    action(
        &ctx,
        &reference,
        k("flash-status-changed"),
        move |conn, me, meta, cfg, r| {
            cases::transition(conn, me, meta, cfg, r, to, &input).map(|_| ())
        },
        me,
    )
    .await
}

/// Runs one case action and returns to the case page with a flash message.
async fn action<F>(
    ctx: &Ctx,
    reference: &str,
    flash: MsgKey,
    f: F,
    me: CurrentUser,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(
            &mut diesel::PgConnection,
            &CurrentUser,
            &crate::domain::RequestMeta,
            &crate::config::Config,
            &str,
        ) -> Result<(), AppError>
        + Send
        + 'static,
{
    let st = ctx.state.clone();
    let meta = ctx.req.meta.clone();
    let r = reference.to_owned();
    db::run(&ctx.state.pool, move |conn| {
        f(conn, &me, &meta, &st.config, &r)
    })
    .await?;
    Ok(see_other_with_flash(
        &format!("/cases/{}", encode_query_value(reference)),
        flash,
        &ctx.state.config,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssignForm {
    assignee_id: String,
}

pub async fn assign(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    form: web::Form<AssignForm>,
) -> Result<HttpResponse, AppError> {
    let id: i64 = form
        .assignee_id
        .trim()
        .parse()
        .map_err(|_| AppError::Invalid(k("assign-unknown-user")))?;
    action(
        &ctx,
        &path.into_inner(),
        k("flash-assigned"),
        move |conn, me, meta, cfg, r| cases::assign(conn, me, meta, cfg, r, id).map(|_| ()),
        me,
    )
    .await
}

pub async fn take(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = me.id;
    action(
        &ctx,
        &path.into_inner(),
        k("flash-assigned"),
        move |conn, me, meta, cfg, r| cases::assign(conn, me, meta, cfg, r, id).map(|_| ()),
        me,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoteForm {
    body: String,
}

pub async fn add_note(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    form: web::Form<NoteForm>,
) -> Result<HttpResponse, AppError> {
    let reference = path.into_inner();
    let body = form.into_inner().body;
    let meta = ctx.req.meta.clone();
    let (r, b, who) = (reference.clone(), body.clone(), me.clone());
    let cfg = ctx.state.config.clone();
    match db::run(&ctx.state.pool, move |conn| {
        cases::add_note(conn, &who, &meta, &cfg, &r, &b)
    })
    .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/cases/{}#timeline",
            encode_query_value(&reference)
        ))),
        Err(AppError::Form(errors)) => {
            let meta = ctx.req.meta.clone();
            let caches = ctx.state.caches.clone();
            let v = db::run(&ctx.state.pool, move |conn| {
                cases::view(conn, &me, &meta, &reference, &caches, false, true)
            })
            .await?;
            let note_error = errors.get("body");
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &CaseShowPage {
                    layout: ctx.layout(),
                    v,
                    newest_first: true,
                    note_error,
                    errors: FormErrors::default(),
                    max_evidence_mb: ctx.state.config.evidence_max_bytes / (1024 * 1024),
                },
            )
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExtendForm {
    clock: String,
    new_date: String,
    reason: String,
    doc_no: String,
}

pub async fn extend(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    form: web::Form<ExtendForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.into_inner();
    action(
        &ctx,
        &path.into_inner(),
        k("flash-deadline-extended"),
        move |conn, me, meta, cfg, r| {
            cases::extend(
                conn,
                me,
                meta,
                cfg,
                r,
                &f.clock,
                &f.new_date,
                &f.reason,
                &f.doc_no,
            )
            .map(|_| ())
        },
        me,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OtherCaseForm {
    other: String,
}

pub async fn link(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    form: web::Form<OtherCaseForm>,
) -> Result<HttpResponse, AppError> {
    let other = form.into_inner().other;
    action(
        &ctx,
        &path.into_inner(),
        k("flash-linked"),
        move |conn, me, meta, _, r| cases::link(conn, me, meta, r, &other).map(|_| ()),
        me,
    )
    .await
}

pub async fn merge(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    form: web::Form<OtherCaseForm>,
) -> Result<HttpResponse, AppError> {
    let other = form.into_inner().other;
    action(
        &ctx,
        &path.into_inner(),
        k("flash-merged"),
        move |conn, me, meta, cfg, r| cases::merge(conn, me, meta, cfg, r, &other).map(|_| ()),
        me,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WatcherForm {
    user_id: String,
    remove: String,
}

pub async fn watchers(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    form: web::Form<WatcherForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.into_inner();
    let id: i64 = f
        .user_id
        .trim()
        .parse()
        .map_err(|_| AppError::Invalid(k("assign-unknown-user")))?;
    let watch = f.remove.is_empty();
    action(
        &ctx,
        &path.into_inner(),
        k("flash-saved"),
        move |conn, me, meta, _, r| cases::set_watcher(conn, me, meta, r, id, watch).map(|_| ()),
        me,
    )
    .await
}

/// Records money frozen or returned on the case.
pub async fn add_recovery(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    form: web::Form<cases::recoveries::RecoveryForm>,
) -> Result<HttpResponse, AppError> {
    let reference = path.into_inner();
    let form = form.into_inner();
    let meta = ctx.req.meta.clone();
    let tz = ctx.state.config.time_zone;
    let (r, who) = (reference.clone(), me.clone());
    match db::run(&ctx.state.pool, move |conn| {
        cases::recoveries::add(conn, &who, &meta, tz, &r, &form)
    })
    .await
    {
        Ok(()) => Ok(see_other_with_flash(
            &format!("/cases/{}#recoveries", encode_query_value(&reference)),
            k("flash-recovery-added"),
            &ctx.state.config,
        )),
        Err(AppError::Form(errors)) => super::show_with_errors(&ctx, me, reference, errors).await,
        Err(e) => Err(e),
    }
}

/// Removes a mistaken frozen/returned row.
pub async fn remove_recovery(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (reference, id) = path.into_inner();
    let meta = ctx.req.meta.clone();
    let r = reference.clone();
    db::run(&ctx.state.pool, move |conn| {
        cases::recoveries::remove(conn, &me, &meta, &r, id)
    })
    .await?;
    Ok(see_other_with_flash(
        &format!("/cases/{}#recoveries", encode_query_value(&reference)),
        k("flash-recovery-removed"),
        &ctx.state.config,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HoldForm {
    reason: String,
}

/// Puts the case under a legal hold (`docs/domain.md` §19).
pub async fn hold(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    form: web::Form<HoldForm>,
) -> Result<HttpResponse, AppError> {
    let reason = form.into_inner().reason;
    action(
        &ctx,
        &path.into_inner(),
        k("flash-hold-set"),
        move |conn, me, meta, _, r| {
            crate::services::retention::set_hold(conn, me, meta, r, Some(&reason))
        },
        me,
    )
    .await
}

/// Lifts the legal hold.
pub async fn release_hold(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    action(
        &ctx,
        &path.into_inner(),
        k("flash-hold-released"),
        move |conn, me, meta, _, r| crate::services::retention::set_hold(conn, me, meta, r, None),
        me,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DataAnswerForm {
    answer: String,
}

/// Records how a reporter's request about their data was answered.
pub async fn answer_data_request(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<(String, i64)>,
    form: web::Form<DataAnswerForm>,
) -> Result<HttpResponse, AppError> {
    let (reference, id) = path.into_inner();
    let answer = form.into_inner().answer;
    action(
        &ctx,
        &reference,
        k("flash-data-request-done"),
        move |conn, me, meta, cfg, r| {
            crate::services::retention::close_data_request(conn, cfg, me, meta, r, id, &answer)
        },
        me,
    )
    .await
}
