//! Statistics: figures against hand-counted cases (period boundaries on the
//! 14th/15th in Asia/Ho_Chi_Minh), the trigger-kept tallies equal to a fresh
//! count after every kind of change, who may see which figures, and bad input.

use actix_web::http::StatusCode;
use cyberdesk::auth::RequestMeta;
use cyberdesk::domain::period::Period;
use cyberdesk::models::case::Status;
use cyberdesk::models::case_tally;
use cyberdesk::services::{cases, stats};

use crate::cases::{create, me};
use crate::common::{signed_in, TestDb};
use crate::print::move_to;

fn at(db: &TestDb, reference: &str, received: &str) {
    db.exec(&format!(
        "UPDATE cases SET received_at = '{received}' WHERE ref = '{reference}'"
    ));
}

fn figures(db: &TestDb, who: i64, scope: stats::Scope, code: &str) -> stats::Stats {
    let period = Period::parse(code, 15).expect("period");
    stats::compute(
        &mut db.conn(),
        &me(db, who),
        scope,
        stats::StatsFilter::default(),
        period,
        15,
    )
    .expect("stats")
}

/// Assigns the three cases to `sid` and has them verified; `late` falls due
/// yesterday; the first and `late` are then resolved as prosecuted.
fn prosecute(db: &TestDb, sid: i64, three: [&String; 3], late: &str) {
    let sup = me(db, sid);
    for r in three {
        cases::assign(
            &mut db.conn(),
            &sup,
            &RequestMeta::default(),
            &db.config(),
            r,
            sid,
        )
        .expect("assign");
        move_to(db, sid, r, Status::Verifying, Default::default());
    }
    db.exec(&format!(
        "UPDATE case_deadlines SET due_at = now() - interval '1 day', first_due_at = now() - interval '1 day' \
         WHERE kind = 'decide' AND case_id = (SELECT id FROM cases WHERE ref = '{late}')"
    ));
    let resolve = cases::MoveInput {
        outcome: "prosecuted".into(),
        summary: "Đã khởi tố vụ án".into(),
        ..Default::default()
    };
    move_to(db, sid, three[0], Status::Resolved, resolve.clone());
    move_to(db, sid, late, Status::Resolved, resolve);
}

fn drift(db: &TestDb) -> i64 {
    case_tally::drift(&mut db.conn(), 1).expect("drift")
}

/// The count a `/cases` page shows ("N vụ việc").
fn listed(body: &str) -> i64 {
    let end = body.find(" vụ việc</p>").expect("count line");
    let start = body[..end].rfind('>').expect("count start") + 1;
    body[start..end].trim().parse().expect("count")
}

