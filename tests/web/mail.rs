//! Mail: the outbox written with each change, delivery over real SMTP (a server
//! started by the test) and to `.eml` files, retries, several senders, who gets
//! what, digests, the admin page and preferences.

use actix_web::http::StatusCode;
use chrono::{TimeZone, Utc};
use diesel::prelude::*;

use crate::cases::{create, me, user_with_team};
use crate::common::{signed_in, smtp::SmtpServer, TestDb, PASSWORD};
use cyberdesk::config::{Config, MailTransport};
use cyberdesk::db::schema::email_outbox;
use cyberdesk::domain::RequestMeta;
use cyberdesk::mail;
use cyberdesk::models::case::Status;
use cyberdesk::models::outbox::{self, NewMail};
use cyberdesk::services::{cases, notify};

/// (kind, recipient, subject, text) of every outbox row, oldest first.
fn outbox_rows(db: &TestDb) -> Vec<(String, String, String, String)> {
    email_outbox::table
        .order(email_outbox::id.asc())
        .select((
            email_outbox::kind,
            email_outbox::recipient,
            email_outbox::subject,
            email_outbox::body_text,
        ))
        .load(&mut db.conn())
        .expect("outbox")
}

fn smtp_config(db: &TestDb, server: &SmtpServer) -> Config {
    let mut cfg = db.config();
    cfg.mail.transport = server.config();
    cfg
}

/// Runs the sender until nothing is due; returns how many rows it claimed.
fn drain(cfg: &Config) -> usize {
    let pool = cyberdesk::db::build_pool(&cfg.database_url, 2, cfg.db_timeout);
    let transport = mail::Transport::new(&cfg.mail).expect("transport");
    let mut total = 0;
    loop {
        let n = mail::send_due(&pool, cfg, &transport).expect("send_due");
        if n == 0 {
            return total;
        }
        total += n;
    }
}

fn new_mail(to: &str, n: usize) -> NewMail {
    NewMail {
        kind: "test".into(),
        recipient: to.into(),
        recipient_user_id: None,
        lang: "vi".into(),
        subject: format!("Thư số {n}"),
        body_text: format!("Nội dung {n}"),
        body_html: format!("<p>Nội dung {n}</p>"),
        case_id: None,
        token: notify::new_token(),
        dedupe_key: None,
    }
}

#[actix_web::test]
async fn an_assignment_reaches_the_officer_over_smtp_in_their_language() {
    let db = TestDb::new();
    let server = SmtpServer::start();
    let (mut s, sid) = signed_in(&db, "supervisor").await;
    let o = user_with_team(&db, "officer.en@pa05.test.vn", "officer", "Đội 1");
    db.exec(&format!("UPDATE users SET lang = 'en' WHERE id = {o}"));
    let reference = create(&db, &me(&db, sid), &[]);
    let res = s
        .post(
            &format!("/cases/{reference}/assign"),
            &[("assignee_id", &o.to_string())],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);

    let cfg = smtp_config(&db, &server);
    assert_eq!(drain(&cfg), 1);
    let got = server.received();
    assert_eq!(got.len(), 1, "one mail, to the assignee only");
    assert_eq!(got[0].to, vec!["officer.en@pa05.test.vn".to_owned()]);
    assert_eq!(got[0].from, "noreply@pa05.test.vn");
    let m = got[0].parsed();
    let subject = m.subject().expect("subject");
    assert!(subject.contains(&reference), "{subject}");
    assert!(subject.contains("Assigned to you"), "English: {subject}");
    let text = m.body_text(0).expect("text part");
    let html = m.body_html(0).expect("html part");
    assert!(text.contains("Test supervisor assigned case"), "{text}");
    assert!(text.contains(&format!("http://localhost:8080/cases/{reference}")));
    assert!(html.contains(&format!("href=\"http://localhost:8080/cases/{reference}\"")));
    assert!(html.contains("lang=\"en\""));
    // No reporter data, no narrative, no identifiers.
    for secret in [
        "Nguyễn Văn An",
        "0912 345 678",
        "an@example.vn",
        "Đà Nẵng",
        "0011004455667",
    ] {
        assert!(
            !text.contains(secret) && !html.contains(secret),
            "{secret} leaked"
        );
    }
    // Automatic, so no auto-replies (RFC 3834).
    let parsed = got[0].parsed();
    assert_eq!(
        parsed.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-generated")
    );
    // The Message-ID is the row's.
    let (id, token): (i64, String) = email_outbox::table
        .select((email_outbox::id, email_outbox::token))
        .first(&mut db.conn())
        .expect("row");
    assert_eq!(
        got[0].message_id(),
        format!("outbox-{id}.{token}@localhost")
    );
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM email_outbox WHERE status = 'sent' AND sent_at IS NOT NULL"
        ),
        1
    );
}

