//! API tokens on the pages: `/profile/tokens` for one's own, and an
//! administrator's form for a service account's on its account page.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;

use crate::auth::CurrentUser;
use crate::db;
use crate::domain::form::FormErrors;
use crate::domain::scope::{Scope, DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS};
use crate::error::AppError;
use crate::i18n::k;
use crate::models::api_token::ApiToken;
use crate::routes::{extract::Ctx, pages::LayoutCtx, render, see_other_with_flash};
use crate::services::api::{self as api_service, TokenForm};

#[derive(Template)]
#[template(path = "tokens/index.html")]
struct TokensPage {
    layout: LayoutCtx,
    tokens: Vec<ApiToken>,
    form: TokenForm,
    errors: FormErrors,
    /// A token just made: shown this once.
    created: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
}

#[derive(Template)]
#[template(path = "tokens/created.html")]
struct CreatedPage {
    layout: LayoutCtx,
    secret: String,
    token: ApiToken,
    /// Where "back" goes: the account page the token was made from.
    back: String,
}

/// What the token forms and lists share.
pub trait TokenWords {
    fn layout(&self) -> &LayoutCtx;

    fn scopes(&self) -> &'static [Scope] {
        Scope::ALL
    }
    fn scope_label(&self, code: &str) -> String {
        Scope::parse(code).map_or_else(|| code.to_owned(), |s| self.layout().t(s.label_key()))
    }
    fn max_days(&self) -> i64 {
        MAX_TOKEN_DAYS
    }
    fn default_days(&self) -> i64 {
        DEFAULT_TOKEN_DAYS
    }
}

impl TokenWords for TokensPage {
    fn layout(&self) -> &LayoutCtx {
        &self.layout
    }
}

impl TokenWords for CreatedPage {
    fn layout(&self) -> &LayoutCtx {
        &self.layout
    }
}

impl TokensPage {
    fn checked(&self, s: &Scope) -> bool {
        self.form.scopes.iter().any(|c| c == s.code())
    }
    fn live(&self, t: &ApiToken) -> bool {
        t.is_live(self.now)
    }
}

/// The form's fields: `name`, `days`, and one `scopes` per ticked box.
fn read_form(pairs: &[(String, String)]) -> TokenForm {
    let get = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    TokenForm {
        name: get("name"),
        days: get("days"),
        scopes: pairs
            .iter()
            .filter(|(k, _)| k == "scopes")
            .map(|(_, v)| v.clone())
            .collect(),
    }
}

async fn page(
    ctx: &Ctx,
    me: &CurrentUser,
    status: StatusCode,
    form: TokenForm,
    errors: FormErrors,
    created: Option<String>,
) -> Result<HttpResponse, AppError> {
    let (id, actor) = (me.id, me.clone());
    let tokens = db::run(&ctx.state.pool, move |conn| {
        api_service::of_user(conn, &actor, id)
    })
    .await?;
    render(
        status,
        &TokensPage {
            layout: ctx.layout(),
            tokens,
            form,
            errors,
            created,
            now: chrono::Utc::now(),
        },
    )
}

pub async fn index(ctx: Ctx, me: CurrentUser) -> Result<HttpResponse, AppError> {
    let form = TokenForm {
        days: DEFAULT_TOKEN_DAYS.to_string(),
        ..Default::default()
    };
    page(&ctx, &me, StatusCode::OK, form, FormErrors::default(), None).await
}

pub async fn create(
    ctx: Ctx,
    me: CurrentUser,
    body: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let form = read_form(&body);
    let (meta, actor, f) = (ctx.req.meta.clone(), me.clone(), form.clone());
    let made = db::run(&ctx.state.pool, move |conn| {
        match api_service::create(conn, Some(&actor), &meta, actor.id, &f) {
            Err(AppError::Form(e)) => Ok(Err(e)),
            other => other.map(Ok),
        }
    })
    .await?;
    match made {
        // Shown on the page itself, never in a redirect or a cookie.
        Ok(c) => {
            let fresh = TokenForm {
                days: DEFAULT_TOKEN_DAYS.to_string(),
                ..Default::default()
            };
            page(
                &ctx,
                &me,
                StatusCode::OK,
                fresh,
                FormErrors::default(),
                Some(c.secret),
            )
            .await
        }
        Err(errors) => {
            page(
                &ctx,
                &me,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                errors,
                None,
            )
            .await
        }
    }
}

/// An administrator makes a token for a service account.
pub async fn create_for(
    ctx: Ctx,
    me: CurrentUser,
    id: web::Path<i64>,
    body: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let owner = id.into_inner();
    let form = read_form(&body);
    let meta = ctx.req.meta.clone();
    let made = db::run(&ctx.state.pool, move |conn| {
        api_service::create(conn, Some(&me), &meta, owner, &form)
    })
    .await;
    let back = format!("/admin/users/{owner}");
    match made {
        Ok(c) => render(
            StatusCode::OK,
            &CreatedPage {
                layout: ctx.layout(),
                secret: c.secret,
                token: c.token,
                back,
            },
        ),
        // The account page shows no token form errors: the message says
        // what to fix, and the form is three fields.
        Err(AppError::Form(e)) => {
            let key = e.iter().next().map_or("error-422-body", |(_, key)| key);
            Err(AppError::Invalid(crate::i18n::MsgKey(key)))
        }
        Err(e) => Err(e),
    }
}

#[derive(serde::Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    back: String,
}

pub async fn revoke(
    ctx: Ctx,
    me: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<RevokeForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let meta = ctx.req.meta.clone();
    db::run(&ctx.state.pool, move |conn| {
        api_service::revoke(conn, &me, &meta, id)
    })
    .await?;
    // Refused here from the next request on (other instances hear the notice).
    ctx.state.caches.tokens_changed();
    // Back to the account page it was revoked from, if a local one.
    let back = crate::routes::safe_next(&form.back);
    let back = if back.starts_with("/admin/users/") {
        back
    } else {
        "/profile/tokens".to_owned()
    };
    Ok(see_other_with_flash(
        &back,
        k("flash-token-revoked"),
        &ctx.state.config,
    ))
}
