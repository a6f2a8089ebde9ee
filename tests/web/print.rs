//! The printable case file and the official documents filled from a crime
//! report: what they show, who may open them, what opening them logs.

use actix_web::http::StatusCode;
use sha2::{Digest, Sha256};

use crate::cases::{create, me, user_with_team};
use crate::common::{client, signed_in, TestDb, PASSWORD};
use crate::evidence::{attach_statement, PDF};
use crate::i18n::english;
use cyberdesk::{
    auth::RequestMeta,
    models::case::Status,
    services::cases::{self, MoveInput},
};

/// Gives the case a unit name of its own, so a page that shows it shows the
/// name as stored on the case, not the unit's name today.
fn stored_unit_name(db: &TestDb, reference: &str) -> &'static str {
    let name = "Phòng An ninh mạng - Công an tỉnh Thử Nghiệm (tên khi tiếp nhận)";
    db.exec(&format!(
        "UPDATE cases SET unit_name = '{name}' WHERE ref = '{reference}'"
    ));
    name
}

fn reveals(db: &TestDb) -> i64 {
    db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'case_reporter_view'")
}

/// Makes a workflow move as `who` (tests of what a move records).
pub(crate) fn move_to(db: &TestDb, who: i64, reference: &str, to: Status, input: MoveInput) {
    cases::transition(
        &mut db.conn(),
        &me(db, who),
        &RequestMeta::default(),
        &db.config(),
        reference,
        to,
        &input,
    )
    .expect("move");
}

/// Assigns the case to `assignee` and resolves it with a prosecution, as the
/// supervisor `sup`.
pub(crate) fn resolve(db: &TestDb, sup: i64, reference: &str, assignee: i64) {
    cases::assign(
        &mut db.conn(),
        &me(db, sup),
        &RequestMeta::default(),
        &db.config(),
        reference,
        assignee,
    )
    .expect("assign");
    move_to(db, sup, reference, Status::Verifying, MoveInput::default());
    move_to(
        db,
        sup,
        reference,
        Status::Resolved,
        MoveInput {
            outcome: "prosecuted".into(),
            summary: "Đã khởi tố vụ án về tội lừa đảo chiếm đoạt tài sản".into(),
            ..Default::default()
        },
    );
}

#[actix_web::test]
async fn the_case_file_prints_money_timeline_oldest_first_and_exhibits_with_their_hash() {
    let db = TestDb::new();
    let (mut c, sid) = signed_in(&db, "supervisor").await;
    let reference = create(&db, &me(&db, sid), &[]);
    for note in ["Ghi chú thứ nhất", "Ghi chú thứ hai"] {
        let res = c
            .post(&format!("/cases/{reference}/notes"), &[("body", note)])
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
    }
    let up = attach_statement(&mut c, &reference).await;
    assert_eq!(up.status, StatusCode::SEE_OTHER, "{}", up.body);
    let sha = format!("{:x}", Sha256::digest(PDF));
    let unit = stored_unit_name(&db, &reference);
    let rec = c
        .post(
            &format!("/cases/{reference}/recoveries"),
            &[
                ("kind", "frozen"),
                ("amount", "1.200.000"),
                ("on_date", "2026-11-21"),
                ("bank", "VCB"),
            ],
        )
        .await;
    assert_eq!(rec.status, StatusCode::SEE_OTHER, "{}", rec.body);

    let page = c.get(&format!("/cases/{reference}/print")).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        reference.as_str(),
        &format!("data-case-ref=\"{reference}\""),
        "/static/document.css",
        "Hồ sơ vụ việc",
        "Lừa đảo đầu tư tiền ảo qua Telegram",
        unit,
        "1.500.000 ₫",
        "2.000.000 ₫",
        "3.500.000 ₫",
        "Tổng số tiền phong tỏa",
        "1.200.000 ₫",
        "Phân loại (24 giờ)",
        "Chuỗi lưu giữ",
        "sao kê.pdf",
        &sha,
    ] {
        assert!(page.body.contains(text), "missing {text}");
    }
    assert!(!page.body.contains("<script"), "no script");
    assert!(!page.body.contains("http://") && !page.body.contains("https://"));
    let timeline = &page.body[page.body.find("id=\"p-timeline\"").expect("timeline")..];
    assert!(
        timeline.find("Ghi chú thứ nhất") < timeline.find("Ghi chú thứ hai"),
        "oldest first"
    );
    // The reporter's details stay hidden unless asked for.
    assert!(!page.body.contains("0912 345 678"));
    assert_eq!(reveals(&db), 0);
    let page = c.get(&format!("/cases/{reference}/print?reporter=1")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("0912 345 678") && page.body.contains("Nguyễn Văn An"));
    assert_eq!(reveals(&db), 1, "the same audited reveal as the case page");

    // The stylesheet puts the reference and page numbers on every page.
    let css = c.get("/static/document.css").await;
    assert_eq!(css.status, StatusCode::OK);
    for rule in [
        "size: A4",
        "counter(page) \" / \" counter(pages)",
        "attr(data-case-ref)",
    ] {
        assert!(css.body.contains(rule), "{rule}");
    }

    // The case page links to the file and to the intake record.
    let show = c.get(&format!("/cases/{reference}")).await;
    assert!(show
        .body
        .contains(&format!("href=\"/cases/{reference}/print\"")));
    assert!(show.body.contains("In hồ sơ"));
    assert!(show
        .body
        .contains(&format!("href=\"/cases/{reference}/print/intake-record\"")));
    assert!(!show.body.contains("/print/outcome-notice"), "not decided");
}

