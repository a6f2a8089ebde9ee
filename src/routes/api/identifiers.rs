//! `/api/v1/identifiers/lookup` and `/api/v1/hotlist`: the bank check and the
//! list of the most reported identifiers, counts only.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};

use super::cases::strict_query;
use super::dto::{
    FieldError, HotList, HotQuery, HotRow, LookupBatch, LookupQuery, LookupResult, LookupResults,
    Problem,
};
use super::{json, Api};
use crate::db;
use crate::domain::form::FormErrors;
use crate::domain::scope::Scope;
use crate::error::AppError;
use crate::i18n::{k, t, Lang};
use crate::services::api::{self as api_service, Answer, Ask, LOOKUP_MAX};
use crate::services::identifiers;

fn result(a: Answer, lang: Lang) -> LookupResult {
    LookupResult {
        kind: a.kind,
        value: a.value,
        reports: a.reports,
        cases: a.cases,
        first_seen: a.first_seen,
        last_seen: a.last_seen,
        total_loss: a.total_loss,
        error: a.error.map(|key| FieldError {
            field: "value".into(),
            code: key.0.into(),
            message: t(lang, key.0),
        }),
    }
}

async fn answer(api: &Api, asks: Vec<Ask>) -> Result<Vec<Answer>, AppError> {
    let me = api.caller.require(Scope::IdentifiersLookup)?.clone();
    let caches = api.state.caches.clone();
    db::run(&api.state.pool, move |conn| {
        let banks = caches.banks(conn)?;
        api_service::lookup(conn, &me, &banks, &asks)
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/identifiers/lookup", tag = "identifiers",
    summary = "Look up one identifier",
    description = "Was this account, phone, wallet, site or address reported? How often, in how many \
                   cases, when first and last, and the loss reported — counts only, never a case's \
                   contents. Counted over the user's unit (every unit for a national analyst), as the \
                   hot list counts: victims' own numbers and spam left out.",
    params(LookupQuery),
    responses(
        (status = 200, description = "The counts (all zero when never reported)", body = LookupResult),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The value is not a valid identifier of that kind", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["identifiers:lookup"])))]
pub async fn lookup_one(api: Api, req: HttpRequest) -> Result<HttpResponse, AppError> {
    #[derive(serde::Deserialize)]
    struct Q {
        #[serde(default)]
        kind: String,
        #[serde(default)]
        value: String,
        #[serde(default)]
        bank: String,
    }
    let q: Q = serde_urlencoded::from_str(&strict_query(&req, &["kind", "value", "bank"])?)
        .map_err(|_| AppError::BadRequest)?;
    let mut answers = answer(
        &api,
        vec![Ask {
            kind: q.kind,
            value: q.value,
            bank: q.bank,
        }],
    )
    .await?;
    let a = answers.pop().ok_or(AppError::internal("no answer"))?;
    if let Some(key) = a.error {
        let mut e = FormErrors::default();
        let field = if key == k("identifier-kind-invalid") {
            "kind"
        } else if key == k("identifier-bank-unknown") {
            "bank"
        } else {
            "value"
        };
        e.add(field, key);
        return Err(AppError::Form(e));
    }
    json(StatusCode::OK, &result(a, api.lang))
}

#[utoipa::path(post, path = "/api/v1/identifiers/lookup", tag = "identifiers",
    summary = "Look up many identifiers",
    description = "Up to 1,000 values in one request, answered in order; a value that cannot be read \
                   has an `error` instead of failing the batch.",
    request_body(content = LookupBatch, content_type = "application/json"),
    responses(
        (status = 200, description = "One result per value, in order", body = LookupResults),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "More than 1,000 values", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["identifiers:lookup"])))]
pub async fn lookup_many(api: Api, body: web::Json<LookupBatch>) -> Result<HttpResponse, AppError> {
    let values = body.into_inner().values;
    if values.len() > LOOKUP_MAX {
        return Err(AppError::Invalid(k("lookup-too-many")));
    }
    let asks = values
        .into_iter()
        .map(|v| Ask {
            kind: v.kind,
            value: v.value,
            bank: v.bank,
        })
        .collect();
    let lang = api.lang;
    let answers = answer(&api, asks).await?;
    json(
        StatusCode::OK,
        &LookupResults {
            results: answers.into_iter().map(|a| result(a, lang)).collect(),
        },
    )
}

#[utoipa::path(get, path = "/api/v1/hotlist", tag = "identifiers",
    summary = "The hot list",
    description = "The identifiers reported most in the last 7, 30 or 90 days, as the hot-list CSV: \
                   a supervisor's unit, or every unit for a national analyst.",
    params(HotQuery),
    responses(
        (status = 200, description = "Most reported first", body = HotList),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`days` is not 7, 30 or 90", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["hotlist:read"])))]
pub async fn hotlist(api: Api, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let me = api.caller.require(Scope::HotlistRead)?.clone();
    #[derive(serde::Deserialize)]
    struct Q {
        #[serde(default)]
        days: String,
    }
    let q: Q = serde_urlencoded::from_str(&strict_query(&req, &["days"])?)
        .map_err(|_| AppError::BadRequest)?;
    let days = match q.days.trim() {
        "" => 30,
        v => v
            .parse::<i64>()
            .ok()
            .filter(|d| identifiers::HOT_WINDOWS.contains(d))
            .ok_or(AppError::Invalid(k("api-bad-days")))?,
    };
    let meta = api.meta.clone();
    let (rows, computed_at) = db::run(&api.state.pool, move |conn| {
        identifiers::hot_export(conn, &me, &meta, days)
    })
    .await?;
    json(
        StatusCode::OK,
        &HotList {
            days,
            computed_at,
            items: rows
                .into_iter()
                .enumerate()
                .map(|(i, h)| HotRow {
                    rank: i as i64 + 1,
                    kind: h.kind,
                    value: h.value,
                    reports: h.reports,
                    total_loss: h.loss,
                    last_seen: h.last_seen,
                    units: h.units,
                })
                .collect(),
        },
    )
}
