//! The handover import (issue 15): registers in each format and encoding,
//! mappings, every kind of bad row with its reason, dry runs that write
//! nothing, idempotent re-runs, historical clocks, no mail, identifiers
//! correlated with cases already there, and the admin pages.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;

use crate::cases::{create, me};
use crate::common::{client, signed_in, AppService, Client, Part, TestDb, PASSWORD};
use cyberdesk::i18n::Lang;
use cyberdesk::models::import_run::RunKind;
use cyberdesk::services::import::{self, Actor, Counts, Line};

struct Ran {
    counts: Counts,
    lines: Vec<Line>,
    run_id: i64,
}

fn admin(db: &TestDb) -> i64 {
    if db.count("SELECT count(*) AS n FROM users WHERE email = 'quantri@pa05.test.vn'") == 0 {
        db.user("quantri@pa05.test.vn", "admin", PASSWORD)
    } else {
        db.count("SELECT id AS n FROM users WHERE email = 'quantri@pa05.test.vn'")
    }
}

/// Runs the import as the command line does (in English, for the asserts).
fn run_with(
    db: &TestDb,
    bytes: &[u8],
    mapping: &str,
    source: &str,
    dry: bool,
    errors: Option<&std::path::Path>,
) -> Result<Ran, cyberdesk::error::AppError> {
    admin(db);
    let mut conn = db.conn();
    let actor = Actor::cli(&mut conn, None, Lang::En)?;
    let s = import::settings(&mut conn, "", source, mapping, false)?.expect("settings");
    let kind = if dry {
        RunKind::DryRun
    } else {
        RunKind::Import
    };
    let file = import::NewFile {
        file_name: "register",
        file_key: "",
        sha256: "",
        size: bytes.len() as i64,
        format: "",
    };
    let run = import::start(&mut conn, &actor, kind, None, &file, &s, "cli")?;
    let mut lines = Vec::new();
    let counts = import::execute(
        &mut conn,
        &run,
        &actor,
        bytes,
        errors,
        &mut |l| lines.push(l.clone()),
        &mut |_| {},
    )?;
    Ok(Ran {
        counts,
        lines,
        run_id: run.id,
    })
}

fn run(db: &TestDb, bytes: &[u8], mapping: &str, dry: bool) -> Ran {
    run_with(db, bytes, mapping, "Sở TT&TT", dry, None).expect("import")
}

const HEAD: &str = "External ID,Case type,Received,Category,Title,Description,Reporter name,Reporter phone,Amount lost,Receiving bank,Receiving account,Suspect phone,Status,Outcome,Assignee (e-mail),Closed,Notes\n";

fn line(r: &Ran, row: usize) -> &Line {
    r.lines
        .iter()
        .find(|l| l.row == row)
        .unwrap_or_else(|| panic!("no line for row {row}: {:?}", r.lines))
}

#[derive(diesel::QueryableByName)]
struct TitleName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    title: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    reporter_name: String,
}

#[test]
fn a_windows_1258_csv_keeps_its_vietnamese() {
    let db = TestDb::new();
    // Windows-1258 writes tones as combining marks: "Nguyễn" is "Nguyê" +
    // 0xDE (tilde), "Lừa đảo" is "L" "ư"(0xFD) 0xCC(grave) "a đ"(0xF0) "a" 0xD2(hook) "o".
    let mut bytes = b"So ho so cu;Loai vu viec;Ngay tiep nhan;Tieu de;Ho ten nguoi bao\n".to_vec();
    bytes.extend_from_slice(
        b"A-1;crime_report;05/03/2024;L\xFD\xCCa \xF0a\xD2o qua ma\xF2ng;Nguy\xEA\xDEn V\xE3n An\n",
    );
    let r = run(&db, &bytes, "", false);
    assert_eq!(r.counts.created, 1, "{:?}", r.lines);
    let title = db.count("SELECT count(*) AS n FROM cases WHERE title = 'Lừa đảo qua mạng' AND reporter_name = 'Nguyễn Văn An'");
    let stored: Vec<(String, String)> = {
        use diesel::prelude::*;
        diesel::sql_query("SELECT title, reporter_name FROM cases")
            .load::<TitleName>(&mut db.conn())
            .expect("cases")
            .into_iter()
            .map(|r| (r.title, r.reporter_name))
            .collect()
    };
    assert_eq!(title, 1, "decoded and composed (NFC): {stored:?}");
    // Found by search without accents, as a case typed in the form would be.
    assert_eq!(
        db.count("SELECT count(*) AS n FROM cases WHERE lower(title) = 'lừa đảo qua mạng'"),
        1
    );
}

