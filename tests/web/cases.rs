//! Case management over HTTP and through the services, against a real database.

use actix_web::http::StatusCode;

use crate::common::{signed_in, TestDb, PASSWORD};
use cyberdesk::domain::workflow;
use cyberdesk::{
    auth::{CurrentUser, RequestMeta},
    i18n::Lang,
    models::{case::Status, user::Role},
    services::cases::{self, CaseForm, MoveInput},
};

/// A complete, valid phone report; `over` replaces or adds fields.
pub(crate) fn report(over: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = [
        ("case_type", "crime_report"),
        ("channel", "phone"),
        ("received_at", "2026-11-20T09:15"),
        ("reporter_kind", "individual"),
        ("reporter_name", "Nguyễn Văn An"),
        ("reporter_phone", "0912 345 678"),
        ("reporter_email", "an@example.vn"),
        ("reporter_is_victim", "on"),
        ("title", "Lừa đảo đầu tư tiền ảo qua Telegram"),
        ("category_id", "1"),
        ("severity", "high"),
        ("tlp", "AMBER"),
        ("occurred_at", "2026-11-18T20:00"),
        (
            "description",
            "Bị hại chuyển tiền cho đối tượng tại Đà Nẵng.\nDòng thứ hai.",
        ),
        ("tx-0-amount", "1.500.000"),
        ("tx-0-method", "bank_transfer"),
        ("tx-0-to_bank", "VCB"),
        ("tx-0-to_account", "0011004455667"),
        ("tx-0-to_holder", "TRAN VAN B"),
        ("tx-1-amount", "2000000"),
        ("tx-1-method", "ewallet"),
        ("tx-1-to_account", "0987654321"),
        ("tx-2-method", "bank_transfer"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in over {
        f.retain(|(name, _)| name != k);
        f.push((k.to_string(), v.to_string()));
    }
    f
}

fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

pub(crate) fn me(db: &TestDb, id: i64) -> CurrentUser {
    use cyberdesk::db::schema::users;
    use diesel::prelude::*;
    let (email, name, role, team, unit_id): (String, String, Role, Option<String>, i32) =
        users::table
            .find(id)
            .select((
                users::email,
                users::full_name,
                users::role,
                users::team,
                users::unit_id,
            ))
            .first(&mut db.conn())
            .expect("user");
    CurrentUser {
        id,
        session_id: 0,
        email,
        full_name: name,
        role,
        team,
        on_duty: false,
        lang: Lang::Vi,
        must_change_password: false,
        csrf_token: String::new(),
        unit_id,
        unit_name: String::new(),
        unit_tz: None,
        stage: cyberdesk::models::session::Stage::Full,
    }
}

pub(crate) fn create(db: &TestDb, who: &CurrentUser, over: &[(&str, &str)]) -> String {
    let form = CaseForm::from_pairs(report(over));
    cases::create(
        &mut db.conn(),
        who,
        &RequestMeta::default(),
        &db.config(),
        &form,
    )
    .expect("create case")
    .ref_
}

pub(crate) fn user_with_team(db: &TestDb, email: &str, role: &str, team: &str) -> i64 {
    let id = db.user(email, role, PASSWORD);
    db.exec(&format!("UPDATE users SET team = '{team}' WHERE id = {id}"));
    id
}

#[actix_web::test]
async fn an_officer_logs_a_phone_report_with_money_rows() {
    let db = TestDb::new();
    let (mut c, _) = signed_in(&db, "officer").await;
    let page = c.get("/cases/new").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.find("reporter_name").expect("reporter block")
            < page.body.find("name=\"title\"").expect("what block"),
        "reporter first"
    );
    let res = c.post("/cases/new", &pairs(&report(&[]))).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(
        res.location(),
        format!("/cases/PA05-TG-{}-00001", this_year())
    );
    let page = c.get(res.location()).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "Lừa đảo đầu tư tiền ảo qua Telegram",
        "3.500.000 ₫",
        "Đã tiếp nhận vụ việc.",
        "Mới tiếp nhận",
        "Phân loại (24 giờ)",
        "Xác minh, ra quyết định",
        "Dòng thứ hai.",
    ] {
        assert!(page.body.contains(text), "missing {text}");
    }
    assert!(
        !page.body.contains("0912 345 678"),
        "contact details only on request"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM case_transactions"),
        2,
        "blank row skipped"
    );
    assert_eq!(db.count("SELECT total_loss AS n FROM cases"), 3_500_000);
    assert_eq!(db.count("SELECT count(*) AS n FROM case_deadlines"), 3);
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM audit_log WHERE action = 'case_create' AND target_id = 'PA05-TG-{}-00001'", this_year())), 1);
    // Asking for the reporter's contact details shows them and logs the view.
    let page = c
        .get(&format!("/cases/PA05-TG-{}-00001?reporter=1", this_year()))
        .await;
    assert!(page.body.contains("0912 345 678"));
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'case_reporter_view'"),
        1
    );
}

