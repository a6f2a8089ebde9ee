//! `/intake`: the queue of public submissions and their triage.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db;
use crate::domain::form::FormErrors;
use crate::error::AppError;
use crate::i18n::k;
use crate::models::case::{CaseType, Severity};
use crate::models::category::Category;
use crate::models::submission::SubmissionKind;
use crate::routes::{extract::Ctx, pages::LayoutCtx, render, see_other, see_other_with_flash};
use crate::services::intake::report::{self, Lookups, Report, Shown};
use crate::services::intake::search::{self as intake_search, FindQuery, Found};
use crate::services::intake::{self, NewCaseChoice, Queue, SubmissionView};

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    #[serde(default)]
    show: String,
    /// Keyset cursor: `<unix micros>_<id>` of the last row shown.
    #[serde(default)]
    after: String,
    /// The search bar: code, phone, e-mail or name; kind; received dates.
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    /// Why a search by who reported is made.
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// Keyset cursor of the search's results (newest first).
    #[serde(default)]
    found_after: String,
}

#[derive(Template)]
#[template(path = "intake/index.html")]
struct QueuePage {
    layout: LayoutCtx,
    q: Queue,
    now: DateTime<Utc>,
    next: Option<String>,
    is_supervisor: bool,
    /// The search as typed, and what it found (None: the plain queue).
    search: FindQuery,
    found: Option<Found>,
    /// Cases other units sent here, and (supervisors) those this unit sent.
    transfers_in: Vec<crate::services::transfers::TransferView>,
    transfers_out: Vec<crate::services::transfers::TransferView>,
}

impl QueuePage {
    /// The queue's length, "1.000+" where counting stopped.
    fn waiting(&self) -> String {
        crate::domain::value::fmt_at_least(
            self.q.waiting,
            self.q.waiting >= crate::services::intake::WAITING_CAP,
        )
    }

    fn due(&self, s: &crate::models::submission::Submission) -> DateTime<Utc> {
        crate::domain::submission::classify_by(s.received_at)
    }

    fn overdue(&self, s: &crate::models::submission::Submission) -> bool {
        crate::domain::submission::classify_by(s.received_at) < self.now
    }

    /// The search's link to its page after `cursor`.
    fn found_next(&self, cursor: &str) -> String {
        let s = &self.search;
        let q: String = [
            ("q", &s.q),
            ("purpose", &s.purpose),
            ("kind", &s.kind),
            ("from", &s.from),
            ("to", &s.to),
            ("show", &s.show),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| {
            format!(
                "{k}={}&",
                crate::domain::value::encode_query_value(v.trim())
            )
        })
        .collect();
        format!(
            "/intake?{q}found_after={}",
            crate::domain::value::encode_query_value(cursor)
        )
    }

    fn found_total(&self, n: i64) -> String {
        crate::domain::value::fmt_thousands(n)
    }

    fn money(&self, s: &crate::models::submission::Submission) -> String {
        crate::domain::value::fmt_vnd(s.total_loss)
    }
}

