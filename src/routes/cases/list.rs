//! `/cases`: the list with its filters, tabs and search.

use std::sync::Arc;

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;

use crate::auth::{
    policy::{self, Action},
    CurrentUser,
};
use crate::db;
use crate::domain::value::encode_query_value;
use crate::error::AppError;
use crate::models::{case::Status, category::Category};
use crate::routes::{extract::Ctx, pages::LayoutCtx, render};
use crate::services::case_list::{self, highlight, snippet, ListQuery, ListResult, Segment};

#[derive(Template)]
#[template(path = "cases/index.html")]
struct CasesIndexPage {
    layout: LayoutCtx,
    q: ListQuery,
    result: ListResult,
    page: i64,
    pages: i64,
    categories: Arc<Vec<Category>>,
    /// Query string without `status` and `page` (tabs) and without `page` (pager).
    qs_no_status: String,
    qs_no_page: String,
    bad_filter: bool,
    /// The statistics filter the list came from, if any.
    figure: Option<String>,
    open_total: i64,
    all_total: i64,
}

/// The filters a statistics figure links with, as one readable line (they have
/// no field of their own on the list).
fn figure_filter(layout: &LayoutCtx, q: &ListQuery) -> Option<String> {
    let mut parts = Vec::new();
    let date = |v: &str| {
        chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_default()
    };
    if !q.decided_from.trim().is_empty() || !q.decided_to.trim().is_empty() {
        parts.push(format!(
            "{} {} – {}",
            layout.t("cases-figure-decided"),
            date(&q.decided_from),
            date(&q.decided_to)
        ));
    }
    if !q.result.trim().is_empty() {
        parts.push(layout.t(&format!("stats-result-{}", q.result.trim())));
    }
    if !q.compliance.trim().is_empty() {
        parts.push(layout.t(&format!("stats-compliance-{}", q.compliance.trim())));
    }
    if !q.open_on.trim().is_empty() {
        parts.push(layout.t1("cases-figure-open-on", "day", &date(&q.open_on)));
    }
    if q.status.trim() == "reports" {
        parts.push(layout.t("cases-figure-reports"));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

impl CasesIndexPage {
    fn title_segments(&self, title: &str) -> Vec<Segment> {
        highlight(title, self.q.q.trim())
    }

    fn snippet_segments(&self, description: &str) -> Vec<Segment> {
        let q = self.q.q.trim();
        if q.is_empty() {
            return Vec::new();
        }
        highlight(&snippet(description, q, 160), q)
    }

    fn count_for(&self, status: &Status) -> i64 {
        self.result
            .counts
            .iter()
            .find(|(s, _)| s == status)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    }

    fn statuses(&self) -> &'static [Status] {
        Status::ALL
    }

    fn category_name(&self, id: &Option<i32>) -> String {
        id.and_then(|id| self.categories.iter().find(|c| c.id == id))
            .map(|c| c.name(&self.layout.lang).to_owned())
            .unwrap_or_default()
    }
}

fn query_string(q: &ListQuery, with_status: bool) -> String {
    let mut parts = Vec::new();
    let mut push = |name: &str, v: &str| {
        if !v.trim().is_empty() {
            parts.push(format!("{name}={}", encode_query_value(v.trim())));
        }
    };
    if with_status {
        push("status", &q.status);
    }
    push("type", &q.case_type);
    push("category", &q.category);
    push("severity", &q.severity);
    push("assignee", &q.assignee);
    push("team", &q.team);
    push("channel", &q.channel);
    push("tlp", &q.tlp);
    push("from", &q.from);
    push("to", &q.to);
    push("deadline", &q.deadline);
    push("decided_from", &q.decided_from);
    push("decided_to", &q.decided_to);
    push("result", &q.result);
    push("compliance", &q.compliance);
    push("open_on", &q.open_on);
    push("q", &q.q);
    push("sort", &q.sort);
    parts.join("&")
}

pub async fn index(
    ctx: Ctx,
    me: CurrentUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::WorkCases)?;
    let q = query.into_inner();
    let (filter, bad_filter) = q.parse(ctx.state.config.time_zone);
    let page = filter.page;
    let caches = ctx.state.caches.clone();
    let (result, categories) = db::run(&ctx.state.pool, move |conn| {
        Ok((
            case_list::list(conn, &me, &filter, &caches)?,
            caches.categories(conn)?,
        ))
    })
    .await?;
    let pages = ((result.total + case_list::PAGE_SIZE - 1) / case_list::PAGE_SIZE).max(1);
    let open_total = result
        .counts
        .iter()
        .filter(|(s, _)| !s.is_final())
        .map(|(_, n)| n)
        .sum();
    let all_total = result.counts.iter().map(|(_, n)| n).sum();
    let status = if bad_filter {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let layout = ctx.layout();
    let figure = if bad_filter {
        None
    } else {
        figure_filter(&layout, &q)
    };
    render(
        status,
        &CasesIndexPage {
            figure,
            layout,
            qs_no_status: query_string(&q, false),
            qs_no_page: query_string(&q, true),
            q,
            result,
            page,
            pages,
            categories,
            bad_filter,
            open_total,
            all_total,
        },
    )
}
