//! Many units in one system: unit records and their names over time, and
//! each unit seeing only its own cases, counts, search, dashboard, intake,
//! identifiers and mail, with other units named but never shown.

use actix_web::http::StatusCode;

use crate::cases::{create, me, user_with_team};
use crate::common::{client, signed_in, TestDb, PASSWORD};
use crate::portal::{crime, send};

/// A second unit, DNG, added by an administrator through the page.
pub(crate) async fn add_unit(db: &TestDb, code: &str, prefix: &str, name: &str) -> i64 {
    let (mut admin, _) = signed_in(db, "admin").await;
    admin.get("/admin/units").await;
    let res = admin
        .post(
            "/admin/units",
            &[
                ("code", code),
                ("ref_prefix", prefix),
                ("kind", "cyber_division"),
                ("name_vi", name),
                ("contact", "0236 3822 123"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    db.count(&format!(
        "SELECT id::bigint AS n FROM units WHERE code = '{code}'"
    ))
}

#[actix_web::test]
async fn administrators_keep_units_and_a_record_prints_the_name_of_its_date() {
    let db = TestDb::new();
    let (mut admin, _) = signed_in(&db, "admin").await;
    let page = admin.get("/admin/units").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("PA05"),
        "the first unit, from the settings"
    );
    let id = add_unit(
        &db,
        "QNA",
        "QNA",
        "Phòng An ninh mạng - Công an tỉnh Quảng Nam",
    )
    .await;
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'unit_create'"),
        1
    );

    // Bad input: a clear message, a 422, nothing written.
    for (field, value, message) in [
        ("code", "QNA", "Mã này đã có đơn vị khác dùng"),
        ("ref_prefix", "PA05", "Tiền tố này đã có đơn vị khác dùng"),
        ("code", "qna lower", "Mã đơn vị gồm chữ in hoa"),
        ("ref_prefix", "PA-5", "Tiền tố gồm 1–12 chữ in hoa"),
        ("parent", "NOPE", "Không có đơn vị nào mang mã này"),
        ("time_zone", "Mars/Base", "Múi giờ không hợp lệ"),
    ] {
        let mut form = vec![
            ("code", "CAP-HOAXUAN"),
            ("ref_prefix", "HX"),
            ("kind", "commune_police"),
            ("name_vi", "Công an phường Hòa Xuân"),
            ("active", "on"),
        ];
        form.retain(|(k, _)| *k != field);
        form.push((field, value));
        let res = admin.post("/admin/units", &form).await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value}"
        );
        assert!(res.body.contains(message), "{field}={value}: {message}");
    }
    assert_eq!(
        db.count("SELECT count(*) AS n FROM units"),
        2,
        "nothing half-written"
    );
    // Non-administrators do not keep units.
    let (mut sup, _) = signed_in(&db, "supervisor").await;
    assert_eq!(sup.get("/admin/units").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        sup.post(
            "/admin/units",
            &[
                ("code", "X"),
                ("ref_prefix", "X"),
                ("kind", "commune_police"),
                ("name_vi", "X")
            ]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    // 1 July 2025: Quảng Nam becomes part of Đà Nẵng city.
    admin.get(&format!("/admin/units/{id}")).await;
    let res = admin
        .post(
            &format!("/admin/units/{id}"),
            &[
                ("code", "QNA"),
                ("ref_prefix", "QNA"),
                ("kind", "cyber_division"),
                ("name_vi", "Phòng An ninh mạng - Công an thành phố Đà Nẵng"),
                ("name_from", "2025-07-01"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = admin.get(&format!("/admin/units/{id}")).await;
    assert!(page.body.contains("01/07/2025") && page.body.contains("Công an tỉnh Quảng Nam"));
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM unit_names WHERE unit_id = {id}"
        )),
        2
    );

    // Cases of the unit: its prefix, numbered on their own, and the name of
    // the day each was received.
    let officer = db.user_in("cb@qna.test.vn", "officer", PASSWORD, "QNA");
    let before = create(
        &db,
        &me(&db, officer),
        &[
            ("received_at", "2025-06-30T16:00"),
            ("occurred_at", "2025-06-29T20:00"),
        ],
    );
    let after = create(
        &db,
        &me(&db, officer),
        &[
            ("received_at", "2025-07-01T08:00"),
            ("occurred_at", "2025-06-29T20:00"),
        ],
    );
    assert!(before.starts_with("QNA-TG-"), "{before}");
    assert!(
        before.ends_with("-00001") && after.ends_with("-00002"),
        "{before} {after}"
    );
    let pa05 = user_with_team(&db, "cb@pa05.test.vn", "officer", "Đội 1");
    let own = create(&db, &me(&db, pa05), &[]);
    assert!(
        own.starts_with("PA05-TG-") && own.ends_with("-00001"),
        "{own}"
    );
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM cases WHERE ref = '{before}' AND unit_name = 'Phòng An ninh mạng - Công an tỉnh Quảng Nam'")), 1);
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM cases WHERE ref = '{after}' AND unit_name = 'Phòng An ninh mạng - Công an thành phố Đà Nẵng'")), 1);
    let mut o = client(&db).await;
    o.login("cb@qna.test.vn", PASSWORD).await;
    let page = o.get(&format!("/cases/{before}")).await;
    assert!(
        page.body.contains("Công an tỉnh Quảng Nam"),
        "the printed record names the unit of its date"
    );
    assert!(
        page.body.contains("Công an thành phố Đà Nẵng"),
        "the header names the unit today"
    );
}

#[actix_web::test]
async fn each_unit_sees_only_its_own_and_learns_only_that_another_unit_holds_an_identifier() {
    let db = TestDb::new();
    add_unit(
        &db,
        "QNA",
        "QNA",
        "Phòng An ninh mạng - Công an thành phố Đà Nẵng",
    )
    .await;
    // Unit PA05 (the first) and unit QNA, each with a supervisor and an officer.
    let sup_a = db.user("ld@pa05.test.vn", "supervisor", PASSWORD);
    let off_a = user_with_team(&db, "cb@pa05.test.vn", "officer", "Đội 1");
    let sup_b = db.user_in("ld@qna.test.vn", "supervisor", PASSWORD, "QNA");
    let off_b = db.user_in("cb@qna.test.vn", "officer", PASSWORD, "QNA");
    db.exec(&format!(
        "UPDATE users SET on_duty = true WHERE id IN ({off_a}, {off_b})"
    ));
    // The same mule account in both units' cases.
    let a_case = create(&db, &me(&db, off_a), &[("title", "Vụ của PA05 - bí mật")]);
    let b_case = create(&db, &me(&db, off_b), &[("title", "Vụ của QNA")]);
    let _ = sup_a;

    let mut b = client(&db).await;
    assert_eq!(
        b.login("ld@qna.test.vn", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    // Lists, counts and search: only QNA's.
    let list = b.get("/cases?status=all").await;
    assert!(list.body.contains(&b_case) && !list.body.contains(&a_case));
    assert!(!list.body.contains("Vụ của PA05"));
    let search = b.get("/cases?status=all&q=PA05").await;
    assert!(!search.body.contains(&a_case), "search stays in the unit");
    let dashboard = b.get("/").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(!dashboard.body.contains(&a_case) && !dashboard.body.contains("Vụ của PA05"));
    // Another unit's case does not exist for this one.
    assert_eq!(
        b.get(&format!("/cases/{a_case}")).await.status,
        StatusCode::NOT_FOUND
    );
    for export in ["identifiers.csv", "indicators.stix.json", "custody"] {
        assert_eq!(
            b.get(&format!("/cases/{a_case}/{export}")).await.status,
            StatusCode::NOT_FOUND,
            "{export}"
        );
    }
    // The shared account: counted in the unit only, and PA05 named with its
    // contact, without anything of its case.
    let page = b.get(&format!("/cases/{b_case}")).await;
    assert!(
        page.body.contains("Cũng được trình báo tại 1 đơn vị khác"),
        "other units named"
    );
    assert!(
        page.body
            .contains("Phòng An ninh mạng và phòng, chống tội phạm"),
        "by name"
    );
    // (The reference format shows as a placeholder; a link to the case would leak.)
    let a_link = format!("/cases/{a_case}\"");
    for leak in [a_link.as_str(), "Vụ của PA05"] {
        if let Some(i) = page.body.find(leak) {
            panic!(
                "{leak} on QNA's case page: …{}…",
                &page.body[i.saturating_sub(300)..(i + 100).min(page.body.len())]
            );
        }
    }
    let account = db.count("SELECT id AS n FROM identifiers WHERE value = 'VCB:0011004455667'");
    let id_page = b.get(&format!("/identifiers/{account}")).await;
    assert_eq!(id_page.status, StatusCode::OK);
    assert!(id_page.body.contains(&b_case) && !id_page.body.contains(&a_case));

    // A public report goes to the first unit's intake: QNA does not see it,
    // nor is it mailed to QNA's staff.
    let mut citizen = client(&db).await;
    let res = send(&mut citizen, "crime", &crime(&[]), &[]).await;
    assert_eq!(res.status, StatusCode::OK);
    let sid = db.count("SELECT max(id) AS n FROM submissions");
    let intake = b.get("/intake").await;
    assert!(!intake.body.contains("Bị giả danh công an lừa chuyển tiền"));
    assert_eq!(
        b.get(&format!("/intake/{sid}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        db.count(&format!("SELECT count(*) AS n FROM email_outbox WHERE kind = 'submission_new' AND recipient_user_id IN ({sup_b}, {off_b})")),
        0
    );
    assert_eq!(
        db.count(&format!("SELECT count(*) AS n FROM email_outbox WHERE kind = 'submission_new' AND recipient_user_id = {off_a}")),
        1
    );
    let mut oa = client(&db).await;
    oa.login("cb@pa05.test.vn", PASSWORD).await;
    let a_intake = oa.get(&format!("/intake/{sid}")).await;
    assert_eq!(a_intake.status, StatusCode::OK);
    // The report's account is held by QNA too: named, not shown.
    assert!(
        a_intake.body.contains("Đơn vị khác cũng có"),
        "{}",
        a_intake.status
    );
    assert!(!a_intake.body.contains(&b_case) && !a_intake.body.contains("Vụ của QNA"));
    // Triage from another unit: refused as if it did not exist.
    let refused = b
        .post(
            &format!("/intake/{sid}/spam"),
            &[("reason", "không phải của đơn vị")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM submissions WHERE id = {sid} AND status = 'new'"
        )),
        1
    );

    // Hot lists: a supervisor's counts only the unit's reports; the national
    // analyst's counts every unit's, with how many units, and opens no case.
    let shown = |body: &str| body.contains("VCB:0011004455667");
    let list = b.get("/identifiers?days=90").await;
    assert!(!shown(&list.body), "one report in QNA is not hot in QNA");
    create(
        &db,
        &me(&db, off_b),
        &[
            ("title", "Vụ thứ hai của QNA"),
            ("reporter_phone", "0903 000 111"),
        ],
    );
    let refreshed = b.post("/identifiers/hot/refresh", &[("days", "90")]).await;
    assert_eq!(
        refreshed.status,
        StatusCode::SEE_OTHER,
        "{}",
        refreshed.body
    );
    let list = b.get("/identifiers?days=90").await;
    assert!(shown(&list.body), "two reports in QNA");
    db.user_in("pt@a05.test.vn", "national_analyst", PASSWORD, "");
    let mut n = client(&db).await;
    assert_eq!(
        n.login("pt@a05.test.vn", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let national = n.get("/identifiers?days=90").await;
    assert_eq!(national.status, StatusCode::OK);
    assert!(shown(&national.body), "national list");
    assert!(
        national.body.contains("<td class=\"num\">2</td>"),
        "reported in 2 units"
    );
    assert!(
        !national.body.contains(&format!("/identifiers/{account}")),
        "no way into a unit's reports"
    );
    for path in [
        "/cases".to_owned(),
        format!("/cases/{a_case}"),
        format!("/identifiers/{account}"),
        "/intake".to_owned(),
        format!("/intake/{sid}"),
    ] {
        let status = n.get(&path).await.status;
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
            "{path}: {status}"
        );
    }
    assert_eq!(
        n.get("/").await.status,
        StatusCode::OK,
        "the analyst's dashboard"
    );

    // The hot-list export is the unit's too: an account only QNA holds, twice,
    // is in QNA's CSV and not in PA05's.
    for phone in ["0903 222 333", "0903 444 555"] {
        create(
            &db,
            &me(&db, off_b),
            &[
                ("tx-0-to_account", "5555000011112"),
                ("reporter_phone", phone),
            ],
        );
    }
    b.post("/identifiers/hot/refresh", &[("days", "90")]).await;
    let csv = b.get("/identifiers/hot.csv?days=90").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.contains("VCB:5555000011112"), "QNA's own list");
    let mut sa = client(&db).await;
    sa.login("ld@pa05.test.vn", PASSWORD).await;
    let csv = sa.get("/identifiers/hot.csv?days=90").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        !csv.body.contains("VCB:5555000011112"),
        "not in PA05's list"
    );

    // Nobody of another unit is offered, assigned or made a watcher.
    let page = b.get(&format!("/cases/{b_case}")).await;
    assert!(
        !page.body.contains(&format!("value=\"{off_a}\"")),
        "PA05's officer not offered"
    );
    let res = b
        .post(
            &format!("/cases/{b_case}/assign"),
            &[("assignee_id", &off_a.to_string())],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let res = b
        .post(
            &format!("/cases/{b_case}/watchers"),
            &[("user_id", &off_a.to_string())],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM case_watchers WHERE user_id = {off_a}"
        )),
        0
    );
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM cases WHERE assignee_id = {off_a}"
        )),
        0
    );
}

