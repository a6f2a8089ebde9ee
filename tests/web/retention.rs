//! Retention and legal holds (docs/domain.md §19): rules as data, a dry run,
//! anonymisation that keeps suspects, money and statistics, and holds that
//! keep a case's personal data whatever the rules say.

use actix_web::http::StatusCode;

use crate::cases::{create, me};
use crate::common::{signed_in, TestDb};
use crate::print::resolve;

/// What statistics are made of: the tallies, money and suspects' identifiers.
fn figures(db: &TestDb) -> String {
    let mut conn = db.conn();
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        v: String,
    }
    let rows: Vec<Row> = diesel::RunQueryDsl::load(
        diesel::sql_query(
            "SELECT concat_ws('|', \
               (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM case_tallies t), \
               (SELECT sum(total_loss)::text FROM cases), \
               (SELECT string_agg(status || ':' || coalesce(outcome, '') || ':' || category_id, ',' ORDER BY id) FROM cases), \
               (SELECT string_agg(i.value || ':' || l.amount, ',' ORDER BY i.value, l.id) FROM identifier_links l JOIN identifiers i ON i.id = l.identifier_id WHERE l.role = 'suspect')) AS v",
        ),
        &mut conn,
    )
    .expect("figures");
    rows.into_iter().next().map(|r| r.v).unwrap_or_default()
}

fn decided_years_ago(db: &TestDb, reference: &str, years: i32) {
    db.exec(&format!(
        "UPDATE cases SET decided_at = now() - interval '{years} years' WHERE ref = '{reference}'"
    ));
}

