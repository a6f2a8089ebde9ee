//! Who gets mail about what. Every function here is called inside the transaction
//! of the change it reports and only writes outbox rows, so a change that rolls
//! back sends nothing and a committed one always ends in a mail (`mail.rs`).
//!
//! Mails leave the unit's network: they carry the reference, type, category,
//! status, deadline and a link, never reporter or victim data, identifiers or the
//! narrative; for restricted cases (TLP:RED, confidential reporter) not the title.

mod reports;

pub use reports::{queue_summaries, report_arrived, submission_received, summary_due, SUMMARIES};

use askama::Template;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use rand::Rng;

use crate::auth::CurrentUser;
use crate::config::Config;
use crate::db::DbPool;
use crate::error::AppError;
use crate::i18n::{self, Lang};
use crate::models::case::{Case, Status};
use crate::models::outbox::{self, NewMail};
use crate::models::user::{self, MailRecipient as Recipient, Role};

crate::text_enum!(
    /// Mail events; all but assignment can be switched off on the profile page.
    Event, "mail-event" {
        Assigned => "assigned",
        Unassigned => "unassigned",
        Status => "status",
        Note => "note",
        Digest => "digest",
        Submission => "submission",
        ReporterInfo => "reporter_info",
        Transfer => "transfer",
        DetailRequest => "detail_request",
        DataRequest => "data_request",
    }
);

impl Event {
    pub const OPTIONAL: &'static [Event] = &[
        Event::Status,
        Event::Note,
        Event::Digest,
        Event::Submission,
        Event::ReporterInfo,
        Event::Transfer,
        Event::DetailRequest,
    ];

    pub fn optional(self) -> bool {
        Event::OPTIONAL.contains(&self)
    }

    /// The `kind` of the outbox row.
    pub fn kind(self) -> &'static str {
        match self {
            Event::Assigned => "case_assigned",
            Event::Unassigned => "case_unassigned",
            Event::Status => "case_status",
            Event::Note => "case_note",
            Event::Digest => "digest",
            Event::Submission => "submission_new",
            Event::ReporterInfo => "reporter_info",
            Event::Transfer => "case_transfer",
            Event::DetailRequest => "detail_request",
            Event::DataRequest => "data_request",
        }
    }
}

/// Outbox kinds, for the admin filter.
pub const KINDS: &[&str] = &[
    "case_assigned",
    "case_unassigned",
    "case_status",
    "case_note",
    "digest",
    "submission_new",
    "report_summary",
    "reporter_info",
    "case_transfer",
    "detail_request",
    "data_request",
    "receipt",
    "public_status",
    "public_message",
    "info_request",
    "second_factor_reset",
    "audit_anchor",
    "audit_chain_broken",
    "test",
];

// Methods of the row `models::user` loads, for this module's decisions.
impl Recipient {
    fn lang(&self) -> Lang {
        self.lang.parse().unwrap_or(Lang::Vi)
    }

    fn wants(&self, e: Event) -> bool {
        !e.optional() || !self.mail_off.iter().any(|x| x == e.code())
    }
}

/// Active users among `ids` who may still open the case, minus `except` (who
/// made the change). A restricted case (TLP:RED, confidential reporter) is
/// mailed only to its assignee and supervisors, even if others still watch it.
fn recipients(
    conn: &mut PgConnection,
    c: &Case,
    ids: &[i64],
    except: i64,
    e: Event,
) -> QueryResult<Vec<Recipient>> {
    let rows = user::mail_recipients(conn, ids, except)?;
    Ok(rows
        .into_iter()
        // Nobody hears of another unit's case.
        .filter(|(r, _)| r.unit_id == c.unit_id)
        .filter(|(r, role)| {
            e == Event::Unassigned
                || !c.restricted
                || *role == Role::Supervisor
                || c.assignee_id == Some(r.id)
        })
        .map(|(r, _)| r)
        .filter(|r| r.wants(e))
        .collect())
}

