//! `/admin/categories` and `/admin/deadlines`: reference data (administrators).

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use crate::auth::{
    policy::{self, Action},
    CurrentUser,
};
use crate::db;
use crate::domain::form::FormErrors;
use crate::error::AppError;
use crate::i18n::k;
use crate::models::{
    category::{self, Category},
    deadline::{self, Rule, Unit},
};
use crate::routes::{extract::Ctx, pages::LayoutCtx, render, see_other_with_flash};
use crate::services::reference::{self, CategoryInput};

#[derive(Template)]
#[template(path = "admin/categories.html")]
struct CategoriesPage {
    layout: LayoutCtx,
    categories: Vec<Category>,
    errors: FormErrors,
    /// The form that failed, to re-render its input (`None` id = the new one).
    failed: Option<(Option<i32>, CategoryInput)>,
}

impl CategoriesPage {
    fn parents(&self) -> Vec<&Category> {
        self.categories
            .iter()
            .filter(|c| c.parent_id.is_none())
            .collect()
    }
    fn new_input(&self) -> CategoryInput {
        match &self.failed {
            Some((None, input)) => input.clone(),
            _ => CategoryInput {
                active: Some("on".into()),
                ..Default::default()
            },
        }
    }
    fn failed_id(&self) -> Option<i32> {
        self.failed.as_ref().and_then(|(id, _)| *id)
    }
}

async fn categories_page(
    ctx: &Ctx,
    status: StatusCode,
    errors: FormErrors,
    failed: Option<(Option<i32>, CategoryInput)>,
) -> Result<HttpResponse, AppError> {
    let categories = db::run(&ctx.state.pool, |conn| Ok(category::all(conn)?)).await?;
    render(
        status,
        &CategoriesPage {
            layout: ctx.layout(),
            categories,
            errors,
            failed,
        },
    )
}

pub async fn categories(ctx: Ctx, me: CurrentUser) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageReferenceData)?;
    categories_page(&ctx, StatusCode::OK, FormErrors::default(), None).await
}

/// After a save of reference data: back to `to` with "saved", or the page
/// again (422) with the form's errors; any other error as it is.
async fn saved_or_again<T, Fut>(
    ctx: &Ctx,
    to: &str,
    saved: Result<T, AppError>,
    again: impl FnOnce(FormErrors) -> Fut,
) -> Result<HttpResponse, AppError>
where
    Fut: std::future::Future<Output = Result<HttpResponse, AppError>>,
{
    match saved {
        Ok(_) => Ok(see_other_with_flash(
            to,
            k("flash-saved"),
            &ctx.state.config,
        )),
        Err(AppError::Form(errors)) => again(errors).await,
        Err(e) => Err(e),
    }
}

async fn save(
    ctx: Ctx,
    me: CurrentUser,
    id: Option<i32>,
    input: CategoryInput,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageReferenceData)?;
    let meta = ctx.req.meta.clone();
    let i = input.clone();
    let saved = db::run(&ctx.state.pool, move |conn| {
        reference::save_category(conn, &me, &meta, id, &i)
    })
    .await;
    ctx.state.caches.categories_changed();
    saved_or_again(&ctx, "/admin/categories", saved, |errors| {
        categories_page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            Some((id, input)),
        )
    })
    .await
}

pub async fn create_category(
    ctx: Ctx,
    me: CurrentUser,
    form: web::Form<CategoryInput>,
) -> Result<HttpResponse, AppError> {
    save(ctx, me, None, form.into_inner()).await
}

pub async fn update_category(
    ctx: Ctx,
    me: CurrentUser,
    id: web::Path<i32>,
    form: web::Form<CategoryInput>,
) -> Result<HttpResponse, AppError> {
    save(ctx, me, Some(id.into_inner()), form.into_inner()).await
}

#[derive(Template)]
#[template(path = "admin/deadlines.html")]
struct RulesPage {
    layout: LayoutCtx,
    rules: Vec<Rule>,
    errors: FormErrors,
    units: &'static [Unit],
}

