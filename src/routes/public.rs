//! The public portal: `/report` (what can be reported, the three forms, the
//! receipt) and `/track` (status, messages, adding information). No sign-in.

use std::sync::Arc;

use actix_multipart::Multipart;
use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use chrono::Utc;

use crate::db;
use crate::domain::form::{FormErrors, FormInput};
use crate::domain::ident::extract::{resolve_bank, Bank};
use crate::error::AppError;
use crate::models::category::Category;
use crate::models::submission::{Message, MessageKind, SubmissionFile, SubmissionKind};
use crate::routes::middleware::{cookie, removal};
use crate::routes::{extract::Ctx, multipart, pages::LayoutCtx, render, see_other};
use crate::services::identifiers::{IdKind, PUBLIC_KINDS};
use crate::services::portal::{self, Challenge, Guards, Receipt, Refusal, Tracked, FIRST_CONTACT};
use crate::storage::{Refused, Stored};

/// Bytes of a text field kept (the longest field, the narrative, allows
/// 20,000 characters of up to 4 bytes, so a cut one is always too long).
const FIELD_BYTES: usize = 81_920;
const MAX_FIELDS: usize = 600;
/// All text of one form: far past any honest report (600 fields), so only
/// abuse is cut off with a 413.
const TEXT_BYTES: usize = 2 * 1024 * 1024;

#[derive(Template)]
#[template(path = "public/index.html")]
struct IndexPage {
    layout: LayoutCtx,
}

pub async fn index(ctx: Ctx) -> Result<HttpResponse, AppError> {
    render(
        StatusCode::OK,
        &IndexPage {
            layout: ctx.layout(),
        },
    )
}

fn kind_of(path: &str) -> Result<SubmissionKind, AppError> {
    path.parse().map_err(|_| AppError::NotFound)
}

#[derive(Template)]
#[template(path = "public/form.html")]
struct FormPage {
    layout: LayoutCtx,
    kind: SubmissionKind,
    input: FormInput,
    errors: FormErrors,
    staged: Vec<SubmissionFile>,
    draft: String,
    form_ts: String,
    challenge: Option<Challenge>,
    categories: Arc<Vec<Category>>,
    banks: Vec<(String, String)>,
    /// Every name of every bank, to show which bank a typed name is.
    bank_names: Arc<Vec<Bank>>,
    provinces: Vec<(String, String, String)>,
    tx_rows: usize,
    id_rows: usize,
    max_files: usize,
    max_mb: u64,
}

impl FormPage {
    fn v(&self, name: &str) -> &str {
        self.input.get(name)
    }

    /// The bank a typed bank box names, shown back: "Vietcombank (VCB)".
    fn bank_of(&self, field: &str) -> Option<String> {
        let b = resolve_bank(&self.bank_names, self.v(field))?;
        self.banks
            .iter()
            .any(|(code, _)| *code == b.code)
            .then(|| format!("{} ({})", b.short_name(), b.code))
    }

    fn on(&self, name: &str) -> bool {
        self.input.checked(name)
    }

    fn f(&self, prefix: &str, i: &usize, name: &str) -> String {
        format!("{prefix}-{i}-{name}")
    }

    fn err(&self, field: &str) -> Option<&'static str> {
        self.errors.get(field)
    }

    /// Categories offered for this kind of report, with a plain-language hint.
    fn choices(&self) -> Vec<(&Category, Option<String>)> {
        let wanted: &[&str] = match self.kind {
            SubmissionKind::Crime => &[
                "fraud_impersonation",
                "fraud_investment",
                "fraud_jobs",
                "fraud_shopping",
                "fraud_romance",
                "fraud_relatives",
                "fraud_recovery",
                "fraud_other",
                "account_takeover",
                "phishing",
                "data_leak",
                "gambling",
                "disinformation",
                "other",
            ],
            SubmissionKind::Incident => &[
                "malware",
                "ddos",
                "deface",
                "intrusion",
                "phishing",
                "state_system",
                "data_leak",
                "other",
            ],
            SubmissionKind::Breach => &["data_leak", "intrusion", "other"],
        };
        wanted
            .iter()
            .filter_map(|code| self.categories.iter().find(|c| c.code == *code && c.active))
            .map(|c| {
                let key = format!("report-hint-{}", c.code);
                (c, crate::i18n::has_key(&key).then(|| self.layout.t(&key)))
            })
            .collect()
    }

    fn id_kinds(&self) -> &'static [IdKind] {
        PUBLIC_KINDS
    }

    fn contacts(&self) -> &'static [&'static str] {
        FIRST_CONTACT
    }

    fn methods(&self) -> &'static [crate::models::case::PayMethod] {
        crate::models::case::PayMethod::ALL
    }
}

