//! `cyberdesk demo`: a unit at work, loaded into a fresh database, so that the
//! first screen shows the product doing its job. The seed's staff (with a
//! password that is printed) and cases; ten mule accounts that recur across
//! those cases; public reports waiting in intake, received through the
//! portal's own service (tracking codes, identifier hits, receipt mails and
//! duty notices as for a real report); exhibits attached through the evidence
//! service by the officers of their cases; and one pass of the mail sender,
//! which writes the mail all that caused.
//!
//! Only what no service does is SQL of its own, as in `seed`: the mule
//! accounts' extra links, picking cases, and the counts.
//!
//! It stands above `seed` and `mail`, whose work it runs, and beside `routes`
//! (which it does not use).

mod files;
mod reports;

use chrono::{Duration, Utc};
use diesel::sql_types::{Array, BigInt, Nullable, Text};
use diesel::{sql_query, PgConnection, QueryableByName, RunQueryDsl};

use crate::auth::{password, RequestMeta};
use crate::config::{Config, MailTransport};
use crate::domain::sign::Signer;
use crate::error::AppError;
use crate::models::hot_identifier::Hot;
use crate::models::outbox::MailStatus;
use crate::models::user::Role;
use crate::services::{auth, exhibits, identifiers, portal};
use crate::storage::{self, Refused, Stored, Upload};
use reports::{Attach, MULES, SAMPLES};

/// The first seed supervisor: with cases beside it, the demo is loaded.
pub const MARKER: &str = "lanhdao0@seed.pa05.vn";
/// The seed staff: 4 supervisors, then 36 officers (`seed::run`).
const STAFF: usize = 40;
const SUPERVISORS: usize = 4;

/// What a run found or did.
pub enum Outcome {
    /// Everything loaded now.
    Loaded(Box<Summary>),
    /// Loaded before: nothing was added.
    AlreadyLoaded(Existing),
    /// The database holds cases that are not the demo's: nothing was added.
    NotEmpty(Existing),
}

/// What is there already.
pub struct Existing {
    pub cases: i64,
    /// Public reports with status new.
    pub waiting: i64,
}

/// One of the seed staff.
pub struct StaffMember {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub team: Option<String>,
    pub on_duty: bool,
}

/// What was loaded, for the command line to print.
pub struct Summary {
    pub staff: Vec<StaffMember>,
    /// The seed staff's password (they need not change it).
    pub staff_password: String,
    pub cases: i64,
    /// (identifier, cases naming it) of each mule account.
    pub mules: Vec<(String, i64)>,
    /// Tracking codes of the public reports, as received.
    pub reports: Vec<String>,
    /// Reports naming an identifier already in a case.
    pub reports_with_hits: usize,
    pub reports_with_files: usize,
    /// Reports with status new now.
    pub waiting: i64,
    /// (case reference, exhibits attached).
    pub exhibits: Vec<(String, usize)>,
    /// The top of the first unit's 30-day hot list.
    pub hot: Vec<Hot>,
    /// Mails the sender wrote out, and those it could not (still queued).
    pub mails_sent: i64,
    pub mails_queued: i64,
    /// Where they went (`file: DIR`).
    pub mail_to: String,
}

/// The demo mails made-up people (reporters, the seed staff), so it writes
/// its mail to files only: with SMTP_HOST set it does not run.
pub fn check_settings(cfg: &Config) -> Result<(), String> {
    match &cfg.mail.transport {
        MailTransport::File(_) => Ok(()),
        MailTransport::Smtp(s) => Err(format!(
            "the demo mails made-up reporters and staff, so it does not run with SMTP_HOST set (it is {}); unset SMTP_HOST and its mail is written to DATA_DIR/mail instead",
            s.host
        )),
    }
}

#[derive(QueryableByName)]
struct Counts {
    #[diesel(sql_type = BigInt)]
    cases: i64,
    #[diesel(sql_type = BigInt)]
    waiting: i64,
}

fn counts(conn: &mut PgConnection) -> Result<Existing, AppError> {
    let c: Counts = sql_query(
        "SELECT (SELECT count(*) FROM cases) AS cases, (SELECT count(*) FROM submissions WHERE status = 'new') AS waiting",
    )
    .get_result(conn)?;
    Ok(Existing {
        cases: c.cases,
        waiting: c.waiting,
    })
}

