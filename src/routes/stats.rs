//! `/stats`: a unit's figures for a period (supervisors), or an officer's over
//! their own cases.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;

use crate::auth::CurrentUser;
use crate::db;
use crate::error::AppError;
use crate::i18n::k;
use crate::models::case::{CaseType, Channel};
use crate::models::category::Category;
use crate::routes::{extract::Ctx, pages::LayoutCtx, render};
use crate::services::stats::{self, view, StatsQuery};

#[derive(Template)]
#[template(path = "stats/index.html")]
struct StatsPage {
    layout: LayoutCtx,
    v: view::View,
    q: StatsQuery,
    period_code: String,
    choices: Vec<(String, String)>,
    categories: Vec<Category>,
    unit_scope: bool,
}

impl StatsPage {
    fn types(&self) -> &'static [CaseType] {
        CaseType::ALL
    }
    fn channels(&self) -> &'static [Channel] {
        Channel::ALL
    }
    fn category_name(&self, c: &Category) -> String {
        let name = c.name(&self.layout.lang).to_owned();
        if c.parent_id.is_some() {
            format!("— {name}")
        } else {
            name
        }
    }
    fn selected_category(&self, c: &Category) -> bool {
        self.q.category.trim() == c.id.to_string()
    }
}

pub async fn index(
    ctx: Ctx,
    me: CurrentUser,
    q: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let scope = stats::scope_of(&me, &q.scope)?;
    let filter = stats::filter_of(&q)?;
    let cfg = &ctx.state.config;
    let cutoff = cfg.report_cutoff_day;
    let lang = ctx.layout().lang;
    let today = chrono::Utc::now()
        .with_timezone(&cfg.time_zone)
        .date_naive();
    let period = stats::period_of(&q, cutoff, today).map_err(|e| AppError::Invalid(k(e.key())))?;
    let caches = ctx.state.caches.clone();
    let (v, categories) = db::run(&ctx.state.pool, move |conn| {
        let s = stats::compute(conn, &me, scope, filter, period, cutoff)?;
        let categories = caches.categories(conn)?;
        let v = view::build(&s, lang, &categories, &me.unit_name);
        Ok((v, categories.to_vec()))
    })
    .await?;
    let period_code = if q.from.trim().is_empty() && q.to.trim().is_empty() {
        period.code()
    } else {
        String::new()
    };
    render(
        StatusCode::OK,
        &StatsPage {
            layout: ctx.layout(),
            v,
            choices: view::choices(lang, today, cutoff),
            period_code,
            q,
            categories,
            unit_scope: scope == stats::Scope::Unit,
        },
    )
}