/// What the form needs from the database: categories, banks, the signing key,
/// and whether a burst is on (then the form asks a challenge).
struct FormData {
    categories: Arc<Vec<Category>>,
    banks: Vec<(String, String)>,
    bank_names: Arc<Vec<Bank>>,
    signer: Arc<crate::domain::sign::Signer>,
    burst: bool,
    /// (code, Vietnamese name, English name) of the provinces and cities.
    provinces: Vec<(String, String, String)>,
}

async fn form_data(ctx: &Ctx) -> Result<FormData, AppError> {
    let caches = ctx.state.caches.clone();
    let burst_limit = ctx.state.config.portal.burst_per_minute;
    db::run(&ctx.state.pool, move |conn| {
        let banks = crate::models::bank::active_choices(conn)?;
        let recent = crate::models::submission::count_since(
            conn,
            Utc::now() - chrono::Duration::minutes(1),
        )?;
        Ok(FormData {
            categories: caches.categories(conn)?,
            banks,
            bank_names: caches.banks(conn)?,
            signer: caches.signer(conn)?,
            burst: recent >= burst_limit,
            provinces: crate::models::report_route::provinces(conn)?,
        })
    })
    .await
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    ctx: &Ctx,
    data: FormData,
    kind: SubmissionKind,
    input: FormInput,
    errors: FormErrors,
    staged: Vec<SubmissionFile>,
    draft: String,
) -> FormPage {
    let now = Utc::now();
    let lang = ctx.req.lang;
    let draft = if draft.is_empty() {
        portal::new_draft(&data.signer, &ctx.req.csrf)
    } else {
        draft
    };
    FormPage {
        layout: ctx.layout(),
        kind,
        tx_rows: input.rows("tx", portal::TX_ROWS),
        id_rows: input.rows("id", portal::ID_ROWS),
        input,
        errors,
        staged,
        draft,
        form_ts: portal::form_stamp(&data.signer, now),
        challenge: data
            .burst
            .then(|| portal::challenge(&data.signer, lang, now)),
        categories: data.categories,
        banks: data.banks,
        bank_names: data.bank_names,
        provinces: data.provinces,
        max_files: ctx.state.config.portal.max_files,
        max_mb: ctx.state.config.portal.max_file_bytes / (1024 * 1024),
    }
}

pub async fn form(ctx: Ctx, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let kind = kind_of(&path)?;
    let data = form_data(&ctx).await?;
    let page = form_page(
        &ctx,
        data,
        kind,
        FormInput::default(),
        FormErrors::default(),
        Vec::new(),
        String::new(),
    );
    render(StatusCode::OK, &page)
}

/// Reads a public form: text fields (bounded) and evidence files. Files over
/// the limit, empty or of a refused type are reported, not kept; the rest of
/// the form is still read.
async fn read_multipart(
    ctx: &Ctx,
    payload: Multipart,
    accept_files: &dyn Fn(&FormInput) -> bool,
) -> Result<(FormInput, Vec<Result<Stored, (String, Refused)>>), AppError> {
    let cfg = &ctx.state.config;
    let limit = cfg.portal.max_file_bytes;
    let limits = multipart::Limits {
        max_fields: MAX_FIELDS,
        name_chars: 60,
        field_bytes: FIELD_BYTES,
        // An over-long narrative comes back as a message, nothing typed lost.
        cut_long_text: true,
        text_total_bytes: TEXT_BYTES,
        file_field: "evidence",
        // How many may be kept is the portal's rule (a message, not a 413).
        max_files: usize::MAX,
        file_bytes: limit,
        // Everything a form may carry: the files at their limit plus the text.
        total_bytes: Some(limit * (cfg.portal.max_files as u64 + 1) + 2 * 1024 * 1024),
        any_type: false,
        oversize_fails: false,
    };
    let parts = multipart::read(cfg, payload, &ctx.req.csrf, &limits, accept_files).await?;
    Ok((parts.input, parts.files))
}