/// Loads the demo into the database (migrated by the caller): the first
/// administrator if there is none, then, unless cases exist, the staff,
/// `cases` cases and everything around them. `out` hears what is being done.
/// Returns the administrator's one-time password (when it was created now)
/// beside what was found or loaded.
pub fn run(
    conn: &mut PgConnection,
    cfg: &Config,
    cases: i64,
    mut out: impl FnMut(&str),
) -> Result<(Option<String>, Outcome), AppError> {
    let admin_password = auth::bootstrap_admin(conn, cfg)?;
    let before = counts(conn)?;
    if before.cases > 0 {
        let loaded = crate::models::user::find_by_email(conn, MARKER)?.is_some();
        return Ok((
            admin_password,
            if loaded {
                Outcome::AlreadyLoaded(before)
            } else {
                Outcome::NotEmpty(before)
            },
        ));
    }
    let staff_password = password::generate();
    out(&format!("adding the seed staff and {cases} cases…"));
    crate::seed::run(
        conn,
        cfg,
        (cases, 1),
        Some(&staff_password),
        |done, total, secs| out(&format!("  {done}/{total} cases, {secs:.0} s")),
    )?;
    out("linking mule accounts across the cases…");
    let mules = link_mules(conn)?;
    out("sending public reports through the portal…");
    let received = receive_reports(conn, cfg)?;
    out("attaching exhibits…");
    let exhibits = attach_exhibits(conn, cfg)?;
    // The hot list with the mule accounts and the reports of today.
    identifiers::refresh_hot_lists(conn, Duration::zero())?;
    let unit = crate::models::unit::first_active(conn)?;
    let hot = crate::models::hot_identifier::top(conn, unit, 30, 5)?;
    out("writing the queued mail…");
    let (mails_sent, mails_queued) = send_mail(conn, cfg)?;
    let now = counts(conn)?;
    let summary = Summary {
        staff: staff(conn)?,
        staff_password,
        cases: now.cases,
        mules,
        reports: received.codes,
        reports_with_hits: received.with_hits,
        reports_with_files: received.with_files,
        waiting: now.waiting,
        exhibits,
        hot,
        mails_sent,
        mails_queued,
        mail_to: cfg.mail.transport.describe(),
    };
    Ok((admin_password, Outcome::Loaded(Box::new(summary))))
}

/// The seed staff as they are in the database.
fn staff(conn: &mut PgConnection) -> Result<Vec<StaffMember>, AppError> {
    let mut all = Vec::with_capacity(STAFF);
    for i in 0..STAFF {
        let email = if i < SUPERVISORS {
            format!("lanhdao{i}@seed.pa05.vn")
        } else {
            format!("canbo{i}@seed.pa05.vn")
        };
        if let Some(u) = crate::models::user::find_by_email(conn, &email)? {
            all.push(StaffMember {
                email: u.email,
                name: u.full_name,
                role: u.role,
                team: u.team,
                on_duty: u.on_duty,
            });
        }
    }
    Ok(all)
}

/// Each mule account linked (suspect, added by hand) to its number of crime
/// reports, recent ones first so that the 7- and 30-day hot lists show them.
const LINK_MULE: &str = r#"
INSERT INTO identifier_links (identifier_id, case_id, role, source, reported_at, amount, reporter_key, from_form, added_by, unit_id)
SELECT i.id, c.id, 'suspect', 'officer', c.received_at, (c.total_loss / 3000) * 1000,
       '+84' || substr(c.reporter_phone, 2), false, coalesce(c.assignee_id, c.created_by), c.unit_id
