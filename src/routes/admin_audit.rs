//! `/admin/audit`: browse and filter the audit log (administrators, supervisors).

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use crate::auth::{
    policy::{self, Action},
    CurrentUser,
};
use crate::db;
use crate::domain::value::encode_query_value;
use crate::error::AppError;
use crate::models::audit::{self, AuditEntry, AuditFilter, ACTIONS};
use crate::routes::{extract::Ctx, pages::LayoutCtx, render, PAGE_SIZE};
use crate::services::audit_log;

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    before: Option<i64>,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    layout: LayoutCtx,
    rows: Vec<(AuditEntry, Option<String>)>,
    q: AuditQuery,
    actions: &'static [&'static str],
    /// Keyset cursor for the next (older) page.
    older: Option<i64>,
    filter_qs: String,
    bad_filter: bool,
    /// The last hash of each of the last days, to print or mail outside.
    anchors: Vec<audit::Anchor>,
}

impl AuditPage {
    fn hex(&self, bytes: &[u8]) -> String {
        crate::domain::token::hex(bytes)
    }
}

/// Midnight of a `yyyy-mm-dd` date in the unit's time zone, as UTC.
fn day_start(s: &str, tz: Tz, plus_days: i64) -> Result<Option<DateTime<Utc>>, ()> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| ())?;
    // PostgreSQL's timestamptz cannot hold every year chrono parses.
    if !(1900..=9999).contains(&date.year()) {
        return Err(());
    }
    let date = date
        .checked_add_days(chrono::Days::new(u64::try_from(plus_days).unwrap_or(0)))
        .ok_or(())?;
    let local = tz
        .from_local_datetime(&date.and_hms_opt(0, 0, 0).ok_or(())?)
        .earliest()
        .ok_or(())?;
    Ok(Some(local.with_timezone(&Utc)))
}

/// The filter the query asks for, and whether a part of it could not be read.
fn filter_of(q: &AuditQuery, tz: Tz) -> (AuditFilter, bool) {
    let from = day_start(&q.from, tz, 0);
    let to = day_start(&q.to, tz, 1);
    let actor = q.actor.trim();
    let actor_id = if actor.is_empty() {
        Ok(None)
    } else {
        actor.parse::<i64>().map(Some).map_err(|_| ())
    };
    let bad_filter = from.is_err() || to.is_err() || actor_id.is_err();
    let (target_type, target_id) = match q.target.trim().split_once(':') {
        Some((t, id)) if !t.is_empty() => (
            Some(t.to_owned()),
            Some(id.to_owned()).filter(|s| !s.is_empty()),
        ),
        _ => (None, None),
    };
    let filter = AuditFilter {
        action: Some(q.action.clone()).filter(|a| ACTIONS.contains(&a.as_str())),
        actor_id: actor_id.unwrap_or(None),
        target_type,
        target_id,
        from: from.unwrap_or(None),
        to: to.unwrap_or(None),
    };
    (filter, bad_filter)
}

pub async fn index(
    ctx: Ctx,
    me: CurrentUser,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ViewAuditLog)?;
    let q = query.into_inner();
    let tz = me.tz(ctx.state.config.time_zone);
    let (filter, bad_filter) = filter_of(&q, tz);
    let before = q.before;
    let actor = me.clone();
    let (mut rows, anchors) = db::run(&ctx.state.pool, move |conn| {
        Ok((
            audit::list(conn, &filter, before, PAGE_SIZE + 1)?,
            audit_log::anchors(conn, &actor, tz)?,
        ))
    })
    .await?;
    let older = if rows.len() as i64 > PAGE_SIZE {
        rows.truncate(PAGE_SIZE as usize);
        rows.last().map(|(e, _)| e.id)
    } else {
        None
    };
    let filter_qs = format!(
        "action={}&actor={}&target={}&from={}&to={}",
        encode_query_value(&q.action),
        encode_query_value(&q.actor),
        encode_query_value(&q.target),
        encode_query_value(&q.from),
        encode_query_value(&q.to)
    );
    let status = if bad_filter {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        status,
        &AuditPage {
            layout: ctx.layout(),
            rows,
            q,
            actions: ACTIONS,
            older,
            filter_qs,
            bad_filter,
            anchors,
        },
    )
}

/// The filtered log as CSV.
pub async fn export(
    ctx: Ctx,
    me: CurrentUser,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ViewAuditLog)?;
    let tz = me.tz(ctx.state.config.time_zone);
    let (filter, bad) = filter_of(&query, tz);
    if bad {
        return Err(AppError::Invalid(crate::i18n::k("audit-bad-filter")));
    }
    let meta = ctx.req.meta.clone();
    let body = db::run(&ctx.state.pool, move |conn| {
        audit_log::export_csv(conn, &me, &meta, &filter, tz)
    })
    .await?;
    Ok(crate::routes::csv_response("audit-log.csv", body))
}

#[derive(Deserialize, Default)]
pub struct AnchorForm {
    #[serde(default)]
    day: String,
    #[serde(default)]
    to: String,
}

/// Mails a day's anchor to an address outside the system.
pub async fn mail_anchor(
    ctx: Ctx,
    me: CurrentUser,
    form: web::Form<AnchorForm>,
) -> Result<HttpResponse, AppError> {
    let (st, meta) = (ctx.state.clone(), ctx.req.meta.clone());
    let form = form.into_inner();
    db::run(&ctx.state.pool, move |conn| {
        match audit_log::mail_anchor(conn, &st.config, &me, &meta, (&form.day, &form.to)) {
            // The only field: its message is the page's.
            Err(AppError::Form(e)) => Err(AppError::Invalid(crate::i18n::MsgKey(
                e.get("to").unwrap_or("email-invalid"),
            ))),
            other => other,
        }
    })
    .await?;
    Ok(crate::routes::see_other_with_flash(
        "/admin/audit",
        crate::i18n::k("flash-anchor-sent"),
        &ctx.state.config,
    ))
}