pub fn new_token() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// What a case mail says, already in the recipient's language.
pub struct CaseFacts {
    pub reference: String,
    pub title: Option<String>,
    pub case_type: String,
    pub category: String,
    pub status: String,
    pub deadline: Option<String>,
    pub link: String,
}

#[derive(Template)]
#[template(path = "mail/case.txt")]
struct CaseText<'a> {
    lead: &'a str,
    f: &'a CaseFacts,
    labels: &'a Labels,
}

#[derive(Template)]
#[template(path = "mail/case.html")]
struct CaseHtml<'a> {
    lang: &'a str,
    lead: &'a str,
    f: &'a CaseFacts,
    labels: &'a Labels,
}

/// Field labels and the footer, in one language.
pub struct Labels {
    pub reference: String,
    pub title: String,
    pub case_type: String,
    pub category: String,
    pub status: String,
    pub deadline: String,
    pub open: String,
    pub footer: String,
    pub overdue: String,
    pub due_soon: String,
    pub unit_overdue: String,
    pub and_more: String,
}

impl Labels {
    fn new(lang: Lang, cfg: &Config) -> Labels {
        let t = |key: &str| i18n::t(lang, key);
        Labels {
            reference: t("case-ref"),
            title: t("case-field-title"),
            case_type: t("case-field-case_type"),
            category: t("case-field-category_id"),
            status: t("case-field-status"),
            deadline: t("case-deadline"),
            open: t("mail-open-case"),
            footer: i18n::t_args(lang, "mail-footer", &[("unit", &cfg.unit_name)]),
            overdue: t("mail-digest-overdue"),
            due_soon: t("mail-digest-due-soon"),
            unit_overdue: t("mail-digest-unit-overdue"),
            and_more: t("mail-digest-more"),
        }
    }
}

fn category_name(conn: &mut PgConnection, id: Option<i32>, lang: Lang) -> QueryResult<String> {
    let Some(id) = id else {
        return Ok("—".into());
    };
    let (vi, en) = crate::models::category::names(conn, id)?;
    Ok(match lang {
        Lang::Vi => vi,
        Lang::En => en,
    })
}

fn facts(conn: &mut PgConnection, cfg: &Config, c: &Case, lang: Lang) -> QueryResult<CaseFacts> {
    Ok(CaseFacts {
        reference: c.ref_.clone(),
        // SECURITY: a restricted case's title may itself identify the reporter.
        title: (!c.restricted).then(|| c.title.clone()),
        case_type: i18n::t(lang, c.case_type.label_key()),
        category: category_name(conn, c.category_id.or(c.subcategory_id), lang)?,
        status: i18n::t(lang, c.status.label_key()),
        // Times as the case's unit reads them.
        deadline: match c.deadline_at {
            Some(d) => Some(i18n::fmt_datetime(
                &d,
                crate::models::unit::zone_of(conn, c.unit_id, cfg.time_zone)?,
            )),
            None => None,
        },
        link: format!("{}/cases/{}", cfg.public_base_url, c.ref_),
    })
}

/// The text and HTML parts of a case mail.
fn render_case(
    lang: Lang,
    lead: &str,
    f: &CaseFacts,
    labels: &Labels,
) -> Result<(String, String), AppError> {
    let text = CaseText { lead, f, labels }.render()?;
    let html = CaseHtml {
        lang: lang.code(),
        lead,
        f,
        labels,
    }
    .render()?;
    Ok((text, html))
}