fn xlsx_with_merged_headers() -> Vec<u8> {
    use rust_xlsxwriter::{Format, FormatAlign, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let bold = Format::new().set_bold().set_align(FormatAlign::Center);
    let date = Format::new().set_num_format("dd/mm/yyyy");
    ws.merge_range(
        0,
        0,
        0,
        5,
        "SỔ THEO DÕI SỰ CỐ AN TOÀN THÔNG TIN NĂM 2024",
        &bold,
    )
    .expect("title");
    ws.merge_range(1, 0, 2, 0, "Số TT", &bold).expect("a");
    ws.merge_range(1, 1, 2, 1, "Ngày nhận", &bold).expect("b");
    ws.merge_range(1, 2, 1, 3, "Người báo tin", &bold)
        .expect("group");
    ws.write_string(2, 2, "Họ tên").expect("c");
    ws.write_string(2, 3, "Điện thoại").expect("d");
    ws.merge_range(1, 4, 2, 4, "Nội dung", &bold).expect("e");
    ws.merge_range(1, 5, 2, 5, "Tình trạng", &bold).expect("f");
    // A date cell Excel typed as one, and a bare serial number.
    ws.write_number(3, 0, 1).expect("id");
    ws.write_number_with_format(3, 1, 45356.0, &date)
        .expect("date");
    ws.write_string(3, 2, "Trần Thị Bích").expect("name");
    ws.write_string(3, 3, "0905 123 456").expect("phone");
    ws.write_string(3, 4, "Mã độc mã hóa dữ liệu máy chủ kế toán")
        .expect("desc");
    ws.write_string(3, 5, "Đã xử lý").expect("status");
    ws.write_number(4, 0, 2).expect("id");
    ws.write_number(4, 1, 45400.5).expect("serial");
    ws.write_string(4, 2, "Công ty ABC").expect("name");
    ws.write_string(4, 4, "Tấn công từ chối dịch vụ cổng thông tin")
        .expect("desc");
    ws.write_string(4, 5, "Đang xử lý").expect("status");
    wb.save_to_buffer().expect("xlsx")
}

const XLSX_MAPPING: &str = r#"
source = "STTTT Đà Nẵng 2024"
[columns]
external_id = "Số TT"
received_at = "Ngày nhận"
reporter_name = "Người báo tin / Họ tên"
reporter_phone = "Người báo tin / Điện thoại"
description = "Nội dung"
status = "Tình trạng"
[constants]
case_type = "security_incident"
[values.status]
"Đã xử lý" = { status = "resolved", outcome = "remediated" }
"Đang xử lý" = "in_progress"
"#;

#[test]
fn an_xlsx_with_a_title_merged_group_headers_and_serial_dates() {
    let db = TestDb::new();
    let bytes = xlsx_with_merged_headers();
    let mut conn = db.conn();
    let mapping = import::mapping_of(XLSX_MAPPING).expect("mapping");
    let preview = import::preview(&mut conn, &bytes, &mapping, 1, Lang::En)
        .expect("db")
        .expect("preview");
    assert_eq!(preview.format, "Excel (.xlsx)");
    assert_eq!(preview.rows.len(), 2, "{preview:?}");
    assert!(
        preview
            .headers
            .contains(&"Người báo tin / Điện thoại".to_owned()),
        "{:?}",
        preview.headers
    );
    assert!(
        preview.rows.iter().all(|r| r.problems.is_empty()),
        "{:?}",
        preview.rows
    );
    let r = run_with(&db, &bytes, XLSX_MAPPING, "", false, None).expect("import");
    assert_eq!(r.counts.created, 2, "{:?}", r.lines);
    // The mapping's source is the default source; 45356 is 5 March 2024.
    assert_eq!(
        db.count("SELECT count(*) AS n FROM case_imports WHERE source = 'STTTT Đà Nẵng 2024'"),
        2
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM cases WHERE received_at = '2024-03-05 00:00+07' AND status = 'resolved' AND outcome = 'remediated' AND case_type = 'security_incident' AND reporter_phone = '0905 123 456'"),
        1
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM cases WHERE received_at = '2024-04-18 12:00+07' AND status = 'in_progress' AND ref LIKE '%-SC-2024-%'"),
        1
    );
}

#[test]
fn canonical_headers_in_either_language_need_no_mapping() {
    let db = TestDb::new();
    let en = format!("{HEAD}E-1,crime_report,01/02/2025,fraud,Online shopping scam,,,,,,,,,,,,\n");
    assert_eq!(run(&db, en.as_bytes(), "", false).counts.created, 1);
    let vi = String::from_utf8(import::template_csv(Lang::Vi)).expect("utf8")
        + "V-1,Tố giác, tin báo về tội phạm,02/02/2025 08:15,Lừa đảo,Lừa đảo đầu tư,,,,,,,,,,,,,,Mới tiếp nhận,,,,\n";
    // "Tố giác, tin báo" holds a comma: quote it as a spreadsheet would.
    let vi = vi.replace(
        "Tố giác, tin báo về tội phạm",
        "\"Tố giác, tin báo về tội phạm\"",
    );
    let r = run(&db, vi.as_bytes(), "", false);
    assert_eq!(r.counts.created, 1, "{:?}", r.lines);
}

#[test]
fn every_bad_row_gets_its_reason_and_the_errors_file_has_them_all() {
    let db = TestDb::new();
    db.user("canbo@pa05.test.vn", "officer", PASSWORD);
    let rows = [
        "B-1,crime_report,31/02/2024,,Bad date,,,,,,,,,,,,",
        "B-2,crime_report,01/03/2024,no such thing,Bad category,,,,,,,,,,,,",
        "B-3,crime_report,01/03/2024,,Bad phone,,,12345,,,,,,,,,",
        "B-4,crime_report,01/03/2024,,Bad amount,,,,about five million,,,,,,,,",
        "B-1,crime_report,01/03/2024,,Duplicate id,,,,,,,,,,,,",
        "B-6,crime_report,01/03/2099,,Future,,,,,,,,,,,,",
        "B-7,crime_report,01/03/2024,,Bad bank,,,,1000,Bank of Nowhere,123456789,,,,,,",
        "B-8,crime_report,01/03/2024,,Unknown assignee,,,,,,,,,,nobody@x.vn,,",
        "B-9,crime_report,01/03/2024,,Outcome open,,,,,,,,in_progress,prosecuted,,,",
        ",crime_report,01/03/2024,,No id,,,,,,,,,,,,",
        "B-11,burglary,01/03/2024,,Bad type,,,,,,,,,,,,",
        "B-12,crime_report,01/03/2024,,Bad suspect phone,,,,,,,xyz,,,,,",
        "B-13,crime_report,,,No date,,,,,,,,,,,,",
        "B-14,crime_report,05/03/2024,,Closed before,,,,,,,,closed,,,01/03/2024,",
        "B-15,crime_report,05/03/2024,,Fine,,,,,,,,,,canbo@pa05.test.vn,,",
    ];
    let csv = format!("{HEAD}{}\n", rows.join("\n"));
    let errors = std::env::temp_dir().join(format!("cd-import-errors-{}.csv", db.name));
    let r = run_with(&db, csv.as_bytes(), "", "test", false, Some(&errors)).expect("import");
    let expect = [
        (2, "cannot be read as a date"),
        (3, "there is no category “no such thing”"),
        (4, "“12345” is not a phone number"),
        (5, "“about five million” is not an amount"),
        (6, "repeats row 2"),
        (7, "is in the future"),
        (8, "there is no bank “Bank of Nowhere”"),
        (9, "“nobody@x.vn” is not an active officer"),
        (10, "the status “in_progress” is not resolved"),
        (11, "old register's number is missing"),
        (12, "“burglary” is not understood"),
        (13, "“xyz” is not a phone number"),
        (14, "received date is missing"),
        (15, "closing date is before the received date"),
    ];
    for (row, reason) in expect {
        let l = line(&r, row);
        assert_eq!(l.outcome, "rejected", "row {row}: {l:?}");
        assert!(
            l.notes.iter().any(|n| n.contains(reason)),
            "row {row}: {:?}",
            l.notes
        );
    }
    assert_eq!(line(&r, 16).outcome, "created");
    assert_eq!(r.counts.rejected, 14);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM cases"),
        1,
        "only the good row"
    );
    // The errors file: the header, a reason column, every rejected row as it was.
    let text = std::fs::read_to_string(&errors).expect("errors file");
    let _ = std::fs::remove_file(&errors);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().expect("head").iter().next_back(),
        Some("Reason")
    );
    let recs: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(recs.len(), 14);
    assert_eq!(&recs[1][4], "Bad category");
    assert!(recs[1][17].contains("no such thing"));
}

