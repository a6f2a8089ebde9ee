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
use crate::domain::value::fmt_at_least;
use crate::error::AppError;
use crate::models::{case::Status, category::Category};
use crate::routes::{extract::Ctx, pages::LayoutCtx, render};
use crate::services::case_list::{self, highlight, snippet, ListQuery, ListResult, Segment};
use crate::services::exports;

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
    open_total: String,
    all_total: String,
    /// The number of cases found, with "+" when counting stopped.
    total: String,
    total_more: bool,
    /// Keyset links (sorts that have a cursor): the pages before and after.
    prev_cursor: Option<String>,
    next_cursor: Option<String>,
    keyset: bool,
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
    for (key, from, to) in [
        (
            "cases-figure-classified",
            &q.classified_from,
            &q.classified_to,
        ),
        ("cases-figure-assigned", &q.assigned_from, &q.assigned_to),
    ] {
        if !from.trim().is_empty() || !to.trim().is_empty() {
            parts.push(format!("{} {} – {}", layout.t(key), date(from), date(to)));
        }
    }
    if let kind @ ("frozen" | "returned" | "any") = q.recovered.trim() {
        parts.push(format!(
            "{} {} – {}",
            layout.t(&format!("cases-figure-recovered-{kind}")),
            date(&q.recovered_from),
            date(&q.recovered_to)
        ));
    }
    if q.category.trim() == "none" {
        parts.push(layout.t("stats-uncategorised"));
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

    /// The number of pages, when the count is exact.
    fn known_pages(&self) -> Option<i64> {
        (!self.total_more).then_some(self.pages)
    }

    /// A tab's count as shown: "500+" where counting stopped at the cap.
    fn shown(&self, n: i64) -> String {
        fmt_at_least(n, self.result.capped && n >= case_list::COUNT_CAP)
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
    // The filter's fields (without why a search was made: the page asks again)
    // and the search and order.
    q.fields()
        .into_iter()
        .filter(|(name, _)| *name != "purpose" && (with_status || *name != "status"))
        .chain([("q", q.q.as_str()), ("sort", q.sort.as_str())])
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(name, v)| format!("{name}={}", encode_query_value(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
}

pub async fn index(
    ctx: Ctx,
    me: CurrentUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::WorkCases)?;
    let q = query.into_inner();
    // Dates typed in the filter are days where the reader works.
    let (filter, bad_filter) = q.parse(me.unit_tz.unwrap_or(ctx.state.config.time_zone));
    let page = filter.page;
    let sort = filter.sort;
    let filter_statuses = filter.statuses.clone();
    let caches = ctx.state.caches.clone();
    let meta = ctx.req.meta.clone();
    // The page may come from a fresh replica; the audit row of a search of
    // reporters' data is written on the primary before the page is shown.
    let who = me.clone();
    let (result, categories, audit) = db::run(ctx.read_pool(), move |conn| {
        let (result, audit) = case_list::list_read(conn, &who, &filter, &caches)?;
        Ok((result, caches.categories(conn)?, audit))
    })
    .await?;
    if let Some(search) = audit {
        db::run(&ctx.state.pool, move |conn| {
            case_list::record(conn, &me, &meta, search)
        })
        .await?;
    }
    let pages = ((result.total + case_list::PAGE_SIZE - 1) / case_list::PAGE_SIZE).max(1);
    // A sum may be more when any status in it reached the cap.
    let sum = |pick: &dyn Fn(&Status) -> bool| {
        let parts = result.counts.iter().filter(|(s, _)| pick(s));
        let more = result.capped && parts.clone().any(|(_, n)| *n >= case_list::COUNT_CAP);
        (fmt_at_least(parts.map(|(_, n)| n).sum(), more), more)
    };
    let (open_total, _) = sum(&|s| !s.is_final());
    let (all_total, _) = sum(&|_| true);
    let (total, total_more) = sum(&|s| filter_statuses.is_empty() || filter_statuses.contains(s));
    let status = if bad_filter {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let keyset = sort.has_cursor();
    let full = result.rows.len() as i64 == case_list::PAGE_SIZE;
    let next_cursor = result
        .rows
        .last()
        .filter(|_| keyset && full)
        .map(|r| case_list::encode_cursor(r, sort));
    let prev_cursor = result
        .rows
        .first()
        .filter(|_| keyset && page > 1)
        .map(|r| case_list::encode_cursor(r, sort));
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
            total,
            total_more,
            prev_cursor,
            next_cursor,
            keyset,
        },
    )
}

/// `/cases/export.csv?…` and `/cases/export.xlsx?…`: the list's filter as a file.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ExportFlags {
    /// `1`: include reporters' names (logged with the export).
    reporter: String,
}

