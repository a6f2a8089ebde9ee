//! Identifiers across reports: correlation counts and what they may reveal,
//! the identifier page, search in any written form, the hot list, linking by
//! hand and by confirming suggestions, and the CSV and STIX exports.

use actix_web::http::StatusCode;

use crate::cases::{create, me, user_with_team};
use crate::common::{client, signed_in, TestDb, PASSWORD};

fn identifier_id(db: &TestDb, kind: &str, value: &str) -> i64 {
    db.count(&format!(
        "SELECT id AS n FROM identifiers WHERE kind = '{kind}' AND value = '{value}'"
    ))
}

#[actix_web::test]
async fn the_same_account_across_cases_is_counted_only_over_cases_one_may_open() {
    let db = TestDb::new();
    let a = user_with_team(&db, "a@pa05.test.vn", "officer", "Đội 1");
    let b = user_with_team(&db, "b@pa05.test.vn", "officer", "Đội 2");
    // The same receiving account (written differently) in three cases of
    // two teams, from two different victims.
    let c1 = create(&db, &me(&db, a), &[]);
    let c2 = create(
        &db,
        &me(&db, b),
        &[
            ("tx-0-to_account", "0011-0044-55667"),
            ("tx-0-to_bank", "Vietcombank"),
        ],
    );
    let c3 = create(
        &db,
        &me(&db, a),
        &[
            ("reporter_phone", "+84 987 000 111"),
            ("tx-0-amount", "3.000.000"),
        ],
    );
    let account = identifier_id(&db, "bank_account", "VCB:0011004455667");
    assert!(account > 0);
    assert_eq!(
        db.count(&format!("SELECT count(DISTINCT case_id) AS n FROM identifier_links WHERE identifier_id = {account}")),
        3
    );

    // Officer A sees one other case (their team's), never B's.
    let mut ca = client(&db).await;
    ca.login("a@pa05.test.vn", PASSWORD).await;
    let page = ca.get(&format!("/cases/{c1}")).await;
    assert!(page.body.contains("VCB:0011004455667"));
    assert!(page.body.contains("1 vụ việc khác"), "{}", page.body);
    assert!(!page.body.contains("không có quyền mở"));
    let ipage = ca.get(&format!("/identifiers/{account}")).await;
    assert_eq!(ipage.status, StatusCode::OK);
    assert!(ipage.body.contains(&c1) && ipage.body.contains(&c3));
    assert!(
        !ipage.body.contains(&c2),
        "a case A may not open is not named"
    );
    assert!(ipage.body.contains("4.500.000 ₫"), "loss over what A sees");

    // A supervisor sees all three, two distinct reporters, the whole loss.
    let (mut sup, _) = signed_in(&db, "supervisor").await;
    let page = sup.get(&format!("/cases/{c1}")).await;
    assert!(page.body.contains("2 vụ việc khác"));
    let ipage = sup.get(&format!("/identifiers/{account}")).await;
    for r in [&c1, &c2, &c3] {
        assert!(ipage.body.contains(r.as_str()));
    }
    assert!(ipage.body.contains("6.000.000 ₫"), "{}", ipage.body);
    let reporters = ipage
        .body
        .split("Số người trình báo khác nhau</dt><dd>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or("");
    assert_eq!(reporters, "2");

    // A public report in intake with the same account: counted for those who
    // triage, not for other officers, and no longer once marked as spam.
    db.exec("INSERT INTO submissions (tracking_code, kind, lang, received_at, anonymous, confidential, reporter_name, contact_phone, category_id, summary, narrative, payload, unit_id) VALUES ('TESTCODE00001', 'crime', 'vi', now(), false, false, 'Người báo', '+84987654321', 2, 'Bị lừa', 'Chuyển tiền vào tài khoản', '{}'::jsonb, 1)");
    db.exec(&format!("INSERT INTO identifier_links (identifier_id, submission_id, role, source, reported_at, amount, unit_id) SELECT {account}, id, 'suspect', 'reporter', now(), 2000000, unit_id FROM submissions"));
    let page = sup.get(&format!("/cases/{c1}")).await;
    assert!(
        page.body.contains("1 trình báo chưa phân loại"),
        "{}",
        page.body
    );
    let page = ca.get(&format!("/cases/{c1}")).await;
    assert!(
        !page.body.contains("trình báo chưa phân loại"),
        "A is not on duty"
    );
    let ipage = sup.get(&format!("/identifiers/{account}")).await;
    assert!(ipage.body.contains("chưa phân loại") && ipage.body.contains("8.000.000 ₫"));
    db.exec("UPDATE submissions SET status = 'spam', spam_reason = 'rác'");
    let page = sup.get(&format!("/cases/{c1}")).await;
    assert!(
        !page.body.contains("trình báo chưa phân loại"),
        "spam is not counted"
    );

    // Unknown identifiers are 404, and the page needs a case worker.
    assert_eq!(
        sup.get("/identifiers/999999").await.status,
        StatusCode::NOT_FOUND
    );
    let (mut admin, _) = signed_in(&db, "admin").await;
    assert_eq!(
        admin.get(&format!("/identifiers/{account}")).await.status,
        StatusCode::FORBIDDEN
    );
}

#[actix_web::test]
async fn search_reads_any_written_form_and_the_hot_list_is_for_supervisors() {
    let db = TestDb::new();
    let a = user_with_team(&db, "a@pa05.test.vn", "officer", "Đội 1");
    for _ in 0..3 {
        create(&db, &me(&db, a), &[]);
    }
    create(&db, &me(&db, a), &[("tx-0-to_account", "9999888877")]);
    let mut ca = client(&db).await;
    ca.login("a@pa05.test.vn", PASSWORD).await;
    for q in ["0011 0044 55667", "0011004455667", "001-100-4455-667"] {
        let res = ca
            .get(&format!(
                "/identifiers?q={}",
                cyberdesk::domain::value::encode_query_value(q)
            ))
            .await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(res.body.contains("VCB:0011004455667"), "{q}");
    }
    let res = ca.get("/identifiers?q=%2B84%20912%20345%20678").await;
    assert!(res.body.contains("+84912345678"), "the reporters' phone");
    let res = ca.get("/identifiers?q=khong-co-gi").await;
    assert!(res.body.contains("Không tìm thấy dấu hiệu nào khớp"));
    // Officers have no hot list (its counts span cases they cannot open).
    assert!(!res.body.contains("Bị trình báo nhiều nhất"));
    assert_eq!(
        ca.get("/identifiers/hot.csv").await.status,
        StatusCode::FORBIDDEN
    );

    let (mut sup, _) = signed_in(&db, "supervisor").await;
    // The cases were received on 20/11: out of a 7-day window, in a 30-day one.
    let res = sup.get("/identifiers?days=7").await;
    assert!(res
        .body
        .contains("Bị trình báo nhiều nhất trong 7 ngày qua"));
    assert!(res.body.contains("Chưa có dấu hiệu nào bị trình báo"));
    let res = sup.get("/identifiers?days=30").await;
    // Reports (not links): the account of 3 cases. The victims' own phone
    // (in all 4) is no warning to anyone.
    let hot = res.body.split("<tbody>").nth(1).unwrap_or("");
    assert!(hot.contains("VCB:0011004455667"), "{hot}");
    assert!(!hot.contains("+84912345678"), "victims are not listed");
    assert!(!hot.contains("9999888877"), "one report is not hot");
    let csv = sup.get("/identifiers/hot.csv?days=30").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(csv.header("content-disposition").starts_with("attachment"));
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next(),
        Some("rank,kind,value,reports,total_loss_vnd,last_seen")
    );
    // The e-wallet number of every case (bank unknown) leads with 4 reports.
    assert!(lines
        .next()
        .unwrap_or("")
        .starts_with("1,bank_account,?:0987654321,4,8000000,"));
    assert!(lines
        .next()
        .unwrap_or("")
        .starts_with("2,bank_account,VCB:0011004455667,3,4500000,"));
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'hot_list_export'"),
        1
    );
    // The list is computed ahead; reports older than the window do not count
    // once it is recomputed (by housekeeping, or on request).
    assert!(res.body.contains("Danh sách tính lúc"));
    db.exec("UPDATE identifier_links SET reported_at = now() - interval '40 days'");
    let res = sup.get("/identifiers?days=30").await;
    assert!(
        res.body.contains("VCB:0011004455667"),
        "still the computed list"
    );
    let res = sup
        .post("/identifiers/hot/refresh", &[("days", "30")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = sup.get("/identifiers?days=30").await;
    assert!(res.body.contains("Chưa có dấu hiệu nào bị trình báo"));
    assert_eq!(
        ca.post("/identifiers/hot/refresh", &[("days", "30")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[actix_web::test]
async fn officers_link_identifiers_by_hand_and_remove_their_mistakes() {
    let db = TestDb::new();
    let a = user_with_team(&db, "a@pa05.test.vn", "officer", "Đội 1");
    user_with_team(&db, "b@pa05.test.vn", "officer", "Đội 2");
    let reference = create(&db, &me(&db, a), &[]);
    let mut ca = client(&db).await;
    ca.login("a@pa05.test.vn", PASSWORD).await;
    ca.get(&format!("/cases/{reference}")).await;
    let url = format!("/cases/{reference}/identifiers");

    let res = ca
        .post(
            &url,
            &[
                ("kind", "url"),
                ("value", "HTTPS://Shop-Gia.VN:443/sp?id=1#mua"),
                ("role", "infrastructure"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(db.count("SELECT count(*) AS n FROM identifier_links l JOIN identifiers i ON i.id = l.identifier_id WHERE i.kind = 'url' AND i.value = 'https://shop-gia.vn/sp?id=1' AND l.role = 'infrastructure' AND l.source = 'officer' AND NOT l.from_form"), 1);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM case_events WHERE kind = 'identifier'"),
        1
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'identifier_link'"),
        1
    );
    // The same again links nothing new.
    ca.post(
        &url,
        &[("kind", "url"), ("value", "https://shop-gia.vn/sp?id=1")],
    )
    .await;
    assert_eq!(
        db.count("SELECT count(*) AS n FROM case_events WHERE kind = 'identifier'"),
        1
    );
    // A bank account by the bank's name or BIN.
    let res = ca
        .post(
            &url,
            &[
                ("kind", "bank_account"),
                ("value", "1903 3444 555 666"),
                ("qualifier", "970407"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(identifier_id(&db, "bank_account", "TCB:19033444555666") > 0);

    // Bad input: a clear error, nothing written.
    let links = db.count("SELECT count(*) AS n FROM identifier_links");
    for (form, text) in [
        (
            vec![("kind", "phone"), ("value", "12345")],
            "không đúng định dạng",
        ),
        (
            vec![("kind", "planet"), ("value", "x")],
            "Giá trị không hợp lệ",
        ),
        (
            vec![("kind", "url"), ("value", "javascript:alert(1)")],
            "không đúng định dạng",
        ),
        (
            vec![
                ("kind", "phone"),
                ("value", "0912345678"),
                ("role", "judge"),
            ],
            "Giá trị không hợp lệ",
        ),
        (
            vec![
                ("kind", "bank_account"),
                ("value", "0011004455667"),
                ("qualifier", "Ngân hàng Mặt Trăng"),
            ],
            "Không nhận ra ngân hàng",
        ),
        (
            vec![
                ("kind", "crypto_wallet"),
                ("value", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"),
            ],
            "không đúng định dạng",
        ),
    ] {
        let res = ca.post(&url, &form).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}");
        assert!(res.body.contains(text), "{form:?}");
    }
    assert_eq!(
        db.count("SELECT count(*) AS n FROM identifier_links"),
        links
    );

    // Removing: one's own additions yes, the form's links no.
    let manual = db.count("SELECT l.id AS n FROM identifier_links l JOIN identifiers i ON i.id = l.identifier_id WHERE i.kind = 'url'");
    let from_form = db.count("SELECT min(id) AS n FROM identifier_links WHERE from_form");
    assert_eq!(
        ca.post(&format!("{url}/{from_form}/remove"), &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let res = ca.post(&format!("{url}/{manual}/remove"), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM identifier_links WHERE id = {manual}"
        )),
        0
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'identifier_unlink'"),
        1
    );

    // Another team's officer cannot touch the case's identifiers.
    let mut cb = client(&db).await;
    cb.login("b@pa05.test.vn", PASSWORD).await;
    cb.get("/cases").await;
    assert_eq!(
        cb.post(&url, &[("kind", "phone"), ("value", "0912345678")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn a_case_exports_its_identifiers_as_csv_and_its_indicators_as_stix() {
    let db = TestDb::new();
    let a = user_with_team(&db, "a@pa05.test.vn", "officer", "Đội 1");
    let reference = create(&db, &me(&db, a), &[("tlp", "AMBER")]);
    let mut ca = client(&db).await;
    ca.login("a@pa05.test.vn", PASSWORD).await;
    ca.get(&format!("/cases/{reference}")).await;
    let url = format!("/cases/{reference}/identifiers");
    for (kind, value) in [
        ("ip", "2001:DB8:0:0:0:0:0:1"),
        ("domain", "Bộcôngan-gia.vn."),
        ("url", "http://evil.example.vn/it's"),
        ("file_hash", "D41D8CD98F00B204E9800998ECF8427E"),
    ] {
        let res = ca.post(&url, &[("kind", kind), ("value", value)]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{kind}: {}", res.body);
    }
    let csv = ca.get(&format!("/cases/{reference}/identifiers.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv
        .body
        .starts_with("kind,value,role,source,amount_vnd,other_cases,other_submissions\n"));
    assert!(csv
        .body
        .contains("bank_account,VCB:0011004455667,suspect,officer,1500000,0,0"));
    assert!(csv.body.contains("ip,2001:db8::1,"));

    let stix = ca
        .get(&format!("/cases/{reference}/indicators.stix.json"))
        .await;
    assert_eq!(stix.status, StatusCode::OK);
    assert!(stix
        .header("content-type")
        .starts_with("application/stix+json"));
    let v: serde_json::Value = serde_json::from_str(&stix.body).expect("json");
    assert_eq!(v["type"], "bundle");
    let indicators: Vec<&serde_json::Value> = v["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter(|o| o["type"] == "indicator")
        .collect();
    assert_eq!(
        indicators.len(),
        4,
        "only infosec indicators, no phones or accounts"
    );
    let patterns: Vec<&str> = indicators
        .iter()
        .map(|i| i["pattern"].as_str().unwrap_or(""))
        .collect();
    assert!(patterns.contains(&"[ipv6-addr:value = '2001:db8::1']"));
    assert!(patterns.contains(&"[file:hashes.'MD5' = 'd41d8cd98f00b204e9800998ecf8427e']"));
    assert!(patterns
        .iter()
        .any(|p| p.starts_with("[domain-name:value = 'xn--")));
    assert!(
        patterns.contains(&"[url:value = 'http://evil.example.vn/it\\'s']"),
        "{patterns:?}"
    );
    for i in &indicators {
        assert_eq!(i["spec_version"], "2.1");
        assert!(i["id"].as_str().unwrap_or("").starts_with("indicator--"));
        assert_eq!(
            i["object_marking_refs"][0], "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
            "TLP:AMBER"
        );
    }
    // Ids are stable: a second export names the same indicators.
    let again: serde_json::Value = serde_json::from_str(
        &ca.get(&format!("/cases/{reference}/indicators.stix.json"))
            .await
            .body,
    )
    .expect("json");
    assert_eq!(v["objects"][1]["id"], again["objects"][1]["id"]);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action LIKE 'identifiers_export%'"),
        3
    );
}

#[actix_web::test]
async fn suggestions_from_the_narrative_are_linked_only_when_an_officer_confirms() {
    let db = TestDb::new();
    let a = user_with_team(&db, "a@pa05.test.vn", "officer", "Đội 1");
    let reference = create(
        &db,
        &me(&db, a),
        &[(
            "description",
            "Ngày 12/11/2026 bị hại nhận cuộc gọi từ số 0888 123 456 xưng là công an, yêu cầu chuyển 15.000.000 đồng vào STK 1903 3444 555 666 Techcombank. Đối tượng gửi đường link http://bocongan-xacminh.top/dang-nhap để cài ứng dụng.",
        )],
    );
    let mut ca = client(&db).await;
    ca.login("a@pa05.test.vn", PASSWORD).await;
    let page = ca.get(&format!("/cases/{reference}")).await;
    assert!(page.body.contains("Gợi ý từ nội dung vụ việc"));
    for value in [
        "+84888123456",
        "TCB:19033444555666",
        "http://bocongan-xacminh.top/dang-nhap",
    ] {
        assert!(page.body.contains(value), "suggests {value}");
    }
    // Amounts and dates are not identifiers.
    assert!(!page.body.contains("value=\"15000000\""));
    // Nothing is linked by the suggestion alone.
    assert_eq!(
        db.count("SELECT count(*) AS n FROM identifier_links WHERE source = 'extracted'"),
        0
    );
    let res = ca
        .post(
            &format!("/cases/{reference}/identifiers"),
            &[
                ("kind", "bank_account"),
                ("value", "TCB:19033444555666"),
                ("source", "extracted"),
                ("role", "suspect"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(db.count("SELECT count(*) AS n FROM identifier_links l JOIN identifiers i ON i.id = l.identifier_id WHERE l.source = 'extracted' AND i.value = 'TCB:19033444555666' AND l.added_by IS NOT NULL"), 1);
    // Once linked it is no longer suggested; the account is searchable by
    // bank and number written any way.
    let page = ca.get(&format!("/cases/{reference}")).await;
    assert!(!page
        .body
        .contains("name=\"value\" value=\"TCB:19033444555666\""));
    let res = ca
        .get("/identifiers?q=Techcombank%201903%203444%20555%20666")
        .await;
    assert!(res.body.contains("TCB:19033444555666"));
}

#[actix_web::test]
async fn intake_suggests_identifiers_from_the_reporters_words() {
    let db = TestDb::new();
    db.exec("INSERT INTO submissions (tracking_code, kind, lang, received_at, anonymous, confidential, reporter_name, contact_phone, category_id, summary, narrative, payload, unit_id) VALUES ('TESTCODE00002', 'crime', 'vi', now(), false, false, 'Người báo', '+84987654321', 2, 'Bị lừa qua Zalo', 'Đối tượng dùng số 0888 123 456 gọi cho tôi rồi bảo chuyển khoản vào STK 0011004455667 Vietcombank, sau đó gửi link http://bocongan-xacminh.top/x', '{}'::jsonb, 1)");
    let sid = db.count("SELECT id AS n FROM submissions");
    let (mut o, oid) = signed_in(&db, "officer").await;
    db.exec(&format!("UPDATE users SET on_duty = true WHERE id = {oid}"));
    let page = o.get(&format!("/intake/{sid}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Gợi ý từ lời trình báo"));
    assert!(page.body.contains("VCB:0011004455667") && page.body.contains("+84888123456"));
    assert_eq!(
        db.count("SELECT count(*) AS n FROM identifier_links"),
        0,
        "nothing linked by itself"
    );
    let url = format!("/intake/{sid}/identifiers");
    let res = o
        .post(
            &url,
            &[
                ("kind", "bank_account"),
                ("value", "VCB:0011004455667"),
                ("role", "suspect"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM identifier_links WHERE submission_id = {sid} AND source = 'extracted' AND added_by = {oid}")), 1);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'submission_identifier'"),
        1
    );
    let page = o.get(&format!("/intake/{sid}")).await;
    assert!(
        !page.body.contains("value=\"VCB:0011004455667\""),
        "no longer suggested"
    );
    // A forged value is refused, not linked.
    let res = o
        .post(
            &url,
            &[
                ("kind", "phone"),
                ("value", "not a phone"),
                ("role", "suspect"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(db.count("SELECT count(*) AS n FROM identifier_links"), 1);
    // Off duty: no intake, no confirming.
    db.exec(&format!(
        "UPDATE users SET on_duty = false WHERE id = {oid}"
    ));
    assert_eq!(
        o.post(&url, &[("kind", "phone"), ("value", "0888123456")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[actix_web::test]
async fn counts_of_identifiers_in_hundreds_of_cases_are_cached_briefly() {
    let db = TestDb::new();
    let a = user_with_team(&db, "a@pa05.test.vn", "officer", "Đội 1");
    let c1 = create(&db, &me(&db, a), &[]);
    // 200 more cases (copies of the first), all with the same account.
    db.exec("DO $$ DECLARE cols text; BEGIN
        SELECT string_agg(quote_ident(column_name), ',') INTO cols FROM information_schema.columns
        WHERE table_name = 'cases' AND is_generated = 'NEVER' AND column_name NOT IN ('id', 'ref', 'ref_seq');
        EXECUTE format('INSERT INTO cases (ref, ref_seq, %s) SELECT ref || ''-C'' || g, ref_seq + g, %s FROM cases, generate_series(1, 200) g', cols, cols);
    END $$");
    let account = identifier_id(&db, "bank_account", "VCB:0011004455667");
    db.exec(&format!("INSERT INTO identifier_links (identifier_id, case_id, role, source, reported_at, unit_id) SELECT {account}, id, 'suspect', 'officer', now(), unit_id FROM cases WHERE ref LIKE '%-C%'"));
    let (mut sup, _) = signed_in(&db, "supervisor").await;
    let page = sup.get(&format!("/cases/{c1}")).await;
    assert!(page.body.contains("200 vụ việc khác"), "{}", page.body);
    // Within the cache's 30 s the heavy count may lag a change…
    db.exec(&format!("DELETE FROM identifier_links WHERE identifier_id = {account} AND case_id = (SELECT max(id) FROM cases)"));
    // …while a small one is always counted live: the e-wallet number of the
    // first case, now also in one copy.
    let wallet = identifier_id(&db, "bank_account", "?:0987654321");
    db.exec(&format!("INSERT INTO identifier_links (identifier_id, case_id, role, source, reported_at, unit_id) SELECT {wallet}, max(id), 'suspect', 'officer', now(), 1 FROM cases"));
    let page = sup.get(&format!("/cases/{c1}")).await;
    assert!(
        page.body.contains("200 vụ việc khác"),
        "the heavy count is cached"
    );
    assert!(
        page.body.contains("1 vụ việc khác"),
        "the small one is live"
    );
    assert!(!page.body.contains("199 vụ việc khác"));
}

#[actix_web::test]
async fn administrators_keep_the_bank_list_that_accounts_are_read_against() {
    let db = TestDb::new();
    let (mut admin, _) = signed_in(&db, "admin").await;
    let page = admin.get("/admin/banks").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("970436") && page.body.contains("LienVietPostBank"));
    // A new bank, then an alias added to it.
    let res = admin
        .post(
            "/admin/banks",
            &[
                ("code", "nhso"),
                ("bin", "970999"),
                ("short_name", "NHSo"),
                ("name_vi", "Ngân hàng số Thử nghiệm"),
                ("aliases", ""),
                ("sort", "90"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let res = admin
        .post(
            "/admin/banks/NHSO",
            &[
                ("bin", "970999"),
                ("short_name", "NHSo"),
                ("name_vi", "Ngân hàng số Thử nghiệm"),
                ("aliases", "Ngân hàng Số Mới, Bánh"),
                ("sort", "90"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(db.count("SELECT count(*) AS n FROM banks WHERE code = 'NHSO' AND aliases = ARRAY['Ngân hàng Số Mới', 'Bánh']"), 1);
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM audit_log WHERE action IN ('bank_create', 'bank_update')"
        ),
        2
    );
    // Bad input: clear errors, nothing written.
    for (form, text) in [
        (
            vec![
                ("code", "x"),
                ("bin", "970436"),
                ("short_name", "X"),
                ("name_vi", "X"),
            ],
            "Mã gồm 2–20",
        ),
        (
            vec![
                ("code", "NEWB"),
                ("bin", "97043"),
                ("short_name", "X"),
                ("name_vi", "X"),
            ],
            "BIN gồm đúng 6",
        ),
        (
            vec![
                ("code", "VCB"),
                ("bin", "970436"),
                ("short_name", "X"),
                ("name_vi", "X"),
            ],
            "Mã này đã có",
        ),
        (
            vec![
                ("code", "NEWB"),
                ("bin", "970499"),
                ("short_name", ""),
                ("name_vi", "X"),
            ],
            "Vui lòng nhập",
        ),
    ] {
        let res = admin.post("/admin/banks", &form).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}");
        assert!(res.body.contains(text), "{form:?}");
    }
    assert_eq!(
        admin
            .post(
                "/admin/banks/NOPE",
                &[("bin", "970400"), ("short_name", "X"), ("name_vi", "X")]
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM banks WHERE code IN ('X', 'NEWB')"),
        0
    );

    // Accounts written with the new name now resolve to the bank.
    let a = user_with_team(&db, "a@pa05.test.vn", "officer", "Đội 1");
    create(
        &db,
        &me(&db, a),
        &[
            ("tx-0-to_bank", "ngân hàng số mới"),
            ("tx-0-to_account", "0123 4567 89"),
        ],
    );
    assert!(identifier_id(&db, "bank_account", "NHSO:0123456789") > 0);
    // Officers cannot edit the list.
    let mut ca = client(&db).await;
    ca.login("a@pa05.test.vn", PASSWORD).await;
    assert_eq!(ca.get("/admin/banks").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        ca.post(
            "/admin/banks/NHSO",
            &[("bin", "546034"), ("short_name", "X"), ("name_vi", "X")]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}

#[actix_web::test]
async fn a_merged_duplicate_counts_once_with_its_survivor_everywhere_a_total_is_shown() {
    let db = TestDb::new();
    let (mut sup, sid) = signed_in(&db, "supervisor").await;
    let s = me(&db, sid);
    // Three cases with the same receiving account; the third is the second
    // victim's report sent twice.
    let c1 = create(&db, &s, &[]);
    let c2 = create(&db, &s, &[("reporter_phone", "+84 987 000 111")]);
    let c3 = create(&db, &s, &[("reporter_phone", "+84 987 000 111")]);
    let account = identifier_id(&db, "bank_account", "VCB:0011004455667");
    let page = sup.get(&format!("/cases/{c1}")).await;
    assert!(page.body.contains("2 vụ việc khác"), "before the merge");
    cyberdesk::services::cases::merge(
        &mut db.conn(),
        &s,
        &cyberdesk::auth::RequestMeta::default(),
        &db.config(),
        &c3,
        &c2,
    )
    .expect("merge");
    // The case page: one other report.
    let page = sup.get(&format!("/cases/{c1}")).await;
    assert!(page.body.contains("1 vụ việc khác"), "{}", page.body);
    assert!(!page.body.contains("2 vụ việc khác"));
    // The survivor does not count its own duplicate as another case.
    let page = sup.get(&format!("/cases/{c2}")).await;
    assert!(page.body.contains("1 vụ việc khác"), "{}", page.body);
    // The identifier page: two reports, the loss of each once.
    let ipage = sup.get(&format!("/identifiers/{account}")).await;
    assert_eq!(ipage.status, StatusCode::OK);
    assert!(ipage.body.contains(&c1) && ipage.body.contains(&c2));
    assert!(
        !ipage.body.contains(&format!(">{c3}<")),
        "the duplicate is not a report of its own"
    );
    // The hot list: two reports, not three.
    cyberdesk::models::hot_identifier::refresh(&mut db.conn(), 1, 30).expect("hot list");
    let reports = db.count(&format!(
        "SELECT reports AS n FROM hot_identifiers WHERE unit_id = 1 AND days = 30 AND identifier_id = {account}"
    ));
    assert_eq!(reports, 2);
    // The duplicate keeps its own links and history.
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM identifier_links l JOIN cases c ON c.id = l.case_id WHERE c.ref = '{c3}' AND l.identifier_id = {account}"
        )),
        1
    );
    let dup = sup.get(&format!("/cases/{c3}")).await;
    assert_eq!(dup.status, StatusCode::OK);
    // Intake: a public report naming the same account hits the survivor and
    // the first case, each once, and not the duplicate.
    let mut citizen = crate::common::client(&db).await;
    let res = crate::portal::send(&mut citizen, "crime", &crate::portal::crime(&[]), &[]).await;
    assert_eq!(res.status, StatusCode::OK);
    let sub = db.count("SELECT max(id) AS n FROM submissions");
    let page = sup.get(&format!("/intake/{sub}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let hits = page
        .body
        .split("<ul class=\"hits\">")
        .nth(1)
        .and_then(|rest| rest.split("</ul>").next())
        .expect("the hits list");
    let mut account_hits: Vec<&str> = hits
        .split("<li>")
        .filter(|li| li.contains("<code>VCB:0011004455667</code>"))
        .filter_map(|li| li.split("\">").nth(1)?.split('<').next())
        .collect();
    account_hits.sort();
    assert_eq!(account_hits, vec![c1.as_str(), c2.as_str()], "{hits}");
    assert!(
        !page.body.contains(&c3),
        "the duplicate is its survivor: {hits}"
    );
}