#[test]
fn a_dry_run_writes_nothing_and_says_what_it_would_create() {
    let db = TestDb::new();
    let csv = format!("{HEAD}D-1,crime_report,01/03/2024,fraud,Would be created,Chuyển tiền vào VCB 0123456789,An,0905111222,5000000,VCB,0123456789,0987654321,,,,,note\nD-2,crime_report,bad,,,,,,,,,,,,,,\n");
    admin(&db);
    let tables = [
        "cases",
        "case_events",
        "case_deadlines",
        "case_transactions",
        "identifier_links",
        "identifiers",
        "case_imports",
        "email_outbox",
    ];
    let before: Vec<i64> = tables
        .iter()
        .map(|t| db.count(&format!("SELECT count(*) AS n FROM {t}")))
        .collect();
    let audits = db.count("SELECT count(*) AS n FROM audit_log");
    let r = run(&db, csv.as_bytes(), "", true);
    assert_eq!((r.counts.created, r.counts.rejected), (1, 1));
    let l = line(&r, 2);
    assert_eq!(l.outcome, "create");
    assert!(l.notes[0].contains("5.000.000"), "{:?}", l.notes);
    assert!(l.notes[0].contains("3 identifiers"), "{:?}", l.notes);
    let after: Vec<i64> = tables
        .iter()
        .map(|t| db.count(&format!("SELECT count(*) AS n FROM {t}")))
        .collect();
    assert_eq!(before, after, "{tables:?}");
    // The run itself is audited, nothing else.
    assert_eq!(db.count("SELECT count(*) AS n FROM audit_log"), audits + 1);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'import_dry_run'"),
        1
    );
}

