//! HTTP: routing, middleware, extractors and the thin handlers. Handlers extract,
//! call one service, and render or redirect.

pub mod admin_audit;
pub mod admin_import;
mod admin_mail;
pub mod admin_reference;
pub mod admin_units;
pub mod admin_users;
pub mod api;
pub mod assets;
pub mod cases;
pub mod evidence;
pub mod extract;
pub mod health;
pub mod home;
pub mod identifiers;
pub mod intake;
pub mod middleware;
pub mod multipart;
pub mod pages;
pub mod public;
pub mod requests;
pub mod second_factor;
pub mod session;
pub mod stats;
pub mod tokens;
pub mod transfers;

use actix_web::{http::StatusCode, middleware::from_fn, web, HttpResponse};
use askama::Template;

use crate::config::Config;
use crate::error::AppError;
use crate::i18n::MsgKey;

/// Every route of the application. `main` and the tests both call this.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // The API first: the pages' scope below answers every other path.
    api::configure(cfg);
    cfg.service(
        web::scope("")
            .wrap(from_fn(middleware::request_context))
            .app_data(web::FormConfig::default().limit(64 * 1024))
            .app_data(web::PayloadConfig::default().limit(64 * 1024))
            .route("/healthz", web::get().to(health::healthz))
            .route("/metrics", web::get().to(health::metrics))
            .route("/api/openapi.json", web::get().to(api::docs::openapi))
            .route("/api/docs", web::get().to(api::docs::page))
            .route("/profile/tokens", web::get().to(tokens::index))
            .route("/profile/tokens", web::post().to(tokens::create))
            .route(
                "/profile/tokens/{id}/revoke",
                web::post().to(tokens::revoke),
            )
            .route(
                "/admin/users/{id}/tokens",
                web::post().to(tokens::create_for),
            )
            .route("/static/{file}", web::get().to(assets::file))
            .route("/", web::get().to(home::dashboard))
            .route("/login", web::get().to(session::login_form))
            .route("/login", web::post().to(session::login))
            .route("/logout", web::post().to(session::logout))
            .route("/login/2fa", web::get().to(second_factor::login_form))
            .route("/login/2fa", web::post().to(second_factor::login))
            .route("/profile/2fa", web::get().to(second_factor::profile))
            .route("/profile/2fa", web::post().to(second_factor::confirm))
            .route(
                "/profile/2fa/codes",
                web::post().to(second_factor::regenerate),
            )
            .route("/profile/2fa/off", web::post().to(second_factor::turn_off))
            .route("/profile/sessions", web::get().to(second_factor::sessions))
            .route(
                "/profile/sessions/others/end",
                web::post().to(second_factor::end_others),
            )
            .route(
                "/profile/sessions/{id}/end",
                web::post().to(second_factor::end),
            )
            .route(
                "/admin/users/{id}/reset-2fa",
                web::post().to(second_factor::reset),
            )
            .route("/password/change", web::get().to(session::password_form))
            .route("/password/change", web::post().to(session::password_change))
            .route("/stats", web::get().to(stats::index))
            .route("/stats/report", web::get().to(stats::report))
            .route("/intake", web::get().to(intake::index))
            .route("/intake/{id}", web::get().to(intake::show))
            .route("/intake/{id}/files/{file}", web::get().to(intake::download))
            .route("/intake/{id}/case", web::post().to(intake::to_case))
            .route("/intake/{id}/attach", web::post().to(intake::attach))
            .route("/intake/{id}/message", web::post().to(intake::message))
            .route("/intake/{id}/spam", web::post().to(intake::spam))
            .route("/intake/{id}/forward", web::post().to(intake::forward))
            .route(
                "/intake/{id}/identifiers",
                web::post().to(intake::confirm_identifier),
            )
            .route("/report", web::get().to(public::index))
            .route("/report/receipt/{token}", web::get().to(public::receipt))
            .route("/report/{kind}", web::get().to(public::form))
            .route("/report/{kind}", web::post().to(public::submit))
            .route("/track", web::get().to(public::track_form))
            .route("/track", web::post().to(public::track))
            .route("/track/add", web::post().to(public::track_add))
            .route(
                "/track/data-request",
                web::post().to(public::track_data_request),
            )
            .route("/profile", web::get().to(session::profile))
            .route("/profile/mail", web::post().to(session::save_mail_prefs))
            .route("/lang", web::post().to(session::switch_language))
            .route("/admin/users", web::get().to(admin_users::index))
            .route("/admin/users/new", web::get().to(admin_users::new_form))
            .route("/admin/users/new", web::post().to(admin_users::create))
            .route("/admin/users/{id}", web::get().to(admin_users::edit_form))
            .route("/admin/users/{id}", web::post().to(admin_users::update))
            .route(
                "/admin/users/{id}/deactivate",
                web::post().to(admin_users::deactivate),
            )
            .route(
                "/admin/users/{id}/activate",
                web::post().to(admin_users::activate),
            )
            .route(
                "/admin/users/{id}/reset-password",
                web::post().to(admin_users::reset_password),
            )
            .route("/admin/audit", web::get().to(admin_audit::index))
            .route("/admin/audit.csv", web::get().to(admin_audit::export))
            .route(
                "/admin/audit/anchor",
                web::post().to(admin_audit::mail_anchor),
            )
            .route("/admin/mail", web::get().to(admin_mail::index))
            .route("/admin/mail/{id}/retry", web::post().to(admin_mail::retry))
            .route(
                "/admin/categories",
                web::get().to(admin_reference::categories),
            )
            .route(
                "/admin/categories",
                web::post().to(admin_reference::create_category),
            )
            .route(
                "/admin/categories/{id}",
                web::post().to(admin_reference::update_category),
            )
            .route("/admin/import", web::get().to(admin_import::index))
            .route("/admin/import", web::post().to(admin_import::upload))
            .route(
                "/admin/import/template.csv",
                web::get().to(admin_import::template),
            )
            .route("/admin/import/{id}", web::get().to(admin_import::show))
            .route(
                "/admin/import/{id}/errors.csv",
                web::get().to(admin_import::errors),
            )
            .route(
                "/admin/import/{id}/{what}",
                web::post().to(admin_import::start),
            )
            .route("/admin/units", web::get().to(admin_units::index))
            .route("/admin/units", web::post().to(admin_units::create))
            .route(
                "/admin/units/routes",
                web::post().to(admin_units::set_route),
            )
            .route(
                "/admin/units/routes/remove",
                web::post().to(admin_units::remove_route),
            )
            .route("/admin/units/{id}", web::get().to(admin_units::show))
            .route("/admin/units/{id}", web::post().to(admin_units::update))
            .route("/admin/banks", web::get().to(admin_reference::banks))
            .route("/admin/banks", web::post().to(admin_reference::create_bank))
            .route(
                "/admin/banks/{code}",
                web::post().to(admin_reference::update_bank),
            )
            .route("/admin/legal", web::get().to(admin_reference::legal))
            .route(
                "/admin/legal",
                web::post().to(admin_reference::create_basis),
            )
            .route(
                "/admin/legal/{id}",
                web::post().to(admin_reference::update_basis),
            )
            .route(
                "/admin/retention",
                web::get().to(admin_reference::retention),
            )
            .route(
                "/admin/retention",
                web::post().to(admin_reference::add_retention_rule),
            )
            .route(
                "/admin/retention/run",
                web::post().to(admin_reference::run_retention),
            )
            .route(
                "/admin/retention/{id}",
                web::post().to(admin_reference::update_retention_rule),
            )
            .route("/admin/deadlines", web::get().to(admin_reference::rules))
            .route(
                "/admin/deadlines/{id}",
                web::post().to(admin_reference::update_rule),
            )
            .route("/cases", web::get().to(cases::index))
            .route("/cases/export.{format}", web::get().to(cases::export))
            .route("/cases/new", web::get().to(cases::new_form))
            .route("/cases/new", web::post().to(cases::create))
            .route("/cases/{ref}", web::get().to(cases::show))
            .route("/cases/{ref}/edit", web::get().to(cases::edit_form))
            .route("/cases/{ref}/edit", web::post().to(cases::update))
            .route("/cases/{ref}/status", web::post().to(cases::transition))
            .route("/cases/{ref}/assign", web::post().to(cases::assign))
            .route("/cases/{ref}/take", web::post().to(cases::take))
            .route("/cases/{ref}/notes", web::post().to(cases::add_note))
            .route("/cases/{ref}/extend", web::post().to(cases::extend))
            .route("/cases/{ref}/hold", web::post().to(cases::hold))
            .route(
                "/cases/{ref}/data-requests/{id}/done",
                web::post().to(cases::answer_data_request),
            )
            .route(
                "/cases/{ref}/hold/release",
                web::post().to(cases::release_hold),
            )
            .route("/cases/{ref}/link", web::post().to(cases::link))
            .route("/cases/{ref}/transfer", web::post().to(transfers::send))
            .route("/transfers", web::get().to(transfers::index))
            .route("/transfers/{id}", web::get().to(transfers::show))
            .route("/requests", web::get().to(requests::index))
            .route("/requests", web::post().to(requests::ask))
            .route("/requests/new", web::get().to(requests::new_form))
            .route("/requests/{id}", web::get().to(requests::show))
            .route("/requests/{id}/answer", web::post().to(requests::answer))
            .route("/shares/{id}", web::get().to(requests::shared))
            .route("/shares/{id}/revoke", web::post().to(requests::revoke))
            .route("/transfers/{id}/accept", web::post().to(transfers::accept))
            .route(
                "/transfers/{id}/return",
                web::post().to(transfers::give_back),
            )
            .route("/cases/{ref}/merge", web::post().to(cases::merge))
            .route("/cases/{ref}/watchers", web::post().to(cases::watchers))
            .route("/cases/{ref}/identifiers", web::post().to(identifiers::add))
            .route(
                "/cases/{ref}/recoveries",
                web::post().to(cases::add_recovery),
            )
            .route(
                "/cases/{ref}/recoveries/{id}/remove",
                web::post().to(cases::remove_recovery),
            )
            .route(
                "/cases/{ref}/identifiers/{link}/remove",
                web::post().to(identifiers::remove),
            )
            .route(
                "/cases/{ref}/identifiers.csv",
                web::get().to(identifiers::case_csv),
            )
            .route(
                "/cases/{ref}/indicators.stix.json",
                web::get().to(identifiers::case_stix),
            )
            .route("/cases/{ref}/exhibits", web::post().to(evidence::upload))
            .route("/cases/{ref}/exhibits/{id}", web::get().to(evidence::show))
            .route(
                "/cases/{ref}/exhibits/{id}/download",
                web::post().to(evidence::download),
            )
            .route(
                "/cases/{ref}/exhibits/{id}/verify",
                web::post().to(evidence::verify),
            )
            .route(
                "/cases/{ref}/exhibits/{id}/withdraw",
                web::post().to(evidence::withdraw),
            )
            .route(
                "/cases/{ref}/exhibits/{id}/export",
                web::post().to(evidence::export),
            )
            .route("/cases/{ref}/custody", web::get().to(evidence::custody))
            .route("/cases/{ref}/print", web::get().to(cases::print_file))
            .route(
                "/cases/{ref}/print/intake-record",
                web::get().to(cases::print_intake_record),
            )
            .route(
                "/cases/{ref}/print/outcome-notice",
                web::get().to(cases::print_outcome_notice),
            )
            .route("/identifiers", web::get().to(identifiers::index))
            .route("/identifiers/hot.csv", web::get().to(identifiers::hot_csv))
            .route(
                "/identifiers/hot/refresh",
                web::post().to(identifiers::hot_refresh),
            )
            .route("/identifiers/{id}", web::get().to(identifiers::show))
            .default_service(web::to(not_found)),
    );
}

