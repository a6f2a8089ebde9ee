//! `/cases`: list and search, intake form, case page, edits and workflow actions.

use std::sync::Arc;

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::{
    policy::{self, Action},
    CurrentUser,
};
use crate::db;
use crate::domain::form::FormErrors;
use crate::domain::value::encode_query_value;
use crate::error::AppError;
use crate::i18n::{k, MsgKey};
use crate::models::{
    case::{
        CaseType, Channel, IncidentState, Outcome, PayMethod, ReporterKind, Severity, Status, Tlp,
    },
    category::Category,
};
use crate::routes::{extract::Ctx, pages::LayoutCtx, render, see_other, see_other_with_flash};
use crate::services::{
    case_list::{self, highlight, snippet, ListQuery, ListResult, Segment},
    cases::{self, CaseForm, CaseView, MoveInput, TxRow},
};

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
    open_total: i64,
    all_total: i64,
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
    render(
        status,
        &CasesIndexPage {
            layout: ctx.layout(),
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

#[derive(Template)]
#[template(path = "cases/form.html")]
struct CaseFormPage {
    layout: LayoutCtx,
    /// `Some(ref)` when editing.
    reference: Option<String>,
    form: CaseForm,
    rows: Vec<TxRow>,
    errors: FormErrors,
    categories: Arc<Vec<Category>>,
    /// On a conflict: who saved last and when.
    conflict: Option<(String, String)>,
}

impl CaseFormPage {
    fn types(&self) -> &'static [CaseType] {
        CaseType::ALL
    }
    fn channels(&self) -> &'static [Channel] {
        Channel::ALL
    }
    fn severities(&self) -> &'static [Severity] {
        Severity::ALL
    }
    fn tlps(&self) -> &'static [Tlp] {
        Tlp::ALL
    }
    fn reporter_kinds(&self) -> &'static [ReporterKind] {
        ReporterKind::ALL
    }
    fn incident_states(&self) -> &'static [IncidentState] {
        IncidentState::ALL
    }
    fn methods(&self) -> &'static [PayMethod] {
        PayMethod::ALL
    }
    fn err(&self, field: &str) -> Option<&'static str> {
        self.errors.get(field)
    }
    fn tx_err(&self, i: &usize, field: &str) -> Option<&'static str> {
        self.errors.get(&cases::tx_field(*i, field))
    }
    fn top_categories(&self) -> Vec<&Category> {
        self.categories
            .iter()
            .filter(|c| c.parent_id.is_none() && c.active)
            .collect()
    }
    fn subcategories(&self) -> Vec<(&Category, &Category)> {
        self.categories
            .iter()
            .filter(|c| c.active)
            .filter_map(|c| {
                c.parent_id
                    .and_then(|p| self.categories.iter().find(|x| x.id == p))
                    .map(|parent| (parent, c))
            })
            .collect()
    }
}

async fn categories(ctx: &Ctx) -> Result<Arc<Vec<Category>>, AppError> {
    let caches = ctx.state.caches.clone();
    db::run(&ctx.state.pool, move |conn| Ok(caches.categories(conn)?)).await
}

pub async fn new_form(ctx: Ctx, me: CurrentUser) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::WorkCases)?;
    let mut form = CaseForm::default();
    for (k, v) in [
        ("case_type", "crime_report"),
        ("channel", "phone"),
        ("severity", "medium"),
        ("tlp", "AMBER"),
        ("reporter_kind", "individual"),
        ("reporter_is_victim", "on"),
    ] {
        form.fields.insert(k.into(), v.into());
    }
    form.fields.insert(
        "received_at".into(),
        crate::domain::value::local_input(&chrono::Utc::now(), ctx.state.config.time_zone),
    );
    let rows = form.rows_for_display(0);
    let categories = categories(&ctx).await?;
    render(
        StatusCode::OK,
        &CaseFormPage {
            layout: ctx.layout(),
            reference: None,
            form,
            rows,
            errors: FormErrors::default(),
            categories,
            conflict: None,
        },
    )
}

/// More blank money rows without saving (works without JavaScript).
fn wants_more_rows(form: &CaseForm) -> bool {
    form.fields.contains_key("add_rows")
}