#[test]
fn a_second_run_creates_nothing_and_a_changed_row_is_reported_not_written() {
    let db = TestDb::new();
    let csv = format!("{HEAD}R-1,crime_report,01/03/2024,fraud,First,,,,,,,,,,,,\nR-2,crime_report,02/03/2024,fraud,Second,,,,,,,,,,,,\n");
    assert_eq!(run(&db, csv.as_bytes(), "", false).counts.created, 2);
    let again = run(&db, csv.as_bytes(), "", false);
    assert_eq!((again.counts.created, again.counts.already), (0, 2));
    assert!(line(&again, 2)
        .reference
        .as_deref()
        .is_some_and(|r| r.contains("-TG-2024-")));
    let changed = csv.replace("Second", "Second, changed");
    let third = run(
        &db,
        changed
            .replace("Second, changed", "\"Second, changed\"")
            .as_bytes(),
        "",
        false,
    );
    assert_eq!(third.counts.differing, 1);
    assert_eq!(line(&third, 3).outcome, "differs");
    assert_eq!(line(&third, 3).notes, vec!["Title".to_owned()]);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM cases WHERE title = 'Second'"),
        1,
        "not overwritten"
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM cases"), 2);
    // Another source with the same numbers is another register.
    let other = run_with(&db, csv.as_bytes(), "", "Sổ tố giác 2023", false, None).expect("import");
    assert_eq!(other.counts.created, 2);
}

#[test]
fn clocks_run_from_the_original_dates_and_nothing_is_mailed() {
    let db = TestDb::new();
    db.user("canbo@pa05.test.vn", "officer", PASSWORD);
    let csv = format!(
        "{HEAD}C-1,crime_report,01/03/2024,fraud,Old and open,,,,,,,,assigned,,canbo@pa05.test.vn,,\nC-2,crime_report,01/03/2024,fraud,Decided in time,,,,,,,,closed,not_prosecuted,canbo@pa05.test.vn,10/03/2024,\nC-3,crime_report,01/03/2024,fraud,Decided late,,,,,,,,resolved,prosecuted,,15/05/2024,\n"
    );
    let r = run(&db, csv.as_bytes(), "", false);
    assert_eq!(r.counts.created, 3, "{:?}", r.lines);
    // The open one is overdue: its decide clock ran out in March 2024.
    assert_eq!(
        db.count("SELECT count(*) AS n FROM cases WHERE title = 'Old and open' AND deadline_kind = 'decide' AND deadline_at < '2024-04-01' AND deadline_at < now()"),
        1
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM cases WHERE title = 'Decided in time' AND decide_compliance = 'in_time' AND deadline_at IS NULL AND decided_at = '2024-03-10 00:00+07'"),
        1
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM cases WHERE title = 'Decided late' AND decide_compliance = 'late'"), 1);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM email_outbox"),
        0,
        "an import sends no mail"
    );
    // The overdue list shows it, as the supervisor would see it.
    let timeline = db.count("SELECT count(*) AS n FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.title = 'Old and open' AND e.kind = 'imported' AND e.data->>'row' = '2' AND e.actor_id IS NOT NULL");
    assert_eq!(timeline, 1);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'case_import'"),
        3
    );
}