pub async fn index(
    ctx: Ctx,
    me: CurrentUser,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, AppError> {
    let spam = query.show == "spam";
    let after = crate::domain::value::parse_cursor(&query.after);
    let is_supervisor = me.role == crate::models::user::Role::Supervisor;
    let search = FindQuery {
        q: query.q.clone(),
        kind: query.kind.clone(),
        from: query.from.clone(),
        to: query.to.clone(),
        show: query.show.clone(),
        purpose: query.purpose.clone(),
        found_after: query.found_after.clone(),
    };
    let (meta, tz, s) = (
        ctx.req.meta.clone(),
        ctx.state.config.time_zone,
        search.clone(),
    );
    let (q, found, (transfers_in, transfers_out)) = db::run(&ctx.state.pool, move |conn| {
        let found = if s.is_search() {
            Some(intake_search::find(conn, &me, &meta, tz, &s)?)
        } else {
            None
        };
        let queue = intake::queue(conn, &me, spam, after)?;
        Ok((queue, found, crate::services::transfers::lists(conn, &me)?))
    })
    .await?;
    let next = q.next.map(|(at, id)| crate::domain::value::cursor(at, id));
    render(
        StatusCode::OK,
        &QueuePage {
            layout: ctx.layout(),
            q,
            now: Utc::now(),
            next,
            is_supervisor,
            search,
            found,
            transfers_in,
            transfers_out,
        },
    )
}

#[derive(Template)]
#[template(path = "intake/show.html")]
struct ShowPage {
    layout: LayoutCtx,
    v: SubmissionView,
    /// The form read as a report; `fields()` is the same form as stored.
    report: Report,
    /// (code, name) of the other active units it may be forwarded to.
    forward_to: Vec<(String, String)>,
    categories: std::sync::Arc<Vec<Category>>,
    errors: FormErrors,
    now: DateTime<Utc>,
}

impl ShowPage {
    fn fields(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .v
            .submission
            .payload
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }

    fn default_type(&self) -> &'static str {
        match self.v.submission.kind {
            SubmissionKind::Crime => "crime_report",
            SubmissionKind::Incident => "security_incident",
            SubmissionKind::Breach => "data_breach",
        }
    }

    fn types(&self) -> &'static [CaseType] {
        CaseType::ALL
    }

    fn severities(&self) -> &'static [Severity] {
        Severity::ALL
    }

    fn overdue(&self) -> bool {
        crate::domain::submission::classify_by(self.v.submission.received_at) < self.now
    }

    fn classify_by(&self) -> DateTime<Utc> {
        crate::domain::submission::classify_by(self.v.submission.received_at)
    }

    fn money(&self) -> String {
        crate::domain::value::fmt_vnd(self.v.submission.total_loss)
    }

    fn is_cat(&self, c: &Category) -> bool {
        self.v.submission.category_id == Some(c.id)
    }

    fn code(&self) -> String {
        crate::domain::code::format_code(&self.v.submission.tracking_code)
    }

    fn suggest_action(&self) -> String {
        format!("/intake/{}/identifiers", self.v.submission.id)
    }
    fn open(&self) -> bool {
        matches!(
            self.v.submission.status,
            crate::models::submission::SubmissionStatus::New
                | crate::models::submission::SubmissionStatus::InfoRequested
        )
    }
}

async fn show_page(
    ctx: &Ctx,
    me: CurrentUser,
    id: i64,
    errors: FormErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let meta = ctx.req.meta.clone();
    let caches = ctx.state.caches.clone();
    let (v, categories, banks, provinces, units) = db::run(&ctx.state.pool, move |conn| {
        let banks = caches.banks(conn)?;
        Ok((
            intake::view(conn, &me, &meta, &banks, id)?,
            caches.categories(conn)?,
            banks,
            crate::models::report_route::provinces(conn)?,
            caches.units(conn)?,
        ))
    })
    .await?;
    let forward_to = units
        .iter()
        .filter(|u| u.active && u.id != v.submission.unit_id)
        .map(|u| (u.contact.code.clone(), u.contact.name.clone()))
        .collect();
    let layout = ctx.layout();
    let report = report::read(
        &v.submission.payload,
        v.submission.kind,
        &Lookups {
            banks: &banks,
            categories: &categories,
            provinces: &provinces,
            lang: layout.lang,
            tz: ctx.state.config.time_zone,
        },
    );
    render(
        status,
        &ShowPage {
            layout,
            v,
            report,
            forward_to,
            categories,
            errors,
            now: Utc::now(),
        },
    )
}

