//! New public reports: the receipt to the reporter, and for staff a mail of
//! its own or a place in an hourly or daily summary, as each person chose.
//! `report_notices` records who was told of which report, so nobody gets
//! more than one mail about one report.

use askama::Template;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::{
    category_name, render_case, staff_mail, to_reporter, CaseFacts, DigestHtml, DigestLine,
    DigestText, Event, Labels, Recipient, ReporterMail,
};
use crate::config::Config;
use crate::db::DbPool;
use crate::domain::submission::{classify_by, ReportNotice};
use crate::error::AppError;
use crate::i18n::{self, Lang};
use crate::models::outbox::{self, NewMail};
use crate::models::submission::Submission;
use crate::models::{report_notice, report_summary_run, user};

/// Reports listed per summary; the rest are counted.
const SUMMARY_LINES: usize = 50;

/// On-duty staff who want report mail, each with the notice they get.
fn duty(conn: &mut PgConnection, unit_id: i32) -> QueryResult<Vec<(Recipient, ReportNotice)>> {
    Ok(user::duty_recipients(conn, unit_id)?
        .into_iter()
        .filter(|(r, _, _)| r.wants(Event::Submission))
        .map(|(r, role, chosen)| (r, chosen.unwrap_or(ReportNotice::default_for(role))))
        .collect())
}

/// A new public submission: the receipt to the reporter, and a mail (no
/// personal data) to each on-duty officer and supervisor who hears of
/// reports at once; the others read of it in their next summary.
pub fn submission_received(
    conn: &mut PgConnection,
    cfg: &Config,
    s: &Submission,
) -> Result<(), AppError> {
    to_reporter(conn, cfg, s, ReporterMail::Receipt)?;
    report_arrived(conn, cfg, s)
}

/// A report arrived in its unit's intake (received, or forwarded there from
/// another unit's): a mail to each on-duty officer and supervisor there who
/// hears of reports at once and was not told of it yet.
pub fn report_arrived(
    conn: &mut PgConnection,
    cfg: &Config,
    s: &Submission,
) -> Result<(), AppError> {
    let now: Vec<Recipient> = duty(conn, s.unit_id)?
        .into_iter()
        .filter(|(_, n)| *n == ReportNotice::Immediate)
        .map(|(r, _)| r)
        .collect();
    let ids: Vec<i64> = now.iter().map(|r| r.id).collect();
    let fresh = report_notice::claim(conn, s.id, &ids)?;
    let mut mails = Vec::new();
    for to in now.into_iter().filter(|r| fresh.contains(&r.id)) {
        mails.push(report_mail(conn, cfg, s, &to)?);
    }
    outbox::insert(conn, &mails)?;
    Ok(())
}

fn report_mail(
    conn: &mut PgConnection,
    cfg: &Config,
    s: &Submission,
    to: &Recipient,
) -> Result<NewMail, AppError> {
    let lang = to.lang();
    // A report is not a case yet: it is named as what it is.
    let mut labels = Labels::new(lang, cfg);
    labels.reference = i18n::t(lang, "intake-submission");
    labels.case_type = i18n::t(lang, "mail-report-kind");
    labels.deadline = i18n::t(lang, "intake-classify-by");
    labels.open = i18n::t(lang, "mail-open-report");
    let kind = i18n::t(lang, s.kind.label_key());
    // Times as the unit that holds the report reads them.
    let tz = crate::models::unit::zone_of(conn, s.unit_id, cfg.time_zone)?;
    let received = i18n::fmt_datetime(&s.received_at, tz);
    let lead = i18n::t_args(
        lang,
        "mail-lead-submission",
        &[("kind", &kind), ("received", &received)],
    );
    let f = CaseFacts {
        reference: format!("#{}", s.id),
        title: None,
        case_type: kind.clone(),
        category: category_name(conn, s.category_id, lang)?,
        status: i18n::t(lang, s.status.label_key()),
        deadline: Some(i18n::fmt_datetime(&classify_by(s.received_at), tz)),
        link: format!("{}/intake/{}", cfg.public_base_url, s.id),
    };
    let subject = i18n::t_args(lang, "mail-subject-submission", &[("kind", &kind)]);
    let body = render_case(lang, &lead, &f, &labels)?;
    Ok(NewMail {
        dedupe_key: Some(format!("submission:{}:{}", s.id, to.id)),
        ..staff_mail(Event::Submission, to, subject, body, None)
    })
}

