//! `/api/v1/submissions`: the intake queue of public reports, for those on
//! duty (supervisors, and officers while on duty), as the intake page.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};

use super::cases::strict_query;
use super::dto::{Problem, SharedIdentifier, SubmissionDetail, SubmissionPage, SubmissionSummary};
use super::{json, Api};
use crate::db;
use crate::domain::scope::Scope;
use crate::error::AppError;
use crate::i18n::k;
use crate::models::submission::Submission;
use crate::services::intake;

fn summary(s: &Submission, case_reference: Option<String>) -> SubmissionSummary {
    SubmissionSummary {
        id: s.id,
        code: s.tracking_code.clone(),
        kind: s.kind.code().into(),
        status: s.status.code().into(),
        received_at: s.received_at,
        case_reference,
    }
}

#[utoipa::path(get, path = "/api/v1/submissions", tag = "submissions",
    summary = "The intake queue",
    description = "Public reports waiting to be triaged (new, or waiting for the reporter), oldest \
                   first, 50 a page; follow `next`. For supervisors and officers on duty.",
    params(("after" = Option<String>, Query, description = "The `next` of the previous page")),
    responses(
        (status = 200, description = "One page", body = SubmissionPage),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `submissions:read`, or its user is not on duty", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["submissions:read"])))]
pub async fn list(api: Api, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let me = api.caller.require(Scope::SubmissionsRead)?.clone();
    #[derive(serde::Deserialize)]
    struct Q {
        #[serde(default)]
        after: String,
    }
    let q: Q = serde_urlencoded::from_str(&strict_query(&req, &["after"])?)
        .map_err(|_| AppError::BadRequest)?;
    let after = match q.after.trim() {
        "" => None,
        v => Some(
            crate::domain::value::parse_cursor(v).ok_or(AppError::Invalid(k("api-bad-cursor")))?,
        ),
    };
    let queue = db::run(&api.state.pool, move |conn| {
        intake::queue(conn, &me, false, after)
    })
    .await?;
    json(
        StatusCode::OK,
        &SubmissionPage {
            items: queue.rows.iter().map(|s| summary(s, None)).collect(),
            waiting: queue.waiting,
            waiting_is_lower_bound: queue.waiting >= intake::WAITING_CAP,
            next: queue
                .next
                .map(|(at, id)| crate::domain::value::cursor(at, id)),
        },
    )
}

#[utoipa::path(get, path = "/api/v1/submissions/{id}", tag = "submissions",
    summary = "A public report",
    description = "The report exactly as sent, with the identifiers it shares with other reports \
                   and cases. Each view is audited (it shows the reporter's personal data).",
    params(("id" = i64, Path, description = "The submission's id")),
    responses(
        (status = 200, description = "The report", body = SubmissionDetail),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["submissions:read"])))]
pub async fn show(api: Api, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let me = api.caller.require(Scope::SubmissionsRead)?.clone();
    let id: i64 = path.into_inner().parse().map_err(|_| AppError::NotFound)?;
    let meta = api.meta.clone();
    let caches = api.state.caches.clone();
    let v = db::run(&api.state.pool, move |conn| {
        let banks = caches.banks(conn)?;
        intake::view(conn, &me, &meta, &banks, id)
    })
    .await?;
    json(
        StatusCode::OK,
        &SubmissionDetail {
            summary: summary(&v.submission, v.case_ref.clone()),
            payload: v.submission.payload.clone(),
            shared_identifiers: v
                .hits
                .iter()
                .map(|h| SharedIdentifier {
                    kind: h.kind.clone(),
                    value: h.value.clone(),
                    submission: h.submission,
                    case_reference: h.case_ref.clone(),
                })
                .collect(),
        },
    )
}