#[actix_web::test]
async fn a_dry_run_lists_what_a_run_anonymises_and_holds_and_newer_cases_are_kept() {
    let db = TestDb::new();
    let (mut sup_c, sup) = signed_in(&db, "supervisor").await;
    let who = me(&db, sup);
    let mut refs = Vec::new();
    for _ in 0..3 {
        let r = create(
            &db,
            &who,
            &[(
                "description",
                "Ông Nguyễn Văn An (0912.345.678, an@example.vn) chuyển tiền cho đối tượng.",
            )],
        );
        resolve(&db, sup, &r, sup);
        refs.push(r);
    }
    let (old, held, newer) = (&refs[0], &refs[1], &refs[2]);
    let res = sup_c
        .post(
            &format!("/cases/{old}/notes"),
            &[("body", "Đã gọi lại cho anh An theo số 0912 345 678.")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    // Prosecuted cases are kept 30 years; the type's general rule (10) yields.
    decided_years_ago(&db, old, 31);
    decided_years_ago(&db, held, 31);
    decided_years_ago(&db, newer, 11);
    let res = sup_c
        .post(
            &format!("/cases/{held}/hold"),
            &[("reason", "Vụ án đang được điều tra, truy tố")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'case_hold_set'"),
        1
    );

    let (mut admin, _) = signed_in(&db, "admin").await;
    let before = figures(&db);
    let dry = admin.get("/admin/retention?dry_run=1").await;
    assert_eq!(dry.status, StatusCode::OK);
    assert!(
        dry.body.contains("1 vụ việc sẽ được ẩn danh"),
        "{}",
        dry.body
    );
    assert!(dry.body.contains(old.as_str()));
    assert!(!dry.body.contains(held.as_str()) && !dry.body.contains(newer.as_str()));
    assert_eq!(
        db.count("SELECT count(*) AS n FROM cases WHERE anonymised_at IS NOT NULL"),
        0,
        "a dry run changes nothing"
    );

    let res = admin.post("/admin/retention/run", &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let gone = |r: &str| {
        db.count(&format!(
            "SELECT count(*) AS n FROM cases WHERE ref = '{r}' AND anonymised_at IS NOT NULL AND reporter_name IS NULL \
             AND reporter_phone IS NULL AND reporter_email IS NULL AND description NOT LIKE '%Nguyễn Văn An%' \
             AND description NOT LIKE '%0912%' AND description LIKE '%[ẩn danh]%' AND search_extra NOT LIKE '%0912%'"
        ))
    };
    assert_eq!(gone(old), 1);
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.ref = '{old}' AND (e.body LIKE '%0912%' OR e.new_value LIKE '%Nguyễn Văn An%')")), 0, "the timeline too");
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.ref = '{old}' AND e.body = 'Đã gọi lại cho anh An theo số [ẩn danh].'")), 1);
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM identifier_links l JOIN cases c ON c.id = l.case_id WHERE c.ref = '{old}' AND (l.role = 'victim' OR l.reporter_key LIKE '%0912%')")), 0);
    for kept in [held, newer] {
        assert_eq!(db.count(&format!("SELECT count(*) AS n FROM cases WHERE ref = '{kept}' AND anonymised_at IS NULL AND reporter_name = 'Nguyễn Văn An'")), 1, "{kept}");
    }
    assert_eq!(figures(&db), before, "statistics are unchanged");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'case_anonymise'"),
        1
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'retention_run' AND actor_id IS NOT NULL AND detail->>'anonymised' = '1'"), 1);
    let verdict = cyberdesk::services::audit_log::verify(&mut db.conn()).expect("verify");
    assert!(verdict.broken.is_none(), "the audit chain holds");

    let page = sup_c.get(&format!("/cases/{old}?reporter=1")).await;
    assert!(page.body.contains("đã được ẩn danh ngày"));
    assert!(!page.body.contains("Nguyễn Văn An"));
    assert!(!page.body.contains("/hold\""), "nothing left to hold");
    let held_page = sup_c.get(&format!("/cases/{held}")).await;
    assert!(held_page.body.contains("Vụ án đang được điều tra, truy tố"));

    // Lifting the hold lets the next run take it; a second run has nothing to do.
    let res = sup_c
        .post(&format!("/cases/{held}/hold/release"), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM cases WHERE ref = '{held}' AND hold_at IS NULL AND hold_reason IS NULL")), 1, "hold lifted");
    cyberdesk::services::retention::run(
        &mut db.conn(),
        None,
        &Default::default(),
        chrono::Utc::now(),
    )
    .expect("run");
    assert_eq!(gone(held), 1);
    assert_eq!(
        cyberdesk::services::retention::run(
            &mut db.conn(),
            None,
            &Default::default(),
            chrono::Utc::now()
        )
        .expect("run"),
        0
    );
    assert_eq!(figures(&db), before);
}

#[actix_web::test]
async fn bad_periods_holds_and_roles_are_refused_and_nothing_is_written() {
    let db = TestDb::new();
    let (mut admin, _) = signed_in(&db, "admin").await;
    let rule = db.count("SELECT id::bigint AS n FROM retention_rules WHERE case_type = 'feedback'");
    let rules = db.count("SELECT count(*) AS n FROM retention_rules");
    for months in ["0", "-5", "abc", "1201", ""] {
        let res = admin
            .post(&format!("/admin/retention/{rule}"), &[("months", months)])
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{months}");
        assert!(
            res.body
                .contains("Thời hạn lưu giữ phải là số tháng từ 1 đến 1200."),
            "{months}"
        );
        let res = admin
            .post(
                "/admin/retention",
                &[
                    ("case_type", "data_breach"),
                    ("outcome", "remediated"),
                    ("months", months),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{months}");
    }
    let res = admin
        .post(
            "/admin/retention",
            &[("case_type", "feedback"), ("outcome", ""), ("months", "12")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .body
        .contains("Đã có quy tắc cho loại vụ việc và kết quả này"));
    let res = admin
        .post(
            "/admin/retention",
            &[
                ("case_type", "weather"),
                ("outcome", "sunny"),
                ("months", "12"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(db.count("SELECT count(*) AS n FROM retention_rules"), rules);
    assert_eq!(
        db.count(&format!(
            "SELECT months::bigint AS n FROM retention_rules WHERE id = {rule}"
        )),
        24
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action LIKE 'retention_%'"),
        0
    );

    // A good change and a good rule, audited.
    let res = admin
        .post(&format!("/admin/retention/{rule}"), &[("months", "36")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = admin
        .post(
            "/admin/retention",
            &[
                ("case_type", "data_breach"),
                ("outcome", "remediated"),
                ("months", "24"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(db.count("SELECT count(*) AS n FROM audit_log WHERE action IN ('retention_rule_update', 'retention_rule_create')"), 2);

    // Holds: a reason is needed, supervisors only.
    let (mut sup_c, sup) = signed_in(&db, "supervisor").await;
    let reference = create(&db, &me(&db, sup), &[]);
    let res = sup_c
        .post(&format!("/cases/{reference}/hold"), &[("reason", "   ")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Hãy ghi lý do lưu giữ pháp lý."));
    let long = "x".repeat(501);
    let res = sup_c
        .post(&format!("/cases/{reference}/hold"), &[("reason", &long)])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let (mut officer, _) = signed_in(&db, "officer").await;
    let res = officer
        .post(&format!("/cases/{reference}/hold"), &[("reason", "Lý do")])
        .await;
    assert!(
        matches!(res.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        res.status
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM cases WHERE hold_at IS NOT NULL"),
        0
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action LIKE 'case_hold%'"),
        0
    );
    for path in ["/admin/retention", "/admin/retention?dry_run=1"] {
        assert_eq!(sup_c.get(path).await.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        sup_c.post("/admin/retention/run", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'retention_run'"),
        0
    );
}

#[actix_web::test]
async fn a_public_report_is_anonymised_everywhere_it_was_written() {
    let db = TestDb::new();
    let mut public = crate::common::client(&db).await;
    let narrative =
        "Tôi là Trần Thị Bích, số 0987 654 321. Đối tượng gọi từ 0912 000 111 yêu cầu chuyển tiền.";
    let res = crate::portal::send(
        &mut public,
        "crime",
        &crate::portal::crime(&[("narrative", narrative)]),
        &[("Trần Thị Bích - sao kê.png", crate::portal::PNG)],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let sid = db.count("SELECT max(id) AS n FROM submissions");
    let (mut sup_c, sup) = signed_in(&db, "supervisor").await;
    let reference = crate::portal::to_case(&mut sup_c, sid).await;
    resolve(&db, sup, &reference, sup);
    decided_years_ago(&db, &reference, 31);
    assert!(
        db.count("SELECT count(*) AS n FROM email_outbox WHERE recipient = 'bich.tran@example.vn'")
            > 0
    );
    let before = figures(&db);

    let done = cyberdesk::services::retention::run(
        &mut db.conn(),
        None,
        &Default::default(),
        chrono::Utc::now(),
    )
    .expect("the run goes through the guards of what is kept as sent");
    assert_eq!(done, 1);
    for (what, sql) in [
        ("the report as sent", format!("SELECT count(*) AS n FROM submissions WHERE id = {sid} AND reporter_name IS NULL AND contact_phone IS NULL AND contact_email IS NULL AND ip IS NULL AND narrative NOT LIKE '%Bích%' AND narrative NOT LIKE '%0987%' AND narrative LIKE '%0912 000 111%' AND payload->>'reporter_name' = '[ẩn danh]' AND payload::text NOT LIKE '%0987%'")),
        ("its file's name", format!("SELECT count(*) AS n FROM submission_files WHERE submission_id = {sid} AND original_name = '[ẩn danh] - sao kê.png'")),
        ("the exhibit's name", format!("SELECT count(*) AS n FROM exhibits e JOIN cases c ON c.id = e.case_id WHERE c.ref = '{reference}' AND e.original_name = '[ẩn danh] - sao kê.png'")),
    ] {
        assert_eq!(db.count(&sql), 1, "{what}");
    }
    assert_eq!(db.count("SELECT count(*) AS n FROM email_outbox WHERE recipient LIKE '%bich.tran%' OR body_text LIKE '%Bích%' OR body_html LIKE '%Bích%'"), 0, "the mail sent");
    assert_eq!(db.count("SELECT count(*) AS n FROM case_events WHERE coalesce(body, '') || coalesce(old_value, '') || coalesce(new_value, '') LIKE '%Bích%'"), 0);
    assert_eq!(db.count("SELECT count(*) AS n FROM identifier_links l JOIN identifiers i ON i.id = l.identifier_id WHERE i.value = '+84912345678' AND l.role = 'suspect'"), 1, "the suspect's phone stays");
    assert_eq!(figures(&db), before);
    let verdict = cyberdesk::services::audit_log::verify(&mut db.conn()).expect("verify");
    assert!(verdict.broken.is_none());
    let page = sup_c.get(&format!("/intake/{sid}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("Bích") && !page.body.contains("0987"),
        "intake shows nothing of them"
    );

    // An edit cannot bring the reporter back, and an old form cannot either.
    let version = db.count(&format!(
        "SELECT version::bigint AS n FROM cases WHERE ref = '{reference}'"
    ));
    let form = cyberdesk::services::cases::CaseForm::from_pairs(crate::cases::report(&[
        ("version", &version.to_string()),
        ("reporter_name", "Trần Thị Bích"),
    ]));
    let err = cyberdesk::services::cases::update(
        &mut db.conn(),
        &me(&db, sup),
        &Default::default(),
        &db.config(),
        &reference,
        &form,
    )
    .expect_err("refused");
    assert!(
        matches!(err, cyberdesk::error::AppError::Invalid(_)),
        "{err:?}"
    );
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM cases WHERE ref = '{reference}' AND reporter_name IS NULL"
        )),
        1
    );

    // The guards still hold outside anonymisation.
    create(&db, &me(&db, sup), &[]);
    let mut conn = db.conn();
    let rewrite = diesel::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "UPDATE submissions SET narrative = 'x' WHERE id = {sid}"
        )),
        &mut conn,
    );
    assert!(rewrite.is_err(), "a submission stays as it is");
    let forced: Result<(), diesel::result::Error> =
        diesel::Connection::transaction(&mut conn, |conn| {
            diesel::RunQueryDsl::execute(
                diesel::sql_query("SELECT set_config('cyberdesk.anonymising', 'on', true)"),
                conn,
            )?;
            let other = db.count("SELECT min(id) AS n FROM cases WHERE anonymised_at IS NULL");
            diesel::RunQueryDsl::execute(
                diesel::sql_query(format!(
                    "UPDATE case_events SET body = 'x' WHERE case_id = {other}"
                )),
                conn,
            )?;
            Ok(())
        });
    assert!(
        forced.is_err(),
        "the setting alone opens nothing: only a case marked anonymised"
    );
}

/// The daily run happens once a day whichever instance starts first: a
/// restart or a second instance finds it recorded and searches nothing.
#[test]
fn the_daily_run_happens_once_a_day_across_instances() {
    use cyberdesk::services::retention::run_daily;
    let db = TestDb::new();
    let meta = cyberdesk::auth::RequestMeta::default();
    let now = chrono::Utc::now();
    assert_eq!(run_daily(&mut db.conn(), &meta, now).expect("run"), Some(0));
    assert_eq!(run_daily(&mut db.conn(), &meta, now).expect("run"), None);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'retention_run'"),
        1
    );
    // The next day, it runs again.
    let tomorrow = now + chrono::Duration::days(1);
    assert_eq!(
        run_daily(&mut db.conn(), &meta, tomorrow).expect("run"),
        Some(0)
    );
}
