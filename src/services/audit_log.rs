//! The audit log as evidence (`docs/domain.md` §17): the walk of its hash
//! chain (`cyberdesk audit verify`, housekeeping daily), the daily anchors
//! printed or mailed outside, and the audited CSV export.

use chrono_tz::Tz;
use diesel::{Connection, PgConnection};
use serde_json::json;

use crate::auth::{
    policy::{self, Action},
    CurrentUser, RequestMeta,
};
use crate::config::Config;
use crate::domain::audit_chain::{check, Fault, GENESIS};
use crate::domain::form::FormErrors;
use crate::domain::token::hex;
use crate::domain::value::looks_like_email;
use crate::error::AppError;
use crate::i18n::{self, k, Lang};
use crate::models::audit::{self, NewAudit};
use crate::models::outbox;
use crate::services::notify;

/// The first row that does not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    pub id: i64,
    pub seq: Option<i64>,
    pub fault: Fault,
}

/// What a walk of the chain found.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub rows: i64,
    pub last_hash: Vec<u8>,
    pub broken: Option<Broken>,
}

/// Rows read per query.
const BATCH: i64 = 10_000;

/// Walks the whole chain, in one snapshot: rows committed meanwhile by
/// another instance would otherwise move the head past the rows read and
/// look like a break.
pub fn verify(conn: &mut PgConnection) -> Result<Verdict, AppError> {
    conn.build_transaction()
        .repeatable_read()
        .read_only()
        .run(walk)
}

/// The same walk inside the caller's transaction (a backup's snapshot).
pub fn verify_here(conn: &mut PgConnection) -> Result<Verdict, AppError> {
    walk(conn)
}

fn walk(conn: &mut PgConnection) -> Result<Verdict, AppError> {
    let (mut prev_seq, mut prev) = (0i64, GENESIS.to_vec());
    loop {
        let rows = audit::chain_after(conn, prev_seq, BATCH)?;
        if rows.is_empty() {
            break;
        }
        for link in &rows {
            if let Err(fault) = check(link, prev_seq, &prev) {
                return Ok(Verdict {
                    rows: prev_seq,
                    last_hash: prev,
                    broken: Some(Broken {
                        id: link.id,
                        seq: Some(link.seq),
                        fault,
                    }),
                });
            }
            prev_seq = link.seq;
            prev = link.hash.clone().unwrap_or_default();
        }
    }
    // Every row is in the chain, and the head names the last one (a row
    // removed from the end, or a head moved, shows here).
    let broken = if let Some(id) = audit::unchained(conn)? {
        Some(Broken {
            id,
            seq: None,
            fault: Fault::Gap,
        })
    } else {
        let (head_seq, head_hash) = audit::chain_head(conn)?;
        (head_seq != prev_seq || head_hash != prev).then_some(Broken {
            id: 0,
            seq: Some(head_seq),
            fault: Fault::Link,
        })
    };
    Ok(Verdict {
        rows: prev_seq,
        last_hash: prev,
        broken,
    })
}

/// The anchors of the last week, for the audit page.
pub fn anchors(
    conn: &mut PgConnection,
    me: &CurrentUser,
    tz: Tz,
) -> Result<Vec<audit::Anchor>, AppError> {
    policy::require(me, Action::ViewAuditLog)?;
    Ok(audit::anchors(conn, tz.name(), 7)?)
}

/// Mails a day's anchor to an address outside the system (a supervisor's
/// own mailbox, the inspectorate), where a rewrite of the log cannot reach.
pub fn mail_anchor(
    conn: &mut PgConnection,
    cfg: &Config,
    me: &CurrentUser,
    meta: &RequestMeta,
    (day, to): (&str, &str),
) -> Result<(), AppError> {
    policy::require(me, Action::ViewAuditLog)?;
    let to = crate::services::users::normalise_email(to);
    if !looks_like_email(&to) {
        let mut e = FormErrors::default();
        e.add("to", k("email-invalid"));
        return Err(AppError::Form(e));
    }
    let tz = me.tz(cfg.time_zone);
    let anchor = audit::anchors(conn, tz.name(), 7)?
        .into_iter()
        .find(|a| a.day.format("%Y-%m-%d").to_string() == day.trim())
        .ok_or(AppError::Invalid(k("audit-anchor-unknown-day")))?;
    let hash = hex(&anchor.hash);
    let day_text = anchor.day.format("%d/%m/%Y").to_string();
    let lang = me.lang;
    let mail = notify::plain_mail(
        "audit_anchor",
        (&to, None),
        lang,
        i18n::t_args(lang, "mail-subject-audit-anchor", &[("day", &day_text)]),
        i18n::t_args(
            lang,
            "mail-audit-anchor-body",
            &[
                ("unit", &cfg.unit_name),
                ("day", &day_text),
                ("seq", &anchor.seq.to_string()),
                ("hash", &hash),
            ],
        ),
    )?;
    conn.transaction(|conn| {
        outbox::insert(conn, &[mail])?;
        audit::append(
            conn,
            meta,
            NewAudit {
                actor_id: Some(me.id),
                action: "audit_anchor_sent",
                target_type: None,
                target_id: None,
                detail: json!({ "day": anchor.day.to_string(), "seq": anchor.seq, "hash": hash }),
            },
        )?;
        Ok(())
    })
}

