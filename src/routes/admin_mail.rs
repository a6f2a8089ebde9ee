//! `/admin/mail`: the outbox for administrators — queued, sent and failed mails,
//! the last error, "retry now", and the transport in use.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::{
    policy::{self, Action},
    CurrentUser,
};
use crate::db;
use crate::domain::value::encode_query_value;
use crate::error::AppError;
use crate::i18n::k;
use crate::models::outbox::{self, MailFilter, MailStatus, OutboxMail};
use crate::routes::{extract::Ctx, pages::LayoutCtx, render, see_other_with_flash, PAGE_SIZE};
use crate::services::{self, notify::KINDS};

#[derive(Deserialize, Default)]
pub struct MailQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    before: Option<i64>,
}

#[derive(Template)]
#[template(path = "admin/mail.html")]
struct MailPage {
    layout: LayoutCtx,
    rows: Vec<OutboxMail>,
    counts: Vec<(MailStatus, i64)>,
    q: MailQuery,
    kinds: &'static [&'static str],
    statuses: &'static [MailStatus],
    transport: String,
    sender_on: bool,
    older: Option<i64>,
    filter_qs: String,
}

impl MailPage {
    fn count(&self, s: &MailStatus) -> i64 {
        self.counts
            .iter()
            .find(|(x, _)| x == s)
            .map_or(0, |(_, n)| *n)
    }
}

pub async fn index(
    ctx: Ctx,
    me: CurrentUser,
    query: web::Query<MailQuery>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageMail)?;
    let q = query.into_inner();
    let filter = MailFilter {
        status: q.status.parse().ok(),
        kind: Some(q.kind.clone()).filter(|k| KINDS.contains(&k.as_str())),
        recipient: Some(q.q.trim().to_owned()).filter(|s| !s.is_empty() && s.len() <= 254),
    };
    let before = q.before;
    let (mut rows, counts) = db::run(&ctx.state.pool, move |conn| {
        Ok((
            outbox::list(conn, &filter, before, PAGE_SIZE + 1)?,
            outbox::counts(conn)?,
        ))
    })
    .await?;
    let older = if rows.len() as i64 > PAGE_SIZE {
        rows.truncate(PAGE_SIZE as usize);
        rows.last().map(|m| m.id)
    } else {
        None
    };
    let filter_qs = format!(
        "status={}&kind={}&q={}",
        encode_query_value(&q.status),
        encode_query_value(&q.kind),
        encode_query_value(&q.q)
    );
    render(
        StatusCode::OK,
        &MailPage {
            layout: ctx.layout(),
            rows,
            counts,
            q,
            kinds: KINDS,
            statuses: MailStatus::ALL,
            transport: ctx.state.config.mail.transport.describe(),
            sender_on: ctx.state.config.mail.sender,
            older,
            filter_qs,
        },
    )
}

/// Puts a failed mail back in the queue, due now.
pub async fn retry(
    ctx: Ctx,
    me: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    policy::require(&me, Action::ManageMail)?;
    let id = path.into_inner();
    let meta = ctx.req.meta.clone();
    db::run(&ctx.state.pool, move |conn| {
        services::outbox::retry(conn, &me, &meta, id)
    })
    .await?;
    Ok(see_other_with_flash(
        "/admin/mail?status=queued",
        k("flash-mail-retried"),
        &ctx.state.config,
    ))
}
