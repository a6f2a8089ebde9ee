//! `/identifiers`: search by any written form, the hot list and its CSV, an
//! identifier's page; and on a case, linking/unlinking identifiers and the
//! CSV and STIX exports.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::{
    policy::{self, Action},
    CurrentUser,
};
use crate::db;
use crate::domain::value::encode_query_value;
use crate::error::AppError;
use crate::i18n::k;
use crate::routes::{
    cases::show_with_errors, extract::Ctx, pages::LayoutCtx, render, see_other_with_flash,
};
use crate::services::identifiers::{
    self, AddForm, Found, Hot, IdKind, IdentifierPage, HOT_WINDOWS,
};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct IndexQuery {
    q: String,
    days: String,
    /// Why, when the search finds a victim's own identifier.
    purpose: String,
}

fn days_of(raw: &str) -> i64 {
    raw.parse::<i64>()
        .ok()
        .filter(|d| HOT_WINDOWS.contains(d))
        .unwrap_or(30)
}

#[derive(Template)]
#[template(path = "identifiers/index.html")]
struct IndexPage {
    layout: LayoutCtx,
    q: String,
    searched: bool,
    found: Vec<Found>,
    days: i64,
    hot: Option<Vec<Hot>>,
    hot_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The national list (national analysts): units counted, no case opened.
    national: bool,
    purpose: String,
}

impl IndexPage {
    fn computed(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        self.layout
            .t1("identifiers-hot-computed", "at", &self.layout.dt(at))
    }
    fn windows(&self) -> &'static [i64] {
        HOT_WINDOWS
    }
    fn vnd(&self, amount: &i64) -> String {
        crate::domain::value::fmt_vnd(*amount)
    }
    fn kind_key(&self, kind: &str) -> String {
        kind.parse::<IdKind>()
            .map(|k| self.layout.t(k.label_key()))
            .unwrap_or_else(|_| kind.to_owned())
    }
}

pub async fn index(
    ctx: Ctx,
    me: CurrentUser,
    q: web::Query<IndexQuery>,
) -> Result<HttpResponse, AppError> {
    let national = policy::allows(me.role, Action::ReadNationalCorrelation);
    if !national {
        policy::require(&me, Action::WorkCases)?;
    }
    let IndexQuery { q, days, purpose } = q.into_inner();
    let purpose_shown = purpose.clone();
    let meta = ctx.req.meta.clone();
    let days = days_of(&days);
    let caches = ctx.state.caches.clone();
    let query = q.clone();
    let (found, hot, hot_at) = db::run(&ctx.state.pool, move |conn| {
        let banks = caches.banks(conn)?;
        let found = identifiers::search(conn, &banks, &query)?;
        identifiers::audit_victim_search(conn, &me, &meta, &found, &query, &purpose)?;
        let (hot, at) = if identifiers::scope_of(&me).is_ok() {
            let (rows, at) = identifiers::hot(conn, &me, days, 50)?;
            (Some(rows), at)
        } else {
            (None, None)
        };
        Ok((found, hot, at))
    })
    .await?;
    render(
        StatusCode::OK,
        &IndexPage {
            layout: ctx.layout(),
            searched: !q.trim().is_empty(),
            q,
            purpose: purpose_shown,
            found,
            days,
            hot,
            hot_at,
            national,
        },
    )
}

/// Recomputes the hot lists now (supervisors), e.g. before sending a warning.
pub async fn hot_refresh(
    ctx: Ctx,
    me: CurrentUser,
    form: web::Form<IndexQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = identifiers::scope_of(&me)?;
    let days = days_of(&form.days);
    db::run(&ctx.state.pool, move |conn| {
        identifiers::refresh_hot(conn, scope, days)?;
        Ok(())
    })
    .await?;
    Ok(see_other_with_flash(
        &format!("/identifiers?days={days}"),
        k("flash-hot-refreshed"),
        &ctx.state.config,
    ))
}

use crate::routes::csv_response;

pub async fn hot_csv(
    ctx: Ctx,
    me: CurrentUser,
    q: web::Query<IndexQuery>,
) -> Result<HttpResponse, AppError> {
    let days = days_of(&q.days);
    let tz = ctx.state.config.time_zone;
    let meta = ctx.req.meta.clone();
    let body = db::run(&ctx.state.pool, move |conn| {
        let (rows, _) = identifiers::hot_export(conn, &me, &meta, days)?;
        identifiers::hot_csv(&rows, tz)
    })
    .await?;
    Ok(csv_response(&format!("hot-list-{days}d.csv"), body))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    page: String,
    /// Why, when the identifier is some victim's own.
    purpose: String,
}

#[derive(Template)]
#[template(path = "identifiers/show.html")]
struct ShowPage {
    layout: LayoutCtx,
    p: IdentifierPage,
    can_supervise: bool,
}

