//! The request-context middleware: one pass that loads the session, picks the
//! language, enforces CSRF on every state-changing request, adds security headers,
//! renders error pages in the user's language and writes the access log.

use std::sync::Arc;
use std::time::Instant;

use actix_web::{
    body::{BoxBody, MessageBody},
    cookie::{time::Duration as CookieDuration, Cookie, SameSite},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{
        header::{self, HeaderName, HeaderValue},
        Method,
    },
    middleware::Next,
    web, HttpMessage, HttpResponse,
};
use askama::Template;

use crate::auth::{CurrentUser, RequestMeta};
use crate::config::Config;
use crate::db;
use crate::domain::token::{random_alnum, tokens_match};
use crate::error::{keys_for_status, AppError, ErrorRef};
use crate::i18n::{self, Lang};
use crate::models::legal_basis::LegalBasis;
use crate::routes::pages::LayoutCtx;
use crate::services::auth::{self as auth_service, SessionLookup};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "cd_session";
pub const CSRF_COOKIE: &str = "cd_csrf";
pub const LANG_COOKIE: &str = "cd_lang";
pub const FLASH_COOKIE: &str = "cd_flash";
/// Set for `REPLICA_STICKY_SECONDS` after a write: this browser reads from
/// the primary meanwhile (only with a replica configured).
pub const WROTE_COOKIE: &str = "cd_wrote";
pub const CSRF_FIELD: &str = "csrf_token";

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// What the middleware learned about the request, for extractors and pages.
#[derive(Clone, Debug)]
pub struct ReqCtx {
    pub user: Option<CurrentUser>,
    pub lang: Lang,
    pub csrf: String,
    pub flash: Option<String>,
    pub meta: RequestMeta,
    pub path: String,
    /// For visitors: the first unit's current name (None: not known now).
    pub home_unit: Option<String>,
    /// The legal bases pages cite (empty: not known now).
    pub legal: Arc<Vec<LegalBasis>>,
    /// This browser wrote in the last `REPLICA_STICKY_SECONDS`.
    pub wrote: bool,
}

impl ReqCtx {
    pub fn layout(&self, cfg: &Config) -> LayoutCtx {
        LayoutCtx {
            lang: self.lang,
            user: self.user.clone(),
            csrf: self.csrf.clone(),
            flash: self.flash.clone(),
            // A signed-in user's unit; public pages the first unit.
            unit_name: self
                .user
                .as_ref()
                .map(|u| u.unit_name.clone())
                .filter(|n| !n.is_empty())
                .or_else(|| self.home_unit.clone())
                .unwrap_or_else(|| cfg.unit_name.clone()),
            path: self.path.clone(),
            legal: self.legal.clone(),
            // Times are shown in the reader's unit's zone.
            tz: self
                .user
                .as_ref()
                .and_then(|u| u.unit_tz)
                .unwrap_or(cfg.time_zone),
        }
    }
}

#[derive(Template)]
#[template(path = "errors/error.html")]
struct ErrorPage {
    layout: LayoutCtx,
    status: u16,
    title_key: &'static str,
    body_key: &'static str,
    reference: Option<String>,
}