FROM identifiers i
CROSS JOIN LATERAL (
    SELECT id, received_at, total_loss, reporter_phone, assignee_id, created_by, unit_id FROM cases
    WHERE case_type = 'crime_report'
    ORDER BY received_at > now() - interval '90 days' DESC, random()
    LIMIT $2
) c
WHERE i.kind = 'bank_account' AND i.value = $1
ON CONFLICT DO NOTHING
"#;

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Links the mule accounts; returns each one's value and how many cases name it.
fn link_mules(conn: &mut PgConnection) -> Result<Vec<(String, i64)>, AppError> {
    let mut done = Vec::new();
    for m in MULES {
        let value = identifiers::bank_account(m.bank, m.account)
            .ok_or_else(|| AppError::internal(format!("not an account: {}", m.account)))?;
        sql_query("INSERT INTO identifiers (kind, value) VALUES ('bank_account', $1) ON CONFLICT DO NOTHING")
            .bind::<Text, _>(&value)
            .execute(conn)?;
        sql_query(LINK_MULE)
            .bind::<Text, _>(&value)
            .bind::<BigInt, _>(m.cases)
            .execute(conn)?;
        let linked: N = sql_query(
            "SELECT count(DISTINCT l.case_id) AS n FROM identifier_links l JOIN identifiers i ON i.id = l.identifier_id
             WHERE i.kind = 'bank_account' AND i.value = $1 AND l.case_id IS NOT NULL",
        )
        .bind::<Text, _>(&value)
        .get_result(conn)?;
        done.push((value, linked.n));
    }
    Ok(done)
}

/// Streams a generated file into storage as an upload is (typed by its
/// content, hashed, kept under a random id, moved to the bucket when there is
/// one). The inner error is a file refused, as the upload reader reports it.
fn store(
    cfg: &Config,
    f: &files::File,
    evidence: bool,
) -> Result<Result<Stored, (String, Refused)>, AppError> {
    let mut upload = if evidence {
        Upload::start_evidence(&cfg.data_dir, &f.name, cfg.evidence_max_bytes)?
    } else {
        Upload::start(&cfg.data_dir, &f.name, cfg.portal.max_file_bytes)?
    };
    let shown = storage::clean_name(&f.name);
    for chunk in f.bytes.chunks(64 * 1024) {
        if let Err(r) = upload.write(chunk) {
            return Ok(Err((shown, r)));
        }
    }
    let stored = match upload.finish() {
        Ok(s) => s,
        Err(r) => return Ok(Err((shown, r))),
    };
    if let Err(e) = storage::keep(&cfg.data_dir, cfg.s3.as_ref(), &stored.storage_id) {
        log::error!("keeping a demo file failed: {e}");
        storage::remove(&cfg.data_dir, cfg.s3.as_ref(), &stored.storage_id);
        return Ok(Err((shown, Refused::Storage)));
    }
    Ok(Ok(stored))
}

/// Browsers the reports come from (the audit row and the report keep them).
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; Redmi Note 12) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36",
];

struct Received {
    codes: Vec<String>,
    with_hits: usize,
    with_files: usize,
}

/// Sends every sample report through `portal::receive`, as the public form's
/// handler does: a draft key, a form stamp older than the minimum fill time,
/// the files uploaded first. Each is received at its own time over the last
/// 30 hours (three past their classification deadline), so no burst is on
/// and no challenge is asked.
fn receive_reports(conn: &mut PgConnection, cfg: &Config) -> Result<Received, AppError> {
    let signer = Signer::new(crate::models::app_secret::signing_key(conn)?);
    let categories = crate::models::category::all(conn)?;
    let mut got = Received {
        codes: Vec::new(),
        with_hits: 0,
        with_files: 0,
    };
    for (i, s) in SAMPLES.iter().enumerate() {
        let received = Utc::now() - Duration::minutes(s.minutes_ago);
        let category = categories
            .iter()
            .find(|c| c.code == s.category && c.active)
            .ok_or_else(|| AppError::internal(format!("no active category {}", s.category)))?;
        // Filled in over a few minutes, well past REPORT_MIN_FILL_SECONDS.
        let fill = cfg.portal.min_fill_seconds.max(0) + 95 + 13 * i as i64;
        let form_ts = portal::form_stamp(&signer, received - Duration::seconds(fill));
        let input = reports::form(s, category.id, received, cfg.time_zone, &form_ts);
        let mut uploads = Vec::new();
        if let Some(a) = &s.file {
            let file = match a {
                Attach::Chat(name) => files::chat_screenshot(name, i as u32),
                Attach::Statement(name) => {
                    let (bank, account, _) = s
                        .money
                        .first()
                        .map(|(_, to)| reports::account_of(to))
                        .unwrap_or(("", "", ""));
                    files::bank_statement(
                        name,
                        bank,
                        account,
                        &reports::transfers(s, received, cfg.time_zone),
                    )
                }
            };
            uploads.push(store(cfg, &file, false)?);
        }
        let draft = portal::new_draft(&signer, &crate::domain::token::random_token(16));
        let guards = portal::Guards {
            signer: &signer,
            now: received,
            min_fill_seconds: cfg.portal.min_fill_seconds,
            challenge: false,
        };
        let meta = RequestMeta {
            // The documentation range (RFC 5737): plausible, and nobody's.
            ip: format!("203.0.113.{}", 10 + (i * 37) % 240),
            user_agent: AGENTS[i % AGENTS.len()].into(),
            api_token_id: None,
        };
        let receipt = match portal::receive(
            conn, cfg, &guards, s.kind, &input, &uploads, &draft, s.lang, &meta,
        )? {
            Ok(r) => r,
            Err(refusal) => {
                let why: Vec<String> = refusal
                    .errors
                    .iter()
                    .map(|(field, key)| format!("{field}: {key}"))
                    .collect();
                return Err(AppError::internal(format!(
                    "demo report {} was refused: {}",
                    i + 1,
                    why.join(", ")
                )));
            }
        };
        if let Some(sub) = crate::models::submission::find_by_code(conn, &receipt.tracking_code)? {
            if identifiers::hits_for_submission(conn, sub.id)?
                .iter()
                .any(|h| h.other_case.is_some())
            {
                got.with_hits += 1;
            }
        }
        got.with_files += usize::from(!uploads.is_empty());
        got.codes.push(receipt.tracking_code);
    }
    Ok(got)
}