/// A database of the single-unit release, with its data, upgrades without
/// loss: the data become the first unit's, which keeps the prefix and name the
/// cases carry, then takes the settings' once.
#[actix_web::test]
async fn a_single_unit_database_with_data_upgrades_without_loss() {
    use diesel_migrations::MigrationHarness;
    let db = TestDb::empty();
    let mut conn = db.conn();
    // Every migration before units.
    let all = conn
        .pending_migrations(cyberdesk::db::MIGRATIONS)
        .expect("migrations");
    for m in &all {
        if m.name().to_string().starts_with("2026-12-01-000010") {
            break;
        }
        conn.run_migration(m).expect("migrate");
    }
    // Data as that release wrote it, under another prefix than the settings'.
    db.exec("INSERT INTO users (email, full_name, role, password_hash) VALUES ('ld@old.test.vn', 'Lãnh đạo', 'supervisor', 'x')");
    db.exec("INSERT INTO cases (ref, case_type, ref_year, ref_seq, title, description, channel, severity, tlp, status, received_at, unit_name, reporter_kind, created_by, updated_by)
             SELECT 'OLD-TG-2026-00007', 'crime_report', 2026, 7, 'Vụ cũ', 'Mô tả', 'phone', 'high', 'AMBER', 'new', now(), 'Phòng cũ', 'individual', id, id FROM users");
    db.exec(
        "INSERT INTO case_sequences (case_type, year, last_seq) VALUES ('crime_report', 2026, 7)",
    );
    db.exec("INSERT INTO submissions (tracking_code, kind, lang, received_at, anonymous, confidential, summary, narrative, payload, secret_hash) VALUES ('OLDCODE000001', 'crime', 'vi', now(), true, false, 'Cũ', 'Một trình báo cũ trước khi có đơn vị', '{}'::jsonb, '\\x00')");
    // The rest, as the new release starts.
    conn.run_pending_migrations(cyberdesk::db::MIGRATIONS)
        .expect("upgrade");
    assert_eq!(db.count("SELECT count(*) AS n FROM units WHERE id = 1 AND code = 'OLD' AND ref_prefix = 'OLD' AND from_settings"), 1);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM unit_names WHERE unit_id = 1 AND name_vi = 'Phòng cũ'"),
        1
    );
    for table in [
        "users",
        "cases",
        "submissions",
        "case_sequences",
        "case_counts",
    ] {
        assert_eq!(
            db.count(&format!(
                "SELECT count(*) AS n FROM {table} WHERE unit_id <> 1"
            )),
            0,
            "{table} all in the first unit"
        );
    }
    assert_eq!(db.count("SELECT n FROM case_counts WHERE unit_id = 1 AND case_type = 'crime_report' AND status = 'new'"), 1);
    // First start with REF_PREFIX=PA05 and UNIT_NAME set: the unit takes them;
    // the old case keeps its reference and name, the next case continues the
    // sequence under the new prefix.
    let cfg = db.config();
    assert!(cyberdesk::services::units::adopt_settings(&mut conn, &cfg).expect("adopt"));
    assert!(!cyberdesk::services::units::adopt_settings(&mut conn, &cfg).expect("once"));
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM units WHERE id = 1 AND ref_prefix = '{}' AND NOT from_settings", cfg.ref_prefix)), 1);
    assert_eq!(db.count("SELECT count(*) AS n FROM cases WHERE ref = 'OLD-TG-2026-00007' AND unit_name = 'Phòng cũ'"), 1);
    let sup = db.count("SELECT id AS n FROM users");
    let next = create(&db, &me(&db, sup), &[]);
    assert!(
        next.starts_with(&format!("{}-TG-", cfg.ref_prefix)),
        "{next}"
    );
    assert!(next.ends_with("-00008"), "no gap, no reuse: {next}");
}