pub async fn request_context(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError(
            "application state missing",
        ));
    };
    let method = req.method().clone();
    let path = req.path().to_owned();
    let cfg = &state.config;
    let meta = RequestMeta {
        ip: client_ip(&req, cfg),
        user_agent: header_str(&req, header::USER_AGENT)
            .chars()
            .take(300)
            .collect(),
        api_token_id: None,
    };

    let mut cookies: Vec<Cookie<'static>> = Vec::new();
    let mut early: Option<actix_web::Error> = None;
    let mut user = None;
    let skip_session = path.starts_with("/static/") || path == "/healthz" || path == "/metrics";
    if let Some(token) = req
        .cookie(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|_| !skip_session)
    {
        let st = state.clone();
        match db::run(&state.pool, move |conn| {
            let found = auth_service::load_session(conn, &st.config, &token)?;
            if let SessionLookup::Valid(mut u) = found {
                u.unit_name = st.caches.unit_name(conn, u.unit_id)?;
                u.unit_tz = st.caches.unit_time_zone(conn, u.unit_id)?;
                return Ok(SessionLookup::Valid(u));
            }
            Ok(found)
        })
        .await
        {
            Ok(SessionLookup::Valid(u)) => user = Some(*u),
            Ok(SessionLookup::Invalid) => cookies.push(removal(SESSION_COOKIE)),
            Err(e) => early = Some(e.into()),
        }
    }

    let lang = user
        .as_ref()
        .map(|u| u.lang)
        .or_else(|| req.cookie(LANG_COOKIE).and_then(|c| c.value().parse().ok()))
        .or_else(|| Lang::from_accept_language(header_str(&req, header::ACCEPT_LANGUAGE)))
        .unwrap_or(cfg.default_lang);

    let csrf = match &user {
        Some(u) => u.csrf_token.clone(),
        None => match req.cookie(CSRF_COOKIE).map(|c| c.value().to_owned()) {
            Some(v) if v.len() == 32 && v.chars().all(|c| c.is_ascii_alphanumeric()) => v,
            _ => {
                let v = random_alnum(32);
                if !skip_session {
                    cookies.push(cookie(CSRF_COOKIE, v.clone(), cfg, None));
                }
                v
            }
        },
    };
    let flash = req
        .cookie(FLASH_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|k| i18n::has_key(k));

    // Public pages name the first unit as it is now called (renamed at
    // /admin/units, not the UNIT_NAME it started from); from the cache, and
    // from one query when the cache is cold. No database: the setting.
    let home_unit = if user.is_none() && !skip_session {
        match state.caches.home_unit_name_cached() {
            Some(name) => Some(name),
            None => {
                let caches = state.caches.clone();
                db::run(&state.pool, move |conn| Ok(caches.home_unit_name(conn)?))
                    .await
                    .ok()
                    .flatten()
            }
        }
    } else {
        None
    };
    let legal = if skip_session {
        Arc::default()
    } else {
        match state.caches.legal_bases_cached() {
            Some(all) => all,
            None => {
                let caches = state.caches.clone();
                db::run(&state.pool, move |conn| Ok(caches.legal_bases(conn)?))
                    .await
                    .unwrap_or_default()
            }
        }
    };
    let wrote = req.cookie(WROTE_COOKIE).is_some();
    req.extensions_mut().insert(ReqCtx {
        user,
        lang,
        csrf: csrf.clone(),
        flash: flash.clone(),
        meta,
        path: path.clone(),
        home_unit,
        legal,
        wrote,
    });
    let writes = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    if writes && state.replica.is_some() {
        cookies.push(cookie(
            WROTE_COOKIE,
            "1".into(),
            cfg,
            Some(cfg.replica_sticky),
        ));
    }

    if early.is_none() && !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) {
        if let Err(e) = check_csrf(&mut req, cfg, &csrf).await {
            early = Some(e);
        }
    }

    // Handler errors arrive as responses; an `Err` here is rare and goes out as is.
    // (Cloning the request to keep it would break actix's routing, which needs
    // sole ownership.)
    let request_id = crate::domain::token::random_token(6);
    let mut res = match early {
        // Refused before the handler (a session the database could not
        // load): its 500 names the same id.
        Some(e) => {
            crate::error::with_request_id(Some(request_id.clone()), || req.error_response(e))
        }
        None => crate::error::REQUEST_ID
            .scope(request_id.clone(), next.call(req))
            .await?
            .map_into_boxed_body(),
    };

    if res.status().as_u16() >= 400 && res.response().error().is_some() {
        res = render_error_page(res, &state.config);
    }
    if flash.is_some() && !res.status().is_redirection() {
        cookies.push(removal(FLASH_COOKIE));
    }
    for c in &cookies {
        // Setting a cookie on a response cannot fail for our own well-formed values.
        let _ = res.response_mut().add_cookie(c);
    }
    security_headers(res.headers_mut(), cfg, path.starts_with("/static/"));

    served(&state, &mut res, started, &request_id, "");
    Ok(res)
}

/// The end of every request, pages and API alike: the `X-Request-Id` header,
/// this instance's metrics by route pattern, and the access log line (method,
/// path without query, status, time; never a body or a cookie).
pub(crate) fn served(
    state: &AppState,
    res: &mut ServiceResponse<BoxBody>,
    started: Instant,
    request_id: &str,
    token: &str,
) {
    let secs = started.elapsed().as_secs_f64();
    let status = res.status().as_u16();
    let method = res.request().method().as_str().to_owned();
    let path = res.request().path().to_owned();
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    state.http.observe(&method, &route, status, secs);
    if let Ok(v) = HeaderValue::from_str(request_id) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), v);
    }
    let ms = secs * 1000.0;
    if token.is_empty() {
        log::info!(target: "access", req = request_id; "{method} {path} {status} {ms:.1}ms");
    } else {
        log::info!(target: "access", req = request_id, token = token; "{method} {path} {status} {ms:.1}ms api");
    }
}

fn render_error_page(res: ServiceResponse<BoxBody>, cfg: &Config) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let (title_key, body_key) = match res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
    {
        Some(app) => app.page_keys(),
        None => keys_for_status(status),
    };
    let reference = res
        .response()
        .extensions()
        .get::<ErrorRef>()
        .map(|r| r.0.clone());
    let retry_after = res.headers().get(header::RETRY_AFTER).cloned();
    let layout = match res.request().extensions().get::<ReqCtx>() {
        Some(ctx) => ctx.layout(cfg),
        None => ReqCtx {
            user: None,
            lang: cfg.default_lang,
            csrf: String::new(),
            flash: None,
            meta: RequestMeta::default(),
            path: res.request().path().to_owned(),
            home_unit: None,
            legal: Arc::default(),
            wrote: false,
        }
        .layout(cfg),
    };
    let page = ErrorPage {
        layout: LayoutCtx {
            flash: None,
            ..layout
        },
        status: status.as_u16(),
        title_key,
        body_key,
        reference,
    };
    let body = page.render().unwrap_or_else(|e| {
        log::error!("error page failed to render: {e}");
        format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        )
    });
    let mut new = HttpResponse::build(status);
    new.content_type("text/html; charset=utf-8");
    if let Some(v) = retry_after {
        new.insert_header((header::RETRY_AFTER, v));
    }
    res.into_response(new.body(body))
}

