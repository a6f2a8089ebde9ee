//! `/cases/{ref}/print…`: the printable case file and the official documents
//! filled from a crime report (the intake record, the notice of the outcome).
//! One A4 document each, printed by the browser: no script, nothing fetched
//! from elsewhere.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Deserialize;

use super::show::CaseWords;
use crate::auth::{
    policy::{self, Action},
    CurrentUser,
};
use crate::db;
use crate::error::AppError;
use crate::models::{case::Case, case_event::CaseEvent};
use crate::routes::{extract::Ctx, pages::LayoutCtx, render};
use crate::services::cases::{self, CaseFile, CustodySummary, DocKind, OfficialDoc};

/// A date as official documents write it ("ngày 20 tháng 11 năm 2026").
fn doc_date(layout: &LayoutCtx, d: &NaiveDate) -> String {
    crate::i18n::t_args(
        layout.lang,
        crate::i18n::k("doc-date").0,
        &[
            ("d", &format!("{:02}", d.day())),
            ("m", &format!("{:02}", d.month())),
            ("y", &d.year().to_string()),
        ],
    )
}

#[derive(Template)]
#[template(path = "cases/print.html")]
struct CasePrintPage {
    layout: LayoutCtx,
    f: CaseFile,
    printed_at: DateTime<Utc>,
}

impl CaseWords for CasePrintPage {
    fn layout(&self) -> &LayoutCtx {
        &self.layout
    }
}

impl CasePrintPage {
    fn doc_ref(&self) -> &str {
        &self.f.v.case.ref_
    }
    fn tx_total(&self) -> String {
        crate::domain::value::fmt_vnd(self.f.v.txs.iter().map(|t| t.amount).sum())
    }
    fn first_due(&self, clock: &crate::models::deadline::Clock) -> String {
        self.layout.dt(&clock.first_due())
    }
    /// The extensions of one clock, from the timeline.
    fn extensions_of(&self, kind: &str) -> Vec<&(CaseEvent, Option<String>)> {
        self.f
            .v
            .events
            .iter()
            .filter(|(e, _)| {
                e.kind == crate::models::case_event::EventKind::Deadline
                    && e.field.as_deref() == Some(kind)
            })
            .collect()
    }
    fn custody(&self, exhibit_id: &i64) -> Option<&CustodySummary> {
        self.f.custody_of(exhibit_id)
    }
    fn who_or_reporter(&self, name: &str) -> String {
        if name.is_empty() {
            self.layout.t("custody-reporter")
        } else {
            name.to_owned()
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PrintQuery {
    reporter: String,
}

/// `GET /cases/{ref}/print`: the whole case file. `?reporter=1` adds the
/// reporter's details through the same audited reveal as the case page.
pub async fn print_file(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    q: web::Query<PrintQuery>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::WorkCases)?;
    let reference = path.into_inner();
    let show_reporter = q.reporter == "1";
    let meta = ctx.req.meta.clone();
    let caches = ctx.state.caches.clone();
    let f = db::run(&ctx.state.pool, move |conn| {
        cases::case_file(conn, &me, &meta, &reference, &caches, show_reporter)
    })
    .await?;
    render(
        StatusCode::OK,
        &CasePrintPage {
            layout: ctx.layout(),
            f,
            printed_at: Utc::now(),
        },
    )
}

#[derive(Template)]
#[template(path = "cases/intake_record.html")]
struct IntakeRecordPage {
    layout: LayoutCtx,
    doc: OfficialDoc,
}

#[derive(Template)]
#[template(path = "cases/outcome_notice.html")]
struct OutcomeNoticePage {
    layout: LayoutCtx,
    doc: OfficialDoc,
    today: NaiveDate,
}

/// What both official documents use: the case, the legal basis in the
/// page's language, dates as documents write them, texts with one argument.
macro_rules! doc_page_helpers {
    ($page:ty) => {
        impl $page {
            fn doc_ref(&self) -> &str {
                &self.doc.case.ref_
            }
            fn c(&self) -> &Case {
                &self.doc.case
            }
            fn basis(&self) -> String {
                self.doc
                    .basis
                    .as_ref()
                    .map(|b| b.citation(self.layout.lang))
                    .unwrap_or_default()
            }
            fn date(&self, d: &NaiveDate) -> String {
                doc_date(&self.layout, d)
            }
            fn t_with(&self, key: &str, name: &str, value: &str) -> String {
                crate::i18n::t_args(self.layout.lang, key, &[(name, value)])
            }
        }
    };
}

doc_page_helpers!(IntakeRecordPage);
doc_page_helpers!(OutcomeNoticePage);

impl IntakeRecordPage {
    fn vnd(&self, amount: &i64) -> String {
        crate::domain::value::fmt_vnd(*amount)
    }
    fn received_time(&self) -> String {
        self.doc
            .case
            .received_at
            .with_timezone(&self.layout.tz)
            .format("%H:%M")
            .to_string()
    }
}

impl OutcomeNoticePage {
    fn decided_on(&self) -> Option<NaiveDate> {
        self.doc
            .case
            .decided_at
            .map(|d| d.with_timezone(&self.layout.tz).date_naive())
    }
    fn sentence(&self) -> String {
        self.doc
            .finding
            .as_ref()
            .map(|f| self.layout.t(f.sentence_key().0))
            .unwrap_or_default()
    }
    fn summary(&self) -> Option<&str> {
        match &self.doc.finding {
            Some(cases::Finding::Decided(_, s)) => s.as_deref(),
            _ => None,
        }
    }
    fn agency(&self) -> Option<&str> {
        match &self.doc.finding {
            Some(cases::Finding::Transferred(a)) => Some(a),
            _ => None,
        }
    }
}

/// Loads the official document `kind` of the case at `path`; the two
/// handlers differ only in the page they fill.
async fn load_doc(
    ctx: &Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    kind: DocKind,
) -> Result<OfficialDoc, AppError> {
    policy::require(&me, Action::WorkCases)?;
    let reference = path.into_inner();
    let meta = ctx.req.meta.clone();
    let caches = ctx.state.caches.clone();
    let tz = ctx.state.config.time_zone;
    db::run(&ctx.state.pool, move |conn| {
        cases::official_doc(conn, &me, &meta, &reference, &caches, tz, kind)
    })
    .await
}

/// `GET /cases/{ref}/print/intake-record`: the intake record of a crime
/// report. It shows the reporter's details, so opening it is logged.
pub async fn print_intake_record(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let doc = load_doc(&ctx, me, path, DocKind::IntakeRecord).await?;
    render(
        StatusCode::OK,
        &IntakeRecordPage {
            layout: ctx.layout(),
            doc,
        },
    )
}

/// `GET /cases/{ref}/print/outcome-notice`: the notice of the outcome to the
/// reporter, once the crime report is decided or transferred (422 before).
pub async fn print_outcome_notice(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let doc = load_doc(&ctx, me, path, DocKind::OutcomeNotice).await?;
    let layout = ctx.layout();
    let today = Utc::now().with_timezone(&layout.tz).date_naive();
    render(StatusCode::OK, &OutcomeNoticePage { layout, doc, today })
}
