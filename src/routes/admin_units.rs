//! `/admin/units`: the police units, their names over time (administrators).

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::{
    policy::{self, Action},
    CurrentUser,
};
use crate::db;
use crate::domain::form::FormErrors;
use crate::domain::unit::UnitKind;
use crate::error::AppError;
use crate::i18n::k;
use crate::routes::{extract::Ctx, pages::LayoutCtx, render, see_other_with_flash};
use crate::services::units::{self, UnitInput, UnitView};

/// The unit form as posted (the same for a new unit and an edit).
#[derive(Deserialize, Default, Clone)]
pub struct UnitForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    ref_prefix: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    name_vi: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    name_from: String,
    #[serde(default)]
    active: Option<String>,
}

impl UnitForm {
    fn input(&self) -> UnitInput {
        UnitInput {
            code: self.code.clone(),
            kind: self.kind.clone(),
            parent: self.parent.clone(),
            ref_prefix: self.ref_prefix.clone(),
            time_zone: self.time_zone.clone(),
            contact: self.contact.clone(),
            name_vi: self.name_vi.clone(),
            name_en: self.name_en.clone(),
            name_from: self.name_from.clone(),
            active: self.active.is_some(),
        }
    }

    fn of(v: &UnitView) -> UnitForm {
        UnitForm {
            code: v.unit.code.clone(),
            kind: v.unit.kind.code().into(),
            parent: v.parent_code.clone().unwrap_or_default(),
            ref_prefix: v.unit.ref_prefix.clone(),
            time_zone: v.unit.time_zone.clone(),
            contact: v.unit.contact.clone(),
            active: v.unit.active.then(|| "on".into()),
            ..Default::default()
        }
    }
}

#[derive(Template)]
#[template(path = "admin/units/index.html")]
struct UnitsPage {
    layout: LayoutCtx,
    units: Vec<UnitView>,
    routes: units::Routes,
    form: UnitForm,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "admin/units/edit.html")]
struct UnitPage {
    layout: LayoutCtx,
    v: UnitView,
    form: UnitForm,
    errors: FormErrors,
}

impl UnitsPage {
    fn kinds(&self) -> &'static [UnitKind] {
        UnitKind::ALL
    }
}

impl UnitPage {
    fn kinds(&self) -> &'static [UnitKind] {
        UnitKind::ALL
    }
}

async fn list_page(
    ctx: &Ctx,
    me: CurrentUser,
    status: StatusCode,
    form: UnitForm,
    errors: FormErrors,
) -> Result<HttpResponse, AppError> {
    let (units, routes) = db::run(&ctx.state.pool, move |conn| {
        Ok((units::list(conn, Some(&me))?, units::routes(conn, &me)?))
    })
    .await?;
    render(
        status,
        &UnitsPage {
            layout: ctx.layout(),
            units,
            routes,
            form,
            errors,
        },
    )
}

pub async fn index(ctx: Ctx, me: CurrentUser) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageUnits)?;
    let form = UnitForm {
        kind: UnitKind::CommunePolice.code().into(),
        active: Some("on".into()),
        ..Default::default()
    };
    list_page(&ctx, me, StatusCode::OK, form, FormErrors::default()).await
}

pub async fn create(
    ctx: Ctx,
    me: CurrentUser,
    form: web::Form<UnitForm>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageUnits)?;
    let form = form.into_inner();
    let (input, meta, who) = (form.input(), ctx.req.meta.clone(), me.clone());
    let created = db::run(&ctx.state.pool, move |conn| {
        units::create(conn, Some(&who), &meta, &input)
    })
    .await;
    ctx.state.caches.units_changed();
    match created {
        Ok(u) => Ok(see_other_with_flash(
            &format!("/admin/units/{}", u.id),
            k("flash-saved"),
            &ctx.state.config,
        )),
        Err(AppError::Form(errors)) => {
            list_page(&ctx, me, StatusCode::UNPROCESSABLE_ENTITY, form, errors).await
        }
        Err(e) => Err(e),
    }
}

async fn unit_page(
    ctx: &Ctx,
    me: CurrentUser,
    id: i32,
    status: StatusCode,
    form: Option<UnitForm>,
    errors: FormErrors,
) -> Result<HttpResponse, AppError> {
    let v = db::run(&ctx.state.pool, move |conn| units::view(conn, &me, id)).await?;
    let form = form.unwrap_or_else(|| UnitForm::of(&v));
    render(
        status,
        &UnitPage {
            layout: ctx.layout(),
            v,
            form,
            errors,
        },
    )
}

pub async fn show(ctx: Ctx, me: CurrentUser, id: web::Path<i32>) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageUnits)?;
    unit_page(
        &ctx,
        me,
        id.into_inner(),
        StatusCode::OK,
        None,
        FormErrors::default(),
    )
    .await
}

pub async fn update(
    ctx: Ctx,
    me: CurrentUser,
    id: web::Path<i32>,
    form: web::Form<UnitForm>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageUnits)?;
    let id = id.into_inner();
    let form = form.into_inner();
    let (input, meta, who) = (form.input(), ctx.req.meta.clone(), me.clone());
    let saved = db::run(&ctx.state.pool, move |conn| {
        units::update(conn, Some(&who), &meta, id, &input)
    })
    .await;
    ctx.state.caches.units_changed();
    match saved {
        Ok(_) => Ok(see_other_with_flash(
            &format!("/admin/units/{id}"),
            k("flash-saved"),
            &ctx.state.config,
        )),
        Err(AppError::Form(errors)) => {
            unit_page(
                &ctx,
                me,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(form),
                errors,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RouteForm {
    province: String,
    ward: String,
    ward_key: String,
    unit: String,
}

pub async fn set_route(
    ctx: Ctx,
    me: CurrentUser,
    form: web::Form<RouteForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.into_inner();
    let meta = ctx.req.meta.clone();
    db::run(&ctx.state.pool, move |conn| {
        units::set_route(conn, &me, &meta, &f.province, &f.ward, &f.unit)
    })
    .await?;
    Ok(see_other_with_flash(
        "/admin/units#routes",
        k("flash-saved"),
        &ctx.state.config,
    ))
}

pub async fn remove_route(
    ctx: Ctx,
    me: CurrentUser,
    form: web::Form<RouteForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.into_inner();
    let meta = ctx.req.meta.clone();
    db::run(&ctx.state.pool, move |conn| {
        units::remove_route(conn, &me, &meta, &f.province, &f.ward_key)
    })
    .await?;
    Ok(see_other_with_flash(
        "/admin/units#routes",
        k("flash-saved"),
        &ctx.state.config,
    ))
}