fn case_mail(
    conn: &mut PgConnection,
    cfg: &Config,
    c: &Case,
    to: &Recipient,
    e: Event,
    actor: &str,
) -> Result<NewMail, AppError> {
    let lang = to.lang();
    let f = facts(conn, cfg, c, lang)?;
    let labels = Labels::new(lang, cfg);
    let lead_key = format!("mail-lead-{}", e.code());
    let lead = i18n::t_args(
        lang,
        &lead_key,
        &[("actor", actor), ("ref", &c.ref_), ("status", &f.status)],
    );
    let subject_key = format!("mail-subject-{}", e.code());
    let subject = format!(
        "[{}] {}",
        c.ref_,
        i18n::t_args(lang, &subject_key, &[("status", &f.status)])
    );
    let (text, html) = render_case(lang, &lead, &f, &labels)?;
    Ok(staff_mail(e, to, subject, (text, html), Some(c.id)))
}

/// A mail of `e` to a staff member, in their language.
fn staff_mail(
    e: Event,
    to: &Recipient,
    subject: String,
    (body_text, body_html): (String, String),
    case_id: Option<i64>,
) -> NewMail {
    NewMail {
        kind: e.kind().into(),
        recipient: to.email.clone(),
        recipient_user_id: Some(to.id),
        lang: to.lang().code().into(),
        subject,
        body_text,
        body_html,
        case_id,
        token: new_token(),
        dedupe_key: None,
    }
}

fn queue_case_event(
    conn: &mut PgConnection,
    cfg: &Config,
    c: &Case,
    actor: &CurrentUser,
    e: Event,
    ids: &[i64],
) -> Result<(), AppError> {
    let mut mails = Vec::new();
    for to in recipients(conn, c, ids, actor.id, e)? {
        mails.push(case_mail(conn, cfg, c, &to, e, &actor.full_name)?);
    }
    outbox::insert(conn, &mails)?;
    Ok(())
}

/// The case was assigned to `to` (and taken from `from`, if anyone had it).
pub fn case_assigned(
    conn: &mut PgConnection,
    cfg: &Config,
    actor: &CurrentUser,
    c: &Case,
    to: i64,
    from: Option<i64>,
) -> Result<(), AppError> {
    queue_case_event(conn, cfg, c, actor, Event::Assigned, &[to])?;
    if let Some(from) = from.filter(|f| *f != to) {
        queue_case_event(conn, cfg, c, actor, Event::Unassigned, &[from])?;
    }
    Ok(())
}

/// The assignee and the watchers of a case.
fn followers(conn: &mut PgConnection, c: &Case) -> QueryResult<Vec<i64>> {
    let mut ids = crate::models::case::watcher_ids(conn, c.id)?;
    ids.extend(c.assignee_id);
    Ok(ids)
}

/// Someone changed the status of a case (`c` is the case after the change,
/// `from` its status before): its followers hear, and the reporters of linked
/// submissions when the public status changed.
pub fn case_status(
    conn: &mut PgConnection,
    cfg: &Config,
    actor: &CurrentUser,
    c: &Case,
    from: Status,
) -> Result<(), AppError> {
    let ids = followers(conn, c)?;
    queue_case_event(conn, cfg, c, actor, Event::Status, &ids)?;
    for s in crate::models::submission::for_case(conn, c.id)? {
        let before = crate::domain::submission::public_status(s.status, Some(from));
        let after = crate::domain::submission::public_status(s.status, Some(c.status));
        if before != after {
            to_reporter(conn, cfg, &s, ReporterMail::Status(after))?;
        }
    }
    Ok(())
}

/// A reporter added information to a case's submission: its assignee hears.
pub fn reporter_added(conn: &mut PgConnection, cfg: &Config, case_id: i64) -> Result<(), AppError> {
    let c = crate::models::case::find(conn, case_id)?;
    let Some(assignee) = c.assignee_id else {
        return Ok(());
    };
    let mut mails = Vec::new();
    for to in recipients(conn, &c, &[assignee], 0, Event::ReporterInfo)? {
        mails.push(case_mail(conn, cfg, &c, &to, Event::ReporterInfo, "")?);
    }
    outbox::insert(conn, &mails)?;
    Ok(())
}

