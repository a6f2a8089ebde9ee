//! Case-list exports: the list's filter and visibility, Vietnamese text quoted
//! correctly, Excel read back with numbers and dates, every export audited, and
//! bad requests refused with nothing logged as exported.

use actix_web::http::StatusCode;
use calamine::{Data, Reader, Xlsx};

use crate::cases::{create, me};
use crate::common::{app, client, signed_in, Client, TestDb, PASSWORD};

fn exports_logged(db: &TestDb) -> i64 {
    db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'case_export'")
}

fn csv_rows(body: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(body).expect("utf-8");
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark for spreadsheet programs");
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("record").iter().map(str::to_owned).collect())
        .collect()
}

#[actix_web::test]
async fn a_filtered_list_exports_as_csv_with_the_registers_columns_and_is_audited() {
    let db = TestDb::new();
    let (mut c, sid) = signed_in(&db, "supervisor").await;
    let sup = me(&db, sid);
    let tricky = "Lừa đảo \"đầu tư\", tiền ảo; Đà Nẵng\nDòng hai";
    let a = create(&db, &sup, &[("title", tricky)]);
    let b = create(&db, &sup, &[("case_type", "security_incident")]);
    let res = c
        .get("/cases/export.csv?status=all&type=crime_report")
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.header("content-type").starts_with("text/csv"));
    assert!(res
        .header("content-disposition")
        .starts_with("attachment; filename=\"PA05-cases-"));
    let mut rdr = csv::Reader::from_reader(
        std::str::from_utf8(&res.bytes)
            .unwrap()
            .trim_start_matches('\u{feff}')
            .as_bytes(),
    );
    let head: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(head[0], "Số hồ sơ");
    assert!(head.contains(&"Thiệt hại (đồng)".to_owned()));
    let rows = csv_rows(&res.bytes);
    assert_eq!(rows.len(), 1, "the type filter applies");
    assert_eq!(rows[0][0], a);
    assert_eq!(
        rows[0][5], tricky,
        "quotes, commas and a line break survive"
    );
    assert_eq!(rows[0][12], "3500000", "money as a plain number");
    assert_eq!(
        rows[0][6], "Cá nhân",
        "the reporter's kind, not their name, unless asked"
    );
    assert!(!res.body.contains(&b));
    assert_eq!(exports_logged(&db), 1);
    let detail = db.count(
        "SELECT count(*) AS n FROM audit_log WHERE action = 'case_export' \
         AND detail->>'rows' = '1' AND detail->'filter'->>'type' = 'crime_report' AND detail->>'reporter' = 'false'",
    );
    assert_eq!(
        detail, 1,
        "the audit row holds the filter and the row count"
    );

    // Names only when asked, and that is logged.
    let res = c
        .get("/cases/export.csv?status=all&type=crime_report&reporter=1")
        .await;
    assert_eq!(csv_rows(&res.bytes)[0][6], "Nguyễn Văn An (Cá nhân)");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'case_export' AND detail->>'reporter' = 'true'"),
        1
    );
    // The English export speaks English.
    c.post("/lang", &[("lang", "en"), ("next", "/cases")]).await;
    let res = c.get("/cases/export.csv?status=all").await;
    let text = String::from_utf8(res.bytes.clone()).unwrap();
    assert!(
        text.contains("Reference,Received,Case type"),
        "{}",
        &text[..200.min(text.len())]
    );
}

#[actix_web::test]
async fn an_officer_exports_only_what_they_may_see() {
    let db = TestDb::new();
    let (_, sid) = signed_in(&db, "supervisor").await;
    let (mut o, oid) = signed_in(&db, "officer").await;
    let sup = me(&db, sid);
    let theirs = create(&db, &me(&db, oid), &[]);
    let hidden = create(&db, &sup, &[("tlp", "RED")]);
    let res = o.get("/cases/export.csv?status=all").await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains(&theirs));
    assert!(!res.body.contains(&hidden), "visibility as on the list");
    let (mut admin, _) = signed_in(&db, "admin").await;
    assert_eq!(
        admin.get("/cases/export.csv").await.status,
        StatusCode::FORBIDDEN
    );
}

#[actix_web::test]
async fn excel_exports_read_back_with_numbers_and_dates() {
    let db = TestDb::new();
    let (mut c, sid) = signed_in(&db, "supervisor").await;
    let sup = me(&db, sid);
    let a = create(&db, &sup, &[]);
    db.exec(&format!(
        "UPDATE cases SET received_at = '2026-03-14 23:59:59+07' WHERE ref = '{a}'"
    ));
    let res = c.get("/cases/export.xlsx?status=all").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.header("content-type").contains("spreadsheetml"));
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(res.bytes.clone())).expect("a workbook");
    let sheet = wb.worksheet_range("Vụ việc").expect("the sheet");
    let rows: Vec<_> = sheet.rows().collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][0], Data::String("Số hồ sơ".into()));
    assert_eq!(rows[1][0], Data::String(a.clone()));
    match &rows[1][1] {
        Data::DateTime(d) => {
            let dt = d.as_datetime().expect("a date");
            assert_eq!(
                dt.to_string(),
                "2026-03-14 23:59:59",
                "local time, as a date"
            );
        }
        other => panic!("received is not a date: {other:?}"),
    }
    assert_eq!(rows[1][12], Data::Float(3_500_000.0), "loss is a number");
    assert_eq!(exports_logged(&db), 1);
}

#[actix_web::test]
async fn bad_exports_are_refused_and_not_logged() {
    let db = TestDb::new();
    let sid = db.user("ld-export@pa05.test.vn", "supervisor", PASSWORD);
    let mut c = client(&db).await;
    c.login("ld-export@pa05.test.vn", PASSWORD).await;
    let sup = me(&db, sid);
    create(&db, &sup, &[]);
    create(&db, &sup, &[]);
    for (query, message) in [
        (
            "type=virus",
            "Một số bộ lọc không hợp lệ nên không xuất được",
        ),
        (
            "from=2026-02-31",
            "Một số bộ lọc không hợp lệ nên không xuất được",
        ),
        ("q=lua+dao", "Không xuất được kết quả tìm kiếm"),
    ] {
        let res = c.get(&format!("/cases/export.csv?{query}")).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(res.body.contains(message), "{query}: {}", res.body);
    }
    // More rows than EXPORT_MAX_ROWS: refused.
    let mut cfg = db.config();
    cfg.export_max_rows = 1;
    let state = actix_web::web::Data::new(cyberdesk::state::AppState::new(cfg));
    let mut small: Client<_> = Client::new(app(state).await);
    small.login("ld-export@pa05.test.vn", PASSWORD).await;
    let res = small.get("/cases/export.csv?status=all").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains("nhiều vụ việc hơn giới hạn"),
        "{}",
        res.body
    );
    let res = small.get("/cases/export.xlsx?status=all").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(exports_logged(&db), 0, "nothing exported, nothing logged");
}
