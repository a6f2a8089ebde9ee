//! `/transfers/{id}`: a case passed between units, and the receiving unit's
//! decision; `/cases/{ref}/transfer` sends one.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db;
use crate::error::AppError;
use crate::i18n::k;
use crate::routes::{extract::Ctx, pages::LayoutCtx, render, see_other_with_flash};
use crate::services::transfers::{self, TransferView};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SendForm {
    to_unit: String,
    note: String,
}

pub async fn send(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    form: web::Form<SendForm>,
) -> Result<HttpResponse, AppError> {
    let reference = path.into_inner();
    let f = form.into_inner();
    let (meta, cfg) = (ctx.req.meta.clone(), ctx.state.config.clone());
    let t = db::run(&ctx.state.pool, move |conn| {
        transfers::send(conn, &me, &meta, &cfg, &reference, &f.to_unit, &f.note)
    })
    .await?;
    Ok(see_other_with_flash(
        &format!("/transfers/{}", t.id),
        k("flash-transfer-sent"),
        &ctx.state.config,
    ))
}

#[derive(Template)]
#[template(path = "transfers/show.html")]
struct TransferPage {
    layout: LayoutCtx,
    v: TransferView,
}

pub async fn show(ctx: Ctx, me: CurrentUser, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let v = db::run(&ctx.state.pool, move |conn| transfers::view(conn, &me, id)).await?;
    render(
        StatusCode::OK,
        &TransferPage {
            layout: ctx.layout(),
            v,
        },
    )
}

pub async fn accept(
    ctx: Ctx,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let meta = ctx.req.meta.clone();
    let t = db::run(&ctx.state.pool, move |conn| {
        transfers::decide(conn, &me, &meta, id, None)
    })
    .await?;
    Ok(see_other_with_flash(
        &format!(
            "/cases/{}",
            crate::domain::value::encode_query_value(&t.case_ref)
        ),
        k("flash-transfer-accepted"),
        &ctx.state.config,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReturnForm {
    reason: String,
}

pub async fn give_back(
    ctx: Ctx,
    me: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<ReturnForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let reason = form.into_inner().reason;
    let meta = ctx.req.meta.clone();
    db::run(&ctx.state.pool, move |conn| {
        transfers::decide(conn, &me, &meta, id, Some(&reason))
    })
    .await?;
    Ok(see_other_with_flash(
        "/intake",
        k("flash-transfer-returned"),
        &ctx.state.config,
    ))
}