impl RulesPage {
    fn err(&self, prefix: &str, id: &i32) -> Option<&'static str> {
        self.errors.get(&format!("{prefix}-{id}"))
    }
}

async fn rules_page(
    ctx: &Ctx,
    status: StatusCode,
    errors: FormErrors,
) -> Result<HttpResponse, AppError> {
    let rules = db::run(&ctx.state.pool, |conn| Ok(deadline::rules(conn)?)).await?;
    render(
        status,
        &RulesPage {
            layout: ctx.layout(),
            rules,
            errors,
            units: Unit::ALL,
        },
    )
}

pub async fn rules(ctx: Ctx, me: CurrentUser) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageReferenceData)?;
    rules_page(&ctx, StatusCode::OK, FormErrors::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RuleForm {
    amount: String,
    unit: String,
    active: Option<String>,
}

pub async fn update_rule(
    ctx: Ctx,
    me: CurrentUser,
    id: web::Path<i32>,
    form: web::Form<RuleForm>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageReferenceData)?;
    let id = id.into_inner();
    let f = form.into_inner();
    let meta = ctx.req.meta.clone();
    let saved = db::run(&ctx.state.pool, move |conn| {
        reference::save_rule(conn, &me, &meta, id, &f.amount, &f.unit, f.active.is_some())
    })
    .await;
    saved_or_again(&ctx, "/admin/deadlines", saved, |errors| {
        rules_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, errors)
    })
    .await
}

#[derive(Template)]
#[template(path = "admin/banks.html")]
struct BanksPage {
    layout: LayoutCtx,
    banks: Vec<crate::models::bank::Bank>,
    errors: FormErrors,
    /// The form that failed (`None` code = the new one) and what it sent.
    failed: Option<(Option<String>, reference::BankInput)>,
}

impl BanksPage {
    fn new_input(&self) -> reference::BankInput {
        match &self.failed {
            Some((None, input)) => input.clone(),
            _ => reference::BankInput {
                active: Some("on".into()),
                ..Default::default()
            },
        }
    }
    fn failed_code(&self) -> &str {
        self.failed
            .as_ref()
            .and_then(|(c, _)| c.as_deref())
            .unwrap_or("")
    }
}

async fn banks_page(
    ctx: &Ctx,
    status: StatusCode,
    errors: FormErrors,
    failed: Option<(Option<String>, reference::BankInput)>,
) -> Result<HttpResponse, AppError> {
    let banks = db::run(&ctx.state.pool, |conn| Ok(crate::models::bank::all(conn)?)).await?;
    render(
        status,
        &BanksPage {
            layout: ctx.layout(),
            banks,
            errors,
            failed,
        },
    )
}

pub async fn banks(ctx: Ctx, me: CurrentUser) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageReferenceData)?;
    banks_page(&ctx, StatusCode::OK, FormErrors::default(), None).await
}

async fn save_bank(
    ctx: Ctx,
    me: CurrentUser,
    code: Option<String>,
    input: reference::BankInput,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageReferenceData)?;
    let meta = ctx.req.meta.clone();
    let (i, c) = (input.clone(), code.clone());
    let saved = db::run(&ctx.state.pool, move |conn| {
        reference::save_bank(conn, &me, &meta, c.as_deref(), &i)
    })
    .await;
    ctx.state.caches.banks_changed();
    saved_or_again(&ctx, "/admin/banks", saved, |errors| {
        banks_page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            Some((code, input)),
        )
    })
    .await
}

pub async fn create_bank(
    ctx: Ctx,
    me: CurrentUser,
    form: web::Form<reference::BankInput>,
) -> Result<HttpResponse, AppError> {
    save_bank(ctx, me, None, form.into_inner()).await
}

pub async fn update_bank(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<String>,
    form: web::Form<reference::BankInput>,
) -> Result<HttpResponse, AppError> {
    save_bank(ctx, me, Some(path.into_inner()), form.into_inner()).await
}