#[actix_web::test]
async fn a_case_goes_to_another_unit_is_returned_with_a_reason_then_accepted() {
    let db = TestDb::new();
    add_unit(
        &db,
        "QNA",
        "QNA",
        "Phòng An ninh mạng - Công an thành phố Đà Nẵng",
    )
    .await;
    add_unit(&db, "OLDU", "OLDU", "Đơn vị đã giải thể").await;
    db.exec("UPDATE units SET active = false WHERE code = 'OLDU'");
    let off_a = user_with_team(&db, "cb@pa05.test.vn", "officer", "Đội 1");
    db.user("ld@pa05.test.vn", "supervisor", PASSWORD);
    let off_b = db.user_in("cb@qna.test.vn", "officer", PASSWORD, "QNA");
    db.exec(&format!(
        "UPDATE users SET on_duty = true WHERE id = {off_b}"
    ));
    let reference = create(
        &db,
        &me(&db, off_a),
        &[("title", "Lừa đảo chuyển về Đà Nẵng")],
    );
    let deadline_before = db.count(&format!(
        "SELECT extract(epoch FROM deadline_at)::bigint AS n FROM cases WHERE ref = '{reference}'"
    ));
    let mut a = client(&db).await;
    a.login("cb@pa05.test.vn", PASSWORD).await;
    a.get(&format!("/cases/{reference}")).await;
    let path = format!("/cases/{reference}/transfer");

    // Bad input: nothing written.
    for (to, message) in [
        ("PA05", "Không thể chuyển vụ việc cho chính đơn vị mình"),
        ("NOPE", "Không có đơn vị đang hoạt động nào mang mã này"),
        ("OLDU", "Không có đơn vị đang hoạt động nào mang mã này"),
    ] {
        let res = a.post(&path, &[("to_unit", to), ("note", "x")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{to}");
        assert!(res.body.contains(message), "{to}: {message}");
    }
    let mut b = client(&db).await;
    b.login("cb@qna.test.vn", PASSWORD).await;
    b.get("/intake").await;
    assert_eq!(
        b.post(&path, &[("to_unit", "QNA")]).await.status,
        StatusCode::NOT_FOUND,
        "a case one may not work"
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM case_transfers"), 0);

    // Sent: pending, in the timeline and the audit log, mailed to QNA.
    let res = a
        .post(
            &path,
            &[("to_unit", "QNA"), ("note", "Đối tượng cư trú tại Đà Nẵng")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let tid = db.count("SELECT max(id) AS n FROM case_transfers");
    assert_eq!(res.location(), format!("/transfers/{tid}"));
    assert_eq!(
        a.post(&path, &[("to_unit", "QNA")]).await.status,
        StatusCode::CONFLICT,
        "one at a time"
    );
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM case_events WHERE kind = 'transfer' AND field = 'sent'"
        ),
        1
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'case_transfer_send'"),
        1
    );
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM email_outbox WHERE kind = 'case_transfer' AND recipient_user_id = {off_b} AND body_text LIKE '%/transfers/{tid}%'")), 1);

    // QNA sees it in its intake with the case, but the case is not QNA's yet.
    let intake = b.get("/intake").await;
    assert!(intake.body.contains(&format!("/transfers/{tid}")) && intake.body.contains(&reference));
    let page = b.get(&format!("/transfers/{tid}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("Bị hại chuyển tiền cho đối tượng tại Đà Nẵng"),
        "the case, to decide on"
    );
    assert_eq!(
        b.get(&format!("/cases/{reference}")).await.status,
        StatusCode::NOT_FOUND
    );
    // Returned: a reason is needed.
    let res = b
        .post(&format!("/transfers/{tid}/return"), &[("reason", "  ")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let res = b
        .post(
            &format!("/transfers/{tid}/return"),
            &[("reason", "Chưa đủ căn cứ về nơi cư trú")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        b.post(&format!("/transfers/{tid}/accept"), &[])
            .await
            .status,
        StatusCode::CONFLICT
    );
    let case_page = a.get(&format!("/cases/{reference}")).await;
    assert!(
        case_page.body.contains("Chưa đủ căn cứ về nơi cư trú"),
        "the reason in the timeline"
    );

    // Sent again and accepted: the case moves with everything; the clocks go on.
    a.get(&format!("/cases/{reference}")).await;
    let res = a.post(&path, &[("to_unit", "QNA")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let tid2 = db.count("SELECT max(id) AS n FROM case_transfers");
    b.get(&format!("/transfers/{tid2}")).await;
    let res = b.post(&format!("/transfers/{tid2}/accept"), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let qna = db.count("SELECT id::bigint AS n FROM units WHERE code = 'QNA'");
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM cases WHERE ref = '{reference}' AND unit_id = {qna} AND assignee_id IS NULL")), 1);
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM identifier_links l JOIN cases c ON c.id = l.case_id WHERE c.ref = '{reference}' AND l.unit_id <> {qna}")), 0);
    assert_eq!(db.count(&format!("SELECT extract(epoch FROM deadline_at)::bigint AS n FROM cases WHERE ref = '{reference}'")), deadline_before);
    assert_eq!(
        db.count(&format!(
            "SELECT coalesce(sum(n), 0)::bigint AS n FROM case_counts WHERE unit_id = {qna}"
        )),
        1
    );
    assert_eq!(
        db.count("SELECT coalesce(sum(n), 0)::bigint AS n FROM case_counts WHERE unit_id = 1"),
        0
    );
    let mut sup_b = client(&db).await;
    db.user_in("ld@qna.test.vn", "supervisor", PASSWORD, "QNA");
    sup_b.login("ld@qna.test.vn", PASSWORD).await;
    assert!(sup_b
        .get("/cases?status=all")
        .await
        .body
        .contains(&reference));
    assert_eq!(
        sup_b.get(&format!("/cases/{reference}")).await.status,
        StatusCode::OK
    );
    // The sending unit keeps a read-only summary.
    assert_eq!(
        a.get(&format!("/cases/{reference}")).await.status,
        StatusCode::NOT_FOUND
    );
    let mut sup_a = client(&db).await;
    sup_a.login("ld@pa05.test.vn", PASSWORD).await;
    let summary = sup_a.get(&format!("/transfers/{tid2}")).await;
    assert_eq!(summary.status, StatusCode::OK);
    assert!(summary.body.contains("Đã tiếp nhận") && summary.body.contains(&reference));
    assert!(
        !summary
            .body
            .contains(&format!("href=\"/cases/{reference}\"")),
        "no way into it"
    );
    assert!(
        !summary.body.contains("Bị hại chuyển tiền"),
        "nor its contents"
    );
    assert!(sup_a
        .get("/intake")
        .await
        .body
        .contains("Vụ việc đã chuyển đi"));
    assert_eq!(db.count("SELECT count(*) AS n FROM audit_log WHERE action IN ('case_transfer_accept', 'case_transfer_return')"), 2);
    // A transfer between two units does not exist for a third.
    add_unit(&db, "HX", "HX", "Công an phường Hòa Xuân").await;
    db.user_in("ld@hx.test.vn", "supervisor", PASSWORD, "HX");
    let mut third = client(&db).await;
    third.login("ld@hx.test.vn", PASSWORD).await;
    assert_eq!(
        third.get(&format!("/transfers/{tid2}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        third
            .post(&format!("/transfers/{tid2}/accept"), &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn public_reports_reach_the_unit_of_the_reporters_province_and_ward() {
    let db = TestDb::new();
    add_unit(
        &db,
        "QNA",
        "QNA",
        "Phòng An ninh mạng - Công an thành phố Đà Nẵng",
    )
    .await;
    add_unit(&db, "CAP-HOAXUAN", "HX", "Công an phường Hòa Xuân").await;
    let duty = |unit: &str, email: &str| {
        let id = db.user_in(email, "officer", PASSWORD, unit);
        db.exec(&format!("UPDATE users SET on_duty = true WHERE id = {id}"));
        id
    };
    let qna_duty = duty("QNA", "cb@qna.test.vn");
    let hx_duty = duty("CAP-HOAXUAN", "cb@hx.test.vn");
    let (mut admin, _) = signed_in(&db, "admin").await;
    admin.get("/admin/units").await;
    for (province, ward, unit) in [
        ("da-nang", "", "QNA"),
        ("da-nang", "Phường Hòa Xuân", "CAP-HOAXUAN"),
    ] {
        let res = admin
            .post(
                "/admin/units/routes",
                &[("province", province), ("ward", ward), ("unit", unit)],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{province} {ward}");
    }
    // Bad rules: refused, nothing written.
    for (province, unit) in [("atlantis", "QNA"), ("da-nang", "NOPE")] {
        let res = admin
            .post(
                "/admin/units/routes",
                &[("province", province), ("ward", ""), ("unit", unit)],
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{province} {unit}"
        );
    }
    assert_eq!(db.count("SELECT count(*) AS n FROM report_routes"), 2);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'report_route_set'"),
        2
    );
    let page = admin.get("/admin/units").await;
    assert!(page.body.contains("Thành phố Đà Nẵng") && page.body.contains("Phường Hòa Xuân"));

    let mut c = client(&db).await;
    let unit_of_last = |db: &TestDb| {
        db.count("SELECT u.id::bigint AS n FROM submissions s JOIN units u ON u.id = s.unit_id ORDER BY s.id DESC LIMIT 1")
    };
    let id_of = |code: &str| {
        db.count(&format!(
            "SELECT id::bigint AS n FROM units WHERE code = '{code}'"
        ))
    };
    // The ward as people write it; the province; elsewhere, the first unit.
    for (province, ward, unit) in [
        ("da-nang", "hoa xuan", "CAP-HOAXUAN"),
        ("da-nang", "Hải Châu", "QNA"),
        ("ha-noi", "", "PA05"),
        ("", "", "PA05"),
    ] {
        let res = send(
            &mut c,
            "crime",
            &crime(&[("province", province), ("ward", ward)]),
            &[],
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{province} {ward}");
        assert_eq!(unit_of_last(&db), id_of(unit), "{province} / {ward}");
        let name = match unit {
            "CAP-HOAXUAN" => "Công an phường Hòa Xuân",
            "QNA" => "Phòng An ninh mạng - Công an thành phố Đà Nẵng",
            _ => "Phòng An ninh mạng và phòng, chống tội phạm",
        };
        assert!(res.body.contains(name), "the receipt names {name}");
    }
    // A province not in the list: a message, nothing stored.
    let res = send(&mut c, "crime", &crime(&[("province", "atlantis")]), &[]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(db.count("SELECT count(*) AS n FROM submissions"), 4);
    // Each unit's on-duty officer was told of its own report only.
    for (who, n) in [(qna_duty, 1), (hx_duty, 1)] {
        assert_eq!(
            db.count(&format!("SELECT count(*) AS n FROM email_outbox WHERE kind = 'submission_new' AND recipient_user_id = {who}")),
            n
        );
    }
    // The province shows by name in the report.
    let mut o = client(&db).await;
    o.login("cb@qna.test.vn", PASSWORD).await;
    let sid = db.count(&format!(
        "SELECT id AS n FROM submissions WHERE unit_id = {}",
        id_of("QNA")
    ));
    let report = o.get(&format!("/intake/{sid}")).await;
    assert!(
        report.body.contains("<dd>Thành phố Đà Nẵng</dd>"),
        "province by name"
    );
    // Removing a rule sends that ward's reports to the province's unit.
    admin.get("/admin/units").await;
    let res = admin
        .post(
            "/admin/units/routes/remove",
            &[("province", "da-nang"), ("ward_key", "hoa xuan")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    send(
        &mut c,
        "crime",
        &crime(&[("province", "da-nang"), ("ward", "Hòa Xuân")]),
        &[],
    )
    .await;
    assert_eq!(unit_of_last(&db), id_of("QNA"));
    // Only administrators keep the rules.
    let (mut sup, _) = signed_in(&db, "supervisor").await;
    sup.get("/").await;
    assert_eq!(
        sup.post(
            "/admin/units/routes",
            &[("province", "ha-noi"), ("unit", "QNA")]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}

#[actix_web::test]
async fn a_unit_asks_another_for_details_and_gets_a_case_shared_then_revoked() {
    let db = TestDb::new();
    add_unit(
        &db,
        "QNA",
        "QNA",
        "Phòng An ninh mạng - Công an thành phố Đà Nẵng",
    )
    .await;
    add_unit(&db, "HX", "HX", "Công an phường Hòa Xuân").await;
    let sup_a = db.user("ld@pa05.test.vn", "supervisor", PASSWORD);
    let off_a = user_with_team(&db, "cb@pa05.test.vn", "officer", "Đội 1");
    let off_b = db.user_in("cb@qna.test.vn", "officer", PASSWORD, "QNA");
    db.user_in("ld@hx.test.vn", "supervisor", PASSWORD, "HX");
    let a_case = create(
        &db,
        &me(&db, off_a),
        &[("title", "Vụ của PA05 có tài khoản chung")],
    );
    let b_case = create(&db, &me(&db, off_b), &[("title", "Vụ của QNA")]);
    // An identifier only PA05 holds.
    create(
        &db,
        &me(&db, off_a),
        &[("tx-0-to_account", "9999000011112"), ("title", "Vụ khác")],
    );
    let shared_id = db.count("SELECT id AS n FROM identifiers WHERE value = 'VCB:0011004455667'");
    let only_a = db.count("SELECT id AS n FROM identifiers WHERE value = 'VCB:9999000011112'");
    let mut b = client(&db).await;
    b.login("cb@qna.test.vn", PASSWORD).await;
    // From the case page, the way to ask.
    let page = b.get(&format!("/cases/{b_case}")).await;
    assert!(page.body.contains(&format!(
        "/requests/new?identifier={shared_id}&amp;unit=PA05"
    )));
    assert_eq!(
        b.get(&format!("/requests/new?identifier={only_a}&unit=PA05"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let form = b
        .get(&format!("/requests/new?identifier={shared_id}&unit=PA05"))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    // Refused: nothing written.
    for (identifier, unit, message, why) in [
        (
            only_a,
            "PA05",
            "cho xin thông tin",
            "chưa tiếp nhận dấu hiệu này",
        ),
        (
            shared_id,
            "QNA",
            "cho xin thông tin",
            "Không có đơn vị đang hoạt động nào",
        ),
        (
            shared_id,
            "HX",
            "cho xin thông tin",
            "Đơn vị đó không có dấu hiệu này",
        ),
        (shared_id, "PA05", "   ", "Hãy ghi nội dung đề nghị"),
    ] {
        let res = b
            .post(
                "/requests",
                &[
                    ("identifier", &identifier.to_string()),
                    ("unit", unit),
                    ("message", message),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{why}");
        assert!(res.body.contains(why), "{why}");
    }
    assert_eq!(db.count("SELECT count(*) AS n FROM detail_requests"), 0);
    let res = b
        .post(
            "/requests",
            &[
                ("identifier", &shared_id.to_string()),
                ("unit", "PA05"),
                (
                    "message",
                    "Đề nghị cho biết chủ tài khoản và số người bị hại",
                ),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let rid = db.count("SELECT max(id) AS n FROM detail_requests");
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM email_outbox WHERE kind = 'detail_request' AND recipient_user_id = {sup_a} AND body_text NOT LIKE '%0011004455667%'")), 1);

    // PA05's supervisor answers with the case that holds it.
    let mut a = client(&db).await;
    a.login("ld@pa05.test.vn", PASSWORD).await;
    assert!(a
        .get("/requests")
        .await
        .body
        .contains(&format!("/requests/{rid}")));
    let page = a.get(&format!("/requests/{rid}")).await;
    assert!(page.body.contains("Vụ của PA05 có tài khoản chung") && !page.body.contains("Vụ khác"));
    let a_id = db.count(&format!("SELECT id AS n FROM cases WHERE ref = '{a_case}'"));
    let b_id = db.count(&format!("SELECT id AS n FROM cases WHERE ref = '{b_case}'"));
    let res = a
        .post(
            &format!("/requests/{rid}/answer"),
            &[("case", &b_id.to_string())],
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "only its own cases"
    );
    let res = a
        .post(&format!("/requests/{rid}/answer"), &[("case", "x")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let res = a
        .post(
            &format!("/requests/{rid}/answer"),
            &[("case", &a_id.to_string()), ("answer", "Xem vụ đính kèm")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        a.post(
            &format!("/requests/{rid}/answer"),
            &[("case", &a_id.to_string())]
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    let sid = db.count("SELECT max(id) AS n FROM case_shares");

    // QNA reads the shared case, read-only; the case itself stays closed to it.
    let page = b.get(&format!("/requests/{rid}")).await;
    assert!(page.body.contains(&format!("/shares/{sid}")));
    let shared = b.get(&format!("/shares/{sid}")).await;
    assert_eq!(shared.status, StatusCode::OK);
    assert!(
        shared.body.contains("Vụ của PA05 có tài khoản chung")
            && shared.body.contains("Bị hại chuyển tiền")
    );
    assert!(
        !shared.body.contains("action=\"/cases/"),
        "nothing to change"
    );
    assert_eq!(
        b.get(&format!("/cases/{a_case}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'case_share_view'"),
        1
    );
    // A third unit sees none of it.
    let mut c = client(&db).await;
    c.login("ld@hx.test.vn", PASSWORD).await;
    assert_eq!(
        c.get(&format!("/requests/{rid}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.get(&format!("/shares/{sid}")).await.status,
        StatusCode::NOT_FOUND
    );
    // Revoked: gone for QNA at once.
    a.get(&format!("/requests/{rid}")).await;
    assert_eq!(
        a.post(&format!("/shares/{sid}/revoke"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        a.post(&format!("/shares/{sid}/revoke"), &[]).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        b.get(&format!("/shares/{sid}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(!b
        .get(&format!("/requests/{rid}"))
        .await
        .body
        .contains(&format!("/shares/{sid}")));
    for action in [
        "detail_request_ask",
        "detail_request_share",
        "case_share_revoke",
    ] {
        assert_eq!(
            db.count(&format!(
                "SELECT count(*) AS n FROM audit_log WHERE action = '{action}'"
            )),
            1,
            "{action}"
        );
    }
    // Declining needs a reason.
    b.get("/requests").await;
    b.post(
        "/requests",
        &[
            ("identifier", &shared_id.to_string()),
            ("unit", "PA05"),
            ("message", "Lần hai"),
        ],
    )
    .await;
    let rid2 = db.count("SELECT max(id) AS n FROM detail_requests");
    a.get(&format!("/requests/{rid2}")).await;
    assert_eq!(
        a.post(&format!("/requests/{rid2}/answer"), &[("answer", "")])
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        a.post(
            &format!("/requests/{rid2}/answer"),
            &[("answer", "Đã cung cấp ở yêu cầu trước")]
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM detail_requests WHERE id = {rid2} AND state = 'declined'"
        )),
        1
    );
}

#[actix_web::test]
async fn a_unit_that_is_not_competent_forwards_a_report_to_the_competent_one() {
    let db = TestDb::new();
    add_unit(
        &db,
        "QNA",
        "QNA",
        "Phòng An ninh mạng - Công an thành phố Đà Nẵng",
    )
    .await;
    let duty = |unit: &str, email: &str| {
        let id = db.user_in(email, "officer", PASSWORD, unit);
        db.exec(&format!("UPDATE users SET on_duty = true WHERE id = {id}"));
        id
    };
    duty("", "cb@pa05.test.vn");
    let qna = duty("QNA", "cb@qna.test.vn");
    let mut c = client(&db).await;
    send(
        &mut c,
        "crime",
        &crime(&[]),
        &[("anh.png", crate::portal::PNG)],
    )
    .await;
    let sid = db.count("SELECT max(id) AS n FROM submissions");
    let mut a = client(&db).await;
    a.login("cb@pa05.test.vn", PASSWORD).await;
    let page = a.get(&format!("/intake/{sid}")).await;
    assert!(page.body.contains(&format!("/intake/{sid}/forward")));
    let path = format!("/intake/{sid}/forward");
    // Own unit or an unknown one: refused, nothing moved.
    for to in ["PA05", "NOPE"] {
        assert_eq!(
            a.post(&path, &[("to_unit", to)]).await.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{to}"
        );
    }
    // Another unit's staff cannot move it.
    let mut b = client(&db).await;
    b.login("cb@qna.test.vn", PASSWORD).await;
    b.get("/intake").await;
    assert_eq!(
        b.post(&path, &[("to_unit", "QNA")]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM submissions WHERE id = {sid} AND unit_id = 1"
        )),
        1
    );
    // Forwarded: it leaves PA05's queue for QNA's, files and identifiers with it.
    let res = a.post(&path, &[("to_unit", "QNA")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let qna_id = db.count("SELECT id::bigint AS n FROM units WHERE code = 'QNA'");
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM identifier_links WHERE submission_id = {sid} AND unit_id <> {qna_id}")), 0);
    assert!(!a
        .get("/intake")
        .await
        .body
        .contains("Bị giả danh công an lừa chuyển tiền"));
    assert_eq!(
        a.get(&format!("/intake/{sid}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(b
        .get("/intake")
        .await
        .body
        .contains("Bị giả danh công an lừa chuyển tiền"));
    let report = b.get(&format!("/intake/{sid}")).await;
    assert!(report.body.contains("anh.png"), "the file came with it");
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM email_outbox WHERE kind = 'submission_new' AND recipient_user_id = {qna}")), 1);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'submission_forward'"),
        1
    );
    // Once triaged, it is a case: a case is transferred, not forwarded.
    b.post(&format!("/intake/{sid}/spam"), &[("reason", "trùng lặp")])
        .await;
    assert_eq!(
        b.post(&path, &[("to_unit", "PA05")]).await.status,
        StatusCode::CONFLICT
    );
}

/// The daily digest of a unit's supervisor lists that unit's overdue cases
/// only; another unit's overdue case is in its own supervisor's digest.
#[test]
fn each_supervisors_digest_lists_their_units_overdue_cases_only() {
    use chrono::TimeZone;
    let db = TestDb::new();
    let cfg = db.config();
    let qna = cyberdesk::services::units::create(
        &mut db.conn(),
        None,
        &cyberdesk::domain::RequestMeta::default(),
        &cyberdesk::services::units::UnitInput {
            code: "QNA".into(),
            kind: "cyber_division".into(),
            ref_prefix: "QNA".into(),
            name_vi: "Phòng An ninh mạng - Công an thành phố Đà Nẵng".into(),
            active: true,
            ..Default::default()
        },
    )
    .expect("unit");
    let sup_a = db.user("ld@pa05.test.vn", "supervisor", PASSWORD);
    let sup_b = db.user_in("ld@qna.test.vn", "supervisor", PASSWORD, "QNA");
    let off_a = user_with_team(&db, "cb@pa05.test.vn", "officer", "Đội 1");
    let off_b = db.user_in("cb@qna.test.vn", "officer", PASSWORD, "QNA");
    let a_case = create(&db, &me(&db, off_a), &[("title", "Quá hạn của PA05")]);
    let b_case = create(&db, &me(&db, off_b), &[("title", "Quá hạn của QNA")]);
    db.exec("UPDATE cases SET deadline_at = now() - interval '2 days'");
    let tz = cfg.time_zone;
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let eight = tz
        .from_local_datetime(&today.and_hms_opt(8, 0, 0).expect("time"))
        .single()
        .expect("local")
        .with_timezone(&chrono::Utc);
    let pool = cyberdesk::db::build_pool(&db.url, 2, cfg.db_timeout);
    cyberdesk::services::notify::queue_digests(&pool, &cfg, eight).expect("digest");
    let digest = |to: i64, has: &str| {
        db.count(&format!(
            "SELECT count(*) AS n FROM email_outbox WHERE kind = 'digest' AND recipient_user_id = {to} AND body_text LIKE '%{has}%'"
        ))
    };
    assert_eq!(digest(sup_a, &a_case), 1);
    assert_eq!(digest(sup_a, &b_case), 0, "not another unit's case");
    assert_eq!(digest(sup_b, &b_case), 1);
    assert_eq!(digest(sup_b, &a_case), 0, "not another unit's case");
    let _ = qna;
}

#[actix_web::test]
async fn pages_show_times_in_the_readers_units_time_zone() {
    let db = TestDb::new();
    add_unit(&db, "TYO", "TYO", "Văn phòng đại diện").await;
    db.exec("UPDATE units SET time_zone = 'Asia/Tokyo' WHERE code = 'TYO'");
    let far = db.user_in("xa@pa05.test.vn", "supervisor", PASSWORD, "TYO");
    let near = db.user_in("gan@pa05.test.vn", "supervisor", PASSWORD, "PA05");
    // One case in each unit, received at 01:30 UTC.
    create(&db, &me(&db, far), &[]);
    create(&db, &me(&db, near), &[]);
    db.exec("UPDATE cases SET received_at = '2026-11-20 01:30:00+00'");
    let mut c = client(&db).await;
    c.login("xa@pa05.test.vn", PASSWORD).await;
    let list = c.get("/cases?status=all").await;
    assert!(
        list.body.contains("20/11/2026 10:30"),
        "Tokyo is UTC+9: {}",
        list.body
    );
    let mut c = client(&db).await;
    c.login("gan@pa05.test.vn", PASSWORD).await;
    let list = c.get("/cases?status=all").await;
    assert!(list.body.contains("20/11/2026 08:30"), "Hà Nội is UTC+7");
}

#[actix_web::test]
async fn public_pages_name_the_first_unit_as_it_is_now_called() {
    let db = TestDb::new();
    let mut visitor = client(&db).await;
    let form = visitor.get("/report/crime").await;
    // The first unit's name as stored (a test database never adopted UNIT_NAME).
    assert!(
        form.body.contains(
            "<span class=\"unit-name\">Phòng An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao</span>"
        ),
        "{}",
        form.body
    );
    // Renamed (a new name from a date, as an administrator keeps it).
    db.exec("INSERT INTO unit_names (unit_id, valid_from, name_vi, name_en)
        SELECT min(id), DATE '2026-01-01', 'Phòng An ninh mạng Công an thành phố Đà Nẵng', 'Cyber Security Division, Da Nang City Police' FROM units");
    // A fresh instance (its cache empty) names it at once; one that cached
    // the units does within their TTL.
    let fresh = client(&db).await.get("/report/crime").await;
    assert!(
        fresh.body.contains(
            "<span class=\"unit-name\">Phòng An ninh mạng Công an thành phố Đà Nẵng</span>"
        ),
        "{}",
        fresh.body
    );
}

#[test]
fn a_units_case_form_and_clocks_keep_its_own_time_zone() {
    let db = TestDb::new();
    db.exec("INSERT INTO units (code, kind, ref_prefix, time_zone, contact) VALUES ('TYO2', 'cyber_division', 'TYO2', 'Asia/Tokyo', '')");
    let far = db.user_in("xa2@pa05.test.vn", "supervisor", PASSWORD, "TYO2");
    let mut who = me(&db, far);
    // As the request middleware fills it from the units cache.
    who.unit_tz = Some(chrono_tz::Asia::Tokyo);
    let reference = create(&db, &who, &[("received_at", "2026-11-20T09:15")]);
    // 09:15 in Tokyo is 00:15 UTC; its days end at midnight Tokyo time (15:00 UTC).
    assert_eq!(
        db.count(&format!("SELECT count(*) AS n FROM cases WHERE ref = '{reference}' AND received_at = '2026-11-20 00:15:00+00'")),
        1
    );
    assert_eq!(
        db.count(&format!("SELECT count(*) AS n FROM case_deadlines d JOIN cases c ON c.id = d.case_id WHERE c.ref = '{reference}' AND d.kind = 'decide' AND to_char(d.due_at AT TIME ZONE 'UTC', 'HH24:MI:SS') = '14:59:59'")),
        1
    );
}

#[actix_web::test]
async fn each_unit_gets_its_digests_at_its_own_hour() {
    use chrono::TimeZone;
    let db = TestDb::new();
    let cfg = db.config();
    add_unit(&db, "TYO", "TYO", "Văn phòng đại diện").await;
    db.exec("UPDATE units SET time_zone = 'Asia/Tokyo' WHERE code = 'TYO'");
    let off_home = db.user("cb@pa05.test.vn", "officer", PASSWORD);
    let off_tyo = db.user_in("cb@tyo.test.vn", "officer", PASSWORD, "TYO");
    for who in [off_home, off_tyo] {
        let reference = create(&db, &me(&db, who), &[]);
        db.exec(&format!(
            "UPDATE cases SET assignee_id = {who}, deadline_at = '2026-11-01 03:00:00+00' WHERE ref = '{reference}'"
        ));
    }
    db.exec("DELETE FROM email_outbox");
    // 06:00 in Hà Nội is 08:00 in Tokyo: past Tokyo's digest hour (07:00),
    // not Hà Nội's.
    let tz = cfg.time_zone;
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let at = |h: u32| {
        tz.from_local_datetime(&today.and_hms_opt(h, 0, 0).expect("time"))
            .single()
            .expect("local")
            .with_timezone(&chrono::Utc)
    };
    assert_eq!(cfg.mail.digest_hour, 7, "the tests' digest hour");
    let pool = cyberdesk::db::build_pool(&db.url, 2, cfg.db_timeout);
    let digests = |to: i64| {
        db.count(&format!(
            "SELECT count(*) AS n FROM email_outbox WHERE kind = 'digest' AND recipient_user_id = {to}"
        ))
    };
    cyberdesk::services::notify::queue_digests(&pool, &cfg, at(6)).expect("digest");
    assert_eq!((digests(off_home), digests(off_tyo)), (0, 1));
    cyberdesk::services::notify::queue_digests(&pool, &cfg, at(7)).expect("digest");
    assert_eq!((digests(off_home), digests(off_tyo)), (1, 1), "each once");
    // Each mail gives the deadline in its unit's time.
    let has = |to: i64, text: &str| {
        db.count(&format!(
            "SELECT count(*) AS n FROM email_outbox WHERE recipient_user_id = {to} AND body_text LIKE '%{text}%'"
        ))
    };
    assert_eq!(has(off_tyo, "01/11/2026 12:00"), 1, "Tokyo");
    assert_eq!(has(off_home, "01/11/2026 10:00"), 1, "Hà Nội");
}