impl ShowPage {
    fn vnd(&self, amount: &i64) -> String {
        crate::domain::value::fmt_vnd(*amount)
    }
    fn role_key(&self, role: &str) -> &'static str {
        match role {
            "victim" => "identifier-role-victim",
            "infrastructure" => "identifier-role-infrastructure",
            _ => "identifier-role-suspect",
        }
    }
    fn bar(&self, n: &i64) -> i64 {
        let max = self.p.months.iter().map(|m| m.1).max().unwrap_or(1).max(1);
        (n * 100 / max).max(2)
    }
}

pub async fn show(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<i64>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let page = q.page.parse::<i64>().unwrap_or(1);
    let tz = ctx.state.config.time_zone;
    let can_supervise = policy::allows(me.role, Action::SuperviseCases);
    let (meta, purpose) = (ctx.req.meta.clone(), q.purpose.clone());
    let p = db::run(&ctx.state.pool, move |conn| {
        identifiers::page(conn, &me, &meta, tz, id, page, &purpose)
    })
    .await?;
    render(
        StatusCode::OK,
        &ShowPage {
            layout: ctx.layout(),
            p,
            can_supervise,
        },
    )
}

fn identifiers_anchor(reference: &str) -> String {
    format!("/cases/{}#identifiers", encode_query_value(reference))
}

pub async fn add(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, AppError> {
    let reference = path.into_inner();
    let form = form.into_inner();
    let meta = ctx.req.meta.clone();
    let (r, who) = (reference.clone(), me.clone());
    match db::run(&ctx.state.pool, move |conn| {
        identifiers::add(conn, &who, &meta, &r, &form)
    })
    .await
    {
        Ok(()) => Ok(see_other_with_flash(
            &identifiers_anchor(&reference),
            k("flash-identifier-linked"),
            &ctx.state.config,
        )),
        Err(AppError::Form(errors)) => show_with_errors(&ctx, me, reference, errors).await,
        Err(e) => Err(e),
    }
}

pub async fn remove(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (reference, link_id) = path.into_inner();
    let meta = ctx.req.meta.clone();
    let r = reference.clone();
    db::run(&ctx.state.pool, move |conn| {
        identifiers::remove(conn, &me, &meta, &r, link_id)
    })
    .await?;
    Ok(see_other_with_flash(
        &identifiers_anchor(&reference),
        k("flash-identifier-unlinked"),
        &ctx.state.config,
    ))
}

/// A case's identifiers (loaded with its visibility check) for an export,
/// which is audited.
fn for_export(
    conn: &mut diesel::PgConnection,
    me: &CurrentUser,
    meta: &crate::domain::RequestMeta,
    caches: &crate::cache::Caches,
    reference: &str,
    what: &'static str,
) -> Result<(crate::models::case::Case, Vec<identifiers::Correlated>), AppError> {
    let (c, _) = crate::services::access::load_visible(conn, me, reference, false)?;
    let rows = identifiers::for_case(conn, me, caches, c.id)?;
    crate::services::journal::audit_row(
        conn,
        me,
        meta,
        what,
        &c,
        // The victims' own identifiers (the reporter's phone) are victim data.
        serde_json::json!({
            "identifiers": rows.len(),
            "victim_identifiers": rows.iter().filter(|r| r.role == "victim").count(),
        }),
    )?;
    Ok((c, rows))
}

fn file_stem(reference: &str) -> String {
    reference
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

pub async fn case_csv(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::WorkCases)?;
    let reference = path.into_inner();
    let meta = ctx.req.meta.clone();
    let caches = ctx.state.caches.clone();
    let r = reference.clone();
    let body = db::run(&ctx.state.pool, move |conn| {
        let (_, rows) = for_export(conn, &me, &meta, &caches, &r, "identifiers_export_csv")?;
        identifiers::case_csv(&rows)
    })
    .await?;
    Ok(csv_response(
        &format!("{}-identifiers.csv", file_stem(&reference)),
        body,
    ))
}

pub async fn case_stix(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::WorkCases)?;
    let reference = path.into_inner();
    let meta = ctx.req.meta.clone();
    let unit = ctx.state.config.unit_name.clone();
    let caches = ctx.state.caches.clone();
    let r = reference.clone();
    let bundle = db::run(&ctx.state.pool, move |conn| {
        let (c, rows) = for_export(conn, &me, &meta, &caches, &r, "identifiers_export_stix")?;
        Ok(identifiers::stix_bundle(
            &c.ref_,
            &unit,
            identifiers::stix_tlp(c.tlp),
            &rows,
            chrono::Utc::now(),
        ))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/stix+json;version=2.1")
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"{}-stix.json\"",
                file_stem(&reference)
            ),
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Cache-Control", "no-store"))
        .body(bundle.to_string()))
}
