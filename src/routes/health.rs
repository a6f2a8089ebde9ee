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