/// `/cases/export.{csv|xlsx}`.
pub async fn export(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
    flags: web::Query<ExportFlags>,
) -> Result<HttpResponse, AppError> {
    let format = match path.as_str() {
        "csv" => exports::Format::Csv,
        "xlsx" => exports::Format::Xlsx,
        _ => return Err(AppError::NotFound),
    };
    write_export(ctx, me, query.into_inner(), flags.reporter == "1", format).await
}

async fn write_export(
    ctx: Ctx,
    me: CurrentUser,
    q: ListQuery,
    reporter: bool,
    format: exports::Format,
) -> Result<HttpResponse, AppError> {
    let cfg = &ctx.state.config;
    let (tz, lang, max) = (cfg.time_zone, ctx.layout().lang, cfg.export_max_rows);
    let meta = ctx.req.meta.clone();
    let caches = ctx.state.caches.clone();
    let who = me.clone();
    let (prepared, prefix) = db::run(&ctx.state.pool, move |conn| {
        let p = exports::prepare(
            conn,
            &who,
            &meta,
            &caches,
            &q,
            (tz, lang),
            format,
            (max, reporter),
        )?;
        let prefix = crate::models::unit::find(conn, who.unit_id)?.ref_prefix;
        Ok((p, prefix))
    })
    .await?;
    let name = exports::file_name(&prefix, format, chrono::Utc::now(), tz);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<web::Bytes, std::io::Error>>(8);
    // Counted and audited on the primary above; the rows from a fresh replica.
    let pool = ctx.read_pool().clone();
    let caches = ctx.state.caches.clone();
    let dir = cfg.data_dir.join("tmp");
    actix_web::rt::task::spawn_blocking(move || {
        let fail = |e: AppError| {
            log::error!("export failed: {e}");
            let _ = tx.blocking_send(Err(std::io::Error::other("export failed")));
        };
        let mut conn = match pool.get() {
            Ok(c) => c,
            Err(e) => return fail(e.into()),
        };
        let done = match format {
            exports::Format::Csv => {
                exports::write_csv(&mut conn, &me, &caches, &prepared, |piece| {
                    tx.blocking_send(Ok(web::Bytes::from(piece))).is_ok()
                })
            }
            exports::Format::Xlsx => stream_xlsx(&mut conn, &me, &caches, &prepared, &dir, &tx),
        };
        if let Err(e) = done {
            fail(e);
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let content_type = match format {
        exports::Format::Csv => "text/csv; charset=utf-8",
        exports::Format::Xlsx => {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        }
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Cache-Control", "no-store"))
        .streaming(body))
}

/// Builds the workbook in a private temporary directory, then sends the file
/// in pieces; the directory goes when this returns.
fn stream_xlsx(
    conn: &mut diesel::PgConnection,
    me: &CurrentUser,
    caches: &crate::cache::Caches,
    p: &exports::Prepared,
    dir: &std::path::Path,
    tx: &tokio::sync::mpsc::Sender<Result<web::Bytes, std::io::Error>>,
) -> Result<(), AppError> {
    use std::io::Read;
    std::fs::create_dir_all(dir)?;
    let tmp = TempDir::new(dir)?;
    let path = tmp.0.join("export.xlsx");
    exports::write_xlsx(conn, me, caches, p, &path)?;
    let mut f = std::fs::File::open(&path)?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0
            || tx
                .blocking_send(Ok(web::Bytes::copy_from_slice(&buf[..n])))
                .is_err()
        {
            return Ok(());
        }
    }
}

/// A directory removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(parent: &std::path::Path) -> std::io::Result<TempDir> {
        let p = parent.join(format!("export-{}", crate::domain::token::random_alnum(12)));
        std::fs::create_dir(&p)?;
        Ok(TempDir(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
