//! `/cases/{ref}`: the case page.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::{
    policy::{self, Action},
    CurrentUser,
};
use crate::db;
use crate::domain::form::FormErrors;
use crate::error::AppError;
use crate::models::{
    case::{Outcome, Status},
    category::Category,
};
use crate::routes::{extract::Ctx, pages::LayoutCtx, render};
use crate::services::cases::{self, CaseView};

#[derive(Template)]
#[template(path = "cases/show.html")]
pub(crate) struct CaseShowPage {
    pub(crate) layout: LayoutCtx,
    pub(crate) v: CaseView,
    pub(crate) newest_first: bool,
    pub(crate) note_error: Option<&'static str>,
    /// Errors of the identifier and evidence forms.
    pub(crate) errors: FormErrors,
    pub(crate) max_evidence_mb: u64,
}

impl CaseShowPage {
    fn outcomes(&self) -> &'static [Outcome] {
        Outcome::ALL
    }
    fn has_open_clock(&self) -> bool {
        self.v.clocks.iter().any(|cv| cv.clock.met_at.is_none())
    }
    fn err(&self, field: &str) -> Option<&'static str> {
        self.errors.get(field)
    }
    fn source_key(&self, source: &str) -> &'static str {
        match source {
            "reporter" => "identifier-source-reporter",
            "extracted" => "identifier-source-extracted",
            _ => "identifier-source-officer",
        }
    }
    fn id_kinds(&self) -> &'static [crate::services::identifiers::IdKind] {
        crate::services::identifiers::IdKind::ALL
    }
    fn id_roles(&self) -> &'static [&'static str] {
        crate::services::identifiers::ROLES
    }
    fn has_outcome_notice(&self) -> bool {
        cases::has_outcome_notice(&self.v.case)
    }
}

/// The words of a case that the case page and the printed case file both
/// use, in their templates and in the partials they share
/// (`partials/_case_event.html` and the like): written once here.
pub(super) trait CaseWords {
    fn layout(&self) -> &LayoutCtx;

    fn vnd(&self, amount: &i64) -> String {
        crate::domain::value::fmt_vnd(*amount)
    }
    fn size(&self, bytes: &i64) -> String {
        crate::domain::value::human_size(*bytes)
    }
    fn cat_name(&self, c: &Option<Category>) -> String {
        c.as_ref()
            .map(|c| c.name(&self.layout().lang).to_owned())
            .unwrap_or_default()
    }
    /// "Imported from {source}, row {n} (old number {id})" of an import entry.
    fn imported_from(&self, data: &serde_json::Value) -> String {
        let get = |k: &str| match data.get(k) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        };
        crate::i18n::t_args(
            self.layout().lang,
            "case-imported-from",
            &[
                ("source", &get("source")),
                ("row", &get("row")),
                ("id", &get("external_id")),
            ],
        )
    }
    fn role_key(&self, role: &str) -> &'static str {
        match role {
            "victim" => "identifier-role-victim",
            "infrastructure" => "identifier-role-infrastructure",
            _ => "identifier-role-suspect",
        }
    }
    /// The label of a status code kept in a timeline entry (the code itself
    /// if it is not one).
    fn status_key(&self, code: &Option<String>) -> String {
        code.as_deref()
            .and_then(|c| c.parse::<Status>().ok())
            .map(|s| self.layout().t(s.label_key()))
            .unwrap_or_else(|| code.clone().unwrap_or_default())
    }
    fn field_key(&self, field: &Option<String>) -> String {
        self.layout()
            .t(&format!("case-field-{}", field.as_deref().unwrap_or("")))
    }
    fn clock_key(&self, kind: &Option<String>) -> String {
        self.layout()
            .t(&format!("clock-{}", kind.as_deref().unwrap_or("")))
    }
    fn note_lines<'a>(&self, body: &'a Option<String>) -> Vec<&'a str> {
        body.as_deref().unwrap_or("").lines().collect()
    }
}

impl CaseWords for CaseShowPage {
    fn layout(&self) -> &LayoutCtx {
        &self.layout
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShowQuery {
    order: String,
    reporter: String,
}

pub async fn show(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    q: web::Query<ShowQuery>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::WorkCases)?;
    let reference = path.into_inner();
    let newest_first = q.order != "oldest";
    let show_reporter = q.reporter == "1";
    let meta = ctx.req.meta.clone();
    let caches = ctx.state.caches.clone();
    let v = db::run(&ctx.state.pool, move |conn| {
        cases::view(
            conn,
            &me,
            &meta,
            &reference,
            &caches,
            show_reporter,
            newest_first,
        )
    })
    .await?;
    render(
        StatusCode::OK,
        &CaseShowPage {
            layout: ctx.layout(),
            v,
            newest_first,
            note_error: None,
            errors: FormErrors::default(),
            max_evidence_mb: ctx.state.config.evidence_max_bytes / (1024 * 1024),
        },
    )
}

/// The case page again with the errors of one of its forms (422).
pub(crate) async fn show_with_errors(
    ctx: &Ctx,
    me: CurrentUser,
    reference: String,
    errors: FormErrors,
) -> Result<HttpResponse, AppError> {
    let meta = ctx.req.meta.clone();
    let caches = ctx.state.caches.clone();
    let v = db::run(&ctx.state.pool, move |conn| {
        cases::view(conn, &me, &meta, &reference, &caches, false, true)
    })
    .await?;
    render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &CaseShowPage {
            layout: ctx.layout(),
            v,
            newest_first: true,
            note_error: None,
            errors,
            max_evidence_mb: ctx.state.config.evidence_max_bytes / (1024 * 1024),
        },
    )
}