#[actix_web::test]
async fn figures_follow_the_reporting_month_to_the_second() {
    let db = TestDb::new();
    let (mut c, sid) = signed_in(&db, "supervisor").await;
    let sup = me(&db, sid);
    // Month 3/2026 runs from 15/02/2026 00:00 to 14/03/2026 23:59:59 (UTC+7).
    let first = create(&db, &sup, &[]);
    at(&db, &first, "2026-02-15 00:00:00+07");
    let last = create(&db, &sup, &[]);
    at(&db, &last, "2026-03-14 23:59:59+07");
    let before = create(&db, &sup, &[]);
    at(&db, &before, "2026-02-14 23:59:59+07");
    let after = create(&db, &sup, &[]);
    at(&db, &after, "2026-03-15 00:00:00+07");
    let incident = create(&db, &sup, &[("case_type", "security_incident")]);
    at(&db, &incident, "2026-03-01 09:00:00+07");
    // A duplicate merged into `first` is the same report: not counted.
    let dup = create(&db, &sup, &[]);
    at(&db, &dup, "2026-03-02 10:00:00+07");
    cases::merge(
        &mut db.conn(),
        &sup,
        &RequestMeta::default(),
        &db.config(),
        &dup,
        &first,
    )
    .expect("merge");
    assert_eq!(drift(&db), 0, "tallies equal a fresh count after a merge");

    let s = figures(&db, sid, stats::Scope::Unit, "m2026-03");
    assert_eq!(s.now.f.received, 3, "first, last and the incident");
    assert_eq!(s.now.f.by_type.get("crime_report"), Some(&2));
    assert_eq!(s.now.f.by_type.get("security_incident"), Some(&1));
    // Each case above carries 3,500,000 ₫ of money rows.
    assert_eq!(s.now.f.loss, 3 * 3_500_000);
    assert_eq!(s.previous.f.received, 1, "14/02 23:59:59 is February's");
    assert_eq!(
        s.now.open_at_end, 4,
        "everything received up to 14/03 is open"
    );
    let april = figures(&db, sid, stats::Scope::Unit, "m2026-04");
    assert_eq!(april.now.f.received, 1, "15/03 00:00 is April's");
    let cal = figures(&db, sid, stats::Scope::Unit, "cm2026-03");
    assert_eq!(cal.now.f.received, 3, "calendar March: 1st, 14th and 15th");

    // The page links each figure to the list that produced it, and they agree.
    let page = c.get("/stats?period=m2026-03").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let link = "/cases?status=reports&#38;from=2026-02-15&#38;to=2026-03-14";
    assert!(page.body.contains(link), "received links to its list");
    let list = c.get(&link.replace("&#38;", "&")).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(listed(&list.body), 3);
    assert!(
        !list.body.contains(&dup),
        "the merged duplicate is left out"
    );
    for text in [
        "<svg",
        "<title id=\"chart-received-t\"",
        "<desc id=",
        "<caption>",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    // The open-at-end figure's list agrees too.
    let open = c.get("/cases?status=reports&open_on=2026-03-14").await;
    assert_eq!(listed(&open.body), 4);
}

#[actix_web::test]
async fn decisions_deadlines_and_money_are_counted_when_they_happen() {
    let db = TestDb::new();
    let (mut c, sid) = signed_in(&db, "supervisor").await;
    let sup = me(&db, sid);
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .date_naive();
    let code = Period::month_of(today, 15).expect("month").code();
    let a = create(&db, &sup, &[]);
    let b = create(&db, &sup, &[]);
    let late = create(&db, &sup, &[]);
    prosecute(&db, sid, [&a, &b, &late], &late);
    move_to(
        &db,
        sid,
        &b,
        Status::Transferred,
        cases::MoveInput {
            agency: "Công an tỉnh Quảng Ngãi".into(),
            ..Default::default()
        },
    );
    assert_eq!(drift(&db), 0, "tallies equal a fresh count after moves");
    let s = figures(&db, sid, stats::Scope::Unit, &code);
    assert_eq!(s.now.f.decided, 3);
    assert_eq!(s.now.f.result("prosecuted"), 2);
    assert_eq!(s.now.f.result("transferred"), 1);
    assert_eq!(s.now.f.compliance.get("in_time"), Some(&2));
    assert_eq!(s.now.f.compliance.get("late"), Some(&1));
    assert_eq!(s.now.f.time("assign").count(), 3);
    assert_eq!(s.now.f.time("decide").count(), 3);
    assert_eq!(s.now.open_at_end, 0);
    // The three share the form's receiving account: the period's top identifier.
    let account = s
        .top
        .iter()
        .find(|h| h.value == "VCB:0011004455667")
        .expect("on top");
    assert_eq!(account.reports, 3);

    // Reopening undoes the decision.
    move_to(
        &db,
        sid,
        &a,
        Status::InProgress,
        cases::MoveInput {
            reason: "Có tình tiết mới".into(),
            ..Default::default()
        },
    );
    assert_eq!(drift(&db), 0);
    let s = figures(&db, sid, stats::Scope::Unit, &code);
    assert_eq!((s.now.f.decided, s.now.f.result("prosecuted")), (2, 1));
    assert_eq!(s.now.open_at_end, 1);

    // The result's list agrees with the figure.
    let page = c.get(&format!("/stats?period={code}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let start = page.body.find("&#38;result=prosecuted").unwrap_or_else(|| {
        let i = page.body.find("result=").unwrap_or(0);
        panic!(
            "result link: {}",
            &page.body[i.saturating_sub(300)..(i + 200).min(page.body.len())]
        )
    });
    let href_start = page.body[..start].rfind("href=\"").expect("href") + 6;
    let href = page.body[href_start..start + "&#38;result=prosecuted".len()].replace("&#38;", "&");
    assert_eq!(listed(&c.get(&href).await.body), 1);

    // An edit that changes type and loss moves the tallies with it.
    db.exec(&format!(
        "UPDATE cases SET total_loss = 42, case_type = 'data_breach' WHERE ref = '{b}'"
    ));
    assert_eq!(drift(&db), 0, "after an edit");
}

#[actix_web::test]
async fn an_officer_sees_their_own_figures_and_nobody_else_gets_the_units() {
    let db = TestDb::new();
    let (_, sid) = signed_in(&db, "supervisor").await;
    let (mut officer, oid) = signed_in(&db, "officer").await;
    let sup = me(&db, sid);
    let mine = create(&db, &sup, &[]);
    let _other = create(&db, &sup, &[]);
    let _restricted = create(&db, &sup, &[("tlp", "RED")]);
    cases::assign(
        &mut db.conn(),
        &sup,
        &RequestMeta::default(),
        &db.config(),
        &mine,
        oid,
    )
    .expect("assign");
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .date_naive();
    let code = Period::month_of(today, 15).expect("month").code();
    let own = figures(&db, oid, stats::Scope::Own, &code);
    assert_eq!(
        own.now.f.received, 1,
        "an officer's figures count their cases only"
    );
    let unit = figures(&db, sid, stats::Scope::Unit, &code);
    assert_eq!(
        unit.now.f.received, 3,
        "the unit's count restricted cases too"
    );

    let page = officer.get("/stats").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("assignee=me"),
        "their figures link to their cases"
    );
    assert!(
        !page.body.contains("/stats/report"),
        "no unit-wide report for officers"
    );
    let res = officer.get("/stats?scope=unit").await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let (mut admin, _) = signed_in(&db, "admin").await;
    assert_eq!(admin.get("/stats").await.status, StatusCode::FORBIDDEN);
    let (mut analyst, _) = signed_in(&db, "national_analyst").await;
    assert_eq!(analyst.get("/stats").await.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn bad_periods_and_filters_are_refused_with_a_reason() {
    let db = TestDb::new();
    let (mut c, _) = signed_in(&db, "supervisor").await;
    for (query, message) in [
        ("period=m2026-13", "Kỳ báo cáo không hợp lệ"),
        ("period=week", "Kỳ báo cáo không hợp lệ"),
        ("period=y1990", "Năm phải từ 2000 đến 2100"),
        ("from=2026-03-10&to=2026-03-01", "Ngày bắt đầu phải trước"),
        ("from=2026-03-10", "Hãy nhập cả từ ngày và đến ngày"),
        ("from=2026-02-30&to=2026-03-01", "Ngày không hợp lệ"),
        ("from=1900-01-01&to=2026-03-01", "Năm phải từ 2000 đến 2100"),
        ("type=virus", "Bộ lọc không hợp lệ"),
        ("category=abc", "Bộ lọc không hợp lệ"),
        ("channel=pigeon", "Bộ lọc không hợp lệ"),
    ] {
        let res = c.get(&format!("/stats?{query}")).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(res.body.contains(message), "{query}: {}", res.body);
    }
    let ok = c.get("/stats?from=2026-01-01&to=2026-03-31&type=crime_report&channel=phone&category=1&team=%C4%90%E1%BB%99i%201").await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
}

#[actix_web::test]
async fn money_frozen_and_returned_is_recorded_audited_and_counted_by_its_date() {
    let db = TestDb::new();
    let (mut c, sid) = signed_in(&db, "supervisor").await;
    let reference = create(&db, &me(&db, sid), &[]);
    let url = format!("/cases/{reference}/recoveries");
    let page = c.get(&format!("/cases/{reference}")).await;
    assert!(
        page.body.contains("id=\"recoveries\""),
        "the case page has the section"
    );
    // Bad input: the case page again with the reason, nothing written.
    for (pairs, message) in [
        (vec![("kind", "stolen")], "vui lòng chọn trong danh sách"),
        (vec![("amount", "-5")], "Số tiền phải là số nguyên dương"),
        (
            vec![("on_date", "2999-01-01")],
            "Ngày phải có dạng ngày hợp lệ",
        ),
        (vec![("bank", "NOPE")], "Không nhận ra ngân hàng này"),
        (
            vec![("bank", ""), ("agency", " ")],
            "Hãy chọn ngân hàng hoặc ghi tên cơ quan",
        ),
    ] {
        let mut form = vec![
            ("kind", "frozen"),
            ("amount", "12.500.000"),
            ("on_date", "2026-03-01"),
            ("bank", "VCB"),
        ];
        for (k, v) in &pairs {
            form.retain(|(name, _)| name != k);
            form.push((k, v));
        }
        let res = c.post(&url, &form).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{pairs:?}");
        assert!(res.body.contains(message), "{pairs:?}");
    }
    assert_eq!(db.count("SELECT count(*) AS n FROM case_recoveries"), 0);
    let ok = [
        ("kind", "frozen"),
        ("amount", "12.500.000"),
        ("on_date", "2026-03-01"),
        ("bank", "VCB"),
    ];
    let res = c.post(&url, &ok).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let res = c
        .post(
            &url,
            &[
                ("kind", "returned"),
                ("amount", "2000000"),
                ("on_date", "2026-03-20"),
                ("agency", "Tòa án nhân dân TP Đà Nẵng"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'case_recovery_add'"),
        2
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM case_events WHERE kind = 'recovery'"),
        2
    );
    assert_eq!(
        drift(&db),
        0,
        "money tallies equal a fresh count after adding"
    );
    let march = figures(&db, sid, stats::Scope::Unit, "m2026-03");
    assert_eq!(
        (march.now.money.frozen, march.now.money.returned),
        (12_500_000, 0)
    );
    let april = figures(&db, sid, stats::Scope::Unit, "m2026-04");
    assert_eq!(
        april.now.money.returned, 2_000_000,
        "20/03 is in April's period"
    );

    // A mistaken row is removed, audited; another case's row is not found.
    let id = db.count("SELECT min(id) AS n FROM case_recoveries");
    let other = create(&db, &me(&db, sid), &[]);
    let res = c
        .post(&format!("/cases/{other}/recoveries/{id}/remove"), &[])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = c
        .post(&format!("/cases/{reference}/recoveries/{id}/remove"), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(db.count("SELECT count(*) AS n FROM case_recoveries"), 1);
    assert_eq!(drift(&db), 0, "and after removing");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'case_recovery_remove'"),
        1
    );
}

#[actix_web::test]
async fn the_periodic_report_prints_the_units_name_of_its_period_and_downloads_as_xlsx_and_csv() {
    use calamine::{Data, Reader, Xlsx};
    let db = TestDb::new();
    let (mut c, sid) = signed_in(&db, "supervisor").await;
    let sup = me(&db, sid);
    let a = create(&db, &sup, &[]);
    at(&db, &a, "2026-03-01 09:00:00+07");
    let b = create(
        &db,
        &sup,
        &[
            ("case_type", "security_incident"),
            ("system_security_level", "3"),
        ],
    );
    at(&db, &b, "2026-03-02 09:00:00+07");
    let old_name: String = {
        use diesel::prelude::*;
        cyberdesk::db::schema::unit_names::table
            .filter(cyberdesk::db::schema::unit_names::unit_id.eq(1))
            .select(cyberdesk::db::schema::unit_names::name_vi)
            .first(&mut db.conn())
            .expect("a name")
    };
    db.exec(
        "INSERT INTO unit_names (unit_id, valid_from, name_vi, name_en) \
         VALUES (1, '2026-07-01', 'Phòng An ninh mạng - Công an thành phố Đà Nẵng', 'Cyber Security Division, Da Nang City Police')",
    );
    let page = c.get("/stats/report?period=m2026-03").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for text in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Bảng 1.",
        "Bảng 7.",
        "15/02/2026 – 14/03/2026",
        "THỦ TRƯỞNG ĐƠN VỊ",
        "Hệ thống cấp độ 3",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    assert!(
        page.body.contains(&old_name),
        "March prints the name of March"
    );
    let later = c.get("/stats/report?period=m2026-08").await;
    assert!(
        later.body.contains("Công an thành phố Đà Nẵng"),
        "August prints the new name"
    );

    // The workbook: one sheet per table, the unit on each, numbers and dates.
    let res = c.get("/stats/report?period=m2026-03&format=xlsx").await;
    assert_eq!(res.status, StatusCode::OK);
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(res.bytes.clone())).expect("a workbook");
    assert_eq!(wb.sheet_names().len(), 7);
    let t1 = wb.worksheet_range("Bảng 1").expect("table 1");
    assert_eq!(t1.get((1, 0)), Some(&Data::String(old_name.clone())));
    match t1.get((3, 1)) {
        Some(Data::DateTime(d)) => assert_eq!(
            d.as_datetime().expect("date").date().to_string(),
            "2026-02-15"
        ),
        other => panic!("the period's start is not a date: {other:?}"),
    }
    // Row 7 is the first type (crime reports): received this period = 1.
    assert_eq!(t1.get((6, 1)), Some(&Data::Float(1.0)));

    // CSV, one table per file; a table that does not exist, a format that does not.
    let res = c
        .get("/stats/report?period=m2026-03&format=csv&table=1")
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.bytes.starts_with("\u{feff}".as_bytes()));
    assert!(
        res.body
            .contains("\"Tố giác, tin báo về tội phạm\",1,0,0,0,1"),
        "a label with a comma is quoted: {}",
        res.body
    );
    let res = c
        .get("/stats/report?period=m2026-03&format=csv&table=9")
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Không có bảng này"));
    let res = c.get("/stats/report?period=m2026-03&format=pdf").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let res = c.get("/stats/report?period=m2026-14").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

    // In English, the national heading stays as it is written.
    c.post("/lang", &[("lang", "en"), ("next", "/stats")]).await;
    let en = c.get("/stats/report?period=m2026-03").await;
    assert!(en.body.contains("REPORT") && en.body.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));

    // Officers are refused the unit's report.
    let (mut officer, _) = signed_in(&db, "officer").await;
    assert_eq!(
        officer.get("/stats/report?period=m2026-03").await.status,
        StatusCode::FORBIDDEN
    );
}

#[actix_web::test]
async fn another_units_figures_and_exports_hold_none_of_ours() {
    let db = TestDb::new();
    let (_, sid) = signed_in(&db, "supervisor").await;
    let sup = me(&db, sid);
    db.exec(
        "INSERT INTO units (code, kind, ref_prefix, time_zone, contact, active, from_settings) \
         VALUES ('DNG', 'cyber_division', 'DNG', 'Asia/Ho_Chi_Minh', '0236 3822 123', true, false)",
    );
    db.exec(
        "INSERT INTO unit_names (unit_id, valid_from, name_vi, name_en) \
         SELECT id, '2020-01-01', 'Phòng An ninh mạng Đà Nẵng', 'Da Nang Cyber Division' FROM units WHERE code = 'DNG'",
    );
    let theirs = db.user_in(
        "ld@dng.test.vn",
        "supervisor",
        crate::common::PASSWORD,
        "DNG",
    );
    let ours = create(&db, &sup, &[]);
    let other = create(&db, &me(&db, theirs), &[]);
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .date_naive();
    let code = Period::month_of(today, 15).expect("month").code();
    let mine = figures(&db, sid, stats::Scope::Unit, &code);
    let dng = figures(&db, theirs, stats::Scope::Unit, &code);
    assert_eq!((mine.now.f.received, dng.now.f.received), (1, 1));
    assert!(
        dng.top.iter().all(|h| h.reports < 2),
        "the shared account is one report in each unit, on neither top list"
    );
    let mut c = crate::common::client(&db).await;
    c.login("ld@dng.test.vn", crate::common::PASSWORD).await;
    let export = c.get("/cases/export.csv?status=all").await;
    assert!(export.body.contains(&other) && !export.body.contains(&ours));
    let report = c.get(&format!("/stats/report?period={code}")).await;
    assert!(report.body.contains("Phòng An ninh mạng Đà Nẵng"));
}

#[actix_web::test]
async fn a_filtered_years_tallies_equal_the_same_figures_computed_over_the_cases() {
    let db = TestDb::new();
    let (_, sid) = signed_in(&db, "supervisor").await;
    let sup = me(&db, sid);
    for over in [
        vec![("channel", "phone")],
        vec![("channel", "phone"), ("category_id", "10")],
        vec![("channel", "phone"), ("case_type", "security_incident")],
    ] {
        create(&db, &sup, &over);
    }
    create(&db, &sup, &[("channel", "email"), ("category_id", "10")]);
    db.exec("UPDATE cases SET team = CASE WHEN channel = 'phone' THEN 'Đội 1' ELSE 'Đội 2' END");
    assert_eq!(drift(&db), 0);
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .date_naive();
    let period = Period::month_of(today, 15).expect("month");
    let run = |f: stats::StatsFilter| {
        stats::compute(&mut db.conn(), &sup, stats::Scope::Unit, f, period, 15).expect("stats")
    };
    let phone = Some(cyberdesk::models::case::Channel::Phone);
    // Each filter alone reads the tallies; with a second filter that every one
    // of those cases also meets, the same figures come from the cases.
    for (alone, both) in [
        (
            stats::StatsFilter {
                category_id: Some(1),
                ..Default::default()
            },
            stats::StatsFilter {
                category_id: Some(1),
                channel: phone,
                ..Default::default()
            },
        ),
        (
            stats::StatsFilter {
                channel: phone,
                ..Default::default()
            },
            stats::StatsFilter {
                channel: phone,
                team: Some("Đội 1".into()),
                ..Default::default()
            },
        ),
        (
            stats::StatsFilter {
                team: Some("Đội 1".into()),
                ..Default::default()
            },
            stats::StatsFilter {
                team: Some("Đội 1".into()),
                channel: phone,
                ..Default::default()
            },
        ),
    ] {
        let (a, b) = (run(alone.clone()), run(both));
        assert_eq!(a.now.f, b.now.f, "{alone:?}");
        assert_eq!(a.now.open_at_end, b.now.open_at_end);
    }
    assert_eq!(
        run(stats::StatsFilter {
            channel: phone,
            ..Default::default()
        })
        .now
        .f
        .received,
        3
    );
    assert_eq!(
        run(stats::StatsFilter {
            category_id: Some(10),
            ..Default::default()
        })
        .now
        .f
        .received,
        2
    );
}

/// Every linked figure of a `/stats` page: its link and its value as shown.
fn linked_figures(body: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.find("<td class=\"num\"><a href=\"") {
        rest = &rest[i + "<td class=\"num\"><a href=\"".len()..];
        let end = rest.find('"').expect("end of href");
        let href = rest[..end].replace("&#38;", "&").replace("&amp;", "&");
        let v_start = rest.find('>').expect("value") + 1;
        let v_end = rest.find("</a>").expect("end of value");
        out.push((href, rest[v_start..v_end].trim().to_owned()));
    }
    out
}

/// The number a list page says it holds: `/cases`, the intake search, `/transfers`.
fn shown_total(path: &str, body: &str) -> i64 {
    let after = |marker: &str| -> i64 {
        let Some(i) = body.find(marker) else {
            return 0; // the empty state: nothing matched
        };
        let rest = &body[i + marker.len()..];
        let digits: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .filter(|c| *c != '.')
            .collect();
        digits.parse().expect("a count")
    };
    if path.starts_with("/cases") {
        listed(body)
    } else if path.starts_with("/intake") {
        after("id=\"found-total\">")
    } else {
        after("id=\"transfers-total\">")
    }
}

/// `2`, `1.250`, `2 (66,7%)`: the count a figure shows (None for money and shares).
fn count_of(value: &str) -> Option<i64> {
    if value.contains('₫') || value.contains('/') {
        return None;
    }
    let digits: String = value
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .filter(|c| *c != '.')
        .collect();
    digits.parse().ok()
}

/// The references a `/cases` page lists.
fn refs_listed(body: &str) -> Vec<String> {
    let mut out: Vec<String> = body
        .split("href=\"/cases/")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|r| r.starts_with("PA05-") && !r.contains('/'))
        .map(str::to_owned)
        .collect();
    out.sort();
    out.dedup();
    out
}

