//! `/api/v1`: JSON for the systems around the unit (`docs/domain.md` §15).
//! A bearer token, no cookies (so no CSRF), no CORS. Its own middleware
//! authenticates the token, counts it against its limit, and turns every
//! error into RFC 9457 `application/problem+json`; handlers are as thin as
//! the pages' and call the pages' services as the token's user.

pub mod cases;
pub mod docs;
pub mod dto;
pub mod identifiers;
pub mod submissions;

use std::future::{ready, Ready};
use std::time::Instant;

use actix_web::{
    body::{BoxBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{
        header::{self, HeaderValue},
        StatusCode,
    },
    middleware::{from_fn, Next},
    web, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError,
};

use crate::auth::RequestMeta;
use crate::db;
use crate::error::{keys_for_status, AppError, ErrorRef};
use crate::i18n::{t, t_args, Lang};
use crate::routes::middleware::{client_ip, header_str};
use crate::services::api::Caller;
use crate::state::AppState;
use dto::{FieldError, Problem};

/// Every route of the API. Registered before the pages' catch-all scope;
/// its description (`/api/openapi.json`, `/api/docs`) is served with the
/// pages, to anyone.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .wrap(from_fn(api_context))
            .app_data(
                web::JsonConfig::default()
                    .limit(1024 * 1024)
                    .error_handler(|e, _| body_error(e)),
            )
            .app_data(web::QueryConfig::default().error_handler(|e, _| {
                BodyError {
                    status: StatusCode::BAD_REQUEST,
                    detail: e.to_string(),
                }
                .into()
            }))
            .route("/cases", web::get().to(cases::list))
            .route("/cases", web::post().to(cases::create))
            .route("/cases/{ref}", web::get().to(cases::show))
            .route("/cases/{ref}/notes", web::post().to(cases::note))
            .route("/cases/{ref}/status", web::post().to(cases::status))
            .route("/submissions", web::get().to(submissions::list))
            .route("/submissions/{id}", web::get().to(submissions::show))
            .route(
                "/identifiers/lookup",
                web::get().to(identifiers::lookup_one),
            )
            .route(
                "/identifiers/lookup",
                web::post().to(identifiers::lookup_many),
            )
            .route("/hotlist", web::get().to(identifiers::hotlist))
            .default_service(web::to(unrouted)),
    );
}

/// What no route answers: a path the API has with another method (the
/// resource matched, so it has a pattern) is 405, any other path 404.
async fn unrouted(req: HttpRequest) -> HttpResponse {
    if req.match_pattern().is_some() {
        HttpResponse::MethodNotAllowed().finish()
    } else {
        HttpResponse::NotFound().finish()
    }
}

/// A body or query string the API could not read, with serde's account of
/// where (it describes the caller's own input).
#[derive(Debug)]
pub struct BodyError {
    status: StatusCode,
    detail: String,
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.detail)
    }
}

impl ResponseError for BodyError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
}

fn body_error(e: actix_web::error::JsonPayloadError) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as J;
    let status = match &e {
        J::ContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        J::Overflow { .. } | J::OverflowKnownLength { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_REQUEST,
    };
    BodyError {
        status,
        detail: e.to_string(),
    }
    .into()
}

/// What the API middleware learned, for handlers.
#[derive(Clone)]
struct ApiCtx {
    caller: Option<Caller>,
    meta: RequestMeta,
    lang: Lang,
}

/// What every API handler takes: the caller, the request's audit facts, the
/// language of messages and the shared state.
pub struct Api {
    pub caller: Caller,
    pub meta: RequestMeta,
    pub lang: Lang,
    pub state: web::Data<AppState>,
}

impl FromRequest for Api {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let ctx = req.extensions().get::<ApiCtx>().cloned();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        ready(match (ctx, state) {
            (
                Some(ApiCtx {
                    caller: Some(caller),
                    meta,
                    lang,
                    ..
                }),
                Some(state),
            ) => Ok(Api {
                caller,
                meta,
                lang,
                state,
            }),
            _ => Err(AppError::internal("API context missing")),
        })
    }
}

/// Why a request got no further than the middleware.
enum Refusal {
    /// No token, or one that is unknown, expired, revoked or whose user is
    /// deactivated: one answer for all.
    Unauthorized,
    RateLimited(std::time::Duration),
    Failed(AppError),
}

