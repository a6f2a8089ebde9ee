//! `/login/2fa`, `/profile/2fa` and `/profile/sessions`: the second step of
//! a sign-in, setting up the second factor, and one's sessions.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db;
use crate::error::AppError;
use crate::i18n::k;
use crate::models::session::{Session, Stage};
use crate::routes::{
    extract::{Ctx, Enrolling, Pending},
    middleware::{cookie, SESSION_COOKIE},
    pages::LayoutCtx,
    render, safe_next, see_other, see_other_with_flash,
};
use crate::services::second_factor::{self as sf, SecondStep, Status};

#[derive(Deserialize, Default)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

#[derive(Template)]
#[template(path = "login_2fa.html")]
struct SecondStepPage {
    layout: LayoutCtx,
    next: String,
    error: Option<&'static str>,
}

pub async fn login_form(
    ctx: Ctx,
    Pending(me): Pending,
    q: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    if me.stage != Stage::SecondFactor {
        return Ok(see_other("/"));
    }
    render(
        StatusCode::OK,
        &SecondStepPage {
            layout: ctx.layout(),
            next: safe_next(&q.next),
            error: None,
        },
    )
}

pub async fn login(
    ctx: Ctx,
    Pending(me): Pending,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    if me.stage != Stage::SecondFactor {
        return Ok(see_other("/"));
    }
    let form = form.into_inner();
    let (st, meta, code) = (ctx.state.clone(), ctx.req.meta.clone(), form.code.clone());
    let step = db::run(&ctx.state.pool, move |conn| {
        sf::sign_in(conn, &st.config, &me, &meta, &code)
    })
    .await?;
    let cfg = &ctx.state.config;
    match step {
        SecondStep::SignedIn { token, lang } => {
            let mut res = see_other(&safe_next(&form.next));
            let _ = res.add_cookie(&cookie(
                SESSION_COOKIE,
                token,
                cfg,
                Some(cfg.session_lifetime),
            ));
            let _ = res.add_cookie(&cookie(
                crate::routes::middleware::LANG_COOKIE,
                lang.code().to_owned(),
                cfg,
                Some(std::time::Duration::from_secs(365 * 24 * 3600)),
            ));
            Ok(res)
        }
        SecondStep::Wrong | SecondStep::Throttled => {
            let (status, error) = match step {
                SecondStep::Throttled => (StatusCode::TOO_MANY_REQUESTS, k("login-throttled")),
                _ => (StatusCode::UNAUTHORIZED, k("second-factor-code-wrong")),
            };
            render(
                status,
                &SecondStepPage {
                    layout: ctx.layout(),
                    next: safe_next(&form.next),
                    error: Some(error.0),
                },
            )
        }
    }
}

#[derive(Template)]
#[template(path = "second_factor.html")]
struct SetUpPage {
    layout: LayoutCtx,
    status: Status,
    /// Recovery codes just made: shown this once.
    codes: Vec<String>,
    error: Option<&'static str>,
    /// The sign-in stops here until it is set up.
    enrolling: bool,
}

impl SetUpPage {
    /// The QR code as a `data:` address: an image, not markup in the page.
    fn qr_data(&self, svg: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(svg.as_bytes())
    }
}

async fn set_up_page(
    ctx: &Ctx,
    me: CurrentUser,
    status_code: StatusCode,
    codes: Vec<String>,
    error: Option<&'static str>,
) -> Result<HttpResponse, AppError> {
    let st = ctx.state.clone();
    let enrolling = me.stage == Stage::Enrol;
    let status = db::run(&ctx.state.pool, move |conn| {
        sf::status(conn, &st.config, &me)
    })
    .await?;
    render(
        status_code,
        &SetUpPage {
            layout: ctx.layout(),
            status,
            codes,
            error,
            enrolling,
        },
    )
}

pub async fn profile(ctx: Ctx, Enrolling(me): Enrolling) -> Result<HttpResponse, AppError> {
    set_up_page(&ctx, me, StatusCode::OK, Vec::new(), None).await
}

/// The page again with why a code was refused (422); any other error as it is.
async fn refused_page(ctx: &Ctx, me: CurrentUser, e: AppError) -> Result<HttpResponse, AppError> {
    let key = match e {
        AppError::Form(errors) => errors.get("code").unwrap_or("second-factor-code-wrong"),
        other => return Err(other),
    };
    set_up_page(
        ctx,
        me,
        StatusCode::UNPROCESSABLE_ENTITY,
        Vec::new(),
        Some(key),
    )
    .await
}

