//! `/cases/new` and `/cases/{ref}/edit`: the case form, re-rendered with its
//! errors (422) or a stale-edit refusal (409).

use std::sync::Arc;

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;

use crate::auth::{
    policy::{self, Action},
    CurrentUser,
};
use crate::db;
use crate::domain::form::FormErrors;
use crate::error::AppError;
use crate::i18n::k;
use crate::models::{
    case::{CaseType, Channel, IncidentState, PayMethod, ReporterKind, Severity, Tlp},
    category::Category,
};
use crate::routes::{extract::Ctx, pages::LayoutCtx, render, see_other_with_flash};
use crate::services::cases::{self, CaseForm, TxRow};

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

pub(super) async fn categories(ctx: &Ctx) -> Result<Arc<Vec<Category>>, AppError> {
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
