//! `/api/v1/cases`: the case list, a case, a new case, notes and moves, as
//! the token's user, through the same services as the pages.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};

use super::dto::{
    CaseChanged, CaseDetail, CasePage, CaseQuery, CaseSummary, NewCase, NewNote, NewStatus, Problem,
};
use super::{if_match, json, Api};
use crate::auth::policy::{self, Action};
use crate::db;
use crate::domain::scope::Scope;
use crate::error::AppError;
use crate::i18n::k;
use crate::models::case::Status;
use crate::services::api::if_version;
use crate::services::case_list::{self, ListQuery};
use crate::services::cases::{self, CaseForm, MoveInput};

/// The query parameters the list understands; anything else is refused
/// rather than ignored (a misspelt filter would silently widen the list).
const LIST_PARAMS: &[&str] = &[
    "status",
    "type",
    "category",
    "severity",
    "assignee",
    "team",
    "channel",
    "tlp",
    "from",
    "to",
    "deadline",
    "decided_from",
    "decided_to",
    "result",
    "compliance",
    "open_on",
    "classified_from",
    "classified_to",
    "assigned_from",
    "assigned_to",
    "recovered",
    "recovered_from",
    "recovered_to",
    "q",
    "sort",
    "after",
];

/// The pairs of a query string whose names are all in `known`.
pub(super) fn strict_query(req: &HttpRequest, known: &[&str]) -> Result<String, AppError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).map_err(|_| AppError::BadRequest)?;
    if pairs
        .iter()
        .any(|(name, _)| !known.contains(&name.as_str()))
    {
        return Err(AppError::Invalid(k("api-unknown-parameter")));
    }
    Ok(req.query_string().to_owned())
}

#[utoipa::path(get, path = "/api/v1/cases", tag = "cases",
    summary = "List cases",
    description = "The cases the token's user may see, with the case list's filters, newest first; \
                   follow `next` for the following page (keyset: page 2,000 costs what page 1 does).",
    params(CaseQuery),
    responses(
        (status = 200, description = "One page (50 cases)", body = CasePage),
        (status = 401, description = "No token, or an unknown, expired or revoked one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `cases:read`, or its user does no case work", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter value is not one the list knows", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Over the token's rate limit; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["cases:read"])))]
pub async fn list(api: Api, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let me = api.caller.require(Scope::CasesRead)?.clone();
    policy::require(&me, Action::WorkCases)?;
    let q: ListQuery = serde_urlencoded::from_str(&strict_query(&req, LIST_PARAMS)?)
        .map_err(|_| AppError::BadRequest)?;
    let (filter, bad) = q.parse(me.tz(api.state.config.time_zone));
    if bad {
        return Err(AppError::Invalid(k("api-bad-filter")));
    }
    let sort = filter.sort;
    let statuses = filter.statuses.clone();
    let caches = api.state.caches.clone();
    let meta = api.meta.clone();
    let (result, categories) = db::run(&api.state.pool, move |conn| {
        Ok((
            case_list::list(conn, &me, &meta, &filter, &caches)?,
            caches.categories(conn)?,
        ))
    })
    .await?;
    let counted = result
        .counts
        .iter()
        .filter(|(s, _)| statuses.is_empty() || statuses.contains(s));
    let lower_bound = result.capped && counted.clone().any(|(_, n)| *n >= case_list::COUNT_CAP);
    let next = result
        .rows
        .last()
        .filter(|_| sort.has_cursor() && result.rows.len() as i64 == case_list::PAGE_SIZE)
        .map(|r| case_list::encode_cursor(r, sort));
    json(
        StatusCode::OK,
        &CasePage {
            items: result
                .rows
                .iter()
                .map(|r| CaseSummary::of(r, &categories, &result.assignees))
                .collect(),
            total: result.total,
            total_is_lower_bound: lower_bound,
            next,
        },
    )
}

#[derive(serde::Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    reveal: String,
}

#[utoipa::path(get, path = "/api/v1/cases/{reference}", tag = "cases",
    summary = "A case",
    description = "What the case page shows. The reporter's contact details only with \
                   `reveal=reporter`, which writes an audit row as the page's \"show\" does. \
                   The `ETag` is the case's version, for `If-Match` on a change.",
    params(
        ("reference" = String, Path, description = "The case's reference, e.g. PA05-TP-2026-000123"),
        ("reveal" = Option<String>, Query, description = "`reporter` to include the reporter's contact details (audited)"),
    ),
    responses(
        (status = 200, description = "The case", body = CaseDetail),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case, or one the user may not see", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["cases:read"])))]
pub async fn show(
    api: Api,
    path: web::Path<String>,
    q: web::Query<ShowQuery>,
) -> Result<HttpResponse, AppError> {
    let me = api.caller.require(Scope::CasesRead)?.clone();
    policy::require(&me, Action::WorkCases)?;
    let reveal = match q.reveal.as_str() {
        "" => false,
        "reporter" => true,
        _ => return Err(AppError::Invalid(k("api-bad-reveal"))),
    };
    let reference = path.into_inner();
    let caches = api.state.caches.clone();
    let meta = api.meta.clone();
    let v = db::run(&api.state.pool, move |conn| {
        cases::view(conn, &me, &meta, &reference, &caches, reveal, true)
    })
    .await?;
    let body = CaseDetail::of(&v, reveal);
    let mut res = json(StatusCode::OK, &body)?;
    if let Ok(tag) = format!("\"{}\"", body.version).parse() {
        res.headers_mut().insert(actix_web::http::header::ETAG, tag);
    }
    Ok(res)
}

/// A JSON value as the form would have sent it: text as is, numbers as
/// written, `true` as a ticked box (`on`), `false` and null as absent.
fn form_value(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(true) => Some("on".into()),
        _ => None,
    }
}

#[utoipa::path(post, path = "/api/v1/cases", tag = "cases",
    summary = "Open a case",
    description = "The case form (`/cases/new`) as JSON: the same fields by the same names, the \
                   same rules, and the same messages, field by field, when refused.",
    request_body(content = NewCase, content_type = "application/json"),
    responses(
        (status = 201, description = "Opened; `Location` is its API address", body = CaseChanged),
        (status = 400, description = "Not JSON, or a value of the wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refused: each field's message as the form shows it", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["cases:write"])))]
