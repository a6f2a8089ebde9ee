//! The audit log's hash chain: intact after real work and under concurrent
//! writers, and a change behind its back found at the row changed. The case
//! timeline is append-only like the log.

use crate::cases::{create, me};
use crate::common::{TestDb, PASSWORD};
use cyberdesk::auth::RequestMeta;
use cyberdesk::domain::audit_chain::Fault;
use cyberdesk::models::audit::{self, NewAudit};
use cyberdesk::services::audit_log::verify;

fn append(conn: &mut diesel::PgConnection, n: i64) {
    audit::append(
        conn,
        &RequestMeta {
            ip: "203.0.113.9".into(),
            user_agent: "test".into(),
            api_token_id: None,
        },
        NewAudit {
            actor_id: None,
            action: "login_failed",
            target_type: Some("user"),
            target_id: Some(n.to_string()),
            detail: serde_json::json!({ "reason": "wrong_password", "n": n, "ở": "Đà Nẵng" }),
        },
    )
    .expect("append");
}

#[test]
fn the_chain_holds_after_work_and_under_concurrent_writers() {
    let db = TestDb::new();
    let sup = db.user("ld@pa05.test.vn", "supervisor", PASSWORD);
    for _ in 0..3 {
        create(&db, &me(&db, sup), &[]);
    }
    // Eight writers at once, some writing several rows in one transaction.
    std::thread::scope(|s| {
        for w in 0..8i64 {
            let db = &db;
            s.spawn(move || {
                let mut conn = db.conn();
                for i in 0..25 {
                    use diesel::Connection;
                    conn.transaction::<_, diesel::result::Error, _>(|c| {
                        append(c, w * 100 + i);
                        if i % 5 == 0 {
                            append(c, w * 100 + i + 50);
                        }
                        Ok(())
                    })
                    .expect("transaction");
                }
            });
        }
    });
    let v = verify(&mut db.conn()).expect("verify");
    assert_eq!(v.broken, None);
    let total = db.count("SELECT count(*) AS n FROM audit_log");
    assert_eq!(v.rows, total);
    assert_eq!(
        db.count("SELECT count(DISTINCT seq) AS n FROM audit_log"),
        total
    );
    assert_eq!(
        db.count("SELECT max(seq) AS n FROM audit_log"),
        total,
        "no gaps"
    );
    assert_eq!(db.count("SELECT seq AS n FROM audit_chain"), total);
}

#[test]
fn a_superusers_edit_with_triggers_off_is_found_at_that_row() {
    let db = TestDb::new();
    let mut conn = db.conn();
    for n in 0..20 {
        append(&mut conn, n);
    }
    assert_eq!(verify(&mut conn).expect("verify").broken, None);
    let target = db.count("SELECT id AS n FROM audit_log ORDER BY seq OFFSET 9 LIMIT 1");
    db.exec("ALTER TABLE audit_log DISABLE TRIGGER USER");
    db.exec(&format!(
        "UPDATE audit_log SET detail = '{{\"reason\": \"covered up\"}}' WHERE id = {target}"
    ));
    db.exec("ALTER TABLE audit_log ENABLE TRIGGER USER");
    let broken = verify(&mut conn).expect("verify").broken.expect("found");
    assert_eq!((broken.id, broken.fault), (target, Fault::Content));

    // Rewriting that row's hash too moves the break to the next row's link.
    db.exec("ALTER TABLE audit_log DISABLE TRIGGER USER");
    db.exec(&format!(
        "UPDATE audit_log SET hash = sha256(prev_hash || convert_to(audit_row_text(audit_log), 'UTF8')) WHERE id = {target}"
    ));
    db.exec("ALTER TABLE audit_log ENABLE TRIGGER USER");
    let next = db.count(&format!(
        "SELECT id AS n FROM audit_log WHERE seq = (SELECT seq + 1 FROM audit_log WHERE id = {target})"
    ));
    let broken = verify(&mut conn).expect("verify").broken.expect("found");
    assert_eq!((broken.id, broken.fault), (next, Fault::Link));
}

#[test]
fn a_row_deleted_behind_its_back_leaves_a_gap() {
    let db = TestDb::new();
    let mut conn = db.conn();
    for n in 0..10 {
        append(&mut conn, n);
    }
    let gone = db.count("SELECT seq AS n FROM audit_log ORDER BY seq OFFSET 4 LIMIT 1");
    db.exec("ALTER TABLE audit_log DISABLE TRIGGER USER");
    db.exec(&format!("DELETE FROM audit_log WHERE seq = {gone}"));
    db.exec("ALTER TABLE audit_log ENABLE TRIGGER USER");
    let broken = verify(&mut conn).expect("verify").broken.expect("found");
    assert_eq!((broken.seq, broken.fault), (Some(gone + 1), Fault::Gap));
    // The application cannot change or remove rows at all.
    let mut c = db.conn();
    use diesel::RunQueryDsl;
    assert!(diesel::sql_query("UPDATE audit_log SET action = 'x'")
        .execute(&mut c)
        .is_err());
    assert!(diesel::sql_query("DELETE FROM audit_log")
        .execute(&mut c)
        .is_err());
}