/// A reporter asked to see or correct their data: the case's assignee hears
/// of it (a task, not optional), or its unit's supervisors while nobody is
/// assigned.
pub fn data_request(conn: &mut PgConnection, cfg: &Config, case_id: i64) -> Result<(), AppError> {
    let c = crate::models::case::find(conn, case_id)?;
    let ids = match c.assignee_id {
        Some(a) => vec![a],
        None => user::supervisor_ids(conn, c.unit_id)?,
    };
    let mut mails = Vec::new();
    for to in recipients(conn, &c, &ids, 0, Event::DataRequest)? {
        mails.push(case_mail(conn, cfg, &c, &to, Event::DataRequest, "")?);
    }
    outbox::insert(conn, &mails)?;
    Ok(())
}

/// What a reporter is told by mail.
pub enum ReporterMail<'a> {
    Receipt,
    Status(crate::domain::submission::PublicStatus),
    Message(&'a str),
    InfoRequest(&'a str),
}

#[derive(Template)]
#[template(path = "mail/reporter.txt")]
struct ReporterText<'a> {
    lead: &'a str,
    code: &'a str,
    body: Option<&'a str>,
    lines: &'a [String],
    link: &'a str,
    footer: &'a str,
    code_label: &'a str,
}

#[derive(Template)]
#[template(path = "mail/reporter.html")]
struct ReporterHtml<'a> {
    lang: &'a str,
    lead: &'a str,
    code: &'a str,
    body: Option<&'a str>,
    lines: &'a [String],
    link: &'a str,
    footer: &'a str,
    code_label: &'a str,
}

/// Queues a mail to the reporter of `s`, if they gave an e-mail address, in the
/// language they reported in. It names the tracking code, never the case
/// reference or anything about the suspects.
pub fn to_reporter(
    conn: &mut PgConnection,
    cfg: &Config,
    s: &crate::models::submission::Submission,
    what: ReporterMail<'_>,
) -> Result<(), AppError> {
    let Some(email) = s.contact_email.clone() else {
        return Ok(());
    };
    let lang: Lang = s.lang.parse().unwrap_or(Lang::Vi);
    let t = |key: &str| i18n::t(lang, key);
    let code = crate::domain::code::format_code(&s.tracking_code);
    // Times as the receiving unit keeps them.
    let tz = crate::models::unit::zone_of(conn, s.unit_id, cfg.time_zone)?;
    let received = i18n::fmt_datetime(&s.received_at, tz);
    let (kind, subject, lead, body, lines): (&str, String, String, Option<&str>, Vec<String>) =
        match what {
            ReporterMail::Receipt => (
                "receipt",
                i18n::t_args(lang, "mail-subject-receipt", &[("code", &code)]),
                i18n::t_args(lang, "mail-lead-receipt", &[("received", &received)]),
                None,
                vec![
                    t("receipt-next-1"),
                    t("receipt-next-2"),
                    crate::services::deadlines::receipt_limits(
                        conn,
                        lang,
                        s.kind,
                        s.received_at.with_timezone(&tz).date_naive(),
                    )?,
                    t("receipt-keep-code"),
                ],
            ),
            ReporterMail::Status(st) => {
                let label = t(st.label_key());
                (
                    "public_status",
                    i18n::t_args(lang, "mail-subject-public-status", &[("code", &code)]),
                    i18n::t_args(lang, "mail-lead-public-status", &[("status", &label)]),
                    None,
                    Vec::new(),
                )
            }
            ReporterMail::Message(m) => (
                "public_message",
                i18n::t_args(lang, "mail-subject-public-message", &[("code", &code)]),
                t("mail-lead-public-message"),
                Some(m),
                Vec::new(),
            ),
            ReporterMail::InfoRequest(m) => (
                "info_request",
                i18n::t_args(lang, "mail-subject-info-request", &[("code", &code)]),
                t("mail-lead-info-request"),
                Some(m),
                Vec::new(),
            ),
        };
    let link = format!("{}/track", cfg.public_base_url);
    let footer = i18n::t_args(lang, "mail-footer-public", &[("unit", &cfg.unit_name)]);
    let code_label = t("receipt-code");
    let text = ReporterText {
        lead: &lead,
        code: &code,
        body,
        lines: &lines,
        link: &link,
        footer: &footer,
        code_label: &code_label,
    }
    .render()?;
    let html = ReporterHtml {
        lang: lang.code(),
        lead: &lead,
        code: &code,
        body,
        lines: &lines,
        link: &link,
        footer: &footer,
        code_label: &code_label,
    }
    .render()?;
    outbox::insert(
        conn,
        &[NewMail {
            kind: kind.into(),
            recipient: email,
            recipient_user_id: None,
            lang: lang.code().into(),
            subject,
            body_text: text,
            body_html: html,
            case_id: s.case_id,
            token: new_token(),
            dedupe_key: None,
        }],
    )?;
    Ok(())
}