#[actix_web::test]
async fn invalid_reports_keep_the_input_and_write_nothing() {
    let db = TestDb::new();
    let (mut c, _) = signed_in(&db, "officer").await;
    let long_title = "T".repeat(201);
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("title", "")], "Vui lòng nhập thông tin này"),
        (&[("title", &long_title)], "Nội dung quá dài"),
        (
            &[("received_at", "2099-01-01T10:00")],
            "nằm trong tương lai",
        ),
        (&[("occurred_at", "hôm qua")], "Ngày giờ không hợp lệ"),
        (
            &[("occurred_at", "2026-11-21T10:00")],
            "không thể sau thời điểm tiếp nhận",
        ),
        (&[("category_id", "99999")], "Vui lòng chọn một lĩnh vực"),
        (&[("subcategory_id", "99999")], "Vui lòng chọn một lĩnh vực"),
        (&[("tx-0-amount", "-5")], "Số tiền chỉ gồm chữ số"),
        (&[("tx-0-amount", "0")], "Số tiền phải lớn hơn 0"),
        (&[("tx-0-time", "2099-12-01T10:00")], "nằm trong tương lai"),
        (&[("reporter_phone", "12ab")], "Số điện thoại không hợp lệ"),
        (
            &[("reporter_email", "an@")],
            "Địa chỉ thư điện tử không hợp lệ",
        ),
        (
            &[("reporter_national_id", "12345")],
            "Số CCCD gồm 12 chữ số",
        ),
        (
            &[("reporter_name", "")],
            "Vui lòng nhập họ tên người tố giác",
        ),
        (
            &[("system_security_level", "9")],
            "Cấp độ hệ thống từ 1 đến 5",
        ),
        (&[("severity", "extreme")], "Giá trị không hợp lệ"),
        (&[("case_type", "")], "Vui lòng nhập thông tin này"),
    ];
    for (over, message) in cases {
        let res = c.post("/cases/new", &pairs(&report(over))).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{over:?}");
        assert!(res.body.contains(message), "{over:?}: expected {message}");
        assert!(
            res.body.contains("TRAN VAN B") && res.body.contains("0011004455667"),
            "{over:?}: input kept"
        );
    }
    assert_eq!(db.count("SELECT count(*) AS n FROM cases"), 0);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM case_sequences"),
        0,
        "no number used"
    );
    // "Add rows" re-renders with more rows and saves nothing.
    let res = c
        .post("/cases/new", &pairs(&report(&[("add_rows", "1")])))
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("name=\"tx-5-amount\""));
    assert_eq!(db.count("SELECT count(*) AS n FROM cases"), 0);
    // An anonymous report needs no name.
    let res = c
        .post(
            "/cases/new",
            &pairs(&report(&[
                ("reporter_kind", "anonymous"),
                ("reporter_name", ""),
            ])),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
}