pub async fn show(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    show_page(
        &ctx,
        me,
        path.into_inner(),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// Evidence is only ever sent as an attachment, with its sniffed type and
/// `nosniff`, after the permission check; the download is logged.
pub async fn download(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, file_id) = path.into_inner();
    let meta = ctx.req.meta.clone();
    let f = db::run(&ctx.state.pool, move |conn| {
        intake::file_for_download(conn, &me, &meta, id, file_id)
    })
    .await?;
    let (data_dir, s3, sid) = (
        ctx.state.config.data_dir.clone(),
        ctx.state.config.s3.clone(),
        f.storage_id.clone(),
    );
    let opened =
        web::block(move || crate::storage::open_verified(&data_dir, s3.as_ref(), &sid)).await??;
    // The bytes must still be those received (hashed on receipt).
    let file = match opened {
        Some((file, seen)) if seen == f.sha256 => file,
        Some(_) => {
            log::error!("submission file {} failed its hash check; refused", f.id);
            return Err(AppError::Conflict(crate::i18n::k("exhibit-hash-mismatch")));
        }
        None => return Err(AppError::Conflict(crate::i18n::k("exhibit-file-missing"))),
    };
    let name = crate::storage::download_name(&f.original_name, &f.detected_type);
    Ok(crate::routes::evidence::attachment(
        file,
        f.size_bytes,
        &f.detected_type,
        &name,
    ))
}

/// A triage action's answer: its redirect, or the submission page again with
/// the form's errors.
async fn after(
    ctx: &Ctx,
    me: CurrentUser,
    id: i64,
    result: Result<HttpResponse, AppError>,
) -> Result<HttpResponse, AppError> {
    match result {
        Err(AppError::Form(errors)) => {
            show_page(ctx, me, id, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        other => other,
    }
}

#[derive(Deserialize)]
pub struct CaseChoiceForm {
    #[serde(default)]
    case_type: String,
    #[serde(default)]
    category_id: String,
    #[serde(default)]
    severity: String,
}

pub async fn to_case(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<CaseChoiceForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let f = form.into_inner();
    let choice = NewCaseChoice {
        case_type: f.case_type,
        category_id: f.category_id,
        severity: f.severity,
    };
    let (meta, cfg, who) = (ctx.req.meta.clone(), ctx.state.config.clone(), me.clone());
    let result = db::run(&ctx.state.pool, move |conn| {
        intake::to_case(conn, &who, &meta, &cfg, id, &choice)
    })
    .await
    .map(|c| see_other(&format!("/cases/{}", c.ref_)));
    after(&ctx, me, id, result).await
}

#[derive(Deserialize)]
pub struct AttachForm {
    #[serde(default)]
    case_ref: String,
}

pub async fn attach(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<AttachForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let r = form.into_inner().case_ref;
    let (meta, cfg, who) = (ctx.req.meta.clone(), ctx.state.config.clone(), me.clone());
    let result = db::run(&ctx.state.pool, move |conn| {
        intake::attach(conn, &who, &meta, &cfg, id, &r)
    })
    .await
    .map(|c| see_other(&format!("/cases/{}", c.ref_)));
    after(&ctx, me, id, result).await
}

#[derive(Deserialize)]
pub struct MessageForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    request_info: String,
}

pub async fn message(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<MessageForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let f = form.into_inner();
    let request = !f.request_info.is_empty();
    let (meta, cfg, who) = (ctx.req.meta.clone(), ctx.state.config.clone(), me.clone());
    let result = db::run(&ctx.state.pool, move |conn| {
        intake::message(conn, &who, &meta, &cfg, id, &f.body, request)
    })
    .await
    .map(|_| {
        see_other_with_flash(
            &format!("/intake/{id}"),
            k("flash-message-sent"),
            &ctx.state.config,
        )
    });
    after(&ctx, me, id, result).await
}

#[derive(Deserialize)]
pub struct SpamForm {
    #[serde(default)]
    reason: String,
}

pub async fn spam(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<SpamForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let reason = form.into_inner().reason;
    let (meta, who) = (ctx.req.meta.clone(), me.clone());
    let result = db::run(&ctx.state.pool, move |conn| {
        intake::spam(conn, &who, &meta, id, &reason)
    })
    .await
    .map(|_| see_other_with_flash("/intake", k("flash-marked-spam"), &ctx.state.config));
    after(&ctx, me, id, result).await
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    role: String,
}

/// Confirms an identifier suggested from the reporter's text.
pub async fn confirm_identifier(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let f = form.into_inner();
    let (meta, who) = (ctx.req.meta.clone(), me.clone());
    let result = db::run(&ctx.state.pool, move |conn| {
        intake::confirm_identifier(conn, &who, &meta, id, &f.kind, &f.value, &f.role)
    })
    .await
    .map(|()| {
        see_other_with_flash(
            &format!("/intake/{id}#hits-title"),
            k("flash-identifier-confirmed"),
            &ctx.state.config,
        )
    });
    after(&ctx, me, id, result).await
}

#[derive(Deserialize)]
pub struct ForwardForm {
    #[serde(default)]
    to_unit: String,
}

/// Forwards a report to the competent unit's intake.
pub async fn forward(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<ForwardForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let to = form.into_inner().to_unit;
    let (meta, cfg, who) = (ctx.req.meta.clone(), ctx.state.config.clone(), me.clone());
    db::run(&ctx.state.pool, move |conn| {
        intake::forward(conn, &who, &meta, &cfg, id, &to)
    })
    .await?;
    Ok(see_other_with_flash(
        "/intake",
        k("flash-report-forwarded"),
        &ctx.state.config,
    ))
}
