//! `/admin/users`: account administration (administrators only).

use crate::routes::tokens::TokenWords;
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
use crate::i18n::k;
use crate::models::user::{self, Role, User, UserFilter};
use crate::routes::{extract::Ctx, pages::LayoutCtx, render, see_other_with_flash, PAGE_SIZE};
use crate::services::users::{self, UserInput};

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "admin/users/index.html")]
struct UsersIndexPage {
    layout: LayoutCtx,
    users: Vec<User>,
    total: i64,
    page: i64,
    pages: i64,
    q: String,
    role: String,
    status: String,
    /// The filters as a query string, for pagination links.
    filter_qs: String,
    roles: &'static [Role],
}

pub async fn index(
    ctx: Ctx,
    me: CurrentUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageUsers)?;
    let q = query.into_inner();
    let filter = UserFilter {
        q: Some(q.q.trim().chars().take(100).collect()),
        role: q.role.parse().ok(),
        active: match q.status.as_str() {
            "active" => Some(true),
            "inactive" => Some(false),
            _ => None,
        },
    };
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let (users, total) = db::run(&ctx.state.pool, move |conn| {
        Ok(user::list(
            conn,
            &filter,
            (page - 1) * PAGE_SIZE,
            PAGE_SIZE,
        )?)
    })
    .await?;
    let filter_qs = format!(
        "q={}&role={}&status={}",
        encode_query_value(&q.q),
        encode_query_value(&q.role),
        encode_query_value(&q.status)
    );
    render(
        StatusCode::OK,
        &UsersIndexPage {
            layout: ctx.layout(),
            users,
            total,
            page,
            pages: (total + PAGE_SIZE - 1) / PAGE_SIZE,
            q: q.q,
            role: q.role,
            status: q.status,
            filter_qs,
            roles: Role::ALL,
        },
    )
}

#[derive(Deserialize, Default, Clone)]
pub struct UserForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    on_duty: Option<String>,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    unit: String,
    /// A service account (new accounts only).
    #[serde(default)]
    service: Option<String>,
}

/// (id, code, current name) of each active unit, for the unit select.
type UnitChoices = Vec<(i32, String, String)>;

async fn unit_choices(ctx: &Ctx) -> Result<UnitChoices, AppError> {
    db::run(&ctx.state.pool, |conn| {
        let names = crate::models::unit::current_names(conn)?;
        Ok(crate::models::unit::all(conn)?
            .into_iter()
            .filter(|u| u.active)
            .map(|u| {
                let name = names
                    .iter()
                    .find(|(id, _)| *id == u.id)
                    .map_or_else(String::new, |(_, n)| n.name_vi.clone());
                (u.id, u.code, name)
            })
            .collect())
    })
    .await
}

impl UserForm {
    fn input(&self) -> UserInput {
        UserInput {
            email: self.email.clone(),
            full_name: self.full_name.clone(),
            role: self.role.clone(),
            team: self.team.clone(),
            on_duty: self.on_duty.is_some(),
            lang: self.lang.clone(),
            unit: self.unit.clone(),
            service: self.service.is_some(),
        }
    }