/// A case was sent to `to_unit` (transfer `transfer_id`): its on-duty
/// officers and supervisors are told, with a link to the transfer (the case
/// is not theirs to open until they accept it).
pub fn case_transferred(
    conn: &mut PgConnection,
    cfg: &Config,
    c: &Case,
    transfer_id: i64,
    to_unit: i32,
    from_name: &str,
) -> Result<(), AppError> {
    let mut mails = Vec::new();
    for (to, _, _) in user::duty_recipients(conn, to_unit)?
        .into_iter()
        .filter(|(r, _, _)| r.wants(Event::Transfer))
    {
        let lang = to.lang();
        let mut f = facts(conn, cfg, c, lang)?;
        f.link = format!("{}/transfers/{transfer_id}", cfg.public_base_url);
        let mut labels = Labels::new(lang, cfg);
        labels.open = i18n::t(lang, "mail-open-transfer");
        let lead = i18n::t_args(
            lang,
            "mail-lead-transfer",
            &[("unit", from_name), ("ref", &c.ref_)],
        );
        let subject = format!(
            "[{}] {}",
            c.ref_,
            i18n::t_args(lang, "mail-subject-transfer", &[("unit", from_name)])
        );
        let body = render_case(lang, &lead, &f, &labels)?;
        mails.push(staff_mail(Event::Transfer, &to, subject, body, Some(c.id)));
    }
    outbox::insert(conn, &mails)?;
    Ok(())
}

/// Unit `from_name` asks `to_unit` for details (request `request_id`) about
/// an identifier: its supervisors are told, with no identifier in the mail.
pub fn detail_requested(
    conn: &mut PgConnection,
    cfg: &Config,
    to_unit: i32,
    request_id: i64,
    from_name: &str,
) -> Result<(), AppError> {
    let mut mails = Vec::new();
    for (to, role, _) in user::duty_recipients(conn, to_unit)? {
        if role != Role::Supervisor || !to.wants(Event::DetailRequest) {
            continue;
        }
        let lang = to.lang();
        let mut labels = Labels::new(lang, cfg);
        labels.reference = i18n::t(lang, "request-title");
        labels.open = i18n::t(lang, "mail-open-request");
        let f = CaseFacts {
            reference: format!("#{request_id}"),
            title: None,
            case_type: i18n::t(lang, "request-title"),
            category: from_name.to_owned(),
            status: i18n::t(lang, "request-state-open"),
            deadline: None,
            link: format!("{}/requests/{request_id}", cfg.public_base_url),
        };
        let lead = i18n::t_args(lang, "mail-lead-detail_request", &[("unit", from_name)]);
        let subject = i18n::t_args(lang, "mail-subject-detail_request", &[("unit", from_name)]);
        let body = render_case(lang, &lead, &f, &labels)?;
        mails.push(staff_mail(Event::DetailRequest, &to, subject, body, None));
    }
    outbox::insert(conn, &mails)?;
    Ok(())
}

