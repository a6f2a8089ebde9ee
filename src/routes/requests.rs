//! `/requests`: requests for details between units, and `/shares/{id}`: a
//! case shared read-only in answer to one.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::{
    policy::{self, Action},
    CurrentUser,
};
use crate::db;
use crate::error::AppError;
use crate::i18n::k;
use crate::models::case::Case;
use crate::models::case_share::Share;
use crate::routes::{extract::Ctx, pages::LayoutCtx, render, see_other_with_flash};
use crate::services::requests::{self, RequestView};

#[derive(Template)]
#[template(path = "requests/index.html")]
struct IndexPage {
    layout: LayoutCtx,
    incoming: requests::Listed,
    outgoing: requests::Listed,
}

pub async fn index(ctx: Ctx, me: CurrentUser) -> Result<HttpResponse, AppError> {
    let (incoming, outgoing) =
        db::run(&ctx.state.pool, move |conn| requests::lists(conn, &me)).await?;
    render(
        StatusCode::OK,
        &IndexPage {
            layout: ctx.layout(),
            incoming,
            outgoing,
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    identifier: i64,
    unit: String,
}

#[derive(Template)]
#[template(path = "requests/new.html")]
struct NewPage {
    layout: LayoutCtx,
    identifier: i64,
    value: String,
    unit: String,
}

pub async fn new_form(
    ctx: Ctx,
    me: CurrentUser,
    q: web::Query<NewQuery>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::WorkCases)?;
    let NewQuery { identifier, unit } = q.into_inner();
    let value = db::run(&ctx.state.pool, move |conn| {
        // Only about an identifier one's own unit holds.
        if !crate::models::detail_request::unit_holds(conn, me.unit_id, identifier)? {
            return Err(AppError::NotFound);
        }
        Ok(crate::models::identifier::find(conn, identifier)?.1)
    })
    .await?;
    render(
        StatusCode::OK,
        &NewPage {
            layout: ctx.layout(),
            identifier,
            value,
            unit,
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AskForm {
    identifier: i64,
    unit: String,
    message: String,
}

pub async fn ask(
    ctx: Ctx,
    me: CurrentUser,
    form: web::Form<AskForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.into_inner();
    let (meta, cfg) = (ctx.req.meta.clone(), ctx.state.config.clone());
    let r = db::run(&ctx.state.pool, move |conn| {
        requests::ask(conn, &me, &meta, &cfg, f.identifier, &f.unit, &f.message)
    })
    .await?;
    Ok(see_other_with_flash(
        &format!("/requests/{}", r.id),
        k("flash-request-sent"),
        &ctx.state.config,
    ))
}

#[derive(Template)]
#[template(path = "requests/show.html")]
struct ShowPage {
    layout: LayoutCtx,
    v: RequestView,
}

pub async fn show(ctx: Ctx, me: CurrentUser, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let v = db::run(&ctx.state.pool, move |conn| requests::view(conn, &me, id)).await?;
    render(
        StatusCode::OK,
        &ShowPage {
            layout: ctx.layout(),
            v,
        },
    )
}

pub async fn answer(
    ctx: Ctx,
    me: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let form = form.into_inner();
    // A case id that is not a number is not one of the unit's cases.
    let mut cases = Vec::new();
    for (_, v) in form.iter().filter(|(k, _)| k == "case") {
        cases.push(
            v.parse::<i64>()
                .map_err(|_| AppError::Invalid(k("request-case-not-holding")))?,
        );
    }
    let text = form
        .iter()
        .find(|(k, _)| k == "answer")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let meta = ctx.req.meta.clone();
    db::run(&ctx.state.pool, move |conn| {
        requests::answer(conn, &me, &meta, id, &cases, &text)
    })
    .await?;
    Ok(see_other_with_flash(
        &format!("/requests/{id}"),
        k("flash-saved"),
        &ctx.state.config,
    ))
}

pub async fn revoke(
    ctx: Ctx,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let meta = ctx.req.meta.clone();
    let request = db::run(&ctx.state.pool, move |conn| {
        requests::revoke(conn, &me, &meta, id)
    })
    .await?;
    Ok(see_other_with_flash(
        &format!("/requests/{request}"),
        k("flash-share-revoked"),
        &ctx.state.config,
    ))
}

#[derive(Template)]
#[template(path = "requests/shared.html")]
struct SharedPage {
    layout: LayoutCtx,
    share: Share,
    case: Case,
    unit: String,
}

pub async fn shared(
    ctx: Ctx,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let meta = ctx.req.meta.clone();
    let (share, case, unit) = db::run(&ctx.state.pool, move |conn| {
        requests::shared_case(conn, &me, &meta, id)
    })
    .await?;
    render(
        StatusCode::OK,
        &SharedPage {
            layout: ctx.layout(),
            share,
            case,
            unit,
        },
    )
}