#[test]
fn an_outage_keeps_mail_queued_with_backoff_then_it_is_delivered_once() {
    let db = TestDb::new();
    let server = SmtpServer::start();
    let mut conn = db.conn();
    outbox::insert(
        &mut conn,
        &[new_mail("a@pa05.test.vn", 1), new_mail("b@pa05.test.vn", 2)],
    )
    .expect("queue");

    // The server refuses service (421).
    server.refuse(true);
    let cfg = smtp_config(&db, &server);
    assert_eq!(drain(&cfg), 2);
    assert!(server.received().is_empty());
    assert_eq!(
        db.count("SELECT count(*) AS n FROM email_outbox WHERE status = 'queued' AND attempts = 1 AND last_error IS NOT NULL AND next_attempt_at > now() + interval '50 seconds'"),
        2,
        "both wait about the base delay (60 s in tests)"
    );

    // Nothing listens at all: the second attempt waits twice as long.
    db.exec("UPDATE email_outbox SET next_attempt_at = now()");
    let mut unreachable = db.config();
    unreachable.mail.transport = MailTransport::Smtp(cyberdesk::config::SmtpConfig {
        port: crate::common::free_port(),
        ..match server.config() {
            MailTransport::Smtp(s) => s,
            MailTransport::File(_) => unreachable!(),
        }
    });
    assert_eq!(drain(&unreachable), 2);
    // A mail that was tried waits twice as long; one skipped because the
    // server was just found unreachable keeps its attempt count.
    assert_eq!(
        db.count("SELECT count(*) AS n FROM email_outbox WHERE status = 'queued' AND last_error LIKE '%onnect%' AND next_attempt_at > now() + interval '50 seconds'"),
        2
    );
    assert!(db.count("SELECT count(*) AS n FROM email_outbox WHERE attempts = 2 AND next_attempt_at > now() + interval '110 seconds'") >= 1);
    // Not due yet: nothing is tried.
    assert_eq!(drain(&cfg), 0);

    // The server is back and the retry is due: each mail arrives exactly once.
    server.refuse(false);
    db.exec("UPDATE email_outbox SET next_attempt_at = now()");
    assert_eq!(drain(&cfg), 2);
    assert_eq!(drain(&cfg), 0);
    let got = server.received();
    assert_eq!(got.len(), 2);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM email_outbox WHERE status = 'sent'"),
        2
    );

    // After the last allowed attempt (3 in tests) a mail is failed for good.
    outbox::insert(&mut conn, &[new_mail("c@pa05.test.vn", 3)]).expect("queue");
    server.refuse(true);
    for _ in 0..3 {
        db.exec("UPDATE email_outbox SET next_attempt_at = now() WHERE status = 'queued'");
        drain(&cfg);
    }
    assert_eq!(
        db.count("SELECT count(*) AS n FROM email_outbox WHERE status = 'failed' AND attempts = 3 AND last_error LIKE '%421%'"),
        1
    );
}