#[derive(Template)]
#[template(path = "public/receipt.html")]
struct ReceiptPage {
    layout: LayoutCtx,
    receipt: Receipt,
    code: String,
    secret: Option<String>,
    /// The unit whose intake received it.
    unit: String,
    /// The time limit and its legal basis.
    limits: String,
}

#[derive(Clone, Copy)]
enum Allowance {
    Report,
    Lookup,
}

/// Takes one request from the visitor's hourly allowance (shared by every
/// instance); 429 when it is spent.
async fn spend(ctx: &Ctx, which: Allowance) -> Result<(), AppError> {
    let throttle = ctx.state.throttle.clone();
    let ip = ctx.req.meta.ip.clone();
    db::run(&ctx.state.pool, move |conn| match which {
        Allowance::Report => throttle.report(conn, &ip),
        Allowance::Lookup => throttle.lookup(conn, &ip),
    })
    .await
}

pub async fn submit(
    ctx: Ctx,
    path: web::Path<String>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let kind = kind_of(&path)?;
    spend(&ctx, Allowance::Report).await?;
    let (input, uploads) = read_multipart(&ctx, payload, &|_| true).await?;
    let data = form_data(&ctx).await?;
    // The draft key names this form's staged files: one we made for this
    // visitor's CSRF token, or a new one.
    let draft = Some(input.get("draft").to_owned())
        .filter(|d| portal::draft_ok(&data.signer, &ctx.req.csrf, d))
        .unwrap_or_else(|| portal::new_draft(&data.signer, &ctx.req.csrf));
    let (cfg, meta, lang) = (ctx.state.config.clone(), ctx.req.meta.clone(), ctx.req.lang);
    let (signer, burst, min_fill) = (data.signer.clone(), data.burst, cfg.portal.min_fill_seconds);
    let (inp, d) = (input.clone(), draft.clone());
    let outcome = db::run(&ctx.state.pool, move |conn| {
        let guards = Guards {
            signer: &signer,
            now: Utc::now(),
            min_fill_seconds: min_fill,
            challenge: burst,
        };
        portal::receive(conn, &cfg, &guards, kind, &inp, &uploads, &d, lang, &meta)
    })
    .await?;
    match outcome {
        // To an address that can be reloaded and bookmarked (no token of the
        // form in it); an anonymous reporter's secret goes along once, in a
        // short-lived cookie, never in the address.
        Ok(receipt) => {
            let now = Utc::now();
            let token = portal::receipt_token(&data.signer, &receipt.tracking_code, now);
            let mut res = see_other(&format!("/report/receipt/{token}"));
            if let Some(secret) = &receipt.secret {
                let view = portal::secret_view(&data.signer, &receipt.tracking_code, secret, now);
                let c = cookie(
                    SECRET_COOKIE,
                    view,
                    &ctx.state.config,
                    Some(std::time::Duration::from_secs(600)),
                );
                res.add_cookie(&c)
                    .map_err(|e| AppError::Internal(e.into()))?;
            }
            Ok(res)
        }
        Err(Refusal { errors, staged }) => {
            // Pressing "add another row" or removing a file is not an error.
            let status = if errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let page = form_page(&ctx, data, kind, input, errors, staged, draft);
            render(status, &page)
        }
    }
}

/// The cookie that carries an anonymous report's secret to its receipt, once.
const SECRET_COOKIE: &str = "cd_receipt_secret";