pub async fn confirm(
    ctx: Ctx,
    Enrolling(me): Enrolling,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let (meta, actor, code) = (ctx.req.meta.clone(), me.clone(), form.code.clone());
    let done = db::run(&ctx.state.pool, move |conn| {
        Ok(sf::confirm(conn, &actor, &meta, &code))
    })
    .await?;
    match done {
        Ok((codes, token)) => {
            let mut me = me;
            me.stage = Stage::Full;
            let mut res = set_up_page(&ctx, me, StatusCode::OK, codes, None).await?;
            // The sign-in it completed gets a new session token.
            if let Some(token) = token {
                let cfg = &ctx.state.config;
                let _ = res.add_cookie(&cookie(
                    SESSION_COOKIE,
                    token,
                    cfg,
                    Some(cfg.session_lifetime),
                ));
            }
            Ok(res)
        }
        Err(e) => refused_page(&ctx, me, e).await,
    }
}

pub async fn regenerate(
    ctx: Ctx,
    me: CurrentUser,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let (meta, actor, code) = (ctx.req.meta.clone(), me.clone(), form.code.clone());
    let done = db::run(&ctx.state.pool, move |conn| {
        Ok(sf::regenerate(conn, &actor, &meta, &code))
    })
    .await?;
    match done {
        Ok(codes) => set_up_page(&ctx, me, StatusCode::OK, codes, None).await,
        Err(e) => refused_page(&ctx, me, e).await,
    }
}

pub async fn turn_off(
    ctx: Ctx,
    me: CurrentUser,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let (st, meta, actor, code) = (
        ctx.state.clone(),
        ctx.req.meta.clone(),
        me.clone(),
        form.code.clone(),
    );
    let done = db::run(&ctx.state.pool, move |conn| {
        Ok(sf::turn_off(conn, &st.config, &actor, &meta, &code))
    })
    .await?;
    match done {
        Ok(()) => Ok(see_other_with_flash(
            "/profile/2fa",
            k("flash-second-factor-off"),
            &ctx.state.config,
        )),
        Err(e) => refused_page(&ctx, me, e).await,
    }
}

/// An administrator resets someone's second factor.
pub async fn reset(
    ctx: Ctx,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (st, meta) = (ctx.state.clone(), ctx.req.meta.clone());
    db::run(&ctx.state.pool, move |conn| {
        sf::reset(conn, &st.config, &me, &meta, id)
    })
    .await?;
    Ok(see_other_with_flash(
        &format!("/admin/users/{id}"),
        k("flash-second-factor-reset"),
        &ctx.state.config,
    ))
}

#[derive(Template)]
#[template(path = "sessions.html")]
struct SessionsPage {
    layout: LayoutCtx,
    sessions: Vec<Session>,
    current: i64,
}

pub async fn sessions(ctx: Ctx, me: CurrentUser) -> Result<HttpResponse, AppError> {
    let (actor, current) = (me.clone(), me.session_id);
    let sessions = db::run(&ctx.state.pool, move |conn| {
        sf::sessions(conn, &actor, actor.id)
    })
    .await?;
    render(
        StatusCode::OK,
        &SessionsPage {
            layout: ctx.layout(),
            sessions,
            current,
        },
    )
}

#[derive(Deserialize, Default)]
pub struct BackForm {
    #[serde(default)]
    back: String,
}

pub async fn end(
    ctx: Ctx,
    me: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<BackForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let meta = ctx.req.meta.clone();
    db::run(&ctx.state.pool, move |conn| {
        sf::end_session(conn, &me, &meta, id)
    })
    .await?;
    let back = safe_next(&form.back);
    let back = if back.starts_with("/admin/users/") {
        back
    } else {
        "/profile/sessions".to_owned()
    };
    Ok(see_other_with_flash(
        &back,
        k("flash-session-ended"),
        &ctx.state.config,
    ))
}

pub async fn end_others(ctx: Ctx, me: CurrentUser) -> Result<HttpResponse, AppError> {
    let meta = ctx.req.meta.clone();
    db::run(&ctx.state.pool, move |conn| {
        sf::end_others(conn, &me, &meta)
    })
    .await?;
    Ok(see_other_with_flash(
        "/profile/sessions",
        k("flash-sessions-ended"),
        &ctx.state.config,
    ))
}