async fn check_csrf(
    req: &mut ServiceRequest,
    cfg: &Config,
    expected: &str,
) -> Result<(), actix_web::Error> {
    if !origin_allowed(req, cfg) {
        log::warn!("refused {} {}: foreign origin", req.method(), req.path());
        return Err(AppError::Csrf.into());
    }
    let content_type = header_str(req, header::CONTENT_TYPE).to_ascii_lowercase();
    let supplied = if content_type.starts_with("application/x-www-form-urlencoded") {
        let body = req.extract::<web::Bytes>().await?;
        let token = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .ok()
            .and_then(|pairs| {
                pairs
                    .into_iter()
                    .find(|(key, _)| key == CSRF_FIELD)
                    .map(|(_, v)| v)
            });
        req.set_payload(bytes_to_payload(body));
        token
    } else if content_type.starts_with("multipart/form-data")
        && crate::routes::multipart::checks_token(req.path())
    {
        // The upload's reader checks the token: it must be the body's first
        // part, read before any file is written (`routes::multipart`). Never
        // the query string, which lands in history and logs.
        return Ok(());
    } else {
        req.headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    match supplied {
        Some(token) if tokens_match(&token, expected) => Ok(()),
        _ => {
            log::warn!(
                "refused {} {}: missing or wrong CSRF token",
                req.method(),
                req.path()
            );
            Err(AppError::Csrf.into())
        }
    }
}

/// SECURITY: a browser tells us where a request came from; anything cross-site is
/// refused even before the token is checked.
fn origin_allowed(req: &ServiceRequest, cfg: &Config) -> bool {
    if header_str(req, HeaderName::from_static("sec-fetch-site")) == "cross-site" {
        return false;
    }
    match req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    {
        None => true,
        Some(origin) => {
            let info = req.connection_info();
            let own = format!("{}://{}", info.scheme(), info.host());
            origin == cfg.public_base_url || origin == own
        }
    }
}

fn bytes_to_payload(buf: web::Bytes) -> Payload {
    let (_, mut pl) = actix_http::h1::Payload::create(true);
    pl.unread_data(buf);
    Payload::from(pl)
}

pub(crate) fn header_str(req: &ServiceRequest, name: HeaderName) -> &str {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The peer address, or the last `X-Forwarded-For` hop when the peer is a trusted proxy.
pub(crate) fn client_ip(req: &ServiceRequest, cfg: &Config) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    match peer {
        Some(ip) if cfg.trusted_proxies.contains(&ip) => {
            header_str(req, HeaderName::from_static("x-forwarded-for"))
                .rsplit(',')
                .next()
                .map(str::trim)
                .and_then(|s| s.parse::<std::net::IpAddr>().ok())
                .unwrap_or(ip)
                .to_string()
        }
        Some(ip) => ip.to_string(),
        None => "unknown".into(),
    }
}

fn security_headers(
    headers: &mut actix_web::http::header::HeaderMap,
    cfg: &Config,
    is_static: bool,
) {
    let set =
        |h: &mut actix_web::http::header::HeaderMap, name: &'static str, value: &'static str| {
            h.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        };
    // A handler's own, stricter policy stays (evidence downloads: sandbox).
    if !headers.contains_key("content-security-policy") {
        set(headers, "content-security-policy", CSP);
    }
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "referrer-policy", "same-origin");
    set(headers, "x-frame-options", "DENY");
    set(
        headers,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    );
    set(headers, "cross-origin-opener-policy", "same-origin");
    if !is_static {
        // Pages carry personal data: never keep them in shared or browser caches.
        set(headers, "cache-control", "no-store");
    }
    if cfg.https() {
        set(
            headers,
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        );
    }
}

/// A cookie with the flags every cyberdesk cookie carries (one helper, so none is
/// ever set without HttpOnly/SameSite, or without Secure over https).
pub fn cookie(
    name: &'static str,
    value: String,
    cfg: &Config,
    max_age: Option<std::time::Duration>,
) -> Cookie<'static> {
    let mut c = Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(cfg.https())
        .finish();
    if let Some(age) = max_age {
        c.set_max_age(CookieDuration::seconds(
            i64::try_from(age.as_secs()).unwrap_or(i64::MAX),
        ));
    }
    c
}

/// A cookie that tells the browser to forget `name`.
pub fn removal(name: &'static str) -> Cookie<'static> {
    let mut c = Cookie::build(name, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish();
    c.make_removal();
    c
}