#[derive(Template)]
#[template(path = "admin/legal.html")]
struct LegalPage {
    layout: LayoutCtx,
    bases: Vec<crate::models::legal_basis::LegalBasis>,
    topics: &'static [crate::models::legal_basis::Topic],
    errors: FormErrors,
    /// The form that failed (`None` id = the new one) and what it sent.
    failed: Option<(Option<i32>, reference::BasisInput)>,
}

impl LegalPage {
    fn new_input(&self) -> reference::BasisInput {
        match &self.failed {
            Some((None, input)) => input.clone(),
            _ => reference::BasisInput::default(),
        }
    }
    /// An error of the new form's field `name`.
    fn new_err(&self, name: &str) -> Option<&'static str> {
        match &self.failed {
            Some((None, _)) => self.errors.get(name),
            _ => None,
        }
    }
    fn value<'a>(&self, n: &'a reference::BasisInput, name: &str) -> &'a str {
        match name {
            "instrument" => &n.instrument,
            "article" => &n.article,
            "title_vi" => &n.title_vi,
            "title_en" => &n.title_en,
            "in_force_from" => &n.in_force_from,
            "in_force_to" => &n.in_force_to,
            _ => &n.note,
        }
    }
    fn failed_here(&self, id: &i32) -> bool {
        matches!(&self.failed, Some((Some(f), _)) if f == id)
    }
    /// The basis whose days the failed form's days would overlap.
    fn in_the_way(&self, id: &i32) -> bool {
        self.errors.get(&format!("overlap-{id}")).is_some()
    }
    fn in_force_now(&self, b: &crate::models::legal_basis::LegalBasis) -> bool {
        b.in_force_on(Utc::now().with_timezone(&self.layout.tz).date_naive())
    }
    fn day(&self, d: &Option<chrono::NaiveDate>) -> String {
        d.map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    }
}

async fn legal_page(
    ctx: &Ctx,
    status: StatusCode,
    errors: FormErrors,
    failed: Option<(Option<i32>, reference::BasisInput)>,
) -> Result<HttpResponse, AppError> {
    let bases = db::run(&ctx.state.pool, |conn| {
        Ok(crate::models::legal_basis::all(conn)?)
    })
    .await?;
    render(
        status,
        &LegalPage {
            layout: ctx.layout(),
            bases,
            topics: crate::models::legal_basis::Topic::ALL,
            errors,
            failed,
        },
    )
}

/// `/admin/legal`: the legal bases every citation comes from.
pub async fn legal(ctx: Ctx, me: CurrentUser) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageReferenceData)?;
    legal_page(&ctx, StatusCode::OK, FormErrors::default(), None).await
}

async fn save_basis(
    ctx: Ctx,
    me: CurrentUser,
    id: Option<i32>,
    input: reference::BasisInput,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageReferenceData)?;
    let meta = ctx.req.meta.clone();
    let i = input.clone();
    let saved = db::run(&ctx.state.pool, move |conn| {
        reference::save_basis(conn, &me, &meta, id, &i)
    })
    .await;
    ctx.state.caches.legal_bases_changed();
    saved_or_again(&ctx, "/admin/legal", saved, |errors| {
        legal_page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            Some((id, input)),
        )
    })
    .await
}

pub async fn create_basis(
    ctx: Ctx,
    me: CurrentUser,
    form: web::Form<reference::BasisInput>,
) -> Result<HttpResponse, AppError> {
    save_basis(ctx, me, None, form.into_inner()).await
}

pub async fn update_basis(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<i32>,
    form: web::Form<reference::BasisInput>,
) -> Result<HttpResponse, AppError> {
    save_basis(ctx, me, Some(path.into_inner()), form.into_inner()).await
}