#[actix_web::test]
async fn imported_identifiers_correlate_with_cases_already_there() {
    let db = TestDb::new();
    let officer = db.user("canbo@pa05.test.vn", "officer", PASSWORD);
    let existing = create(
        &db,
        &me(&db, officer),
        &[
            ("tx-0-amount", "2000000"),
            ("tx-0-to_bank", "VCB"),
            ("tx-0-to_account", "0123456789"),
        ],
    );
    let today = chrono::Utc::now().format("%d/%m/%Y");
    // The second row names the account without an amount: linked, no money row.
    let csv = format!("{HEAD}I-1,crime_report,{today},fraud,Imported,,,,5000000,Vietcombank,0123456789,0987 654 321,,,,,\nI-2,crime_report,{today},fraud,No amount,,,,,VCB,0123456789,,,,,,\n");
    assert_eq!(run(&db, csv.as_bytes(), "", false).counts.created, 2);
    assert_eq!(db.count("SELECT count(*) AS n FROM case_transactions t JOIN cases c ON c.id = t.case_id WHERE c.title = 'No amount'"), 0);
    assert_eq!(
        db.count("SELECT count(DISTINCT l.case_id) AS n FROM identifier_links l JOIN identifiers i ON i.id = l.identifier_id WHERE i.value = 'VCB:0123456789'"),
        3,
        "the bank resolved by its name links the same account"
    );
    // The hot list is refreshed with the import.
    assert!(db.count("SELECT count(*) AS n FROM hot_identifiers h JOIN identifiers i ON i.id = h.identifier_id WHERE i.value = 'VCB:0123456789' AND h.reports = 3") >= 1);
    // The officer's case page counts the imported case.
    let mut c = client(&db).await;
    c.login("canbo@pa05.test.vn", PASSWORD).await;
    let page = c.get(&format!("/cases/{existing}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("0123456789"), "the account on the page");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM identifier_links l JOIN identifiers i ON i.id = l.identifier_id WHERE i.value = '+84987654321' AND l.source = 'imported' AND l.role = 'suspect'"),
        1
    );
}

