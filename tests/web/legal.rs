//! Legal bases (docs/domain.md §18): one table every citation comes from, with
//! days in force that never overlap for a topic; each case keeps the basis in
//! force on the day it was received.

use actix_web::http::StatusCode;

use crate::cases::{create, me};
use crate::common::{signed_in, TestDb};
use crate::portal::{crime, send};

fn basis_id(db: &TestDb, topic: &str, open: bool) -> i64 {
    db.count(&format!(
        "SELECT id::bigint AS n FROM legal_bases WHERE topic = '{topic}' AND in_force_to IS {} NULL ORDER BY in_force_from DESC LIMIT 1",
        if open { "" } else { "NOT" }
    ))
}

fn audits(db: &TestDb) -> i64 {
    db.count("SELECT count(*) AS n FROM audit_log WHERE action LIKE 'legal_basis_%'")
}

#[actix_web::test]
async fn an_admin_replaces_a_basis_and_only_cases_received_afterwards_cite_the_new_one() {
    let db = TestDb::new();
    let (mut sup_c, sup) = signed_in(&db, "supervisor").await;
    let before = create(&db, &me(&db, sup), &[]);
    let after = create(
        &db,
        &me(&db, sup),
        &[
            ("received_at", "2026-12-01T08:00"),
            ("occurred_at", "2026-11-30T08:00"),
        ],
    );
    let (mut admin, _) = signed_in(&db, "admin").await;

    let page = admin.get("/admin/legal").await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "Luật số 116/2025/QH15",
        "Nghị định 356/2025/NĐ-CP",
        "Đang có hiệu lực",
        "Nghị định 09/2019/NĐ-CP",
    ] {
        assert!(page.body.contains(text), "missing {text}");
    }

    // A successor whose days overlap the basis in force: refused, named, nothing written.
    let successor = [
        ("topic", "crime_report"),
        ("instrument", "101/2015/QH13, sửa đổi 2026"),
        ("article", "144–147"),
        (
            "title_vi",
            "Bộ luật Tố tụng hình sự 2015 (sửa đổi năm 2026)",
        ),
        (
            "title_en",
            "Criminal Procedure Code 2015 as amended in 2026",
        ),
        ("in_force_from", "2026-12-01"),
        ("in_force_to", ""),
        ("note", ""),
    ];
    let bases = db.count("SELECT count(*) AS n FROM legal_bases");
    let res = admin.post("/admin/legal", &successor).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .body
        .contains("Khoảng hiệu lực trùng với một căn cứ khác"));
    assert!(
        res.body.contains("in-the-way"),
        "the basis in the way is marked"
    );
    assert!(
        res.body.contains("sửa đổi năm 2026"),
        "what was typed is kept"
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM legal_bases"), bases);
    assert_eq!(audits(&db), 0);

    // Close the old one the day before, then add the successor.
    let current = basis_id(&db, "crime_report", true);
    let close = [
        ("topic", "crime_report"),
        ("instrument", "101/2015/QH13, sửa đổi bởi 99/2025/QH15"),
        ("article", "144–147"),
        (
            "title_vi",
            "Bộ luật Tố tụng hình sự 2015 (sửa đổi, bổ sung bởi Luật số 99/2025/QH15)",
        ),
        (
            "title_en",
            "Criminal Procedure Code 2015 as amended by Law 99/2025/QH15",
        ),
        ("in_force_from", "2025-07-01"),
        ("in_force_to", "2026-12-01"),
        ("note", ""),
    ];
    let res = admin.post(&format!("/admin/legal/{current}"), &close).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let res = admin.post("/admin/legal", &successor).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(audits(&db), 2);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'legal_basis_update' AND detail->'before'->>'to' IS NULL AND detail->'after'->>'to' = '2026-12-01'"),
        1
    );

    // The case received before keeps its basis; one received on the day the
    // successor starts, logged before it was entered, now cites the new one.
    let old_doc = sup_c
        .get(&format!("/cases/{before}/print/intake-record"))
        .await;
    assert!(old_doc
        .body
        .contains("sửa đổi, bổ sung bởi Luật số 99/2025/QH15"));
    assert!(!old_doc.body.contains("sửa đổi năm 2026"));
    let new_doc = sup_c
        .get(&format!("/cases/{after}/print/intake-record"))
        .await;
    assert!(
        new_doc
            .body
            .contains("Căn cứ Bộ luật Tố tụng hình sự 2015 (sửa đổi năm 2026), các điều 144–147;"),
        "{}",
        new_doc.body
    );
    let show = sup_c.get(&format!("/cases/{after}")).await;
    assert!(show
        .body
        .contains("Bộ luật Tố tụng hình sự 2015 (sửa đổi năm 2026), các điều 144–147"));
    assert_eq!(
        db.count(&format!("SELECT count(DISTINCT legal_basis_id) AS n FROM cases WHERE ref IN ('{before}', '{after}')")),
        2
    );
}