/// `/report/receipt/{token}`: the receipt, as often as it is opened; the
/// secret only on the first view after the send.
pub async fn receipt(
    ctx: Ctx,
    http: actix_web::HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let view = http.cookie(SECRET_COOKIE).map(|c| c.value().to_owned());
    let caches = ctx.state.caches.clone();
    let v = view.clone();
    let (lang, tz) = (ctx.req.lang, ctx.state.config.time_zone);
    let (receipt, unit, limits) = db::run(&ctx.state.pool, move |conn| {
        let signer = caches.signer(conn)?;
        let r = portal::receipt(conn, &signer, &token, v.as_deref(), Utc::now())?;
        // The unit it was routed to, by name.
        let unit = caches.unit_name(conn, r.unit_id)?;
        let day = r
            .received_at
            .with_timezone(&caches.unit_time_zone(conn, r.unit_id)?.unwrap_or(tz))
            .date_naive();
        let limits = crate::services::deadlines::receipt_limits(conn, lang, r.kind, day)?;
        Ok((r, unit, limits))
    })
    .await?;
    let code = crate::domain::code::format_code(&receipt.tracking_code);
    let secret = receipt.secret.clone();
    let mut res = render(
        StatusCode::OK,
        &ReceiptPage {
            layout: ctx.layout(),
            receipt,
            code,
            secret,
            unit,
            limits,
        },
    )?;
    if view.is_some() {
        res.add_cookie(&removal(SECRET_COOKIE))
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    Ok(res)
}

#[derive(Template)]
#[template(path = "public/track.html")]
struct TrackPage {
    layout: LayoutCtx,
    code: String,
    not_found: bool,
    tracked: Option<Tracked>,
    grant: String,
    errors: FormErrors,
    added: bool,
    /// What the reporter typed, shown again when it could not be accepted.
    body: String,
    max_mb: u64,
    /// A request about their data was received; what they typed if refused.
    requested: bool,
    /// The request about their data could not be accepted (its errors are
    /// shown beside it, not in the other form's summary).
    request_failed: bool,
    request_kind: String,
    request_body: String,
}

impl TrackPage {
    fn status_step(&self, s: &crate::domain::submission::PublicStatus) -> usize {
        crate::domain::submission::PublicStatus::ALL
            .iter()
            .position(|x| x == s)
            .unwrap_or(0)
    }

    fn visible_messages(&self) -> Vec<&Message> {
        self.tracked
            .as_ref()
            .map(|t| t.messages.iter().collect())
            .unwrap_or_default()
    }

    fn is_request(&self, m: &Message) -> bool {
        m.kind == MessageKind::InfoRequest
    }

    fn is_mine(&self, m: &Message) -> bool {
        m.kind == MessageKind::Addition
    }
}

fn track_page(ctx: &Ctx, code: String) -> TrackPage {
    TrackPage {
        layout: ctx.layout(),
        code,
        not_found: false,
        tracked: None,
        grant: String::new(),
        errors: FormErrors::default(),
        added: false,
        body: String::new(),
        max_mb: ctx.state.config.portal.max_file_bytes / (1024 * 1024),
        requested: false,
        request_failed: false,
        request_kind: String::new(),
        request_body: String::new(),
    }
}

pub async fn track_form(ctx: Ctx) -> Result<HttpResponse, AppError> {
    render(StatusCode::OK, &track_page(&ctx, String::new()))
}

#[derive(serde::Deserialize)]
pub struct TrackForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    proof: String,
}

