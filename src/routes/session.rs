//! Sign-in, sign-out, password change, profile and language switch.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db;
use crate::domain::form::FormErrors;
use crate::error::AppError;
use crate::i18n::{k, Lang};
use crate::models::session::Stage;
use crate::models::user::ReportNotice;
use crate::routes::{
    extract::{AnyUser, Ctx, Pending},
    middleware::{cookie, removal, LANG_COOKIE, SESSION_COOKIE},
    pages::LayoutCtx,
    render, safe_next, see_other, see_other_with_flash,
};
use crate::services::notify::Event;
use crate::services::{
    auth::{self as auth_service, LoginOutcome},
    users,
};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: LayoutCtx,
    email: String,
    next: String,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

pub async fn login_form(ctx: Ctx, q: web::Query<NextQuery>) -> Result<HttpResponse, AppError> {
    if ctx.req.user.is_some() {
        return Ok(see_other(&safe_next(&q.next)));
    }
    render(
        StatusCode::OK,
        &LoginPage {
            layout: ctx.layout(),
            email: String::new(),
            next: safe_next(&q.next),
            error: None,
        },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(ctx: Ctx, form: web::Form<LoginForm>) -> Result<HttpResponse, AppError> {
    let LoginForm {
        email,
        password,
        next,
    } = form.into_inner();
    let st = ctx.state.clone();
    let meta = ctx.req.meta.clone();
    let previous = ctx.req.user.as_ref().map(|u| u.session_id);
    let typed = email.clone();
    let outcome = db::run(&ctx.state.pool, move |conn| {
        auth_service::login(conn, &st.config, &meta, &typed, &password, previous)
    })
    .await?;
    let cfg = &ctx.state.config;
    match outcome {
        LoginOutcome::SignedIn {
            token,
            must_change_password,
            user_lang,
            stage,
        } => {
            let next = safe_next(&next);
            let target = match stage {
                Stage::SecondFactor if next != "/" => format!(
                    "/login/2fa?next={}",
                    crate::domain::value::encode_query_value(&next)
                ),
                Stage::SecondFactor => "/login/2fa".to_owned(),
                _ if must_change_password => "/password/change".to_owned(),
                Stage::Enrol => "/profile/2fa".to_owned(),
                Stage::Full => next,
            };
            let mut res = see_other(&target);
            let _ = res.add_cookie(&cookie(
                SESSION_COOKIE,
                token,
                cfg,
                Some(cfg.session_lifetime),
            ));
            let _ = res.add_cookie(&cookie(
                LANG_COOKIE,
                user_lang.code().to_owned(),
                cfg,
                Some(ONE_YEAR),
            ));
            Ok(res)
        }
        LoginOutcome::Failed | LoginOutcome::Throttled => {
            let (status, error) = match outcome {
                LoginOutcome::Throttled => (StatusCode::TOO_MANY_REQUESTS, k("login-throttled")),
                _ => (StatusCode::UNAUTHORIZED, k("login-failed")),
            };
            let layout = ctx.layout();
            let email: String = email.trim().chars().take(254).collect();
            render(
                status,
                &LoginPage {
                    layout,
                    email,
                    next: safe_next(&next),
                    error: Some(error.0),
                },
            )
        }
    }
}

const ONE_YEAR: std::time::Duration = std::time::Duration::from_secs(365 * 24 * 3600);

pub async fn logout(ctx: Ctx, Pending(me): Pending) -> Result<HttpResponse, AppError> {
    let meta = ctx.req.meta.clone();
    db::run(&ctx.state.pool, move |conn| {
        auth_service::logout(conn, &me, &meta)
    })
    .await?;
    let mut res = see_other_with_flash("/login", k("flash-signed-out"), &ctx.state.config);
    let _ = res.add_cookie(&removal(SESSION_COOKIE));
    Ok(res)
}

#[derive(Template)]
#[template(path = "password_change.html")]
struct PasswordPage {
    layout: LayoutCtx,
    forced: bool,
    errors: FormErrors,
}

pub async fn password_form(ctx: Ctx, AnyUser(me): AnyUser) -> Result<HttpResponse, AppError> {
    render(
        StatusCode::OK,
        &PasswordPage {
            layout: ctx.layout(),
            forced: me.must_change_password,
            errors: FormErrors::default(),
        },
    )
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub async fn password_change(
    ctx: Ctx,
    AnyUser(me): AnyUser,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let meta = ctx.req.meta.clone();
    let forced = me.must_change_password;
    let f = form.into_inner();
    let result = db::run(&ctx.state.pool, move |conn| {
        auth_service::change_password(
            conn,
            &me,
            &meta,
            &f.current_password,
            &f.new_password,
            &f.confirm_password,
        )
    })
    .await;
    match result {
        Ok(()) => Ok(see_other_with_flash(
            "/",
            k("flash-password-changed"),
            &ctx.state.config,
        )),
        Err(AppError::Form(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage {
                layout: ctx.layout(),
                forced,
                errors,
            },
        ),
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    layout: LayoutCtx,
    me: CurrentUser,
    mail: users::MailPrefs,
}

impl ProfilePage {
    fn notices(&self) -> &'static [ReportNotice] {
        ReportNotice::ALL
    }
}

pub async fn profile(ctx: Ctx, me: CurrentUser) -> Result<HttpResponse, AppError> {
    let id = me.id;
    let mail = db::run(&ctx.state.pool, move |conn| users::mail_prefs(conn, id)).await?;
    render(
        StatusCode::OK,
        &ProfilePage {
            layout: ctx.layout(),
            me,
            mail,
        },
    )
}

/// Saves which optional mail events the user receives: the form sends one `on`
/// field per ticked event.
pub async fn save_mail_prefs(
    ctx: Ctx,
    me: CurrentUser,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let on: Vec<Event> = form
        .iter()
        .filter(|(k, _)| k == "on")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let notice = form
        .iter()
        .find(|(k, _)| k == "report_notice")
        .map(|(_, v)| v.clone());
    let meta = ctx.req.meta.clone();
    db::run(&ctx.state.pool, move |conn| {
        users::set_mail_prefs(conn, &me, &meta, &on, notice.as_deref())
    })
    .await?;
    Ok(see_other_with_flash(
        "/profile",
        k("flash-mail-prefs-saved"),
        &ctx.state.config,
    ))
}

#[derive(Deserialize)]
pub struct LangForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    next: String,
}

/// Switches the interface language: a cookie for everyone, and the saved
/// preference for a signed-in user.
pub async fn switch_language(
    ctx: Ctx,
    form: web::Form<LangForm>,
) -> Result<HttpResponse, AppError> {
    let lang: Lang = form.lang.parse().map_err(|_| AppError::BadRequest)?;
    if let Some(me) = ctx.req.user.clone() {
        let meta = ctx.req.meta.clone();
        db::run(&ctx.state.pool, move |conn| {
            users::set_language(conn, &me, &meta, lang)
        })
        .await?;
    }
    let mut res = see_other(&safe_next(&form.next));
    let _ = res.add_cookie(&cookie(
        LANG_COOKIE,
        lang.code().to_owned(),
        &ctx.state.config,
        Some(ONE_YEAR),
    ));
    Ok(res)
}
