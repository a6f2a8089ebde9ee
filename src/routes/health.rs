use std::time::Duration;

use crate::state::AppState;
use actix_web::{web, HttpResponse};

/// `200 ok` when the database answers within two seconds, else `503`.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.clone();
    let up = web::block(move || {
        let mut conn = pool.get_timeout(Duration::from_secs(2)).ok()?;
        crate::db::ping(&mut conn).ok()
    })
    .await
    .ok()
    .flatten()
    .is_some();
    if up {
        HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("ok")
    } else {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .body("database unavailable")
    }
}

/// `/metrics` for the monitoring host: only from `METRICS_ALLOW` addresses
/// (the client's, resolved through TRUSTED_PROXIES, never the proxy's) or
/// with `Authorization: Bearer $METRICS_TOKEN`; anyone else gets 404, as for
/// a page that does not exist.
pub async fn metrics(
    req: actix_web::HttpRequest,
    ctx: crate::routes::extract::Ctx,
) -> Result<HttpResponse, crate::error::AppError> {
    use actix_web::http::header;
    let cfg = &ctx.state.config;
    let from_allowed = ctx
        .req
        .meta
        .ip
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| cfg.metrics_allow.contains(&ip));
    let with_token = cfg.metrics_token.as_deref().is_some_and(|want| {
        req.headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|got| crate::domain::token::tokens_match(got.trim(), want))
    });
    if !from_allowed && !with_token {
        return Err(crate::error::AppError::NotFound);
    }
    let state = ctx.state.clone();
    let text = crate::db::run(&ctx.state.pool, move |conn| {
        let pool = state.pool.state();
        let at = state
            .housekeeping_at
            .load(std::sync::atomic::Ordering::Relaxed);
        let me = crate::services::metrics::Instance {
            pool_idle: pool.idle_connections,
            pool_connections: pool.connections,
            pool_waiting: crate::db::waiting(),
            housekeeping_age: (at > 0).then(|| (chrono::Utc::now().timestamp() - at) as f64),
        };
        crate::services::metrics::render(conn, &state.http, me)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(text))
}