#[test]
fn a_change_that_rolls_back_queues_no_mail() {
    let db = TestDb::new();
    let sup = db.user("sup@pa05.test.vn", "supervisor", PASSWORD);
    let o = user_with_team(&db, "o@pa05.test.vn", "officer", "Đội 1");
    let reference = create(&db, &me(&db, sup), &[]);
    let mut conn = db.conn();
    let result: Result<(), diesel::result::Error> = conn.transaction(|conn| {
        cases::assign(
            conn,
            &me(&db, sup),
            &RequestMeta::default(),
            &db.config(),
            &reference,
            o,
        )
        .expect("assign");
        assert_eq!(
            email_outbox::table
                .count()
                .get_result::<i64>(conn)
                .expect("count"),
            1,
            "written inside the transaction"
        );
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(result.is_err());
    assert_eq!(db.count("SELECT count(*) AS n FROM email_outbox"), 0);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM cases WHERE assignee_id IS NOT NULL"),
        0
    );
}

#[test]
fn two_senders_on_one_database_send_each_mail_once() {
    let db = TestDb::new();
    let server = SmtpServer::start();
    let mails: Vec<NewMail> = (0..120)
        .map(|n| new_mail(&format!("u{n}@pa05.test.vn"), n))
        .collect();
    outbox::insert(&mut db.conn(), &mails).expect("queue");
    let cfg = smtp_config(&db, &server);
    let a = {
        let cfg = cfg.clone();
        std::thread::spawn(move || drain(&cfg))
    };
    let b = {
        let cfg = cfg.clone();
        std::thread::spawn(move || drain(&cfg))
    };
    let claimed = a.join().expect("a") + b.join().expect("b");
    assert_eq!(claimed, 120, "every row claimed exactly once");
    let got = server.received();
    let mut ids: Vec<String> = got.iter().map(|r| r.message_id()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(got.len(), 120);
    assert_eq!(ids.len(), 120, "no duplicates");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM email_outbox WHERE status = 'sent' AND attempts = 1"),
        120
    );
}

#[test]
fn each_event_mails_the_right_people_and_nobody_else() {
    let db = TestDb::new();
    let cfg = db.config();
    let meta = RequestMeta::default();
    let sup = db.user("sup@pa05.test.vn", "supervisor", PASSWORD);
    let o1 = user_with_team(&db, "o1@pa05.test.vn", "officer", "Đội 1");
    let o2 = user_with_team(&db, "o2@pa05.test.vn", "officer", "Đội 1");
    let watcher = user_with_team(&db, "w@pa05.test.vn", "officer", "Đội 1");
    let quiet = user_with_team(&db, "quiet@pa05.test.vn", "officer", "Đội 1");
    let gone = user_with_team(&db, "gone@pa05.test.vn", "officer", "Đội 1");
    let reference = create(&db, &me(&db, sup), &[]);
    let mut conn = db.conn();
    let s = me(&db, sup);

    // Assignment: to the assignee only.
    cases::assign(&mut conn, &s, &meta, &cfg, &reference, o1).expect("assign");
    assert_eq!(
        outbox_rows(&db)
            .iter()
            .map(|r| (r.0.as_str(), r.1.as_str()))
            .collect::<Vec<_>>(),
        vec![("case_assigned", "o1@pa05.test.vn")]
    );
    for w in [watcher, quiet, gone] {
        cases::set_watcher(&mut conn, &s, &meta, &reference, w, true).expect("watch");
    }
    db.exec(&format!(
        "UPDATE users SET mail_off = '{{status,note}}' WHERE id = {quiet}"
    ));
    db.exec(&format!(
        "UPDATE users SET active = false WHERE id = {gone}"
    ));
    db.exec("DELETE FROM email_outbox");

    // A status change by the assignee: watchers hear, the assignee (who made
    // it), the opted-out and the deactivated do not.
    let input = cases::MoveInput {
        reason: String::new(),
        agency: String::new(),
        outcome: String::new(),
        summary: String::new(),
    };
    cases::transition(
        &mut conn,
        &me(&db, o1),
        &meta,
        &cfg,
        &reference,
        Status::Verifying,
        &input,
    )
    .expect("verify");
    let rows = outbox_rows(&db);
    assert_eq!(
        rows.iter()
            .map(|r| (r.0.as_str(), r.1.as_str()))
            .collect::<Vec<_>>(),
        vec![("case_status", "w@pa05.test.vn")]
    );
    assert!(rows[0].2.contains("Đang xác minh"), "{}", rows[0].2);
    db.exec("DELETE FROM email_outbox");

    // A note by the supervisor: the assignee and the watcher.
    cases::add_note(&mut conn, &s, &meta, &cfg, &reference, "Đã gọi bị hại").expect("note");
    let mut to: Vec<String> = outbox_rows(&db).into_iter().map(|r| r.1).collect();
    to.sort();
    assert_eq!(to, vec!["o1@pa05.test.vn", "w@pa05.test.vn"]);
    assert!(
        !outbox_rows(&db)
            .iter()
            .any(|r| r.3.contains("Đã gọi bị hại")),
        "notes are not mailed"
    );
    db.exec("DELETE FROM email_outbox");

    // Reassignment: the new assignee is told, and the previous one.
    cases::assign(&mut conn, &s, &meta, &cfg, &reference, o2).expect("reassign");
    let mut rows: Vec<(String, String)> =
        outbox_rows(&db).into_iter().map(|r| (r.0, r.1)).collect();
    rows.sort();
    assert_eq!(
        rows,
        vec![
            ("case_assigned".to_owned(), "o2@pa05.test.vn".to_owned()),
            ("case_unassigned".to_owned(), "o1@pa05.test.vn".to_owned())
        ]
    );
    db.exec("DELETE FROM email_outbox");

    // Taking a case oneself mails nobody about the assignment.
    let other = create(&db, &me(&db, sup), &[("team", "Đội 1")]);
    cases::assign(&mut conn, &me(&db, o1), &meta, &cfg, &other, o1).expect("take");
    assert!(outbox_rows(&db).is_empty());

    // Assignment mail cannot be switched off.
    db.exec(&format!(
        "UPDATE users SET mail_off = '{{status,note,digest,assigned}}' WHERE id = {quiet}"
    ));
    let third = create(&db, &me(&db, sup), &[]);
    cases::assign(&mut conn, &s, &meta, &cfg, &third, quiet).expect("assign quiet");
    assert_eq!(outbox_rows(&db).len(), 1);
}

#[test]
fn restricted_cases_are_mailed_without_their_title() {
    let db = TestDb::new();
    let cfg = db.config();
    let sup = db.user("sup@pa05.test.vn", "supervisor", PASSWORD);
    let o = user_with_team(&db, "o@pa05.test.vn", "officer", "Đội 1");
    let open = create(&db, &me(&db, sup), &[("title", "Tiêu đề công khai")]);
    let red = create(
        &db,
        &me(&db, sup),
        &[("title", "Tiêu đề mật đỏ"), ("tlp", "RED")],
    );
    let confidential = create(
        &db,
        &me(&db, sup),
        &[
            ("title", "Tiêu đề giữ bí mật"),
            ("confidential_reporter", "on"),
        ],
    );
    let mut conn = db.conn();
    for r in [&open, &red, &confidential] {
        cases::assign(
            &mut conn,
            &me(&db, sup),
            &RequestMeta::default(),
            &cfg,
            r,
            o,
        )
        .expect("assign");
    }
    let all: String = outbox_rows(&db)
        .into_iter()
        .map(|r| format!("{} {}", r.2, r.3))
        .collect();
    assert!(all.contains("Tiêu đề công khai"));
    assert!(!all.contains("Tiêu đề mật đỏ"));
    assert!(!all.contains("Tiêu đề giữ bí mật"));
    let html: Vec<String> = email_outbox::table
        .select(email_outbox::body_html)
        .load(&mut conn)
        .expect("html");
    assert!(html
        .iter()
        .all(|h| !h.contains("mật đỏ") && !h.contains("giữ bí mật")));

    // A watcher of a case that became TLP:RED is no longer mailed about it;
    // the assignee still is.
    let w = user_with_team(&db, "w@pa05.test.vn", "officer", "Đội 1");
    cases::set_watcher(
        &mut conn,
        &me(&db, sup),
        &RequestMeta::default(),
        &open,
        w,
        true,
    )
    .expect("watch");
    db.exec(&format!(
        "UPDATE cases SET tlp = 'RED' WHERE ref = '{open}'"
    ));
    db.exec("DELETE FROM email_outbox");
    cases::add_note(
        &mut conn,
        &me(&db, sup),
        &RequestMeta::default(),
        &cfg,
        &open,
        "ghi chú",
    )
    .expect("note");
    let to: Vec<String> = outbox_rows(&db).into_iter().map(|r| r.1).collect();
    assert_eq!(to, vec!["o@pa05.test.vn".to_owned()]);
}

#[test]
fn the_daily_digest_groups_by_officer_and_runs_once_a_day() {
    let db = TestDb::new();
    let cfg = db.config();
    let sup = db.user("sup@pa05.test.vn", "supervisor", PASSWORD);
    let o1 = user_with_team(&db, "o1@pa05.test.vn", "officer", "Đội 1");
    let o2 = user_with_team(&db, "o2@pa05.test.vn", "officer", "Đội 1");
    let _idle = user_with_team(&db, "idle@pa05.test.vn", "officer", "Đội 1");
    let off = user_with_team(&db, "off@pa05.test.vn", "officer", "Đội 1");
    db.exec(&format!(
        "UPDATE users SET mail_off = '{{digest}}' WHERE id = {off}"
    ));
    let pool = cyberdesk::db::build_pool(&db.url, 2, cfg.db_timeout);
    let tz = cfg.time_zone;
    let today = Utc::now().with_timezone(&tz).date_naive();
    let at = |h: u32| {
        tz.from_local_datetime(&today.and_hms_opt(h, 0, 0).expect("time"))
            .single()
            .expect("local")
            .with_timezone(&Utc)
    };
    let t8 = at(8).to_rfc3339();
    let mut conn = db.conn();
    // Deadlines relative to 08:00 today, when the digest is made.
    let mut case_for = |who: i64, title: &str, hours: i64| {
        let r = create(&db, &me(&db, sup), &[("title", title)]);
        cases::assign(
            &mut conn,
            &me(&db, sup),
            &RequestMeta::default(),
            &cfg,
            &r,
            who,
        )
        .expect("assign");
        db.exec(&format!(
            "UPDATE cases SET deadline_at = '{t8}'::timestamptz + interval '{hours} hours' WHERE ref = '{r}'"
        ));
        r
    };
    let late1 = case_for(o1, "Quá hạn một", -48);
    let soon1 = case_for(o1, "Sắp hạn một", 24);
    let _later = case_for(o1, "Còn lâu", 15 * 24);
    let late2 = case_for(o2, "Quá hạn hai", -1);
    let _muted = case_for(off, "Không muốn thư", -24);
    db.exec("DELETE FROM email_outbox");

    // Before the digest hour (07:00): nothing.
    assert_eq!(
        notify::queue_digests(&pool, &cfg, at(6)).expect("digest"),
        0
    );
    // After it: o1, o2 and the supervisor (unit overdue); not the idle officer
    // nor the one who switched digests off.
    let n = notify::queue_digests(&pool, &cfg, at(8)).expect("digest");
    assert_eq!(n, 3);
    // A second instance, the same day: nothing more.
    let other_pool = cyberdesk::db::build_pool(&db.url, 2, cfg.db_timeout);
    assert_eq!(
        notify::queue_digests(&other_pool, &cfg, at(9)).expect("digest"),
        0
    );
    let rows = outbox_rows(&db);
    let body = |to: &str| {
        rows.iter()
            .find(|r| r.1 == to)
            .map(|r| r.3.clone())
            .unwrap_or_else(|| panic!("no digest for {to}"))
    };
    let d1 = body("o1@pa05.test.vn");
    assert!(d1.contains(&late1) && d1.contains(&soon1), "{d1}");
    assert!(!d1.contains(&late2) && !d1.contains("Còn lâu"));
    assert!(d1.find(&late1) < d1.find(&soon1), "overdue first");
    let d2 = body("o2@pa05.test.vn");
    assert!(d2.contains(&late2) && !d2.contains(&late1));
    let ds = body("sup@pa05.test.vn");
    assert!(
        ds.contains(&late1) && ds.contains(&late2),
        "unit overdue: {ds}"
    );
    assert!(ds.contains("Vụ việc quá hạn của toàn đơn vị"));
    assert!(rows.iter().all(|r| r.0 == "digest"));
    assert_eq!(
        db.count("SELECT count(DISTINCT dedupe_key) AS n FROM email_outbox"),
        3
    );
}

#[test]
fn the_file_transport_writes_readable_eml_files() {
    let db = TestDb::new();
    let dir = std::env::temp_dir().join(format!("cd-mail-{}", db.name));
    let mut cfg = db.config();
    cfg.mail.transport = MailTransport::File(dir.clone());
    let sup = db.user("sup@pa05.test.vn", "supervisor", PASSWORD);
    let o = user_with_team(&db, "o@pa05.test.vn", "officer", "Đội 1");
    let reference = create(&db, &me(&db, sup), &[]);
    cases::assign(
        &mut db.conn(),
        &me(&db, sup),
        &RequestMeta::default(),
        &cfg,
        &reference,
        o,
    )
    .expect("assign");
    assert_eq!(drain(&cfg), 1);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .expect("mail dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].extension().and_then(|e| e.to_str()), Some("eml"));
    let bytes = std::fs::read(&files[0]).expect("read");
    let m = mail_parser::MessageParser::default()
        .parse(&bytes)
        .expect("parse");
    assert!(m.subject().expect("subject").contains(&reference));
    assert!(m
        .body_text(0)
        .expect("text")
        .contains("Test supervisor đã phân công vụ việc"));
    assert!(m.body_html(0).is_some());
    let _ = std::fs::remove_dir_all(&dir);
}

#[actix_web::test]
async fn admins_see_the_outbox_masked_and_retry_failed_mail() {
    let db = TestDb::new();
    let mut conn = db.conn();
    outbox::insert(&mut conn, &[new_mail("nguyen.van.a@pa05.test.vn", 1)]).expect("queue");
    db.exec("UPDATE email_outbox SET status = 'failed', attempts = 10, last_error = '550 mailbox unavailable'");
    let id = db.count("SELECT max(id) AS n FROM email_outbox");
    let (mut o, _) = signed_in(&db, "officer").await;
    assert_eq!(o.get("/admin/mail").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        o.post(&format!("/admin/mail/{id}/retry"), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let (mut a, _) = signed_in(&db, "admin").await;
    let page = a.get("/admin/mail?status=failed").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("ng…@pa05.test.vn"));
    assert!(!page.body.contains("nguyen.van.a@"), "recipient masked");
    assert!(page.body.contains("550 mailbox unavailable"));
    assert!(page.body.contains("file: "), "transport shown");
    let res = a.post(&format!("/admin/mail/{id}/retry"), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM email_outbox WHERE status = 'queued' AND attempts = 0 AND next_attempt_at <= now()"),
        1
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'mail_retry'"),
        1
    );
    // Retrying what is not failed is a conflict, not a second queueing.
    assert_eq!(
        a.post(&format!("/admin/mail/{id}/retry"), &[]).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        a.post("/admin/mail/999999/retry", &[]).await.status,
        StatusCode::NOT_FOUND
    );
    // Filters with junk are ignored, not errors.
    assert_eq!(
        a.get("/admin/mail?status=zzz&kind=%3Cx%3E&q=%25")
            .await
            .status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn officers_choose_their_optional_mail_on_the_profile_page() {
    let db = TestDb::new();
    let (mut o, id) = signed_in(&db, "officer").await;
    let page = o.get("/profile").await.body;
    assert!(page.contains("name=\"on\" value=\"status\" checked"));
    let res = o
        .post(
            "/profile/mail",
            &[("on", "status"), ("on", "assigned"), ("on", "bogus")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let off: Vec<String> = cyberdesk::db::schema::users::table
        .find(id)
        .select(cyberdesk::db::schema::users::mail_off)
        .first(&mut db.conn())
        .expect("prefs");
    assert_eq!(
        off,
        vec![
            "note",
            "digest",
            "submission",
            "reporter_info",
            "transfer",
            "detail_request"
        ]
    );
    let page = o.get("/profile").await.body;
    assert!(page.contains("name=\"on\" value=\"status\" checked"));
    assert!(page.contains("name=\"on\" value=\"note\">"));
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'profile_mail_prefs'"),
        1
    );
}

#[test]
fn every_mail_event_has_its_texts_in_both_languages() {
    for e in notify::Event::ALL {
        for prefix in ["mail-lead-", "mail-event-"] {
            assert!(
                cyberdesk::i18n::has_key(&format!("{prefix}{}", e.code())),
                "{prefix}{e}"
            );
        }
        if *e != notify::Event::Digest {
            assert!(cyberdesk::i18n::has_key(&format!(
                "mail-subject-{}",
                e.code()
            )));
        }
    }
    for k in notify::KINDS {
        assert!(cyberdesk::i18n::has_key(&format!("mail-kind-{k}")), "{k}");
    }
    for s in outbox::MailStatus::ALL {
        assert!(cyberdesk::i18n::has_key(s.label_key()));
    }
}

#[test]
fn the_sender_loop_delivers_what_is_queued_and_stops_when_told() {
    let db = TestDb::new();
    let server = SmtpServer::start();
    let cfg = smtp_config(&db, &server);
    let mails: Vec<NewMail> = (0..30)
        .map(|n| new_mail(&format!("u{n}@pa05.test.vn"), n))
        .collect();
    outbox::insert(&mut db.conn(), &mails).expect("queue");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pool = cyberdesk::db::build_pool(&cfg.database_url, 2, cfg.db_timeout);
    let handle = mail::spawn_sender(pool, cfg.clone(), stop.clone()).expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while server.received().len() < 30 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Queued later, while the loop idles: picked up on its next poll.
    outbox::insert(&mut db.conn(), &[new_mail("late@pa05.test.vn", 99)]).expect("queue");
    while server.received().len() < 31 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    handle.join().expect("join");
    assert_eq!(server.received().len(), 31);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM email_outbox WHERE status = 'sent'"),
        31
    );
}

#[test]
fn mail_queued_for_someone_deactivated_since_is_not_sent() {
    let db = TestDb::new();
    let server = SmtpServer::start();
    let sup = db.user("sup@pa05.test.vn", "supervisor", PASSWORD);
    let o = user_with_team(&db, "o@pa05.test.vn", "officer", "Đội 1");
    let reference = create(&db, &me(&db, sup), &[]);
    cases::assign(
        &mut db.conn(),
        &me(&db, sup),
        &RequestMeta::default(),
        &db.config(),
        &reference,
        o,
    )
    .expect("assign");
    db.exec(&format!("UPDATE users SET active = false WHERE id = {o}"));
    assert_eq!(drain(&smtp_config(&db, &server)), 1);
    assert!(server.received().is_empty());
    assert_eq!(
        db.count("SELECT count(*) AS n FROM email_outbox WHERE status = 'failed' AND last_error = 'recipient deactivated'"),
        1
    );
}