#[test]
fn reference_numbers_have_no_duplicates_or_gaps_under_concurrency() {
    let db = TestDb::new();
    let id = user_with_team(&db, "a@pa05.test.vn", "officer", "Đội 1");
    let who = me(&db, id);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (url, cfg, who) = (db.url.clone(), db.config(), who.clone());
            std::thread::spawn(move || {
                use diesel::Connection;
                let mut conn = diesel::PgConnection::establish(&url).expect("connect");
                (0..5)
                    .map(|_| {
                        cases::create(
                            &mut conn,
                            &who,
                            &RequestMeta::default(),
                            &cfg,
                            &CaseForm::from_pairs(report(&[])),
                        )
                        .expect("create")
                        .ref_
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut refs: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("thread"))
        .collect();
    refs.sort();
    let expected: Vec<String> = (1..=40)
        .map(|n| format!("PA05-TG-{}-{n:05}", this_year()))
        .collect();
    assert_eq!(refs, expected);
    // Another type has its own sequence.
    assert_eq!(
        create(&db, &who, &[("case_type", "security_incident")]),
        format!("PA05-SC-{}-00001", this_year())
    );
}

#[actix_web::test]
async fn a_second_save_of_a_stale_form_is_refused_and_keeps_the_input() {
    let db = TestDb::new();
    let (mut a, a_id) = signed_in(&db, "supervisor").await;
    let (mut b, _) = signed_in(&db, "supervisor").await;
    let reference = create(&db, &me(&db, a_id), &[]);
    let edit = format!("/cases/{reference}/edit");
    assert_eq!(a.get(&edit).await.status, StatusCode::OK);
    assert_eq!(b.get(&edit).await.status, StatusCode::OK);
    let res = a
        .post(
            &edit,
            &pairs(&report(&[
                ("version", "1"),
                ("title", "Tiêu đề của A"),
                ("severity", "critical"),
            ])),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let res = b
        .post(
            &edit,
            &pairs(&report(&[("version", "1"), ("title", "Tiêu đề của B")])),
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(
        res.body.contains("đã được người khác sửa")
            && res.body.contains("Test supervisor")
            && res.body.contains("Tiêu đề của B")
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM cases WHERE title = 'Tiêu đề của A'"),
        1
    );
    // Field history: before and after of each change.
    let page = a.get(&format!("/cases/{reference}")).await;
    assert!(
        page.body.contains("Tiêu đề")
            && page.body.contains("<ins>Tiêu đề của A</ins>")
            && page
                .body
                .contains("<del>Lừa đảo đầu tư tiền ảo qua Telegram</del>")
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM case_events WHERE kind = 'field' AND field IN ('title', 'severity')"), 2);
}

/// Every (from, to) pair × who is asking: exactly the table's moves succeed.
#[test]
fn the_transition_table_as_a_whole() {
    let db = TestDb::new();
    let sup = me(
        &db,
        user_with_team(&db, "s@pa05.test.vn", "supervisor", "Đội 1"),
    );
    let assignee = me(
        &db,
        user_with_team(&db, "o1@pa05.test.vn", "officer", "Đội 1"),
    );
    let other = me(
        &db,
        user_with_team(&db, "o2@pa05.test.vn", "officer", "Đội 1"),
    );
    let reference = create(&db, &assignee, &[]);
    cases::assign(
        &mut db.conn(),
        &sup,
        &RequestMeta::default(),
        &db.config(),
        &reference,
        assignee.id,
    )
    .expect("assign");
    let cfg = db.config();
    let input = MoveInput {
        reason: "lý do".into(),
        agency: "Công an tỉnh B".into(),
        outcome: "no_violation".into(),
        summary: "Đã xác minh".into(),
    };
    let mut checked = 0;
    db.exec(&format!("INSERT INTO exhibits (case_id, storage_id, sha256, size_bytes, detected_type, original_name, kind, source, received_at) SELECT id, 'x', repeat('a', 64), 1, 'application/pdf', 'r.pdf', 'final_report', 'officer', now() FROM cases WHERE ref = '{reference}'"));
    for from in Status::ALL {
        for to in Status::ALL {
            for (who, is_sup) in [(&sup, true), (&assignee, false), (&other, false)] {
                db.exec(&format!(
                    "UPDATE cases SET status = '{}' WHERE ref = '{reference}'",
                    from.code()
                ));
                let result = cases::transition(
                    &mut db.conn(),
                    who,
                    &RequestMeta::default(),
                    &cfg,
                    &reference,
                    *to,
                    &input,
                );
                let expected = match workflow::find(*from, *to) {
                    None => false,
                    Some(m) => is_sup || (m.who == workflow::Who::Worker && who.id == assignee.id),
                };
                assert_eq!(
                    result.is_ok(),
                    expected,
                    "{from:?} -> {to:?} by {}: {result:?}",
                    who.email
                );
                if let Err(e) = result {
                    let status = actix_web::ResponseError::status_code(&e).as_u16();
                    assert!(
                        status == 422 || status == 403,
                        "{from:?} -> {to:?}: {status}"
                    );
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 11 * 11 * 3);
    assert_counts_exact(&db);
}

/// The trigger-kept `case_counts` equals a fresh GROUP BY.
fn assert_counts_exact(db: &TestDb) {
    let drift = db.count(
        "SELECT count(*) AS n FROM (SELECT unit_id, case_type, status, count(*) AS n FROM cases GROUP BY 1, 2, 3) g \
         FULL JOIN case_counts c USING (unit_id, case_type, status) WHERE coalesce(g.n, 0) <> coalesce(c.n, 0)",
    );
    assert_eq!(drift, 0, "case_counts drifted from the cases table");
}

#[test]
fn maintained_counts_follow_every_kind_of_write() {
    let db = TestDb::new();
    let sup = me(
        &db,
        user_with_team(&db, "s@pa05.test.vn", "supervisor", "Đội 1"),
    );
    let a = create(&db, &sup, &[]);
    let b = create(&db, &sup, &[("case_type", "data_breach")]);
    cases::merge(
        &mut db.conn(),
        &sup,
        &RequestMeta::default(),
        &db.config(),
        &b,
        &a,
    )
    .expect("merge");
    db.exec("UPDATE cases SET status = 'closed'");
    assert_counts_exact(&db);
    let _ = create(&db, &sup, &[]);
    assert_counts_exact(&db);
}

#[actix_web::test]
async fn moves_need_their_inputs_and_bad_moves_are_422() {
    let db = TestDb::new();
    let (mut s, sid) = signed_in(&db, "supervisor").await;
    let reference = create(&db, &me(&db, sid), &[("case_type", "security_incident")]);
    let url = format!("/cases/{reference}/status");
    let res = s.post(&url, &[("to", "closed")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Không thể chuyển vụ việc"));
    let res = s.post(&url, &[("to", "nonsense")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    db.exec(&format!(
        "UPDATE cases SET status = 'in_progress' WHERE ref = '{reference}'"
    ));
    let res = s.post(&url, &[("to", "suspended")]).await;
    assert!(
        res.status == StatusCode::UNPROCESSABLE_ENTITY && res.body.contains("Vui lòng nhập lý do")
    );
    let res = s.post(&url, &[("to", "transferred")]).await;
    assert!(res.body.contains("cơ quan tiếp nhận"));
    let res = s
        .post(&url, &[("to", "resolved"), ("outcome", "remediated")])
        .await;
    assert!(res.body.contains("tóm tắt kết quả"));
    let res = s
        .post(
            &url,
            &[
                ("to", "resolved"),
                ("outcome", "remediated"),
                ("summary", "Đã khôi phục hệ thống"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    // A security incident closes only with its final report; its report clock started.
    assert_eq!(db.count("SELECT count(*) AS n FROM case_deadlines WHERE kind = 'final_report' AND met_at IS NULL"), 1);
    let res = s.post(&url, &[("to", "closed")]).await;
    assert!(
        res.status == StatusCode::UNPROCESSABLE_ENTITY && res.body.contains("báo cáo kết thúc")
    );
    db.exec(&format!("INSERT INTO exhibits (case_id, storage_id, sha256, size_bytes, detected_type, original_name, kind, source, received_at) SELECT id, 'x', repeat('a', 64), 1, 'application/pdf', 'r.pdf', 'final_report', 'officer', now() FROM cases WHERE ref = '{reference}'"));
    assert_eq!(
        s.post(&url, &[("to", "closed")]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM cases WHERE deadline_at IS NULL AND status = 'closed'"),
        1,
        "no clock runs on a closed case"
    );
    // Reopen with a reason.
    assert_eq!(
        s.post(
            &url,
            &[("to", "in_progress"), ("reason", "Có tình tiết mới")]
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM case_events WHERE kind = 'status'"),
        3
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'case_status'"),
        3
    );
}

#[actix_web::test]
async fn officers_see_count_and_find_only_cases_they_may_open() {
    let db = TestDb::new();
    let a = user_with_team(&db, "a@pa05.test.vn", "officer", "Đội 1");
    let b = user_with_team(&db, "b@pa05.test.vn", "officer", "Đội 2");
    let sup = me(
        &db,
        user_with_team(&db, "s@pa05.test.vn", "supervisor", "Lãnh đạo"),
    );
    let team1 = create(&db, &me(&db, a), &[("title", "Vụ của đội một")]);
    let secret = create(
        &db,
        &me(&db, a),
        &[
            ("title", "Vụ bí mật đội một"),
            ("confidential_reporter", "on"),
        ],
    );
    let red = create(
        &db,
        &sup,
        &[("title", "Vụ TLP đỏ"), ("tlp", "RED"), ("team", "Đội 1")],
    );
    cases::assign(
        &mut db.conn(),
        &sup,
        &RequestMeta::default(),
        &db.config(),
        &secret,
        b,
    )
    .expect("assign to b");

    let mut ca = crate::common::client(&db).await;
    ca.login("a@pa05.test.vn", PASSWORD).await;
    let mut cb = crate::common::client(&db).await;
    cb.login("b@pa05.test.vn", PASSWORD).await;

    let list_a = ca.get("/cases?status=all").await.body;
    assert!(
        list_a.contains(&team1) && !list_a.contains(&secret) && !list_a.contains(&red),
        "a sees only the open team case"
    );
    assert!(list_a.contains("1 vụ việc"), "counts agree");
    let list_b = cb.get("/cases?status=all").await.body;
    assert!(
        list_b.contains(&secret) && !list_b.contains(&team1),
        "b sees the case assigned to them only"
    );
    assert!(
        !ca.get("/cases?status=all&q=b%C3%AD%20m%E1%BA%ADt")
            .await
            .body
            .contains(&secret),
        "search respects visibility"
    );
    assert_eq!(
        ca.get(&format!("/cases/{secret}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        ca.get(&format!("/cases/{red}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        cb.get(&format!("/cases/{team1}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        cb.post(&format!("/cases/{team1}/notes"), &[("body", "x")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Admins do no case work.
    let (mut admin, _) = signed_in(&db, "admin").await;
    assert_eq!(admin.get("/cases").await.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn search_ignores_accents_and_finds_phones_and_accounts() {
    let db = TestDb::new();
    let (mut s, sid) = signed_in(&db, "supervisor").await;
    let who = me(&db, sid);
    let fraud = create(&db, &who, &[]);
    let other = create(
        &db,
        &who,
        &[
            ("title", "Tấn công DDoS cổng thông tin"),
            ("description", "Hệ thống ngừng hoạt động"),
            ("reporter_phone", "0281234567"),
            ("tx-0-to_account", "9999"),
            ("tx-1-amount", ""),
            ("tx-1-to_account", ""),
        ],
    );
    for (query, hit, miss) in [
        ("lua dao", &fraud, &other),
        ("Đà Nẵng", &fraud, &other),
        ("da nang", &fraud, &other),
        ("0912 345 678", &fraud, &other),
        ("0011004455667", &fraud, &other),
        ("ddos", &other, &fraud),
        (fraud.as_str(), &fraud, &other),
    ] {
        let page = s
            .get(&format!(
                "/cases?status=all&q={}",
                cyberdesk::domain::value::encode_query_value(query)
            ))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains(hit.as_str()) && !page.body.contains(miss.as_str()),
            "{query}"
        );
    }
    let page = s.get("/cases?status=all&q=lua%20dao").await;
    assert!(
        page.body.contains("<mark>Lừa</mark> <mark>đảo</mark>"),
        "highlighted"
    );
    let page = s
        .get("/cases?status=all&q=kh%C3%B4ng%20c%C3%B3%20g%C3%AC")
        .await;
    assert!(page.body.contains("Không tìm thấy vụ việc nào"));
}

#[actix_web::test]
async fn assignment_taking_notes_and_watchers() {
    let db = TestDb::new();
    let (mut s, sid) = signed_in(&db, "supervisor").await;
    let o = user_with_team(&db, "o@pa05.test.vn", "officer", "Đội 1");
    let reference = create(&db, &me(&db, o), &[]);
    let res = s
        .post(
            &format!("/cases/{reference}/assign"),
            &[("assignee_id", &o.to_string())],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM cases WHERE status = 'assigned'"),
        1
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM case_deadlines WHERE met_at IS NOT NULL"),
        2,
        "classify and assign met"
    );
    let res = s
        .post(
            &format!("/cases/{reference}/assign"),
            &[("assignee_id", "999999")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

    // An officer takes an unassigned case of their team, not another team's.
    let mut co = crate::common::client(&db).await;
    co.login("o@pa05.test.vn", PASSWORD).await;
    let second = create(&db, &me(&db, sid), &[("team", "Đội 1")]);
    let elsewhere = create(&db, &me(&db, sid), &[("team", "Đội 9")]);
    assert!(co
        .get(&format!("/cases/{second}"))
        .await
        .body
        .contains("Nhận thụ lý vụ việc này"));
    assert_eq!(
        co.post(&format!("/cases/{second}/take"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        co.post(&format!("/cases/{elsewhere}/take"), &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        co.post(
            &format!("/cases/{reference}/assign"),
            &[("assignee_id", &sid.to_string())]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    // Notes keep line breaks and escape markup.
    let res = co
        .post(
            &format!("/cases/{reference}/notes"),
            &[("body", "Gọi bị hại lần 1\n<script>alert(1)</script>")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = co.get(&format!("/cases/{reference}")).await.body;
    assert!(
        page.contains("Gọi bị hại lần 1<br>&#60;script&#62;")
            || page.contains("Gọi bị hại lần 1<br>&lt;script&gt;"),
        "escaped with breaks"
    );
    let res = co
        .post(&format!("/cases/{reference}/notes"), &[("body", "   ")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Oldest first shows the intake first.
    let page = co
        .get(&format!("/cases/{reference}?order=oldest"))
        .await
        .body;
    assert!(page.find("event-created").expect("created") < page.find("event-note").expect("note"));

    // Watchers: a supervisor adds one; the watcher then sees the case.
    let w = user_with_team(&db, "w@pa05.test.vn", "officer", "Đội 7");
    assert_eq!(
        s.post(
            &format!("/cases/{reference}/watchers"),
            &[("user_id", &w.to_string())]
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    let mut cw = crate::common::client(&db).await;
    cw.login("w@pa05.test.vn", PASSWORD).await;
    assert_eq!(
        cw.get(&format!("/cases/{reference}")).await.status,
        StatusCode::OK
    );
    for kind in ["assignment", "note", "watcher", "status"] {
        assert!(
            db.count(&format!(
                "SELECT count(*) AS n FROM case_events WHERE kind = '{kind}'"
            )) >= 1,
            "{kind} on the timeline"
        );
    }
}

#[actix_web::test]
async fn deadlines_extend_within_the_law() {
    let db = TestDb::new();
    let (mut s, sid) = signed_in(&db, "supervisor").await;
    let reference = create(&db, &me(&db, sid), &[("received_at", "2026-11-20T09:15")]);
    // Received 20/11 09:15 local: 20 days end 10/12 23:59:59 local.
    assert_eq!(db.count("SELECT count(*) AS n FROM case_deadlines WHERE kind = 'decide' AND due_at = '2026-12-10 23:59:59+07'"), 1);
    assert_eq!(db.count("SELECT count(*) AS n FROM case_deadlines WHERE kind = 'classify' AND due_at = '2026-11-21 09:15:00+07'"), 1);
    let url = format!("/cases/{reference}/extend");
    let res = s
        .post(
            &url,
            &[
                ("clock", "decide"),
                ("new_date", "2027-02-01"),
                ("reason", "Cần xác minh ngân hàng"),
            ],
        )
        .await;
    assert!(
        res.status == StatusCode::UNPROCESSABLE_ENTITY && res.body.contains("không quá 2 tháng"),
        "beyond 2 months from receipt"
    );
    assert_eq!(
        s.post(
            &url,
            &[
                ("clock", "decide"),
                ("new_date", "2027-01-20"),
                ("reason", "")
            ]
        )
        .await
        .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        s.post(
            &url,
            &[
                ("clock", "decide"),
                ("new_date", "2027-01-20"),
                ("reason", "Cần xác minh ngân hàng")
            ]
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    let res = s
        .post(
            &url,
            &[
                ("clock", "decide"),
                ("new_date", "2027-03-01"),
                ("reason", "Chờ kết quả giám định"),
            ],
        )
        .await;
    assert!(
        res.body.contains("Viện kiểm sát"),
        "second extension needs the document number"
    );
    let res = s
        .post(
            &url,
            &[
                ("clock", "decide"),
                ("new_date", "2027-03-01"),
                ("reason", "Chờ kết quả giám định"),
                ("doc_no", "15/QĐ-VKS"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = s
        .post(
            &url,
            &[
                ("clock", "decide"),
                ("new_date", "2027-03-05"),
                ("reason", "x"),
                ("doc_no", "x"),
            ],
        )
        .await;
    assert!(res.body.contains("tối đa hai lần"));
    assert_eq!(
        db.count("SELECT count(*) AS n FROM case_events WHERE kind = 'deadline'"),
        2
    );
    let page = s.get(&format!("/cases/{reference}")).await.body;
    assert!(page.contains("đã gia hạn 2 lần") && page.contains("01/03/2027 23:59"));
    // Officers cannot extend.
    let (mut o, _) = signed_in(&db, "officer").await;
    assert!(matches!(
        o.post(
            &url,
            &[
                ("clock", "decide"),
                ("new_date", "2027-03-02"),
                ("reason", "x")
            ]
        )
        .await
        .status
        .as_u16(),
        403 | 404
    ));
}

#[actix_web::test]
async fn link_and_merge() {
    let db = TestDb::new();
    let (mut s, sid) = signed_in(&db, "supervisor").await;
    let who = me(&db, sid);
    let a = create(&db, &who, &[]);
    let b = create(&db, &who, &[]);
    assert_eq!(
        s.post(&format!("/cases/{a}/link"), &[("other", &b)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert!(
        s.get(&format!("/cases/{b}"))
            .await
            .body
            .contains(&format!("href=\"/cases/{a}\"")),
        "linked both ways"
    );
    assert_eq!(
        s.post(
            &format!("/cases/{a}/link"),
            &[("other", "PA05-TG-2099-99999")]
        )
        .await
        .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        s.post(&format!("/cases/{a}/link"), &[("other", &a)])
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        s.post(&format!("/cases/{b}/merge"), &[("other", &a)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let page = s.get(&format!("/cases/{b}")).await.body;
    assert!(page.contains("Đã gộp") && page.contains("Vụ việc đã được gộp vào"));
    assert_eq!(
        db.count("SELECT count(*) AS n FROM case_events WHERE kind = 'merge'"),
        2
    );
    assert_eq!(
        s.post(&format!("/cases/{b}/merge"), &[("other", &a)])
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let (mut o, _) = signed_in(&db, "officer").await;
    assert!(matches!(
        o.post(&format!("/cases/{a}/merge"), &[("other", &b)])
            .await
            .status
            .as_u16(),
        403 | 404
    ));
}

#[actix_web::test]
async fn the_dashboard_shows_my_cases_the_queue_and_what_is_overdue() {
    let db = TestDb::new();
    let (mut s, sid) = signed_in(&db, "supervisor").await;
    let o = user_with_team(&db, "o@pa05.test.vn", "officer", "Đội 1");
    let mine = create(&db, &me(&db, o), &[("title", "Vụ của tôi")]);
    let waiting = create(
        &db,
        &me(&db, sid),
        &[
            ("title", "Vụ chờ phân công"),
            ("received_at", "2026-01-05T08:00"),
            ("occurred_at", ""),
        ],
    );
    cases::assign(
        &mut db.conn(),
        &me(&db, sid),
        &RequestMeta::default(),
        &db.config(),
        &mine,
        o,
    )
    .expect("assign");
    cases::set_watcher(
        &mut db.conn(),
        &me(&db, sid),
        &RequestMeta::default(),
        &mine,
        sid,
        true,
    )
    .expect("watch");
    let home = s.get("/").await.body;
    let queue = home.find("Chờ phân công").expect("queue panel");
    let overdue = home.find("Quá hạn trong đơn vị").expect("overdue panel");
    assert!(
        home[queue..].contains(&waiting),
        "unassigned queue lists the waiting case"
    );
    assert!(
        home[overdue..].contains(&waiting),
        "received in January: overdue"
    );
    assert!(
        home.contains("Vụ việc tôi theo dõi")
            && home[home.find("Vụ việc tôi theo dõi").expect("following")..].contains(&mine)
    );
    assert!(home.contains("Số liệu vụ việc"));
    let mut co = crate::common::client(&db).await;
    co.login("o@pa05.test.vn", PASSWORD).await;
    let home = co.get("/").await.body;
    assert!(home[home.find("Vụ việc tôi đang thụ lý").expect("my panel")..].contains(&mine));
    assert!(
        !home.contains("Chờ phân công"),
        "officers have no unit queue"
    );
}

#[actix_web::test]
async fn administrators_edit_categories_and_deadline_rules() {
    let db = TestDb::new();
    let (mut a, _) = signed_in(&db, "admin").await;
    assert_eq!(a.get("/admin/categories").await.status, StatusCode::OK);
    let res = a
        .post(
            "/admin/categories",
            &[
                ("code", "sextortion"),
                ("name_vi", "Tống tiền bằng hình ảnh nhạy cảm"),
                ("name_en", "Sextortion"),
                ("parent_id", "1"),
                ("sort", "90"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let res = a
        .post(
            "/admin/categories",
            &[("code", "Bad Code!"), ("name_vi", ""), ("name_en", "x")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains("Mã gồm chữ thường") && res.body.contains("Vui lòng nhập thông tin này")
    );
    let res = a
        .post(
            "/admin/categories",
            &[("code", "fraud"), ("name_vi", "x"), ("name_en", "x")],
        )
        .await;
    assert!(res.body.contains("Mã này đã được dùng"));
    let id = db.count("SELECT id::bigint AS n FROM categories WHERE code = 'sextortion'");
    let res = a
        .post(
            &format!("/admin/categories/{id}"),
            &[
                ("code", "sextortion"),
                ("name_vi", "Tống tiền"),
                ("name_en", "Sextortion"),
                ("parent_id", "1"),
                ("sort", "90"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(db.count("SELECT count(*) AS n FROM categories WHERE code = 'sextortion' AND NOT active AND name_vi = 'Tống tiền'"), 1);
    assert_eq!(db.count("SELECT count(*) AS n FROM audit_log WHERE action IN ('category_create', 'category_update')"), 2);

    // Deadline rules: a longer decision clock applies to cases received afterwards.
    let rule = db.count("SELECT id::bigint AS n FROM deadline_rules WHERE case_type = 'crime_report' AND kind = 'decide'");
    assert_eq!(
        a.post(
            &format!("/admin/deadlines/{rule}"),
            &[("amount", "0"), ("unit", "days"), ("active", "on")]
        )
        .await
        .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        a.post(
            &format!("/admin/deadlines/{rule}"),
            &[("amount", "30"), ("unit", "days"), ("active", "on")]
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    let (_, sid) = signed_in(&db, "supervisor").await;
    create(&db, &me(&db, sid), &[("received_at", "2026-11-20T09:15")]);
    assert_eq!(db.count("SELECT count(*) AS n FROM case_deadlines WHERE kind = 'decide' AND due_at = '2026-12-20 23:59:59+07'"), 1);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'deadline_rule_update'"),
        1
    );
    // Others may not.
    let (mut s, _) = signed_in(&db, "supervisor").await;
    assert_eq!(
        s.get("/admin/categories").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.post(
            &format!("/admin/deadlines/{rule}"),
            &[("amount", "5"), ("unit", "days")]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}

/// Reference numbers carry the year of intake in the unit's time zone.
fn this_year() -> i32 {
    use chrono::Datelike;
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .year()
}

#[actix_web::test]
async fn seeding_makes_varied_consistent_cases_the_app_can_show() {
    let db = TestDb::new();
    let mut progress = Vec::new();
    cyberdesk::seed::run(
        &mut db.conn(),
        &db.config(),
        (30_000, 3),
        Some(PASSWORD),
        |done, total, _| progress.push((done, total)),
    )
    .expect("seed");
    assert_eq!(progress.last(), Some(&(30_000, 30_000)));
    assert_eq!(db.count("SELECT count(*) AS n FROM cases"), 30_000);
    assert_eq!(
        db.count("SELECT count(DISTINCT ref) AS n FROM cases"),
        30_000
    );
    assert_eq!(
        db.count("SELECT count(DISTINCT case_type) AS n FROM cases"),
        4
    );
    assert!(db.count("SELECT count(DISTINCT status) AS n FROM cases") >= 9);
    assert!(db.count("SELECT count(*) AS n FROM case_transactions") > 1000);
    assert!(db.count("SELECT count(*) AS n FROM case_events WHERE kind = 'note'") > 1000);
    // Spread over three units, each with its prefix.
    assert_eq!(
        db.count("SELECT count(*) AS n FROM cases WHERE unit_id = 1"),
        10_000
    );
    assert_eq!(
        db.count("SELECT count(DISTINCT unit_id) AS n FROM cases"),
        3
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM cases c JOIN units u ON u.id = c.unit_id WHERE c.ref NOT LIKE u.ref_prefix || '-%'"), 0);
    // Sequences continue after the seeded numbers, per unit.
    assert_eq!(db.count("SELECT count(*) AS n FROM (SELECT unit_id, case_type, ref_year, max(ref_seq) AS m FROM cases GROUP BY 1, 2, 3) x JOIN case_sequences s ON s.unit_id = x.unit_id AND s.case_type = x.case_type AND s.year = x.ref_year WHERE s.last_seq <> x.m"), 0);
    assert_counts_exact(&db);
    // Identifiers with the shape of fraud: mule accounts and phones reported
    // by many victims, a long tail reported once, all as the form links them.
    let busiest = db.count("SELECT max(n) AS n FROM (SELECT identifier_id, count(DISTINCT case_id) AS n FROM identifier_links WHERE role = 'suspect' GROUP BY 1) x");
    assert!(busiest >= 50, "a mule account in {busiest} cases");
    let once = db.count("SELECT count(*) AS n FROM (SELECT identifier_id FROM identifier_links l JOIN identifiers i ON i.id = l.identifier_id WHERE i.kind = 'bank_account' GROUP BY 1 HAVING count(*) = 1) x");
    assert!(once > 5_000, "{once} accounts reported once");
    assert!(db.count("SELECT count(*) AS n FROM identifier_links l JOIN identifiers i ON i.id = l.identifier_id WHERE i.kind = 'phone' AND l.role = 'suspect'") > 1000);
    // Every linked account is the one on the case's money row.
    assert_eq!(db.count("SELECT count(*) AS n FROM identifier_links l JOIN identifiers i ON i.id = l.identifier_id WHERE i.kind = 'bank_account' AND NOT EXISTS (SELECT 1 FROM case_transactions t WHERE t.case_id = l.case_id AND t.to_bank || ':' || t.to_account = i.value)"), 0);
    assert!(
        db.count("SELECT count(*) AS n FROM hot_identifiers WHERE reports > 5") > 0,
        "the hot list has something to show"
    );
    let mut c = crate::common::client(&db).await;
    assert_eq!(
        c.login("lanhdao0@seed.pa05.vn", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let page = c.get("/cases?q=lua%20dao").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<mark>"));
    let reference = page
        .body
        .split("href=\"/cases/PA05-")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a case link");
    assert_eq!(
        c.get(&format!("/cases/PA05-{reference}")).await.status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn review_fixes_notes_links_reporter_data_search_window_and_dates() {
    let db = TestDb::new();
    let sup = me(
        &db,
        user_with_team(&db, "s@pa05.test.vn", "supervisor", "Lãnh đạo"),
    );
    let a = user_with_team(&db, "a@pa05.test.vn", "officer", "Đội 1");
    let b = user_with_team(&db, "b@pa05.test.vn", "officer", "Đội 1");
    let theirs = create(&db, &me(&db, a), &[("title", "Vụ của đồng đội")]);
    cases::assign(
        &mut db.conn(),
        &sup,
        &RequestMeta::default(),
        &db.config(),
        &theirs,
        a,
    )
    .expect("assign");
    let mut cb = crate::common::client(&db).await;
    cb.login("b@pa05.test.vn", PASSWORD).await;
    // b sees a team case assigned to a, but may not write on it or link to it.
    assert_eq!(
        cb.get(&format!("/cases/{theirs}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        cb.post(&format!("/cases/{theirs}/notes"), &[("body", "ghi chú")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let own = create(&db, &me(&db, b), &[("title", "Vụ của b")]);
    assert_eq!(
        cb.post(&format!("/cases/{own}/link"), &[("other", &theirs)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The reporter's details: the edit form is a logged view; their history keeps no values.
    let before =
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'case_reporter_view'");
    assert_eq!(
        cb.get(&format!("/cases/{own}/edit")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'case_reporter_view'"),
        before + 1
    );
    let res = cb
        .post(
            &format!("/cases/{own}/edit"),
            &pairs(&report(&[
                ("version", "1"),
                ("title", "Vụ của b"),
                ("reporter_phone", "0987 000 111"),
            ])),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(db.count("SELECT count(*) AS n FROM case_events WHERE field = 'reporter_phone' AND old_value = '' AND new_value = ''"), 1);
    assert!(!cb
        .get(&format!("/cases/{own}"))
        .await
        .body
        .contains("0987 000 111"));
    // Hidden matches do not crowd visible ones out of the search window.
    for _ in 0..3 {
        create(
            &db,
            &sup,
            &[
                ("title", "Vụ mật Telegram"),
                ("tlp", "RED"),
                ("team", "Đội 9"),
            ],
        );
    }
    let page = cb.get("/cases?status=all&q=da%20nang").await.body;
    assert!(page.contains(&own) && page.contains(&theirs) && !page.contains("Vụ mật Telegram"));
    // Dates PostgreSQL cannot hold are a bad filter, not a 500.
    assert_eq!(
        cb.get("/cases?from=-5000-01-01").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        cb.get("/cases?to=0001-01-01").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let (mut admin, _) = signed_in(&db, "admin").await;
    assert_eq!(
        admin.get("/admin/audit?from=0000-01-01").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // A merge into a case b may not open does not name it.
    let hidden = create(&db, &sup, &[("title", "Vụ đội khác"), ("team", "Đội 9")]);
    cases::merge(
        &mut db.conn(),
        &sup,
        &RequestMeta::default(),
        &db.config(),
        &own,
        &hidden,
    )
    .expect("merge");
    let page = cb.get(&format!("/cases/{own}")).await.body;
    assert!(!page.contains(&hidden) && page.contains("(vụ việc bạn không có quyền xem)"));
}