/// Housekeeping's daily walk: on a break, every active administrator hears
/// of it by mail (once a day) and the log says where.
pub fn daily_check(conn: &mut PgConnection, cfg: &Config) -> Result<Option<Broken>, AppError> {
    let v = verify(conn)?;
    let Some(b) = v.broken.clone() else {
        return Ok(None);
    };
    log::error!(
        "audit log chain broken at row id {} (position {:?}): {}",
        b.id,
        b.seq,
        b.fault.describe()
    );
    let today = chrono::Utc::now()
        .with_timezone(&cfg.time_zone)
        .date_naive()
        .to_string();
    let mut mails = Vec::new();
    for (id, email, lang) in audit::admin_addresses(conn)? {
        let lang: Lang = lang.parse().unwrap_or(Lang::Vi);
        let mut m = notify::plain_mail(
            "audit_chain_broken",
            (&email, Some(id)),
            lang,
            i18n::t(lang, "mail-subject-audit-broken"),
            i18n::t_args(
                lang,
                "mail-audit-broken-body",
                &[
                    ("unit", &cfg.unit_name),
                    ("row", &b.id.to_string()),
                    ("reason", &i18n::t(lang, b.fault.label_key())),
                ],
            ),
        )?;
        m.dedupe_key = Some(format!("audit-broken-{today}-{id}"));
        mails.push(m);
    }
    outbox::insert(conn, &mails)?;
    Ok(Some(b))
}

/// The most rows one export of the log holds; a wider filter is refused.
pub const EXPORT_MAX: i64 = 100_000;

/// The filtered log as CSV (UTF-8 with a BOM for spreadsheets), newest
/// first; the export itself is audited.
pub fn export_csv(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    filter: &audit::AuditFilter,
    tz: Tz,
) -> Result<Vec<u8>, AppError> {
    policy::require(me, Action::ViewAuditLog)?;
    let rows = audit::list(conn, filter, None, EXPORT_MAX + 1)?;
    if rows.len() as i64 > EXPORT_MAX {
        return Err(AppError::Invalid(k("audit-export-too-many")));
    }
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    w.write_record([
        "id",
        "time",
        "actor_id",
        "actor",
        "action",
        "target",
        "ip",
        "user_agent",
        "detail",
    ])
    .map_err(AppError::internal)?;
    for (e, name) in &rows {
        let safe = crate::services::identifiers::csv_safe;
        w.write_record([
            e.id.to_string(),
            e.at.with_timezone(&tz)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            e.actor_id.map(|id| id.to_string()).unwrap_or_default(),
            safe(name.as_deref().unwrap_or("")),
            e.action.clone(),
            safe(&e.target()),
            safe(e.ip.as_deref().unwrap_or("")),
            safe(e.user_agent.as_deref().unwrap_or("")),
            safe(&e.detail_text()),
        ])
        .map_err(AppError::internal)?;
    }
    let bytes = w.into_inner().map_err(AppError::internal)?;
    audit::append(
        conn,
        meta,
        NewAudit {
            actor_id: Some(me.id),
            action: "audit_export",
            target_type: None,
            target_id: None,
            detail: json!({
                "rows": rows.len(),
                "action": filter.action,
                "actor": filter.actor_id,
                "target_type": filter.target_type,
                "target_id": filter.target_id,
                "from": filter.from,
                "to": filter.to,
            }),
        },
    )?;
    Ok(bytes)
}