async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// An HTML response with `status` from an askama page.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(page.render()?))
}

/// A CSV file to download (never shown inline, never cached).
pub fn csv_response(name: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}

/// 303 See Other: the answer to a successful POST.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish()
}

/// 303 with a one-time message shown on the next page.
pub fn see_other_with_flash(location: &str, flash: MsgKey, cfg: &Config) -> HttpResponse {
    let mut res = see_other(location);
    // Setting a cookie on a fresh response cannot fail for a catalogue key.
    let _ = res.add_cookie(&middleware::cookie(
        middleware::FLASH_COOKIE,
        flash.0.to_owned(),
        cfg,
        None,
    ));
    res
}

/// SECURITY: only same-site paths are followed after sign-in or a language switch
/// (no `//host`, no `\`, no scheme), so links cannot bounce users elsewhere.
pub fn safe_next(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
        && next.len() <= 512;
    if ok && !next.starts_with("/login") && !next.starts_with("/logout") {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

/// Number of rows on one page of a list.
pub const PAGE_SIZE: i64 = 50;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::value::encode_query_value;

    #[test]
    fn next_must_stay_on_this_site() {
        assert_eq!(safe_next("/admin/users?page=2"), "/admin/users?page=2");
        assert_eq!(safe_next("//evil.example/x"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next("/logout"), "/");
        assert_eq!(encode_query_value("/a b?c=d&e"), "/a%20b%3Fc%3Dd%26e");
    }
}