#[derive(QueryableByName)]
struct Pick {
    #[diesel(sql_type = Text)]
    reference: String,
    #[diesel(sql_type = BigInt)]
    assignee: i64,
    #[diesel(sql_type = Text)]
    victim: String,
    #[diesel(sql_type = Nullable<Text>)]
    account: Option<String>,
    #[diesel(sql_type = BigInt)]
    loss: i64,
    /// When its two transfers were made (local time), as the seed records them.
    #[diesel(sql_type = Text)]
    first_at: String,
    #[diesel(sql_type = Text)]
    second_at: String,
}

/// Open crime reports with an officer on them, those naming a mule account
/// first, most recent first.
const PICK_CASES: &str = r#"
SELECT c.ref AS reference, c.assignee_id AS assignee, coalesce(c.reporter_name, 'Bị hại') AS victim,
       (SELECT i.value FROM identifier_links l JOIN identifiers i ON i.id = l.identifier_id
        WHERE l.case_id = c.id AND i.kind = 'bank_account'
        ORDER BY i.value = ANY($1) DESC, i.id LIMIT 1) AS account,
       c.total_loss AS loss,
       to_char(coalesce(c.occurred_at, c.received_at) AT TIME ZONE $2, 'DD/MM/YYYY HH24:MI') AS first_at,
       to_char((coalesce(c.occurred_at, c.received_at) + interval '1 hour') AT TIME ZONE $2, 'DD/MM/YYYY HH24:MI') AS second_at
FROM cases c
WHERE c.assignee_id IS NOT NULL AND c.case_type = 'crime_report'
  AND c.status IN ('assigned', 'verifying', 'in_progress', 'awaiting_info')
ORDER BY EXISTS (SELECT 1 FROM identifier_links l JOIN identifiers i ON i.id = l.identifier_id
                 WHERE l.case_id = c.id AND i.value = ANY($1)) DESC, c.received_at DESC
LIMIT 4
"#;

/// Exhibits on each picked case.
const EXHIBITS_PER_CASE: &[usize] = &[3, 2, 5, 4];