#[actix_web::test]
async fn printing_follows_the_case_pages_visibility() {
    let db = TestDb::new();
    let a = user_with_team(&db, "a@pa05.test.vn", "officer", "Đội 1");
    user_with_team(&db, "b@pa05.test.vn", "officer", "Đội 2");
    let reference = create(&db, &me(&db, a), &[]);
    let mut officer = client(&db).await;
    officer.login("b@pa05.test.vn", PASSWORD).await;
    assert_eq!(
        officer.get(&format!("/cases/{reference}")).await.status,
        StatusCode::NOT_FOUND
    );
    for path in [
        "print",
        "print?reporter=1",
        "print/intake-record",
        "print/outcome-notice",
    ] {
        assert_eq!(
            officer
                .get(&format!("/cases/{reference}/{path}"))
                .await
                .status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(reveals(&db), 0, "nothing shown, nothing logged");
}

#[actix_web::test]
async fn the_intake_record_shows_the_reporter_and_is_logged_as_a_view_of_them() {
    let db = TestDb::new();
    let (mut c, sid) = signed_in(&db, "supervisor").await;
    let reference = create(&db, &me(&db, sid), &[]);
    let unit = stored_unit_name(&db, &reference);
    let page = c
        .get(&format!("/cases/{reference}/print/intake-record"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let creator = me(&db, sid).full_name;
    for text in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Biên bản tiếp nhận nguồn tin về tội phạm",
        unit,
        &format!("Số: {reference}"),
        "ngày 20 tháng 11 năm 2026",
        "Hồi 09:15",
        creator.as_str(),
        "Nguyễn Văn An",
        "0912 345 678",
        "an@example.vn",
        "Lừa đảo đầu tư tiền ảo qua Telegram",
        "Dòng thứ hai.",
        "18/11/2026 20:00",
        "3.500.000 ₫",
        "Căn cứ Bộ luật Tố tụng hình sự 2015 (sửa đổi, bổ sung bởi Luật số 99/2025/QH15), các điều 144–147;",
        "(Ký, ghi rõ họ tên)",
    ] {
        assert!(page.body.contains(text), "missing {text}");
    }
    assert_eq!(reveals(&db), 1);

    // A report received before 1 July 2025 keeps the code as it then was.
    let old = create(
        &db,
        &me(&db, sid),
        &[
            ("received_at", "2025-06-30T10:00"),
            ("occurred_at", "2025-06-29T10:00"),
        ],
    );
    let page = c.get(&format!("/cases/{old}/print/intake-record")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains("Căn cứ Bộ luật Tố tụng hình sự 2015, các điều 144–147;"));
    assert!(!page.body.contains("99/2025"));
    assert_eq!(reveals(&db), 2);
}

#[actix_web::test]
async fn official_documents_are_only_for_crime_reports() {
    let db = TestDb::new();
    let (mut c, sid) = signed_in(&db, "supervisor").await;
    let incident = create(&db, &me(&db, sid), &[("case_type", "security_incident")]);
    for doc in ["intake-record", "outcome-notice"] {
        let page = c.get(&format!("/cases/{incident}/print/{doc}")).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{doc}");
        assert!(
            page.body
                .contains("Văn bản này chỉ lập cho tố giác, tin báo về tội phạm."),
            "{doc}: {}",
            page.body
        );
    }
    assert_eq!(reveals(&db), 0);
    // The case file prints any case; the case page offers no documents.
    assert_eq!(
        c.get(&format!("/cases/{incident}/print")).await.status,
        StatusCode::OK
    );
    let show = c.get(&format!("/cases/{incident}")).await;
    assert!(!show.body.contains("/print/intake-record"));
}

#[actix_web::test]
async fn the_outcome_notice_waits_for_a_decision_or_a_transfer() {
    let db = TestDb::new();
    let (mut c, sid) = signed_in(&db, "supervisor").await;
    let reference = create(&db, &me(&db, sid), &[]);
    let path = format!("/cases/{reference}/print/outcome-notice");
    let early = c.get(&path).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(early
        .body
        .contains("Chỉ lập thông báo kết quả khi vụ việc đã được giải quyết"));
    assert_eq!(reveals(&db), 0);

    resolve(&db, sid, &reference, sid);
    let page = c.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Thông báo",
        "Kết quả giải quyết nguồn tin về tội phạm",
        "Kính gửi: Nguyễn Văn An",
        "Đã ra quyết định khởi tố vụ án hình sự.",
        "Đã khởi tố vụ án về tội lừa đảo chiếm đoạt tài sản",
        "các điều 144–147",
        "Thủ trưởng đơn vị",
        "(Ký tên, đóng dấu)",
    ] {
        assert!(page.body.contains(text), "missing {text}");
    }
    assert_eq!(reveals(&db), 1, "addressed to the reporter: logged");
    let show = c.get(&format!("/cases/{reference}")).await;
    assert!(show.body.contains(&format!("href=\"{path}\"")));

    // A transferred report: the notice names the receiving agency.
    let other = create(&db, &me(&db, sid), &[]);
    move_to(
        &db,
        sid,
        &other,
        Status::Transferred,
        MoveInput {
            agency: "Công an tỉnh Quảng Ngãi".into(),
            ..Default::default()
        },
    );
    let page = c.get(&format!("/cases/{other}/print/outcome-notice")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains("Nguồn tin đã được chuyển đến cơ quan có thẩm quyền giải quyết:"));
    assert!(page.body.contains("Công an tỉnh Quảng Ngãi."));
}

#[actix_web::test]
async fn in_english_the_labels_are_english_and_the_national_heading_stays_vietnamese() {
    let db = TestDb::new();
    let (mut c, sid) = signed_in(&db, "supervisor").await;
    english(&mut c).await;
    let reference = create(&db, &me(&db, sid), &[]);
    let page = c.get(&format!("/cases/{reference}/print")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<html lang=\"en\""));
    for text in [
        "Case file",
        "Summary",
        "Money transactions",
        "Timeline",
        "Total",
    ] {
        assert!(page.body.contains(text), "missing {text}");
    }
    let show = c.get(&format!("/cases/{reference}")).await;
    assert!(show.body.contains("Print case file"));

    let record = c
        .get(&format!("/cases/{reference}/print/intake-record"))
        .await;
    assert_eq!(record.status, StatusCode::OK);
    for text in [
        "Record of receipt of a crime report",
        "Receiving officer",
        "Pursuant to the Criminal Procedure Code 2015 as amended by Law 99/2025/QH15, arts. 144–147;",
        "(Signature and full name)",
        "<div class=\"gov-nation\" lang=\"vi\">",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ] {
        assert!(record.body.contains(text), "missing {text}");
    }
    assert!(!record.body.contains("Biên bản tiếp nhận"));

    let early = c
        .get(&format!("/cases/{reference}/print/outcome-notice"))
        .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(early.body.contains("An outcome notice can only be made"));
    resolve(&db, sid, &reference, sid);
    let notice = c
        .get(&format!("/cases/{reference}/print/outcome-notice"))
        .await;
    assert_eq!(notice.status, StatusCode::OK);
    for text in [
        "Outcome of the crime report",
        "A decision to institute criminal proceedings has been issued.",
        "Head of unit",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    ] {
        assert!(notice.body.contains(text), "missing {text}");
    }
}