pub async fn track(ctx: Ctx, form: web::Form<TrackForm>) -> Result<HttpResponse, AppError> {
    spend(&ctx, Allowance::Lookup).await?;
    let TrackForm { code, proof } = form.into_inner();
    let caches = ctx.state.caches.clone();
    let c = code.clone();
    let (found, signer) = db::run(&ctx.state.pool, move |conn| {
        Ok((portal::track(conn, &c, &proof)?, caches.signer(conn)?))
    })
    .await?;
    let mut page = track_page(&ctx, code.chars().take(40).collect());
    match found {
        Some(t) => {
            page.grant = portal::grant(&signer, t.submission.id, Utc::now());
            page.tracked = Some(t);
            render(StatusCode::OK, &page)
        }
        None => {
            // One answer for every mismatch: no way to learn which codes exist.
            page.not_found = true;
            render(StatusCode::OK, &page)
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct DataRequestForm {
    grant: String,
    request_kind: String,
    request_body: String,
}

/// The reporter asks to see or correct their personal data (with the grant
/// from a successful look-up): a task for the officer, not a change.
pub async fn track_data_request(
    ctx: Ctx,
    form: web::Form<DataRequestForm>,
) -> Result<HttpResponse, AppError> {
    spend(&ctx, Allowance::Report).await?;
    let f = form.into_inner();
    let (cfg, meta, caches) = (
        ctx.state.config.clone(),
        ctx.req.meta.clone(),
        ctx.state.caches.clone(),
    );
    let (grant, kind, body) = (
        f.grant.clone(),
        f.request_kind.clone(),
        f.request_body.clone(),
    );
    let (outcome, signer) = db::run(&ctx.state.pool, move |conn| {
        let signer = caches.signer(conn)?;
        let Some(id) = portal::granted(&signer, &grant, Utc::now()) else {
            return Ok((None, signer));
        };
        let result = portal::data_request(conn, &cfg, id, &kind, &body, &meta)?;
        let s = crate::models::submission::find(conn, id)?;
        Ok((Some((result, portal::tracked(conn, s)?)), signer))
    })
    .await?;
    let mut page = track_page(&ctx, String::new());
    let Some((result, t)) = outcome else {
        page.not_found = true;
        return render(StatusCode::OK, &page);
    };
    page.grant = portal::grant(&signer, t.submission.id, Utc::now());
    page.code = crate::domain::code::format_code(&t.submission.tracking_code);
    page.tracked = Some(t);
    match result {
        Ok(()) => {
            page.requested = true;
            render(StatusCode::OK, &page)
        }
        Err(errors) => {
            page.errors = errors;
            page.request_failed = true;
            page.request_kind = f.request_kind.chars().take(20).collect();
            page.request_body = f.request_body.chars().take(2000).collect();
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// The reporter adds information and files (multipart, with the grant from a
/// successful look-up).
pub async fn track_add(ctx: Ctx, payload: Multipart) -> Result<HttpResponse, AppError> {
    spend(&ctx, Allowance::Report).await?;
    let caches = ctx.state.caches.clone();
    let gate = {
        let caches = caches.clone();
        db::run(&ctx.state.pool, move |conn| Ok(caches.signer(conn)?)).await?
    };
    let (input, uploads) = read_multipart(&ctx, payload, &|seen: &FormInput| {
        portal::granted(&gate, seen.get("grant"), Utc::now()).is_some()
    })
    .await?;
    let cfg = ctx.state.config.clone();
    let meta = ctx.req.meta.clone();
    let grant = input.get("grant").to_owned();
    let body = input.get("body").to_owned();
    let (result, signer) = db::run(&ctx.state.pool, move |conn| {
        let signer = caches.signer(conn)?;
        let Some(id) = portal::granted(&signer, &grant, Utc::now()) else {
            // The grant expired: they look the report up again.
            let ids: Vec<String> = uploads
                .iter()
                .filter_map(|u| u.as_ref().ok())
                .map(|s| s.storage_id.clone())
                .collect();
            portal::remove_files(&cfg, &ids);
            return Ok((None, signer));
        };
        Ok((
            Some(portal::add_information(
                conn, &cfg, id, &body, &uploads, &meta,
            )?),
            signer,
        ))
    })
    .await?;
    let mut page = track_page(&ctx, String::new());
    match result {
        None => {
            page.not_found = true;
            render(StatusCode::OK, &page)
        }
        Some(Ok(t)) => {
            page.grant = portal::grant(&signer, t.submission.id, Utc::now());
            page.code = crate::domain::code::format_code(&t.submission.tracking_code);
            page.tracked = Some(t);
            page.added = true;
            render(StatusCode::OK, &page)
        }
        Some(Err(errors)) => {
            page.errors = errors;
            page.body = input.get("body").chars().take(10000).collect();
            page.not_found = false;
            // Show the report again with the grant still valid.
            if let Some(id) = portal::granted(&signer, input.get("grant"), Utc::now()) {
                let t = db::run(&ctx.state.pool, move |conn| {
                    let s = crate::models::submission::find(conn, id)?;
                    portal::tracked(conn, s)
                })
                .await?;
                page.grant = portal::grant(&signer, id, Utc::now());
                page.code = crate::domain::code::format_code(&t.submission.tracking_code);
                page.tracked = Some(t);
            }
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}