fn bearer(req: &ServiceRequest) -> Option<String> {
    let v = header_str(req, header::AUTHORIZATION).trim();
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

async fn api_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError(
            "application state missing",
        ));
    };
    let path = req.path().to_owned();
    let request_id = crate::domain::token::random_token(6);
    let mut meta = RequestMeta {
        ip: client_ip(&req, &state.config),
        user_agent: header_str(&req, header::USER_AGENT)
            .chars()
            .take(300)
            .collect(),
        api_token_id: None,
    };
    let asked_lang = Lang::from_accept_language(header_str(&req, header::ACCEPT_LANGUAGE));
    let mut lang = asked_lang.unwrap_or(state.config.default_lang);
    let mut caller = None;
    let mut refusal = None;
    if path == "/api/v1" || path.starts_with("/api/v1/") {
        match bearer(&req) {
            None => refusal = Some(Refusal::Unauthorized),
            Some(secret) => {
                // A caller this instance knows, within its lease of the
                // token's allowance, needs no database; otherwise the
                // token, then its allowance, on one connection.
                let known = crate::services::api::authenticate_known(
                    &state.api.known,
                    &state.caches,
                    &secret,
                )
                .filter(|c| state.api.admit_leased(c.token_id));
                let found = match known {
                    Some(c) => Ok(Some((c, Ok(())))),
                    None => {
                        let caches = state.caches.clone();
                        let gate = state.api.clone();
                        db::run(&state.pool, move |conn| {
                            let Some(c) = crate::services::api::authenticate(
                                conn,
                                &gate.known,
                                &caches,
                                &secret,
                            )?
                            else {
                                return Ok(None);
                            };
                            let admitted = gate.admit(conn, c.token_id)?;
                            Ok(Some((c, admitted)))
                        })
                        .await
                    }
                };
                match found {
                    Ok(Some((c, Ok(())))) => {
                        meta.api_token_id = Some(c.token_id);
                        lang = asked_lang.unwrap_or(c.user.lang);
                        caller = Some(c);
                    }
                    Ok(Some((_, Err(wait)))) => refusal = Some(Refusal::RateLimited(wait)),
                    Ok(None) => refusal = Some(Refusal::Unauthorized),
                    Err(e) => refusal = Some(Refusal::Failed(e)),
                }
            }
        }
    }
    let token_id = meta.api_token_id;
    req.extensions_mut().insert(ApiCtx { caller, meta, lang });

    let mut res = match refusal {
        Some(Refusal::Unauthorized) => {
            let mut r = problem_response(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                t(lang, "api-unauthorized-title"),
                t(lang, "api-unauthorized"),
                &request_id,
                Vec::new(),
            );
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"cyberdesk\""),
            );
            req.into_response(r)
        }
        Some(Refusal::RateLimited(wait)) => {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let mut r = problem_response(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                t(lang, "error-429-title"),
                t_args(
                    lang,
                    "api-rate-limited",
                    &[("seconds", &secs.max(1).to_string())],
                ),
                &request_id,
                Vec::new(),
            );
            if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            req.into_response(r)
        }
        Some(Refusal::Failed(e)) => {
            let r = crate::error::with_request_id(Some(request_id.clone()), || e.error_response());
            let mut res = req.into_response(r);
            if let Some(p) = to_problem(&res, &e, lang, &request_id) {
                res = res.into_response(p);
            }
            res
        }
        None => crate::error::REQUEST_ID
            .scope(request_id.clone(), next.call(req))
            .await?
            .map_into_boxed_body(),
    };

    if res.status().as_u16() >= 400 && !is_problem(&res) {
        let status = res.status();
        let problem = match res.response().error() {
            Some(err) => match err.as_error::<AppError>() {
                Some(app) => to_problem(&res, app, lang, &request_id),
                None => Some(generic_problem(status, err, lang, &request_id)),
            },
            None => Some(generic_problem_bare(status, lang, &request_id)),
        };
        if let Some(p) = problem {
            res = res.into_response(p);
        }
    }
    let headers = res.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    let token = token_id.map_or_else(|| "-".to_owned(), |id| id.to_string());
    crate::routes::middleware::served(&state, &mut res, started, &request_id, &token);
    Ok(res)
}

fn is_problem(res: &ServiceResponse<BoxBody>) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"))
}

/// The stable `type` of each kind of error; `/api/docs` explains each.
fn slug_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad-request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not-found",
        405 => "method-not-allowed",
        409 => "conflict",
        413 => "too-large",
        415 => "unsupported-media-type",
        422 => "validation",
        429 => "rate-limited",
        503 => "unavailable",
        _ => "internal",
    }
}