/// Someone added a note to a case.
pub fn case_note(
    conn: &mut PgConnection,
    cfg: &Config,
    actor: &CurrentUser,
    c: &Case,
) -> Result<(), AppError> {
    let ids = followers(conn, c)?;
    queue_case_event(conn, cfg, c, actor, Event::Note, &ids)
}

/// One line of a digest.
pub struct DigestLine {
    pub reference: String,
    pub title: Option<String>,
    pub status: String,
    pub deadline: String,
    pub link: String,
}

#[derive(Template)]
#[template(path = "mail/digest.txt")]
struct DigestText<'a> {
    lead: &'a str,
    sections: &'a [(String, Vec<DigestLine>, i64)],
    labels: &'a Labels,
}

#[derive(Template)]
#[template(path = "mail/digest.html")]
struct DigestHtml<'a> {
    lang: &'a str,
    lead: &'a str,
    sections: &'a [(String, Vec<DigestLine>, i64)],
    labels: &'a Labels,
}

/// Cases listed per digest section; the rest are counted.
const DIGEST_LINES: i64 = 50;

fn digest_section(
    conn: &mut PgConnection,
    cfg: &Config,
    (lang, tz): (Lang, chrono_tz::Tz),
    unit_id: i32,
    assignee: Option<i64>,
    overdue: bool,
    now: DateTime<Utc>,
) -> QueryResult<(Vec<DigestLine>, i64)> {
    let window = if overdue {
        (None, now)
    } else {
        (Some(now), now + Duration::days(3))
    };
    let (rows, total) =
        crate::models::case::due_between(conn, unit_id, assignee, window, DIGEST_LINES)?;
    let lines = rows
        .into_iter()
        .map(|r| DigestLine {
            link: format!("{}/cases/{}", cfg.public_base_url, r.ref_),
            title: (!r.restricted).then_some(r.title),
            status: i18n::t(lang, r.status.label_key()),
            deadline: r
                .deadline_at
                .map(|d| i18n::fmt_datetime(&d, tz))
                .unwrap_or_default(),
            reference: r.ref_,
        })
        .collect();
    Ok((lines, total - DIGEST_LINES.min(total)))
}

