//! Extractors that hand handlers what the middleware found.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::models::session::Stage;
use crate::routes::{middleware::ReqCtx, pages::LayoutCtx};
use crate::state::AppState;

/// The request context plus shared state: every page handler takes one.
pub struct Ctx {
    pub req: ReqCtx,
    pub state: web::Data<AppState>,
}

impl Ctx {
    pub fn layout(&self) -> LayoutCtx {
        self.req.layout(&self.state.config)
    }

    /// The pool for a list, search, statistics or export read: the replica
    /// when one is configured and fresh and this browser has not just written.
    pub fn read_pool(&self) -> &crate::db::DbPool {
        self.state.read_pool(self.req.wrote)
    }
}

fn req_ctx(req: &HttpRequest) -> Result<ReqCtx, AppError> {
    req.extensions()
        .get::<ReqCtx>()
        .cloned()
        .ok_or_else(|| AppError::internal("request context missing"))
}

impl FromRequest for Ctx {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| AppError::internal("state missing"));
        ready(req_ctx(req).and_then(|ctx| {
            Ok(Ctx {
                req: ctx,
                state: state?,
            })
        }))
    }
}

/// Where to send someone who must sign in first: the page they asked for.
fn unauthenticated(req: &HttpRequest) -> AppError {
    let next = match req.uri().path_and_query() {
        Some(pq) if req.method() == actix_web::http::Method::GET => pq.as_str().to_owned(),
        _ => "/".to_owned(),
    };
    AppError::Unauthenticated {
        next: crate::routes::safe_next(&next),
    }
}

/// A user signed in all the way: password right and their own, second factor
/// given, or set up where their role requires one. Everyone else is sent to
/// sign in, to the second step, to the forced password change or to set up
/// the second factor, in that order.
impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(req_ctx(req).and_then(|ctx| match ctx.user {
            None => Err(unauthenticated(req)),
            Some(u) if u.stage == Stage::SecondFactor => Err(AppError::SecondFactorDue),
            Some(u) if u.must_change_password => Err(AppError::PasswordChangeRequired),
            Some(u) if u.stage == Stage::Enrol => Err(AppError::EnrolRequired),
            Some(u) => Ok(u),
        }))
    }
}

/// A user past the password, including one who still has to change a
/// temporary password or set up a second factor (the change page).
pub struct AnyUser(pub CurrentUser);

impl FromRequest for AnyUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(req_ctx(req).and_then(|ctx| match ctx.user {
            None => Err(unauthenticated(req)),
            Some(u) if u.stage == Stage::SecondFactor => Err(AppError::SecondFactorDue),
            Some(u) => Ok(AnyUser(u)),
        }))
    }
}

/// A user who has changed their password and may be setting up a second
/// factor (its page).
pub struct Enrolling(pub CurrentUser);

impl FromRequest for Enrolling {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(req_ctx(req).and_then(|ctx| match ctx.user {
            None => Err(unauthenticated(req)),
            Some(u) if u.stage == Stage::SecondFactor => Err(AppError::SecondFactorDue),
            Some(u) if u.must_change_password => Err(AppError::PasswordChangeRequired),
            Some(u) => Ok(Enrolling(u)),
        }))
    }
}

/// Any session at all, a half-open one included (the second step itself,
/// and signing out).
pub struct Pending(pub CurrentUser);

impl FromRequest for Pending {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req_ctx(req).and_then(|ctx| ctx.user.map(Pending).ok_or_else(|| unauthenticated(req))),
        )
    }
}