pub async fn create(
    ctx: Ctx,
    me: CurrentUser,
    body: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::WorkCases)?;
    let form = CaseForm::from_pairs(body.into_inner());
    if wants_more_rows(&form) {
        let rows = form.rows_for_display(3);
        let categories = categories(&ctx).await?;
        return render(
            StatusCode::OK,
            &CaseFormPage {
                layout: ctx.layout(),
                reference: None,
                form,
                rows,
                errors: FormErrors::default(),
                categories,
                conflict: None,
            },
        );
    }
    let st = ctx.state.clone();
    let meta = ctx.req.meta.clone();
    let f = form.clone();
    match db::run(&ctx.state.pool, move |conn| {
        cases::create(conn, &me, &meta, &st.config, &f)
    })
    .await
    {
        Ok(c) => Ok(see_other_with_flash(
            &format!("/cases/{}", c.ref_),
            k("flash-case-created"),
            &ctx.state.config,
        )),
        Err(AppError::Form(errors)) => {
            let rows = form.rows_for_display(0);
            let categories = categories(&ctx).await?;
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &CaseFormPage {
                    layout: ctx.layout(),
                    reference: None,
                    form,
                    rows,
                    errors,
                    categories,
                    conflict: None,
                },
            )
        }
        Err(e) => Err(e),
    }
}

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
    fn vnd(&self, amount: &i64) -> String {
        crate::domain::value::fmt_vnd(*amount)
    }
    fn outcomes(&self) -> &'static [Outcome] {
        Outcome::ALL
    }
    fn status_key(&self, code: &Option<String>) -> String {
        code.as_deref()
            .and_then(|c| c.parse::<Status>().ok())
            .map(|s| self.layout.t(s.label_key()))
            .unwrap_or_else(|| code.clone().unwrap_or_default())
    }
    fn field_key(&self, field: &Option<String>) -> String {
        self.layout
            .t(&format!("case-field-{}", field.as_deref().unwrap_or("")))
    }
    fn clock_key(&self, kind: &Option<String>) -> String {
        self.layout
            .t(&format!("clock-{}", kind.as_deref().unwrap_or("")))
    }
    fn cat_name(&self, c: &Option<Category>) -> String {
        c.as_ref()
            .map(|c| c.name(&self.layout.lang).to_owned())
            .unwrap_or_default()
    }
    fn has_open_clock(&self) -> bool {
        self.v.clocks.iter().any(|cv| cv.clock.met_at.is_none())
    }
    fn err(&self, field: &str) -> Option<&'static str> {
        self.errors.get(field)
    }
    fn role_key(&self, role: &str) -> &'static str {
        match role {
            "victim" => "identifier-role-victim",
            "infrastructure" => "identifier-role-infrastructure",
            _ => "identifier-role-suspect",
        }
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
    fn size(&self, bytes: &i64) -> String {
        crate::routes::evidence::human_size(*bytes)
    }
    fn note_lines<'a>(&self, body: &'a Option<String>) -> Vec<&'a str> {
        body.as_deref().unwrap_or("").lines().collect()
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

/// The edit form carries the reporter's contact details, so opening it is logged
/// like any other view of them.
pub async fn edit_form(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::WorkCases)?;
    let reference = path.into_inner();
    let tz = ctx.state.config.time_zone;
    let meta = ctx.req.meta.clone();
    let caches = ctx.state.caches.clone();
    let v = db::run(&ctx.state.pool, move |conn| {
        cases::view(conn, &me, &meta, &reference, &caches, true, true)
    })
    .await?;
    if !v.can_edit {
        return Err(AppError::Forbidden);
    }
    let form = CaseForm::from_case(&v.case, &v.txs, tz);
    let rows = form.rows_for_display(0);
    render(
        StatusCode::OK,
        &CaseFormPage {
            layout: ctx.layout(),
            reference: Some(v.case.ref_.clone()),
            form,
            rows,
            errors: FormErrors::default(),
            categories: v.categories,
            conflict: None,
        },
    )
}