/// The local day (in `tz`) whose digests are due at `now`: none before the
/// digest hour.
pub fn digest_day(
    cfg: &Config,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Option<chrono::NaiveDate> {
    use chrono::Timelike;
    let local = now.with_timezone(&tz);
    (local.hour() >= cfg.mail.digest_hour).then(|| local.date_naive())
}

/// Each active unit with the time zone its clocks read (the settings' zone
/// where a unit's own is unknown).
pub fn unit_zones(pool: &DbPool, cfg: &Config) -> Result<Vec<(i32, chrono_tz::Tz)>, AppError> {
    crate::db::with_conn(pool, |conn| {
        Ok(crate::models::unit::active_zones(conn, cfg.time_zone)?)
    })
}

/// Queues the day's deadline digests of each unit once the digest hour has
/// passed in the unit's time zone: for each officer and supervisor their own
/// cases due soon and overdue, and for supervisors the overdue cases of the
/// whole unit; one mail per person per day, none when there is nothing to
/// say. The `mail_digest_runs` row of (unit, local day) makes sure only one
/// instance does it, once. Returns the number queued.
pub fn queue_digests(pool: &DbPool, cfg: &Config, now: DateTime<Utc>) -> Result<usize, AppError> {
    let zones = unit_zones(pool, cfg)?;
    let mut queued = 0;
    for (unit_id, tz) in zones {
        if let Some(day) = digest_day(cfg, tz, now) {
            queued += queue_unit_digests(pool, cfg, (unit_id, tz), day, now)?;
        }
    }
    Ok(queued)
}

fn queue_unit_digests(
    pool: &DbPool,
    cfg: &Config,
    (unit_id, tz): (i32, chrono_tz::Tz),
    day: chrono::NaiveDate,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let local = now.with_timezone(&tz);
    crate::db::with_conn(pool, |conn| {
        conn.transaction(|conn| {
            if !crate::models::mail_digest_run::claim(conn, unit_id, day)? {
                return Ok(0);
            }
            let staff = user::digest_recipients(conn, unit_id)?;
            let mut mails = Vec::new();
            for (to, role) in staff.into_iter().filter(|(r, _)| r.wants(Event::Digest)) {
                let lang = to.lang();
                let labels = Labels::new(lang, cfg);
                let mut sections = Vec::new();
                let (lines, more) =
                    digest_section(conn, cfg, (lang, tz), unit_id, Some(to.id), true, now)?;
                sections.push((labels.overdue.clone(), lines, more));
                let (lines, more) =
                    digest_section(conn, cfg, (lang, tz), unit_id, Some(to.id), false, now)?;
                sections.push((labels.due_soon.clone(), lines, more));
                if role == Role::Supervisor {
                    let (lines, more) =
                        digest_section(conn, cfg, (lang, tz), unit_id, None, true, now)?;
                    sections.push((labels.unit_overdue.clone(), lines, more));
                }
                sections.retain(|(_, lines, _)| !lines.is_empty());
                if sections.is_empty() {
                    continue;
                }
                let date = local.format("%d/%m/%Y").to_string();
                let lead = i18n::t_args(lang, "mail-lead-digest", &[("date", &date)]);
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
                let subject = i18n::t_args(lang, "mail-subject-digest", &[("date", &date)]);
                mails.push(NewMail {
                    dedupe_key: Some(format!("digest:{}:{day}", to.id)),
                    ..staff_mail(Event::Digest, &to, subject, (text, html), None)
                });
            }
            Ok(outbox::insert(conn, &mails)?)
        })
    })
}

#[derive(Template)]
#[template(
    source = "<!doctype html><html lang=\"{{ lang }}\"><body><p>{{ text }}</p></body></html>",
    ext = "html"
)]
struct TestHtml<'a> {
    lang: &'a str,
    text: &'a str,
}

/// A short mail of one paragraph (account notices, tests, anchors).
pub fn plain_mail(
    kind: &str,
    (recipient, recipient_user_id): (&str, Option<i64>),
    lang: Lang,
    subject: String,
    text: String,
) -> Result<NewMail, AppError> {
    let html = TestHtml {
        lang: lang.code(),
        text: &text,
    }
    .render()?;
    Ok(NewMail {
        kind: kind.into(),
        recipient: recipient.into(),
        recipient_user_id,
        lang: lang.code().into(),
        subject,
        body_text: text,
        body_html: html,
        case_id: None,
        token: new_token(),
        dedupe_key: None,
    })
}

/// Tells `to` that an administrator removed their second factor: if they did
/// not ask for it, someone may be trying to take over the account.
pub fn second_factor_reset(
    conn: &mut PgConnection,
    cfg: &Config,
    to: &user::User,
) -> Result<(), AppError> {
    let lang: Lang = to.lang.parse().unwrap_or(Lang::Vi);
    let mail = plain_mail(
        "second_factor_reset",
        (&to.email, Some(to.id)),
        lang,
        i18n::t(lang, "mail-subject-second-factor-reset"),
        i18n::t_args(
            lang,
            "mail-second-factor-reset-body",
            &[("unit", &cfg.unit_name)],
        ),
    )?;
    outbox::insert(conn, &[mail])?;
    Ok(())
}

/// The message of `cyberdesk mail test`.
pub fn test_mail(cfg: &Config, to: &str, lang: Lang) -> Result<NewMail, AppError> {
    plain_mail(
        "test",
        (to, None),
        lang,
        i18n::t(lang, "mail-subject-test"),
        i18n::t_args(lang, "mail-test-body", &[("unit", &cfg.unit_name)]),
    )
}
