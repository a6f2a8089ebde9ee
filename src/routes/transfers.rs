//! `/transfers/{id}`: a case passed between units, and the receiving unit's
//! decision; `/cases/{ref}/transfer` sends one; `/transfers` lists what the
//! unit sent.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db;
use crate::error::AppError;
use crate::i18n::k;
use crate::routes::{extract::Ctx, pages::LayoutCtx, render, see_other_with_flash};
use crate::services::transfers::{self, SentList, SentQuery, TransferView};

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
#[template(path = "transfers/index.html")]
struct SentPage {
    layout: LayoutCtx,
    q: SentQuery,
    list: SentList,
}

impl SentPage {
    fn states(&self) -> &'static [crate::models::case_transfer::TransferState] {
        crate::models::case_transfer::TransferState::ALL
    }

    /// The filter as a query string, for the next page's link.
    fn qs(&self) -> String {
        [
            ("state", &self.q.state),
            ("from", &self.q.from),
            ("to", &self.q.to),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", crate::domain::value::encode_query_value(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }

    fn total(&self) -> String {
        crate::domain::value::fmt_thousands(self.list.total)
    }
}

pub async fn index(
    ctx: Ctx,
    me: CurrentUser,
    query: web::Query<SentQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let tz = me.unit_tz.unwrap_or(ctx.state.config.time_zone);
    let q2 = q.clone();
    let list = db::run(&ctx.state.pool, move |conn| {
        transfers::sent_list(conn, &me, tz, &q2)
    })
    .await?;
    // As the case list: a filter that cannot be read is named, with 422.
    let status = if list.bad {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        status,
        &SentPage {
            layout: ctx.layout(),
            q,
            list,
        },
    )
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