/// The `j`-th exhibit of a case: its file and what the officer writes about it.
fn exhibit_file(j: usize, p: &Pick, variant: u32) -> (files::File, &'static str) {
    let account = p.account.clone().unwrap_or_default();
    let (bank, number) = account.split_once(':').unwrap_or(("", &account));
    match j % 5 {
        0 => (
            files::bank_statement(
                "sao-ke-tai-khoan-nhan-tien.pdf",
                bank,
                number,
                &[
                    (p.first_at.clone(), (p.loss / 2).max(1000)),
                    (p.second_at.clone(), (p.loss / 2).max(1000)),
                ],
            ),
            "Sao kê tài khoản nhận tiền do ngân hàng cung cấp theo văn bản yêu cầu",
        ),
        1 => (
            files::chat_screenshot("anh-chup-tin-nhan.png", variant),
            "Ảnh chụp màn hình tin nhắn giữa bị hại và đối tượng",
        ),
        2 => (
            files::statement(
                "bien-ban-ghi-loi-khai.txt",
                &p.reference,
                &p.victim,
                &account,
            ),
            "Biên bản ghi lời khai của bị hại",
        ),
        3 => (
            files::phishing_mail("thu-gia-mao-ngan-hang.eml", "bihai@example.com"),
            "Thư điện tử giả mạo ngân hàng do bị hại chuyển tiếp",
        ),
        _ => (
            files::chat_screenshot("anh-chup-giao-dich.png", variant + 101),
            "Ảnh chụp màn hình giao dịch chuyển tiền",
        ),
    }
}

/// Attaches exhibits to a few cases through the evidence service, each as
/// the officer the case is assigned to, with its custody starting there.
fn attach_exhibits(
    conn: &mut PgConnection,
    cfg: &Config,
) -> Result<Vec<(String, usize)>, AppError> {
    let mule_values: Vec<String> = MULES
        .iter()
        .filter_map(|m| identifiers::bank_account(m.bank, m.account))
        .collect();
    let picks: Vec<Pick> = sql_query(PICK_CASES)
        .bind::<Array<Text>, _>(&mule_values)
        .bind::<Text, _>(cfg.time_zone.name())
        .load(conn)?;
    let meta = RequestMeta {
        ip: "demo".into(),
        user_agent: "cyberdesk demo".into(),
        api_token_id: None,
    };
    let mut done = Vec::new();
    for (k, p) in picks.iter().enumerate() {
        let officer = crate::models::user::find(conn, p.assignee)?;
        let me = auth::signed_in(
            officer,
            0,
            String::new(),
            crate::models::session::Stage::Full,
        );
        let mut n = 0;
        for j in 0..EXHIBITS_PER_CASE[k % EXHIBITS_PER_CASE.len()] {
            let (file, description) = exhibit_file(j, p, (k * 10 + j) as u32);
            let stored = match store(cfg, &file, true)? {
                Ok(s) => s,
                Err((name, r)) => {
                    return Err(AppError::internal(format!(
                        "the demo exhibit {name} was refused: {}",
                        r.key()
                    )))
                }
            };
            let storage_id = stored.storage_id.clone();
            let form = exhibits::ExhibitForm {
                kind: "evidence".into(),
                description: description.into(),
                exhibit_no: format!("VC-{:02}", j + 1),
                seal_no: String::new(),
            };
            if let Err(e) = exhibits::record_upload(conn, &me, &meta, &p.reference, &form, stored) {
                // Not recorded: the stored bytes belong to nothing.
                portal::remove_files(cfg, &[storage_id]);
                return Err(e);
            }
            n += 1;
        }
        done.push((p.reference.clone(), n));
    }
    Ok(done)
}

/// One pass of the mail sender over what is due: (sent now, still queued).
fn send_mail(conn: &mut PgConnection, cfg: &Config) -> Result<(i64, i64), AppError> {
    let count = |conn: &mut PgConnection, status: MailStatus| -> Result<i64, AppError> {
        Ok(crate::models::outbox::counts(conn)?
            .into_iter()
            .filter(|(s, _)| *s == status)
            .map(|(_, n)| n)
            .sum())
    };
    let before = count(conn, MailStatus::Sent)?;
    let transport =
        crate::mail::Transport::new(&cfg.mail).map_err(|e| AppError::internal(e.message))?;
    // Batch after batch until nothing is due (a mail that failed waits for
    // its retry, so this ends); bounded all the same.
    for _ in 0..1000 {
        if crate::mail::send_batch(conn, cfg, &transport).map_err(AppError::Internal)? == 0 {
            break;
        }
    }
    Ok((
        count(conn, MailStatus::Sent)? - before,
        count(conn, MailStatus::Queued)?,
    ))
}