/// Every problem type the API answers with, for its reference page.
pub const PROBLEM_TYPES: &[(&str, u16)] = &[
    ("bad-request", 400),
    ("unauthorized", 401),
    ("forbidden", 403),
    ("missing-scope", 403),
    ("not-found", 404),
    ("method-not-allowed", 405),
    ("conflict", 409),
    ("too-large", 413),
    ("unsupported-media-type", 415),
    ("validation", 422),
    ("refused", 422),
    ("rate-limited", 429),
    ("internal", 500),
    ("unavailable", 503),
];

fn problem_response(
    status: StatusCode,
    slug: &str,
    title: String,
    detail: String,
    request_id: &str,
    errors: Vec<FieldError>,
) -> HttpResponse {
    let body = Problem {
        type_: format!("/api/docs#problem-{slug}"),
        title,
        status: status.as_u16(),
        detail,
        request_id: request_id.to_owned(),
        errors,
    };
    let mut r = HttpResponse::build(status);
    r.content_type("application/problem+json");
    r.body(serde_json::to_string(&body).unwrap_or_default())
}

/// The problem for an application error, in the caller's language; a
/// validation error carries each refused field as the form shows it.
fn to_problem(
    res: &ServiceResponse<BoxBody>,
    e: &AppError,
    lang: Lang,
    request_id: &str,
) -> Option<HttpResponse> {
    let status = res.status();
    // A 500's reference is the one its log line carries.
    let reference = res
        .response()
        .extensions()
        .get::<ErrorRef>()
        .map_or_else(|| request_id.to_owned(), |r| r.0.clone());
    let (title_key, body_key) = e.page_keys();
    let (slug, detail, errors) = match e {
        AppError::Form(errors) => (
            "validation",
            t(lang, "api-validation"),
            errors
                .iter()
                .map(|(field, key)| FieldError {
                    field: field.to_owned(),
                    code: key.to_owned(),
                    message: t(lang, key),
                })
                .collect(),
        ),
        AppError::Invalid(key) => ("refused", t(lang, key.0), Vec::new()),
        AppError::Conflict(key) => ("conflict", t(lang, key.0), Vec::new()),
        AppError::MissingScope(scope) => (
            "missing-scope",
            t_args(lang, "api-missing-scope", &[("scope", scope.code())]),
            Vec::new(),
        ),
        _ => (slug_for_status(status), t(lang, body_key), Vec::new()),
    };
    let mut r = problem_response(status, slug, t(lang, title_key), detail, &reference, errors);
    if let Some(v) = res.headers().get(header::RETRY_AFTER) {
        r.headers_mut().insert(header::RETRY_AFTER, v.clone());
    }
    Some(r)
}

fn generic_problem(
    status: StatusCode,
    err: &actix_web::Error,
    lang: Lang,
    request_id: &str,
) -> HttpResponse {
    match err.as_error::<BodyError>() {
        Some(b) => {
            let (title_key, _) = keys_for_status(status);
            problem_response(
                status,
                slug_for_status(status),
                t(lang, title_key),
                b.detail.clone(),
                request_id,
                Vec::new(),
            )
        }
        None => generic_problem_bare(status, lang, request_id),
    }
}

fn generic_problem_bare(status: StatusCode, lang: Lang, request_id: &str) -> HttpResponse {
    let (title_key, body_key) = keys_for_status(status);
    problem_response(
        status,
        slug_for_status(status),
        t(lang, title_key),
        t(lang, body_key),
        request_id,
        Vec::new(),
    )
}

/// A successful JSON answer.
pub fn json<T: serde::Serialize>(status: StatusCode, body: &T) -> Result<HttpResponse, AppError> {
    let text = serde_json::to_string(body).map_err(AppError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("application/json")
        .body(text))
}

/// `If-Match: "7"` (or `7`, or `W/"7"`) as a case version; absent: None;
/// anything else is 400 rather than silently ignored.
pub fn if_match(req: &HttpRequest) -> Result<Option<i32>, AppError> {
    let Some(v) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let v = v.to_str().map_err(|_| AppError::BadRequest)?.trim();
    let v = v.strip_prefix("W/").unwrap_or(v).trim_matches('"');
    v.parse().map(Some).map_err(|_| AppError::BadRequest)
}