pub async fn create(api: Api, body: web::Json<NewCase>) -> Result<HttpResponse, AppError> {
    let me = api.caller.require(Scope::CasesWrite)?.clone();
    let body = body.into_inner();
    let mut pairs: Vec<(String, String)> = body
        .fields
        .iter()
        .filter(|(name, _)| !name.starts_with("tx-") && name.as_str() != "csrf_token")
        .filter_map(|(name, v)| form_value(v).map(|v| (name.clone(), v)))
        .collect();
    if body.transactions.len() > cases::MAX_TX_ROWS {
        return Err(AppError::Invalid(k("api-too-many-transactions")));
    }
    for (n, tx) in body.transactions.iter().enumerate() {
        for (field, v) in [
            ("time", &tx.time),
            ("amount", &tx.amount),
            ("method", &tx.method),
            ("from_bank", &tx.from_bank),
            ("from_account", &tx.from_account),
            ("to_bank", &tx.to_bank),
            ("to_account", &tx.to_account),
            ("to_holder", &tx.to_holder),
            ("reference", &tx.reference),
        ] {
            pairs.push((crate::domain::form::row_name("tx", n, field), v.clone()));
        }
    }
    let form = CaseForm::from_pairs(pairs);
    let meta = api.meta.clone();
    let cfg = api.state.config.clone();
    let c = db::run(&api.state.pool, move |conn| {
        cases::create(conn, &me, &meta, &cfg, &form)
    })
    .await?;
    let mut res = json(StatusCode::CREATED, &CaseChanged::from(&c))?;
    if let Ok(loc) = format!("/api/v1/cases/{}", c.ref_).parse() {
        res.headers_mut()
            .insert(actix_web::http::header::LOCATION, loc);
    }
    Ok(res)
}

#[utoipa::path(post, path = "/api/v1/cases/{reference}/notes", tag = "cases",
    summary = "Add a note",
    description = "An internal note on the case's timeline, by whoever may work the case. \
                   With `If-Match`, only if the case is still at that version.",
    params(
        ("reference" = String, Path, description = "The case's reference"),
        ("If-Match" = Option<String>, Header, description = "The case's version (its `ETag`)"),
    ),
    request_body(content = NewNote, content_type = "application/json"),
    responses(
        (status = 201, description = "Added", body = CaseChanged),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The case changed since that version", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["cases:write"])))]
pub async fn note(
    api: Api,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<NewNote>,
) -> Result<HttpResponse, AppError> {
    let me = api.caller.require(Scope::CasesWrite)?.clone();
    let version = if_match(&req)?;
    let reference = path.into_inner();
    let meta = api.meta.clone();
    let cfg = api.state.config.clone();
    let c = db::run(&api.state.pool, move |conn| {
        if_version(conn, &me, &reference, version, |conn| {
            cases::add_note(conn, &me, &meta, &cfg, &reference, &body.body)
        })
    })
    .await?;
    json(StatusCode::CREATED, &CaseChanged::from(&c))
}

#[utoipa::path(post, path = "/api/v1/cases/{reference}/status", tag = "cases",
    summary = "Move a case",
    description = "A workflow move (the case page's status buttons), allowed by the same table: \
                   `moves` of the case lists where it may go. With `If-Match`, only if the case \
                   is still at that version.",
    params(
        ("reference" = String, Path, description = "The case's reference"),
        ("If-Match" = Option<String>, Header, description = "The case's version (its `ETag`)"),
    ),
    request_body(content = NewStatus, content_type = "application/json"),
    responses(
        (status = 200, description = "Moved", body = CaseChanged),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The case changed since that version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a move the workflow allows from here, or one missing what it needs", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["cases:write"])))]
pub async fn status(
    api: Api,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<NewStatus>,
) -> Result<HttpResponse, AppError> {
    let me = api.caller.require(Scope::CasesWrite)?.clone();
    let version = if_match(&req)?;
    let body = body.into_inner();
    let to: Status = body
        .to
        .trim()
        .parse()
        .map_err(|_| AppError::Invalid(k("move-not-allowed")))?;
    let input = MoveInput {
        reason: body.reason,
        agency: body.agency,
        outcome: body.outcome,
        summary: body.summary,
    };
    let reference = path.into_inner();
    let meta = api.meta.clone();
    let cfg = api.state.config.clone();
    let c = db::run(&api.state.pool, move |conn| {
        if_version(conn, &me, &reference, version, |conn| {
            cases::transition(conn, &me, &meta, &cfg, &reference, to, &input)
        })
    })
    .await?;
    json(StatusCode::OK, &CaseChanged::from(&c))
}