#[test]
fn a_failure_midway_leaves_whole_batches_and_the_next_run_resumes() {
    let db = TestDb::new();
    let mut csv = HEAD.to_owned();
    for i in 1..=1200 {
        let title = if i == 700 {
            "BOOM".to_owned()
        } else {
            format!("Case {i}")
        };
        csv.push_str(&format!(
            "M-{i},crime_report,01/03/2024,fraud,{title},,,,,,,,,,,,\n"
        ));
    }
    // A database failure in the second batch (a trigger refusing one row).
    db.exec("CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.title = 'BOOM' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$");
    db.exec("CREATE TRIGGER boom BEFORE INSERT ON cases FOR EACH ROW EXECUTE FUNCTION boom()");
    assert!(run_with(&db, csv.as_bytes(), "", "big", false, None).is_err());
    assert_eq!(
        db.count("SELECT count(*) AS n FROM cases"),
        import::BATCH as i64,
        "the first batch only"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM import_runs WHERE state = 'failed'"),
        1
    );
    db.exec("DROP TRIGGER boom ON cases");
    let r = run_with(&db, csv.as_bytes(), "", "big", false, None).expect("resume");
    assert_eq!(
        (r.counts.already, r.counts.created),
        (import::BATCH, 1200 - import::BATCH)
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM cases"), 1200);
    assert_eq!(
        db.count("SELECT count(DISTINCT ref) AS n FROM cases"),
        1200,
        "numbers never reused"
    );
    let _ = r.run_id;
}

#[test]
fn mappings_and_files_that_cannot_be_read_are_refused_with_what_is_wrong() {
    let db = TestDb::new();
    admin(&db);
    let mut conn = db.conn();
    let refused = import::settings(
        &mut conn,
        "",
        "x",
        "[columns]\ntitel = \"Tiêu đề\"\n",
        false,
    )
    .expect("db")
    .expect_err("unknown field");
    assert_eq!(
        refused.mapping.expect("problem").text(Lang::En),
        "Mapping file: there is no field “titel” (see the fields in the template)."
    );
    let refused = import::settings(&mut conn, "NOPE", "", "", false)
        .expect("db")
        .expect_err("unit");
    let fields: BTreeMap<&str, &str> = refused.errors.iter().collect();
    assert_eq!(fields.get("unit"), Some(&"import-unknown-unit"));
    assert_eq!(fields.get("source"), Some(&"import-no-source"));
    // A column the mapping names that the file lacks stops the run before any row.
    let err = run_with(
        &db,
        HEAD.as_bytes(),
        "[columns]\ntitle = \"Trích yếu\"\n",
        "x",
        false,
        None,
    );
    assert!(
        matches!(err, Err(cyberdesk::error::AppError::Invalid(k)) if k.0 == "import-map-no-column")
    );
    let err = run_with(&db, b"\x89PNG\r\n\x1a\n\0\0\0\0IHDR", "", "x", true, None);
    assert!(
        matches!(err, Err(cyberdesk::error::AppError::Invalid(k)) if k.0 == "import-not-register")
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM import_runs WHERE state = 'failed'"),
        2
    );
}

#[actix_web::test]
async fn the_admin_pages_upload_preview_dry_run_and_import() {
    let db = TestDb::new();
    let (mut officer, _) = signed_in(&db, "officer").await;
    assert_eq!(
        officer.get("/admin/import").await.status,
        StatusCode::FORBIDDEN
    );
    let (mut c, _) = signed_in(&db, "admin").await;
    let page = c.get("/admin/import").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Chưa có lần nhập nào"), "empty state");
    let tpl = c.get("/admin/import/template.csv?lang=en").await;
    assert!(tpl.body.contains("External ID,Case type,Received"));
    assert!(tpl.header("content-disposition").starts_with("attachment"));
    let csrf = c.csrf().await;

    // Not a register: refused with the reason, the form kept.
    let bad = c
        .post_parts(
            "/admin/import",
            &[
                Part::field("csrf_token", &csrf),
                Part::field("source", "Sổ cũ"),
                Part::file("file", "photo.png", b"\x89PNG\r\n\x1a\n\0\0\0\0IHDR"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("không phải bảng tính"), "{}", bad.body);
    assert!(bad.body.contains("value=\"Sổ cũ\""));
    assert_eq!(db.count("SELECT count(*) AS n FROM import_runs"), 0);
    // A mapping that names a field that does not exist: refused with where.
    let bad = c
        .post_parts(
            "/admin/import",
            &[
                Part::field("csrf_token", &csrf),
                Part::field("source", "Sổ cũ"),
                Part::field("mapping", "[columns]\ntitel = \"Trích yếu\"\n"),
                Part::file(
                    "file",
                    "so.csv",
                    format!("{HEAD}X,crime_report,01/03/2024,,T,,,,,,,,,,,,\n").as_bytes(),
                ),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("không có trường “titel”"), "{}", bad.body);
    assert_eq!(db.count("SELECT count(*) AS n FROM import_runs"), 0);

    let csv = format!("{HEAD}W-1,crime_report,01/03/2024,fraud,From the web,,,,,,,,,,,,\nW-2,crime_report,99/99/2024,,Broken,,,,,,,,,,,,\n");
    let up = c
        .post_parts(
            "/admin/import",
            &[
                Part::field("csrf_token", &csrf),
                Part::field("source", "Sổ cũ"),
                Part::field("unit", ""),
                Part::field("mapping", ""),
                Part::file("file", "so-cu.csv", csv.as_bytes()),
            ],
        )
        .await;
    assert_eq!(up.status, StatusCode::SEE_OTHER, "{}", up.body);
    let upload_url = up.location().to_owned();
    let preview = c.get(&upload_url).await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview.body.contains("From the web"));
    assert!(
        preview.body.contains("không đọc được “99/99/2024”"),
        "row problems in the preview"
    );

    let dry = c.post(&format!("{upload_url}/dry-run"), &[]).await;
    assert_eq!(dry.status, StatusCode::SEE_OTHER);
    let done = wait_done(&mut c, dry.location()).await;
    assert!(done.contains("Sẽ tạo"), "{done}");
    assert_eq!(db.count("SELECT count(*) AS n FROM cases"), 0);

    let imp = c.post(&format!("{upload_url}/run"), &[]).await;
    assert_eq!(imp.status, StatusCode::SEE_OTHER);
    let run_url = imp.location().to_owned();
    let done = wait_done(&mut c, &run_url).await;
    assert!(done.contains("1 tạo"), "{done}");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM cases WHERE title = 'From the web'"),
        1
    );
    let errors = c.get(&format!("{run_url}/errors.csv")).await;
    assert_eq!(errors.status, StatusCode::OK);
    assert!(errors.body.contains("99/99/2024") && errors.body.contains("Lý do"));
    assert_eq!(db.count("SELECT count(*) AS n FROM audit_log WHERE action IN ('import_upload', 'import_dry_run', 'import_run')"), 3);
    // The officer may not start one either.
    assert_eq!(
        officer.post(&format!("{upload_url}/run"), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        c.get("/admin/import/999999").await.status,
        StatusCode::NOT_FOUND
    );
}

/// Follows a run's page until it is done (it refreshes itself while running).
async fn wait_done<S: AppService>(c: &mut Client<S>, url: &str) -> String {
    for _ in 0..200 {
        let page = c.get(url).await;
        assert_eq!(page.status, StatusCode::OK);
        if !page.body.contains("http-equiv=\"refresh\"") {
            return page.body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the run did not finish");
}

#[test]
fn xls_and_ods_registers_are_read_too() {
    let db = TestDb::new();
    // Fixtures written once with Python's xlwt and odfpy (no Rust writer of
    // either format): a date typed as one, and a date as text.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for (file, format) in [
        ("register.xls", "Excel 97–2003 (.xls)"),
        ("register.ods", "OpenDocument (.ods)"),
    ] {
        let bytes = std::fs::read(dir.join(file)).expect("fixture");
        let mut conn = db.conn();
        let preview = import::preview(&mut conn, &bytes, &Default::default(), 1, Lang::En)
            .expect("db")
            .expect("readable");
        assert_eq!(preview.format, format);
        let r = run(&db, &bytes, "", false);
        assert_eq!(
            (r.counts.created, r.counts.rejected),
            (2, 0),
            "{file}: {:?}",
            r.lines
        );
    }
    assert_eq!(
        db.count("SELECT count(*) AS n FROM cases WHERE received_at = '2024-03-05 00:00+07' AND reporter_name = 'Nguyễn Văn An'"),
        2
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM cases WHERE case_type = 'data_breach' AND received_at = '2024-03-07 00:00+07'"), 1);
}

#[test]
fn suggestions_from_descriptions_are_linked_only_when_asked() {
    let db = TestDb::new();
    let csv = format!("{HEAD}S-1,crime_report,01/03/2024,fraud,Asked,Đối tượng dùng số 0977 123 456 và trang lua-dao-shop.vn,,,,,,,,,,,\n");
    admin(&db);
    let mut conn = db.conn();
    let actor = Actor::cli(&mut conn, None, Lang::En).expect("admin");
    for (source, link) in [("without", false), ("with", true)] {
        let s = import::settings(&mut conn, "", source, "", link)
            .expect("db")
            .expect("settings");
        let file = import::NewFile {
            file_name: "r",
            file_key: "",
            sha256: "",
            size: 0,
            format: "",
        };
        let run = import::start(&mut conn, &actor, RunKind::Import, None, &file, &s, "cli")
            .expect("start");
        import::execute(
            &mut conn,
            &run,
            &actor,
            csv.as_bytes(),
            None,
            &mut |_| {},
            &mut |_| {},
        )
        .expect("run");
    }
    let linked = |source: &str| {
        db.count(&format!("SELECT count(*) AS n FROM identifier_links l JOIN case_imports i ON i.case_id = l.case_id WHERE i.source = '{source}' AND l.source = 'extracted'"))
    };
    assert_eq!(linked("without"), 0);
    assert_eq!(linked("with"), 2, "the phone and the site");
}
