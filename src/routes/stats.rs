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
use chrono::Datelike;

use crate::services::stats::{self, report, view, StatsQuery};

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
    report_query: String,
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
    fn vnd(&self, amount: &i64) -> String {
        crate::domain::value::fmt_vnd(*amount)
    }
    fn selected_category(&self, c: &Category) -> bool {
        self.q.category.trim() == c.id.to_string()
    }
}

/// The unit's cut-off day and today's local date in the reader's unit.
fn cutoff_today(ctx: &Ctx) -> (u32, chrono::NaiveDate) {
    let cfg = &ctx.state.config;
    let tz = ctx
        .req
        .user
        .as_ref()
        .and_then(|u| u.unit_tz)
        .unwrap_or(cfg.time_zone);
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    (cfg.report_cutoff_day, today)
}

/// The period asked for, or 422 with the reason.
fn period(
    q: &StatsQuery,
    cutoff: u32,
    today: chrono::NaiveDate,
) -> Result<crate::domain::period::Period, AppError> {
    stats::period_of(q, cutoff, today).map_err(|e| AppError::Invalid(k(e.key())))
}

pub async fn index(
    ctx: Ctx,
    me: CurrentUser,
    q: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let scope = stats::scope_of(&me, &q.scope)?;
    let filter = stats::filter_of(&q)?;
    let (cutoff, today) = cutoff_today(&ctx);
    let lang = ctx.layout().lang;
    let period = period(&q, cutoff, today)?;
    let caches = ctx.state.caches.clone();
    let recent = ctx.state.stats.clone();
    let (v, categories) = db::run(ctx.read_pool(), move |conn| {
        let key = stats::recent_key(&me, scope, &filter, &period, cutoff);
        let s = recent.get_or(key, || {
            stats::compute(conn, &me, scope, filter, period, cutoff)
        })?;
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
            report_query: if period.kind == crate::domain::period::Kind::Custom {
                format!(
                    "from={}&to={}",
                    period.from.format("%Y-%m-%d"),
                    period.last_day().format("%Y-%m-%d")
                )
            } else {
                format!("period={}", period.code())
            },
        },
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ReportQuery {
    period: String,
    from: String,
    to: String,
    /// `xlsx` or `csv` (with `table`); the page otherwise.
    format: String,
    table: String,
}

#[derive(Template)]
#[template(path = "stats/report.html")]
struct ReportPage {
    layout: LayoutCtx,
    r: report::Report,
    period_label: String,
    previous_label: String,
    year_label: String,
    /// `period=…` or `from=…&to=…`, for the download links.
    query: String,
    today: chrono::NaiveDate,
}

impl ReportPage {
    fn day(&self) -> String {
        format!("{:02}", self.today.day())
    }
    fn month(&self) -> String {
        format!("{:02}", self.today.month())
    }
    fn year(&self) -> i32 {
        self.today.year()
    }
}

/// The periodic report as an A4 page, a workbook or one table as CSV
/// (supervisors: it is the unit's).
pub async fn report(
    ctx: Ctx,
    me: CurrentUser,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    crate::auth::policy::require(&me, crate::auth::policy::Action::SuperviseCases)?;
    let (cutoff, today) = cutoff_today(&ctx);
    let lang = ctx.layout().lang;
    let sq = StatsQuery {
        period: q.period.clone(),
        from: q.from.clone(),
        to: q.to.clone(),
        ..Default::default()
    };
    let period = period(&sq, cutoff, today)?;
    let table = match (q.format.as_str(), q.table.trim()) {
        ("csv", n) => Some(
            n.parse::<usize>()
                .ok()
                .filter(|n| (1..=7).contains(n))
                .ok_or(AppError::Invalid(k("report-table-unknown")))?,
        ),
        ("" | "xlsx", _) => None,
        _ => return Err(AppError::Invalid(k("report-format-unknown"))),
    };
    let caches = ctx.state.caches.clone();
    let r = db::run(ctx.read_pool(), move |conn| {
        let categories = caches.categories(conn)?;
        report::build(conn, &me, period, cutoff, lang, &categories)
    })
    .await?;
    let stem = format!(
        "{}-bao-cao-{}-{}",
        r.ref_prefix,
        period.from.format("%Y%m%d"),
        period.last_day().format("%Y%m%d")
    );
    let file = |body: Vec<u8>, ext: &str, content_type: &str| {
        HttpResponse::Ok()
            .content_type(content_type.to_owned())
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"{stem}{ext}\""),
            ))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .insert_header(("Cache-Control", "no-store"))
            .body(body)
    };
    match (q.format.as_str(), table) {
        ("xlsx", _) => Ok(file(
            report::xlsx(&r, lang)?,
            ".xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )),
        (_, Some(n)) => Ok(file(
            report::csv(&r, n, lang)?,
            &format!("-bang-{n}.csv"),
            "text/csv; charset=utf-8",
        )),
        _ => {
            let label = |p: Option<crate::domain::period::Period>| {
                p.map(|p| view::period_label(lang, &p)).unwrap_or_default()
            };
            let query = if q.from.trim().is_empty() && q.to.trim().is_empty() {
                format!("period={}", period.code())
            } else {
                format!(
                    "from={}&to={}",
                    period.from.format("%Y-%m-%d"),
                    period.last_day().format("%Y-%m-%d")
                )
            };
            render(
                StatusCode::OK,
                &ReportPage {
                    layout: ctx.layout(),
                    period_label: view::period_label(lang, &r.period),
                    previous_label: label(r.previous),
                    year_label: label(r.year_before),
                    r,
                    query,
                    today,
                },
            )
        }
    }
}