pub async fn update(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    body: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::WorkCases)?;
    let reference = path.into_inner();
    let form = CaseForm::from_pairs(body.into_inner());
    if wants_more_rows(&form) {
        let rows = form.rows_for_display(3);
        let categories = categories(&ctx).await?;
        return render(
            StatusCode::OK,
            &CaseFormPage {
                layout: ctx.layout(),
                reference: Some(reference),
                form,
                rows,
                errors: FormErrors::default(),
                categories,
                conflict: None,
            },
        );
    }
    let st = ctx.state.clone();
    let meta = ctx.req.meta.clone();
    let (f, r) = (form.clone(), reference.clone());
    let who = me.clone();
    match db::run(&ctx.state.pool, move |conn| {
        cases::update(conn, &who, &meta, &st.config, &r, &f)
    })
    .await
    {
        Ok(c) => Ok(see_other_with_flash(
            &format!("/cases/{}", c.ref_),
            k("flash-saved"),
            &ctx.state.config,
        )),
        Err(AppError::Form(errors)) => {
            let conflict = errors.get("version").is_some();
            let meta = ctx.req.meta.clone();
            let r = reference.clone();
            let caches = ctx.state.caches.clone();
            let v = db::run(&ctx.state.pool, move |conn| {
                cases::view(conn, &me, &meta, &r, &caches, false, true)
            })
            .await?;
            let conflict =
                conflict.then(|| (v.updated_by.clone(), ctx.layout().dt(&v.case.updated_at)));
            let rows = form.rows_for_display(0);
            let status = if conflict.is_some() {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            render(
                status,
                &CaseFormPage {
                    layout: ctx.layout(),
                    reference: Some(reference),
                    form,
                    rows,
                    errors,
                    categories: v.categories,
                    conflict,
                },
            )
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MoveForm {
    to: String,
    reason: String,
    agency: String,
    outcome: String,
    summary: String,
}

pub async fn transition(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, AppError> {
    let reference = path.into_inner();
    let f = form.into_inner();
    let to: Status =
        f.to.parse()
            .map_err(|_| AppError::Invalid(k("move-not-allowed")))?;
    let input = MoveInput {
        reason: f.reason,
        agency: f.agency,
        outcome: f.outcome,
        summary: f.summary,
    };
    action(
        &ctx,
        &reference,
        k("flash-status-changed"),
        move |conn, me, meta, cfg, r| {
            cases::transition(conn, me, meta, cfg, r, to, &input).map(|_| ())
        },
        me,
    )
    .await
}

/// Runs one case action and returns to the case page with a flash message.
async fn action<F>(
    ctx: &Ctx,
    reference: &str,
    flash: MsgKey,
    f: F,
    me: CurrentUser,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(
            &mut diesel::PgConnection,
            &CurrentUser,
            &crate::domain::RequestMeta,
            &crate::config::Config,
            &str,
        ) -> Result<(), AppError>
        + Send
        + 'static,
{
    let st = ctx.state.clone();
    let meta = ctx.req.meta.clone();
    let r = reference.to_owned();
    db::run(&ctx.state.pool, move |conn| {
        f(conn, &me, &meta, &st.config, &r)
    })
    .await?;
    Ok(see_other_with_flash(
        &format!("/cases/{}", encode_query_value(reference)),
        flash,
        &ctx.state.config,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssignForm {
    assignee_id: String,
}

pub async fn assign(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    form: web::Form<AssignForm>,
) -> Result<HttpResponse, AppError> {
    let id: i64 = form
        .assignee_id
        .trim()
        .parse()
        .map_err(|_| AppError::Invalid(k("assign-unknown-user")))?;
    action(
        &ctx,
        &path.into_inner(),
        k("flash-assigned"),
        move |conn, me, meta, cfg, r| cases::assign(conn, me, meta, cfg, r, id).map(|_| ()),
        me,
    )
    .await
}

pub async fn take(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = me.id;
    action(
        &ctx,
        &path.into_inner(),
        k("flash-assigned"),
        move |conn, me, meta, cfg, r| cases::assign(conn, me, meta, cfg, r, id).map(|_| ()),
        me,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoteForm {
    body: String,
}

pub async fn add_note(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    form: web::Form<NoteForm>,
) -> Result<HttpResponse, AppError> {
    let reference = path.into_inner();
    let body = form.into_inner().body;
    let meta = ctx.req.meta.clone();
    let (r, b, who) = (reference.clone(), body.clone(), me.clone());
    let cfg = ctx.state.config.clone();
    match db::run(&ctx.state.pool, move |conn| {
        cases::add_note(conn, &who, &meta, &cfg, &r, &b)
    })
    .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/cases/{}#timeline",
            encode_query_value(&reference)
        ))),
        Err(AppError::Form(errors)) => {
            let meta = ctx.req.meta.clone();
            let caches = ctx.state.caches.clone();
            let v = db::run(&ctx.state.pool, move |conn| {
                cases::view(conn, &me, &meta, &reference, &caches, false, true)
            })
            .await?;
            let note_error = errors.get("body");
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &CaseShowPage {
                    layout: ctx.layout(),
                    v,
                    newest_first: true,
                    note_error,
                    errors: FormErrors::default(),
                    max_evidence_mb: ctx.state.config.evidence_max_bytes / (1024 * 1024),
                },
            )
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExtendForm {
    clock: String,
    new_date: String,
    reason: String,
    doc_no: String,
}

pub async fn extend(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    form: web::Form<ExtendForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.into_inner();
    action(
        &ctx,
        &path.into_inner(),
        k("flash-deadline-extended"),
        move |conn, me, meta, cfg, r| {
            cases::extend(
                conn,
                me,
                meta,
                cfg,
                r,
                &f.clock,
                &f.new_date,
                &f.reason,
                &f.doc_no,
            )
            .map(|_| ())
        },
        me,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OtherCaseForm {
    other: String,
}

pub async fn link(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    form: web::Form<OtherCaseForm>,
) -> Result<HttpResponse, AppError> {
    let other = form.into_inner().other;
    action(
        &ctx,
        &path.into_inner(),
        k("flash-linked"),
        move |conn, me, meta, _, r| cases::link(conn, me, meta, r, &other).map(|_| ()),
        me,
    )
    .await
}

pub async fn merge(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    form: web::Form<OtherCaseForm>,
) -> Result<HttpResponse, AppError> {
    let other = form.into_inner().other;
    action(
        &ctx,
        &path.into_inner(),
        k("flash-merged"),
        move |conn, me, meta, cfg, r| cases::merge(conn, me, meta, cfg, r, &other).map(|_| ()),
        me,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WatcherForm {
    user_id: String,
    remove: String,
}

pub async fn watchers(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    form: web::Form<WatcherForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.into_inner();
    let id: i64 = f
        .user_id
        .trim()
        .parse()
        .map_err(|_| AppError::Invalid(k("assign-unknown-user")))?;
    let watch = f.remove.is_empty();
    action(
        &ctx,
        &path.into_inner(),
        k("flash-saved"),
        move |conn, me, meta, _, r| cases::set_watcher(conn, me, meta, r, id, watch).map(|_| ()),
        me,
    )
    .await
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