    fn from_user(u: &User, units: &UnitChoices) -> UserForm {
        UserForm {
            email: u.email.clone(),
            full_name: u.full_name.clone(),
            role: u.role.code().to_owned(),
            team: u.team.clone().unwrap_or_default(),
            on_duty: u.on_duty.then(|| "on".to_owned()),
            lang: u.lang.clone(),
            unit: units
                .iter()
                .find(|(id, _, _)| *id == u.unit_id)
                .map(|(_, code, _)| code.clone())
                .unwrap_or_default(),
            service: u.service.then(|| "on".to_owned()),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/users/form.html")]
struct UserFormPage {
    layout: LayoutCtx,
    /// `None` when creating.
    user: Option<User>,
    form: UserForm,
    errors: FormErrors,
    roles: &'static [Role],
    units: UnitChoices,
    /// The account's API tokens (none when creating).
    tokens: Vec<crate::models::api_token::ApiToken>,
    now: chrono::DateTime<chrono::Utc>,
    /// The account's signed-in sessions, and the reader's own (not ended here).
    sessions: Vec<crate::models::session::Session>,
    current: i64,
}

impl crate::routes::tokens::TokenWords for UserFormPage {
    fn layout(&self) -> &LayoutCtx {
        &self.layout
    }
}

impl UserFormPage {
    fn live(&self, t: &crate::models::api_token::ApiToken) -> bool {
        t.is_live(self.now)
    }
}

#[derive(Template)]
#[template(path = "admin/users/password.html")]
struct PasswordShownPage {
    layout: LayoutCtx,
    user: User,
    password: String,
    created: bool,
}

pub async fn new_form(ctx: Ctx, me: CurrentUser) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageUsers)?;
    let units = unit_choices(&ctx).await?;
    let form = UserForm {
        role: "officer".into(),
        lang: ctx.state.config.default_lang.code().into(),
        ..Default::default()
    };
    render(
        StatusCode::OK,
        &UserFormPage {
            layout: ctx.layout(),
            user: None,
            form,
            errors: FormErrors::default(),
            roles: Role::ALL,
            units,
            tokens: Vec::new(),
            now: chrono::Utc::now(),
            sessions: Vec::new(),
            current: 0,
        },
    )
}

pub async fn create(
    ctx: Ctx,
    me: CurrentUser,
    form: web::Form<UserForm>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageUsers)?;
    let form = form.into_inner();
    let input = form.input();
    let meta = ctx.req.meta.clone();
    let created = db::run(&ctx.state.pool, move |conn| {
        users::create(conn, Some(&me), &meta, &input, None)
    })
    .await;
    let units = unit_choices(&ctx).await?;
    ctx.state.caches.users_changed();
    match created {
        Ok((user, Some(password))) => render(
            StatusCode::OK,
            &PasswordShownPage {
                layout: ctx.layout(),
                user,
                password,
                created: true,
            },
        ),
        Ok((user, None)) => Ok(see_other_with_flash(
            &format!("/admin/users/{}", user.id),
            k("flash-saved"),
            &ctx.state.config,
        )),
        Err(AppError::Form(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &UserFormPage {
                layout: ctx.layout(),
                user: None,
                form,
                errors,
                roles: Role::ALL,
                units,
                tokens: Vec::new(),
                now: chrono::Utc::now(),
                sessions: Vec::new(),
                current: 0,
            },
        ),
        Err(e) => Err(e),
    }
}

pub async fn edit_form(
    ctx: Ctx,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageUsers)?;
    let id = id.into_inner();
    let actor = me.clone();
    let current = me.session_id;
    let (user, tokens, sessions) = db::run(&ctx.state.pool, move |conn| {
        Ok((
            user::find(conn, id)?,
            crate::services::api::of_user(conn, &actor, id)?,
            crate::services::second_factor::sessions(conn, &actor, id)?,
        ))
    })
    .await?;
    let units = unit_choices(&ctx).await?;
    let form = UserForm::from_user(&user, &units);
    render(
        StatusCode::OK,
        &UserFormPage {
            layout: ctx.layout(),
            user: Some(user),
            form,
            errors: FormErrors::default(),
            roles: Role::ALL,
            units,
            tokens,
            now: chrono::Utc::now(),
            sessions,
            current,
        },
    )
}

pub async fn update(
    ctx: Ctx,
    me: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<UserForm>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageUsers)?;
    let id = id.into_inner();
    let form = form.into_inner();
    let input = form.input();
    let meta = ctx.req.meta.clone();
    let result = db::run(&ctx.state.pool, move |conn| {
        let current = user::find(conn, id)?;
        match users::update(conn, &me, &meta, id, &input, current.active) {
            Err(AppError::Form(errors)) => Ok(Err((current, errors))),
            other => other.map(Ok),
        }
    })
    .await?;
    ctx.state.caches.users_changed();
    let units = unit_choices(&ctx).await?;
    match result {
        Ok(_) => Ok(see_other_with_flash(
            &format!("/admin/users/{id}"),
            k("flash-saved"),
            &ctx.state.config,
        )),
        Err((user, errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &UserFormPage {
                layout: ctx.layout(),
                user: Some(user),
                form,
                errors,
                roles: Role::ALL,
                units,
                tokens: Vec::new(),
                now: chrono::Utc::now(),
                sessions: Vec::new(),
                current: 0,
            },
        ),
    }
}

async fn set_active(
    ctx: Ctx,
    me: CurrentUser,
    id: i64,
    active: bool,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageUsers)?;
    let meta = ctx.req.meta.clone();
    db::run(&ctx.state.pool, move |conn| {
        users::set_active(conn, &me, &meta, id, active)
    })
    .await?;
    ctx.state.caches.users_changed();
    let flash = if active {
        k("flash-user-activated")
    } else {
        k("flash-user-deactivated")
    };
    Ok(see_other_with_flash(
        &format!("/admin/users/{id}"),
        flash,
        &ctx.state.config,
    ))
}

pub async fn deactivate(
    ctx: Ctx,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_active(ctx, me, id.into_inner(), false).await
}

pub async fn activate(
    ctx: Ctx,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_active(ctx, me, id.into_inner(), true).await
}

pub async fn reset_password(
    ctx: Ctx,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageUsers)?;
    let id = id.into_inner();
    let meta = ctx.req.meta.clone();
    let (user, password) = db::run(&ctx.state.pool, move |conn| {
        users::reset_password(conn, &me, &meta, id)
    })
    .await?;
    render(
        StatusCode::OK,
        &PasswordShownPage {
            layout: ctx.layout(),
            user,
            password,
            created: false,
        },
    )
}
