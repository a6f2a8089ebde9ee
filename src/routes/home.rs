use actix_web::{http::StatusCode, HttpResponse};
use askama::Template;

use crate::auth::CurrentUser;
use crate::db;
use crate::error::AppError;
use crate::routes::{extract::Ctx, pages::LayoutCtx, render};
use crate::services::dashboard::{self, Dashboard};

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: LayoutCtx,
    me: CurrentUser,
    data: Dashboard,
}

pub async fn dashboard(ctx: Ctx, me: CurrentUser) -> Result<HttpResponse, AppError> {
    let who = me.clone();
    let caches = ctx.state.caches.clone();
    let data = db::run(&ctx.state.pool, move |conn| {
        dashboard::load(conn, &who, &caches)
    })
    .await?;
    render(
        StatusCode::OK,
        &DashboardPage {
            layout: ctx.layout(),
            me,
            data,
        },
    )
}