#[actix_web::test]
async fn bad_dates_and_topics_are_refused_with_a_message_and_nothing_is_written() {
    let db = TestDb::new();
    let (mut admin, _) = signed_in(&db, "admin").await;
    let form = |from: &'static str, to: &'static str, topic: &'static str| {
        vec![
            ("topic", topic),
            ("instrument", "01/2030/QH16"),
            ("article", ""),
            ("title_vi", "Luật mới"),
            ("title_en", "A new law"),
            ("in_force_from", from),
            ("in_force_to", to),
            ("note", ""),
        ]
    };
    let bases = db.count("SELECT count(*) AS n FROM legal_bases");
    for (f, message) in [
        (
            form("2030-01-01", "2029-12-31", "personal_data"),
            "Ngày hết hiệu lực phải sau ngày có hiệu lực.",
        ),
        (
            form("2030-01-01", "2030-01-01", "personal_data"),
            "Ngày hết hiệu lực phải sau ngày có hiệu lực.",
        ),
        (form("31/02/2030", "", "personal_data"), "Ngày không hợp lệ"),
        (
            form("2030-01-01", "soon", "personal_data"),
            "Ngày không hợp lệ",
        ),
        (form("2030-01-01", "", "weather"), "Giá trị không hợp lệ"),
        (
            form("2019-01-01", "2020-01-01", "reporting_period"),
            "Khoảng hiệu lực trùng",
        ),
    ] {
        let res = admin.post("/admin/legal", &f).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{f:?}");
        assert!(res.body.contains(message), "{message}: {f:?}");
    }
    let mut empty = form("2030-01-01", "", "personal_data");
    empty[3] = ("title_vi", "  ");
    let res = admin.post("/admin/legal", &empty).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Vui lòng nhập thông tin này."));
    // An unknown basis is a 404; the database refuses an overlap even if a
    // form were bypassed.
    let res = admin
        .post(
            "/admin/legal/999999",
            &form("2031-01-01", "", "personal_data"),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(db.count("SELECT count(*) AS n FROM legal_bases"), bases);
    assert_eq!(audits(&db), 0);
    let mut conn = db.conn();
    let overlap = diesel::RunQueryDsl::execute(
        diesel::sql_query("INSERT INTO legal_bases (topic, instrument, title_vi, title_en, in_force_from) VALUES ('data_breach', 'x', 'x', 'x', '2026-06-01')"),
        &mut conn,
    );
    assert!(overlap.is_err(), "the exclusion constraint holds");

    // A basis keeps its topic.
    let current = db.count("SELECT id::bigint AS n FROM legal_bases WHERE topic = 'personal_data' AND in_force_to IS NULL");
    let res = admin
        .post(
            &format!("/admin/legal/{current}"),
            &form("2026-01-01", "", "data_breach"),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Không đổi được nội dung áp dụng"));
    assert_eq!(audits(&db), 0);

    // Only administrators edit the table.
    let (mut sup, _) = signed_in(&db, "supervisor").await;
    assert_eq!(sup.get("/admin/legal").await.status, StatusCode::FORBIDDEN);
    let res = sup
        .post("/admin/legal", &form("2031-01-01", "", "personal_data"))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(db.count("SELECT count(*) AS n FROM legal_bases"), bases);
}

#[actix_web::test]
async fn the_receipt_and_the_rules_cite_the_basis_and_the_figure_in_force() {
    let db = TestDb::new();
    // An administrator lengthens the decision clock: the receipt says so.
    db.exec("UPDATE deadline_rules SET amount = 30 WHERE case_type = 'crime_report' AND kind = 'decide'");
    let mut c = crate::common::client(&db).await;
    let res = send(&mut c, "crime", &crime(&[]), &[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("Theo Bộ luật Tố tụng hình sự 2015 (sửa đổi, bổ sung bởi Luật số 99/2025/QH15), các điều 144–147, tố giác, tin báo về tội phạm được kiểm tra, xác minh và ra quyết định trong 30 ngày"), "{}", res.body);
    let mail = db.count("SELECT count(*) AS n FROM email_outbox WHERE kind = 'receipt' AND body_text LIKE '%trong 30 ngày%99/2025/QH15%' OR kind = 'receipt' AND body_text LIKE '%99/2025/QH15%trong 30 ngày%'");
    assert_eq!(mail, 1, "the receipt mail says the same");
    // The form cites the basis of the false-report warning.
    let form = c.get("/report/crime").await;
    assert!(form.body.contains("là vi phạm pháp luật (Bộ luật Tố tụng hình sự 2015 (sửa đổi, bổ sung bởi Luật số 99/2025/QH15), điều 144)"));
    assert!(form
        .body
        .contains("Luật Bảo vệ dữ liệu cá nhân (Luật số 91/2025/QH15)"));
    assert!(
        !form.body.contains("13/2023"),
        "no replaced instrument on the public form"
    );

    let (mut admin, _) = signed_in(&db, "admin").await;
    let rules = admin.get("/admin/deadlines").await;
    assert!(rules
        .body
        .contains("Luật An ninh mạng 2025 (Luật số 116/2025/QH15)"));
    assert!(rules.body.contains("Nghị định 356/2025/NĐ-CP"));
    assert!(!rules.body.contains("13/2023") && !rules.body.contains("Thông tư 20/2017/TT-BTTTT;"));
}