/// The summary cadences, for the sender's loop.
pub const SUMMARIES: [ReportNotice; 2] = [ReportNotice::Hourly, ReportNotice::Daily];

/// The period of `cadence` whose summary is due at `now` (its end) in a
/// unit whose clocks read `tz`: the daily one at the digest hour there.
pub fn summary_due(
    cfg: &Config,
    cadence: ReportNotice,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    cadence.period_end(now, tz, cfg.mail.digest_hour)
}

/// Queues unit `unit`'s summary of new reports for the period of `cadence`
/// ending at `end`, once across instances: to each of its on-duty people of
/// that cadence, the reports received before `end` they have not been told
/// of, with times in the unit's zone. One mail per person, none when there
/// is nothing new. Returns the number queued.
pub fn queue_summaries(
    pool: &DbPool,
    cfg: &Config,
    cadence: ReportNotice,
    (unit_id, tz): (i32, chrono_tz::Tz),
    end: DateTime<Utc>,
) -> Result<usize, AppError> {
    crate::db::with_conn(pool, |conn| {
        conn.transaction(|conn| {
            if !report_summary_run::claim(conn, cadence.code(), unit_id, end)? {
                return Ok(0);
            }
            let from = end - cadence.lookback();
            let mut mails = Vec::new();
            let staff = duty(conn, unit_id)?;
            for (to, _) in staff.into_iter().filter(|(_, n)| *n == cadence) {
                let (rows, total) = report_notice::take_unnoticed(
                    conn,
                    (to.id, to.unit_id),
                    (from, end),
                    SUMMARY_LINES,
                )?;
                if total == 0 {
                    continue;
                }
                mails.push(summary_mail(cfg, (cadence, tz), end, &to, &rows, total)?);
            }
            Ok(outbox::insert(conn, &mails)?)
        })
    })
}

fn summary_mail(
    cfg: &Config,
    (cadence, tz): (ReportNotice, chrono_tz::Tz),
    end: DateTime<Utc>,
    to: &Recipient,
    rows: &[report_notice::Unnoticed],
    total: usize,
) -> Result<NewMail, AppError> {
    let lang: Lang = to.lang();
    let mut labels = Labels::new(lang, cfg);
    labels.reference = i18n::t(lang, "intake-submission");
    labels.title = i18n::t(lang, "mail-report-kind");
    labels.deadline = i18n::t(lang, "intake-classify-by");
    let lines: Vec<DigestLine> = rows
        .iter()
        .map(|r| DigestLine {
            reference: format!("#{}", r.id),
            title: Some(format!(
                "{} · {}",
                i18n::t(lang, r.kind.label_key()),
                i18n::fmt_datetime(&r.received_at, tz)
            )),
            status: i18n::t(lang, r.status.label_key()),
            deadline: i18n::fmt_datetime(&classify_by(r.received_at), tz),
            link: format!("{}/intake/{}", cfg.public_base_url, r.id),
        })
        .collect();
    let more = i64::try_from(total - lines.len()).unwrap_or(0);
    let until = i18n::fmt_datetime(&end, tz);
    let n = total.to_string();
    let lead = i18n::t_args(
        lang,
        match cadence {
            ReportNotice::Daily => "mail-lead-report-summary-daily",
            _ => "mail-lead-report-summary-hourly",
        },
        &[("count", &n), ("until", &until)],
    );
    let sections = [(i18n::t(lang, "mail-report-summary-heading"), lines, more)];
    let text = DigestText {
        lead: &lead,
        sections: &sections,
        labels: &labels,
    }
    .render()?;
    let html = DigestHtml {
        lang: lang.code(),
        lead: &lead,
        sections: &sections,
        labels: &labels,
    }
    .render()?;
    let subject = i18n::t_args(lang, "mail-subject-report-summary", &[("count", &n)]);
    Ok(NewMail {
        dedupe_key: Some(format!(
            "report-summary:{}:{}:{}",
            to.id,
            cadence.code(),
            end.timestamp()
        )),
        kind: "report_summary".into(),
        ..staff_mail(Event::Submission, to, subject, (text, html), None)
    })
}