#[derive(Template)]
#[template(path = "admin/retention.html")]
struct RetentionPage {
    layout: LayoutCtx,
    rules: Vec<crate::models::retention::Rule>,
    types: &'static [crate::models::case::CaseType],
    outcomes: &'static [crate::models::case::Outcome],
    errors: FormErrors,
    /// The dry run's list, when asked for.
    due: Option<Vec<crate::models::retention::Due>>,
    run_max: i64,
}

impl RetentionPage {
    fn err(&self, field: &str) -> Option<&'static str> {
        self.errors.get(field)
    }
    fn row_err(&self, id: &i32) -> Option<&'static str> {
        self.errors.get(&format!("months-{id}"))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RetentionQuery {
    dry_run: Option<String>,
}

async fn retention_page(
    ctx: &Ctx,
    me: CurrentUser,
    status: StatusCode,
    errors: FormErrors,
    dry: bool,
) -> Result<HttpResponse, AppError> {
    let (rules, due) = db::run(&ctx.state.pool, move |conn| {
        let due = if dry {
            Some(crate::services::retention::dry_run(conn, &me, Utc::now())?)
        } else {
            None
        };
        Ok((crate::models::retention::rules(conn)?, due))
    })
    .await?;
    render(
        status,
        &RetentionPage {
            layout: ctx.layout(),
            rules,
            types: crate::models::case::CaseType::ALL,
            outcomes: crate::models::case::Outcome::ALL,
            errors,
            due,
            run_max: crate::services::retention::RUN_MAX,
        },
    )
}

/// `/admin/retention`: how long personal data are kept; `?dry_run=1` lists
/// what a run would anonymise now.
pub async fn retention(
    ctx: Ctx,
    me: CurrentUser,
    q: web::Query<RetentionQuery>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageReferenceData)?;
    let dry = q.dry_run.is_some();
    retention_page(&ctx, me, StatusCode::OK, FormErrors::default(), dry).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RetentionRuleForm {
    case_type: String,
    outcome: String,
    months: String,
}

async fn after_retention_save(
    ctx: Ctx,
    me: CurrentUser,
    saved: Result<(), AppError>,
) -> Result<HttpResponse, AppError> {
    saved_or_again(&ctx, "/admin/retention", saved, |errors| {
        retention_page(&ctx, me, StatusCode::UNPROCESSABLE_ENTITY, errors, false)
    })
    .await
}

pub async fn add_retention_rule(
    ctx: Ctx,
    me: CurrentUser,
    form: web::Form<RetentionRuleForm>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageReferenceData)?;
    let (f, meta, who) = (form.into_inner(), ctx.req.meta.clone(), me.clone());
    let saved = db::run(&ctx.state.pool, move |conn| {
        crate::services::retention::add_rule(conn, &who, &meta, &f.case_type, &f.outcome, &f.months)
    })
    .await;
    after_retention_save(ctx, me, saved).await
}

pub async fn update_retention_rule(
    ctx: Ctx,
    me: CurrentUser,
    id: web::Path<i32>,
    form: web::Form<RetentionRuleForm>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageReferenceData)?;
    let (id, f, meta, who) = (
        id.into_inner(),
        form.into_inner(),
        ctx.req.meta.clone(),
        me.clone(),
    );
    let saved = db::run(&ctx.state.pool, move |conn| {
        crate::services::retention::save_rule(conn, &who, &meta, id, &f.months)
    })
    .await;
    after_retention_save(ctx, me, saved).await
}

/// Runs the anonymisation now (housekeeping also runs it daily).
pub async fn run_retention(ctx: Ctx, me: CurrentUser) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageReferenceData)?;
    let meta = ctx.req.meta.clone();
    let done = db::run(&ctx.state.pool, move |conn| {
        crate::services::retention::run(conn, Some(&me), &meta, Utc::now())
    })
    .await?;
    Ok(see_other_with_flash(
        "/admin/retention",
        if done == 0 {
            k("flash-retention-none")
        } else {
            k("flash-retention-done")
        },
        &ctx.state.config,
    ))
}