#[test]
fn the_case_timeline_is_append_only() {
    let db = TestDb::new();
    let sup = db.user("ld@pa05.test.vn", "supervisor", PASSWORD);
    create(&db, &me(&db, sup), &[]);
    let mut c = db.conn();
    use diesel::RunQueryDsl;
    for sql in [
        "UPDATE case_events SET body = 'rewritten'",
        "DELETE FROM case_events",
        "TRUNCATE case_events",
    ] {
        let err = diesel::sql_query(sql).execute(&mut c).expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
}

#[actix_web::test]
async fn administrators_export_the_log_keep_anchors_outside_and_hear_of_a_break() {
    use actix_web::http::StatusCode;
    let db = TestDb::new();
    let admin = db.user("qt@pa05.test.vn", "admin", PASSWORD);
    let (mut a, _) = {
        let mut c = crate::common::client(&db).await;
        c.login("qt@pa05.test.vn", PASSWORD).await;
        (c, admin)
    };
    // =HYPERLINK in a detail stays text in a spreadsheet.
    let mut conn = db.conn();
    audit::append(
        &mut conn,
        &RequestMeta::default(),
        NewAudit {
            actor_id: Some(admin),
            action: "user_create",
            target_type: Some("=HYPERLINK(\"x\")"),
            target_id: None,
            detail: serde_json::json!({}),
        },
    )
    .expect("append");
    let res = a.get("/admin/audit.csv?action=user_create").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.header("content-disposition").starts_with("attachment"));
    assert!(
        res.bytes.starts_with(&[0xEF, 0xBB, 0xBF]),
        "a BOM for spreadsheets"
    );
    assert!(res.body.contains("id,time,actor_id,actor,action,target"));
    assert!(res.body.contains("'=HYPERLINK"), "{}", res.body);
    assert!(!res.body.contains(",login,"), "filtered");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'audit_export'"),
        1
    );
    let res = a.get("/admin/audit.csv?from=yesterday").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let (mut officer, _) = crate::common::signed_in(&db, "officer").await;
    assert_eq!(
        officer.get("/admin/audit.csv").await.status,
        StatusCode::FORBIDDEN
    );

    // Today's anchor: the chain's head hash, shown and mailed outside.
    let page = a.get("/admin/audit").await;
    let head: String = {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct H {
            #[diesel(sql_type = diesel::sql_types::Text)]
            h: String,
        }
        diesel::sql_query(
            "SELECT encode(hash, 'hex') AS h FROM audit_log ORDER BY seq DESC LIMIT 1",
        )
        .get_result::<H>(&mut db.conn())
        .expect("head")
        .h
    };
    assert!(page.body.contains(&head), "the last hash is on the page");
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .format("%Y-%m-%d")
        .to_string();
    for (day, to) in [
        (today.as_str(), "not an address"),
        ("2001-01-01", "thanhtra@bocongan.gov.vn"),
    ] {
        let res = a
            .post("/admin/audit/anchor", &[("day", day), ("to", to)])
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{day} {to}");
    }
    let res = a
        .post(
            "/admin/audit/anchor",
            &[("day", &today), ("to", "ThanhTra@bocongan.gov.vn")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM email_outbox WHERE kind = 'audit_anchor' AND recipient = 'thanhtra@bocongan.gov.vn' AND body_text LIKE '%' || (SELECT detail->>'hash' FROM audit_log WHERE action = 'audit_anchor_sent') || '%'"),
        1
    );

    // The daily check: intact, no mail; broken, each administrator hears once a day.
    let cfg = db.config();
    assert_eq!(
        cyberdesk::services::audit_log::daily_check(&mut conn, &cfg).expect("check"),
        None
    );
    db.exec("ALTER TABLE audit_log DISABLE TRIGGER USER");
    db.exec("UPDATE audit_log SET action = 'logout' WHERE seq = 2");
    db.exec("ALTER TABLE audit_log ENABLE TRIGGER USER");
    for _ in 0..2 {
        let b = cyberdesk::services::audit_log::daily_check(&mut conn, &cfg).expect("check");
        assert_eq!(b.map(|b| b.fault), Some(Fault::Content));
    }
    assert_eq!(
        db.count("SELECT count(*) AS n FROM email_outbox WHERE kind = 'audit_chain_broken'"),
        1,
        "one administrator, one mail a day"
    );
}