#[actix_web::test]
async fn every_figure_links_to_the_list_that_produced_it_and_the_counts_agree() {
    let db = TestDb::new();
    let (mut c, sid) = signed_in(&db, "supervisor").await;
    let sup = me(&db, sid);
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .date_naive();
    let code = Period::month_of(today, 15).expect("month").code();
    let day = today.format("%Y-%m-%d").to_string();
    crate::units::add_unit(&db, "DNG", "DNG", "Công an thành phố Đà Nẵng").await;

    // Cases received, classified, assigned, decided in time and late,
    // transferred to another unit, one without a category, money frozen on
    // one and returned on another, and a merged duplicate with money frozen.
    let refs: Vec<String> = (0..6).map(|_| create(&db, &sup, &[])).collect();
    let [a, b, late, sent, bare, dup] = [0, 1, 2, 3, 4, 5].map(|i| refs[i].clone());
    prosecute(&db, sid, [&a, &b, &late], &late);
    db.exec(&format!(
        "UPDATE cases SET category_id = NULL, subcategory_id = NULL WHERE ref = '{bare}'"
    ));
    db.exec(&format!(
        "UPDATE cases SET classified_at = now() WHERE ref IN ('{a}', '{b}', '{bare}') AND classified_at IS NULL"
    ));
    for (r, kind, amount) in [
        (&a, "frozen", "5.000.000"),
        (&b, "returned", "700000"),
        (&dup, "frozen", "1000000"),
    ] {
        c.get(&format!("/cases/{r}")).await;
        let res = c
            .post(
                &format!("/cases/{r}/recoveries"),
                &[
                    ("kind", kind),
                    ("amount", amount),
                    ("on_date", &day),
                    ("bank", "VCB"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    }
    cases::merge(
        &mut db.conn(),
        &sup,
        &RequestMeta::default(),
        &db.config(),
        &dup,
        &b,
    )
    .expect("merge");
    c.get(&format!("/cases/{sent}")).await;
    let res = c
        .post(
            &format!("/cases/{sent}/transfer"),
            &[("to_unit", "DNG"), ("note", "Thẩm quyền")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);

    // Public reports: one made a case, one spam, one waiting.
    let mut public = crate::common::client(&db).await;
    for _ in 0..3 {
        let r = crate::portal::send(&mut public, "crime", &crate::portal::crime(&[]), &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let first = db.count("SELECT min(id) AS n FROM submissions");
    c.get("/intake").await;
    crate::portal::to_case(&mut c, first).await;
    let res = c
        .post(
            &format!("/intake/{}/spam", first + 1),
            &[("reason", "Nội dung quảng cáo")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(drift(&db), 0);

    let page = c.get(&format!("/stats?period={code}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let figures = linked_figures(&page.body);
    // Every row of a table of figures shows its value as a link.
    for row in page.body.split("<th scope=\"row\"").skip(1) {
        let th = &row[..row.find("</th>").expect("end of th")];
        if th.contains("def-link") {
            let cell = &row[row.find("<td class=\"num\">").expect("value cell")..];
            assert!(
                cell.starts_with("<td class=\"num\"><a href="),
                "a figure without its list: {}",
                &row[..row.len().min(300)]
            );
        }
    }
    assert!(figures.len() >= 25, "{figures:?}");
    let mut seen = std::collections::HashSet::new();
    for (href, value) in &figures {
        let list = c.get(href).await;
        assert_eq!(list.status, StatusCode::OK, "{href}: {}", list.body);
        assert!(
            !list.body.contains("Một số bộ lọc không hợp lệ"),
            "{href}: every filter of the link is read"
        );
        let shown = shown_total(href, &list.body);
        if let Some(n) = count_of(value) {
            assert_eq!(
                shown, n,
                "{href}: the list holds what the figure says ({value})"
            );
        } else if value.contains('/') {
            // The in-time share is of the crime reports judged against the deadline.
            assert_eq!(shown, 2, "{href}: {value}");
        }
        seen.insert(
            href.split('?').next().unwrap_or("").to_owned() + "?" + {
                let q = href.split('?').nth(1).unwrap_or("");
                if q.contains("recovered=") {
                    "recovered"
                } else if q.contains("category=none") {
                    "uncategorised"
                } else if q.contains("classified_from") {
                    "classified"
                } else if q.contains("assigned_from") {
                    "assigned"
                } else if q.contains("compliance=judged") {
                    "judged"
                } else {
                    ""
                }
            },
        );
    }
    for kind in [
        "/cases?recovered",
        "/cases?uncategorised",
        "/cases?classified",
        "/cases?assigned",
        "/cases?judged",
        "/intake?",
        "/transfers?",
    ] {
        assert!(seen.contains(kind), "a figure links to {kind}: {seen:?}");
    }
    // Money frozen lists the cases it was frozen on, the merged duplicate too.
    let (href, value) = figures
        .iter()
        .find(|(h, _)| h.contains("recovered=frozen"))
        .expect("frozen figure");
    assert_eq!(value, "6.000.000 ₫");
    let mut want = vec![a.clone(), dup.clone()];
    want.sort();
    assert_eq!(refs_listed(&c.get(href).await.body), want);
    let (href, value) = figures
        .iter()
        .find(|(h, _)| h.contains("recovered=returned"))
        .expect("returned figure");
    assert_eq!(value, "700.000 ₫");
    assert_eq!(refs_listed(&c.get(href).await.body), vec![b.clone()]);
    // The intake figures count what their lists show.
    for (show, n) in [("", 3), ("&show=triaged", 1), ("&show=spam", 1)] {
        let href = format!(
            "/intake?from={}&to={}{show}",
            ymd_first(&code),
            ymd_last(&code)
        );
        assert!(
            figures
                .iter()
                .any(|(h, v)| *h == href && count_of(v) == Some(n)),
            "{href} = {n}: {figures:?}"
        );
    }
}

#[actix_web::test]
async fn the_lists_behind_the_figures_refuse_what_they_cannot_read() {
    let db = TestDb::new();
    let (mut sup, _) = signed_in(&db, "supervisor").await;
    let (mut off, _) = signed_in(&db, "officer").await;
    // Transfers sent and reports marked spam are for supervisors.
    assert_eq!(off.get("/transfers").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        off.get("/intake?from=2026-01-01&to=2026-01-31&show=decided")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // A value that cannot be read is named, and the list is shown without it.
    for path in [
        "/transfers?state=lost",
        "/transfers?from=2026-13-01",
        "/transfers?after=x",
        "/intake?from=2026-01-01&found_after=nope",
        "/cases?recovered=stolen",
        "/cases?recovered=frozen&recovered_from=2026-02-30",
        "/cases?classified_from=yesterday",
        "/cases?assigned_to=1800-01-01",
        "/cases?compliance=maybe",
    ] {
        let res = sup.get(path).await;
        // The lists answer 422 as the case list does; the intake's search
        // stays a page of the queue with the filter left out.
        let want = if path.starts_with("/intake") {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        assert_eq!(res.status, want, "{path}");
        assert!(
            res.body.contains("Một số bộ lọc không hợp lệ"),
            "{path}: the bad filter is named"
        );
    }
    // The empty states say so.
    assert!(sup
        .get("/transfers")
        .await
        .body
        .contains("Không có vụ việc đã chuyển đi nào"));
}

fn ymd_first(code: &str) -> String {
    Period::parse(code, 15)
        .expect("period")
        .from
        .format("%Y-%m-%d")
        .to_string()
}

fn ymd_last(code: &str) -> String {
    Period::parse(code, 15)
        .expect("period")
        .last_day()
        .format("%Y-%m-%d")
        .to_string()
}

#[actix_web::test]
async fn the_top_identifiers_of_any_period_equal_a_count_of_every_link() {
    use cyberdesk::models::hot_identifier::{top_between, top_between_counted};
    use diesel::prelude::*;
    let db = TestDb::new();
    let sup = db.user("sup@pa05.test.vn", "supervisor", crate::common::PASSWORD);
    let who = me(&db, sup);
    for _ in 0..30 {
        create(&db, &who, &[]);
    }
    // 150 phones, the k-th in about 60/k of the cases (heavy tailed, as mule
    // accounts are), each link dated by case and phone over 400 days.
    db.exec(
        "INSERT INTO identifiers (kind, value)
         SELECT 'phone', '+8490' || lpad(k::text, 7, '0') FROM generate_series(1, 150) k",
    );
    db.exec(
        "INSERT INTO identifier_links (identifier_id, case_id, role, source, reported_at, amount, unit_id)
         SELECT i.id, c.id, CASE WHEN (c.id + k) % 17 = 0 THEN 'victim' ELSE 'suspect' END, 'officer',
                now() - make_interval(days => ((c.id * 37 + k * 11) % 400)::int), (k * 1000 + c.id)::bigint, 1
         FROM generate_series(1, 150) k
         JOIN identifiers i ON i.value = '+8490' || lpad(k::text, 7, '0')
         JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM cases) c ON c.n <= greatest(60 / k, 2) + (k % 3)",
    );
    let drift = |db: &TestDb| {
        db.count(
            "SELECT count(*) AS n FROM (
               (SELECT unit_id, identifier_id, links FROM identifier_unit_links WHERE links <> 0
                EXCEPT SELECT unit_id, identifier_id, count(*) FROM identifier_links WHERE role <> 'victim' GROUP BY 1, 2)
               UNION ALL
               (SELECT unit_id, identifier_id, count(*) FROM identifier_links WHERE role <> 'victim' GROUP BY 1, 2
                EXCEPT SELECT unit_id, identifier_id, links FROM identifier_unit_links WHERE links <> 0)) d",
        )
    };
    assert_eq!(drift(&db), 0, "the kept bounds equal a fresh count");
    let now = chrono::Utc::now();
    let day = chrono::Duration::days(1);
    let periods = [
        (now - day * 500, now + day),
        (now - day * 30, now + day),
        (now - day * 120, now - day * 30),
        (now - day * 400, now - day * 200),
        (now - day * 3, now - day * 2),
    ];
    let agree = |db: &TestDb| {
        let mut conn = db.conn();
        for period in periods {
            for limit in [1, 3, 10, 40] {
                let ids = |rows: Vec<cyberdesk::models::hot_identifier::Hot>| {
                    rows.into_iter()
                        .map(|h| (h.id, h.reports, h.loss, h.last_seen))
                        .collect::<Vec<_>>()
                };
                assert_eq!(
                    ids(top_between(&mut conn, 1, period, limit).expect("top")),
                    ids(top_between_counted(&mut conn, 1, period, limit).expect("counted")),
                    "{period:?} top {limit}"
                );
            }
        }
    };
    agree(&db);
    // Every kind of change keeps the bounds: a link becomes a victim's, one
    // moves to another unit, one is removed, a case is merged.
    crate::units::add_unit(&db, "DNG", "DNG", "Công an TP Đà Nẵng").await;
    db.exec("UPDATE identifier_links SET role = 'victim' WHERE id IN (SELECT id FROM identifier_links ORDER BY id LIMIT 5)");
    db.exec(
        "UPDATE identifier_links SET unit_id = (SELECT id FROM units WHERE code = 'DNG')
         WHERE id IN (SELECT id FROM identifier_links ORDER BY id DESC LIMIT 7)",
    );
    db.exec("DELETE FROM identifier_links WHERE id IN (SELECT id FROM identifier_links ORDER BY id LIMIT 3 OFFSET 40)");
    let refs: Vec<String> = db
        .conn()
        .build_transaction()
        .run(|c| {
            diesel::sql_query("SELECT ref AS n FROM cases ORDER BY id LIMIT 2")
                .load::<Ref>(c)
                .map(|r| r.into_iter().map(|r| r.n).collect())
        })
        .expect("refs");
    cases::merge(
        &mut db.conn(),
        &who,
        &RequestMeta::default(),
        &db.config(),
        &refs[1],
        &refs[0],
    )
    .expect("merge");
    assert_eq!(drift(&db), 0, "after every kind of change");
    agree(&db);

    // The ranking does read the bounds: without the top phone's, the whole
    // year is settled without it.
    let top = top_between_counted(&mut db.conn(), 1, periods[0], 3).expect("counted")[0].id;
    db.exec(&format!(
        "DELETE FROM identifier_unit_links WHERE identifier_id = {top}"
    ));
    let pruned = top_between(&mut db.conn(), 1, periods[0], 3).expect("top");
    assert!(
        pruned.iter().all(|h| h.id != top),
        "counted only by its bound"
    );
}

#[derive(diesel::QueryableByName)]
struct Ref {
    #[diesel(sql_type = diesel::sql_types::Text)]
    n: String,
}
