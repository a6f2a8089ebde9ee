//! The public portal: reports with files, validation that keeps everything,
//! upload limits, abuse guards, tracking, additions, and intake triage.

use actix_web::http::StatusCode;
use sha2::{Digest, Sha256};

use crate::common::{client, signed_in, test_config, Client, TestDb};
use cyberdesk::AppState;

/// A tiny valid PNG (1×1).
pub(crate) const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

pub(crate) fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker).map(|i| i + marker.len()).unwrap_or(0);
    let end = body[start..].find('"').map(|i| i + start).unwrap_or(start);
    body[start..end].to_owned()
}

/// A complete scam report; `over` replaces or adds fields.
pub(crate) fn crime(over: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = [
        ("on_behalf", "self"),
        ("reporter_name", "Trần Thị Bích"),
        ("reporter_phone", "0987 654 321"),
        ("reporter_email", "bich.tran@example.vn"),
        ("category_id", "2"),
        ("occurred_at", "2026-11-01T20:00"),
        ("first_contact", "phone_call"),
        ("summary", "Bị giả danh công an lừa chuyển tiền"),
        ("narrative", "Một người xưng là công an gọi điện, nói tôi liên quan vụ án và yêu cầu chuyển tiền để xác minh."),
        ("tx-0-time", "2026-11-01T21:00"),
        ("tx-0-amount", "15.000.000"),
        ("tx-0-method", "bank_transfer"),
        ("tx-0-to_bank", "VCB"),
        ("tx-0-to_account", "0011 0044 55667"),
        ("tx-0-to_holder", "NGUYEN VAN X"),
        ("tx-1-amount", "5000000"),
        ("tx-1-method", "bank_transfer"),
        ("tx-1-to_bank", "TCB"),
        ("tx-1-to_account", "19033 44455 5666"),
        ("id-0-kind", "phone"),
        ("id-0-value", "0912 345 678"),
        ("consent", "1"),
        ("false_report_ack", "1"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in over {
        f.retain(|(name, _)| name != k);
        if !v.is_empty() {
            f.push((k.to_string(), v.to_string()));
        }
    }
    f
}

/// Opens the form (for its draft key, time stamp and CSRF token) and sends it.
pub(crate) async fn send<
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
>(
    c: &mut Client<S>,
    kind: &str,
    fields: &[(String, String)],
    files: &[(&str, &[u8])],
) -> crate::common::Resp {
    let page = c.get(&format!("/report/{kind}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let draft = hidden(&page.body, "draft");
    let ts = hidden(&page.body, "form_ts");
    let mut all: Vec<(&str, &str)> = fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    all.push(("draft", &draft));
    all.push(("form_ts", &ts));
    let res = c
        .post_multipart(&format!("/report/{kind}"), &all, files)
        .await;
    receipt_of(c, res).await
}

/// A report received answers 303 to its receipt's address: open it, as a
/// browser does (any other answer is returned as it is).
async fn receipt_of<
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
>(
    c: &mut Client<S>,
    res: crate::common::Resp,
) -> crate::common::Resp {
    if res.status == StatusCode::SEE_OTHER && res.location().starts_with("/report/receipt/") {
        let location = res.location().to_owned();
        assert!(
            !location.contains("csrf") && !location.contains(&c.csrf.clone().unwrap_or_default()),
            "no form token in the receipt's address"
        );
        c.get(&location).await
    } else {
        res
    }
}

/// Triages submission `id` into a crime report as the signed-in `c` would,
/// and gives its reference.
pub(crate) async fn to_case<
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
>(
    c: &mut Client<S>,
    id: i64,
) -> String {
    let res = c
        .post(
            &format!("/intake/{id}/case"),
            &[
                ("case_type", "crime_report"),
                ("category_id", "2"),
                ("severity", "high"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    res.location().trim_start_matches("/cases/").to_owned()
}

pub(crate) fn code_of(body: &str) -> String {
    let marker = "id=\"tracking-code\">";
    let start = body.find(marker).expect("tracking code shown") + marker.len();
    body[start..start + 15].to_owned()
}

#[actix_web::test]
async fn a_citizen_reports_a_scam_with_money_a_suspect_and_a_screenshot() {
    let db = TestDb::new();
    // A supervisor who chose to hear of each report at once.
    let sup = db.user(
        "truc.ban@pa05.test.vn",
        "supervisor",
        crate::common::PASSWORD,
    );
    db.exec(&format!(
        "UPDATE users SET report_notice = 'immediate' WHERE id = {sup}"
    ));
    let mut c = client(&db).await;
    let res = send(&mut c, "crime", &crime(&[]), &[("ảnh chụp.png", PNG)]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let code = code_of(&res.body);
    assert_eq!(code.len(), 15);
    assert!(res.body.contains("20 ngày"), "legal limits in plain words");
    assert_eq!(db.count("SELECT count(*) AS n FROM submissions WHERE total_loss = 20000000 AND contact_phone = '+84987654321'"), 1);
    // The file: kept by a random id with its hash, name and sniffed type.
    let sha = cyberdesk::domain::token::hex(&Sha256::digest(PNG));
    assert_eq!(
        db.count(&format!("SELECT count(*) AS n FROM submission_files WHERE sha256 = '{sha}' AND original_name = 'ảnh chụp.png' AND detected_type = 'image/png' AND size_bytes = {} AND submission_id IS NOT NULL", PNG.len())),
        1
    );
    // Identifiers: the suspect phone and both receiving accounts, normalised.
    for v in ["+84912345678", "VCB:0011004455667", "TCB:19033444555666"] {
        assert_eq!(
            db.count(&format!("SELECT count(*) AS n FROM identifiers i JOIN identifier_links l ON l.identifier_id = i.id WHERE i.value = '{v}' AND l.role = 'suspect'")),
            1,
            "{v}"
        );
    }
    // Receipt mail to the reporter; a notice (no personal data) to the supervisor.
    assert_eq!(db.count("SELECT count(*) AS n FROM email_outbox WHERE kind = 'receipt' AND recipient = 'bich.tran@example.vn'"), 1);
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM email_outbox WHERE kind = 'submission_new' AND recipient_user_id = {sup} AND body_text NOT LIKE '%Bích%' AND body_text NOT LIKE '%0987%'")), 1);
    // It is a report, not yet a case: named as one, with its classification clock.
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM email_outbox WHERE kind = 'submission_new' AND recipient_user_id = {sup} AND body_text LIKE '%Trình báo: #%' AND body_text LIKE '%Mở trình báo: %/intake/%' AND body_text LIKE '%Hạn phân loại: %' AND body_text NOT LIKE '%vụ việc%'")), 1);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'submission_create'"),
        1
    );
    // The submission is kept exactly as sent.
    let err = diesel::RunQueryDsl::execute(
        diesel::sql_query("UPDATE submissions SET narrative = 'sửa'"),
        &mut db.conn(),
    );
    assert!(err.is_err(), "the trigger refuses edits");
}

#[actix_web::test]
async fn errors_keep_everything_typed_and_the_files_already_sent() {
    let db = TestDb::new();
    let mut c = client(&db).await;
    let fields = crime(&[
        ("narrative", ""),
        ("tx-0-amount", "-5"),
        ("reporter_phone", "12ab"),
    ]);
    let res = send(&mut c, "crime", &fields, &[("bien-lai.png", PNG)]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Trần Thị Bích"), "typed input kept");
    assert!(res.body.contains("0011 0044 55667"));
    assert!(
        res.body.contains("bien-lai.png"),
        "the file is shown as attached"
    );
    assert!(
        res.body.contains("href=\"#narrative\""),
        "errors link to fields"
    );
    assert!(res.body.contains("id=\"tx-0-amount-error\""));
    assert!(res.body.contains("id=\"reporter_phone-error\""));
    assert_eq!(
        db.count("SELECT count(*) AS n FROM submissions"),
        0,
        "nothing half-written"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM submission_files WHERE submission_id IS NULL"),
        1,
        "staged"
    );
    // Fixed and sent again with the same draft, without uploading again.
    let draft = hidden(&res.body, "draft");
    let ts = hidden(&res.body, "form_ts");
    let fixed = crime(&[]);
    let mut all: Vec<(&str, &str)> = fixed
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    all.push(("draft", &draft));
    all.push(("form_ts", &ts));
    let res = c.post_multipart("/report/crime", &all, &[]).await;
    let res = receipt_of(&mut c, res).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(db.count("SELECT count(*) AS n FROM submission_files WHERE submission_id IS NOT NULL AND original_name = 'bien-lai.png'"), 1);

    // Every field that can be wrong says so.
    let bad = crime(&[
        ("summary", &"x".repeat(201)),
        ("occurred_at", "2099-01-01T00:00"),
        ("category_id", "99999"),
        ("reporter_email", "not-an-email"),
        ("tx-0-to_account", "12-ab"),
        ("id-0-value", "zz"),
        ("consent", ""),
        ("false_report_ack", ""),
        ("reporter_national_id", "123"),
    ]);
    let res = send(&mut c, "crime", &bad, &[]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in [
        "summary",
        "occurred_at",
        "category_id",
        "reporter_email",
        "tx-0-to_account",
        "id-0-value",
        "consent",
        "false_report_ack",
        "reporter_national_id",
    ] {
        assert!(res.body.contains(&format!("href=\"#{field}\"")), "{field}");
    }
    // "Add another transaction" posts back with one more row and no error.
    let mut more = crime(&[]);
    more.push(("add_tx".into(), "1".into()));
    let res = send(&mut c, "crime", &more, &[]).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("name=\"tx-2-amount\""));
    assert_eq!(db.count("SELECT count(*) AS n FROM submissions"), 1);
}

#[actix_web::test]
async fn uploads_are_typed_by_content_and_limited_while_streaming() {
    let db = TestDb::new();
    let mut c = client(&db).await;
    let big = vec![b'a'; 70 * 1024]; // over the 64 KB test limit
    let elf: &[u8] = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0";
    let cases: &[(&str, &[u8], &str)] = &[
        ("loi.txt", &big, "vượt quá dung lượng"),
        ("anh.png", elf, "Loại tệp này không được nhận"),
        (
            "trang.html",
            b"<html><script>alert(1)</script></html>",
            "Loại tệp này không được nhận",
        ),
        (
            "hinh.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>",
            "Loại tệp này không được nhận",
        ),
        ("rong.png", b"", "Tệp rỗng"),
    ];
    for (name, bytes, message) in cases {
        let res = send(&mut c, "crime", &crime(&[]), &[(name, bytes)]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(res.body.contains(message), "{name}");
        assert!(res.body.contains("Trần Thị Bích"), "{name}: input kept");
    }
    assert_eq!(
        db.count("SELECT count(*) AS n FROM submission_files"),
        0,
        "nothing refused is kept"
    );
    let dir = cyberdesk::storage::evidence_dir(&test_config(&db.url).data_dir);
    let leftovers = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(".part-"))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(leftovers, 0, "no partial files left");
    // A path in the sent name is only a label.
    let res = send(
        &mut c,
        "crime",
        &crime(&[]),
        &[("../../etc/passwd.txt", b"noi dung van ban")],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(db.count("SELECT count(*) AS n FROM submission_files WHERE original_name = 'passwd.txt' AND detected_type = 'text/plain' AND length(storage_id) = 32"), 1);
    // More files than allowed (3 in tests).
    let res = send(
        &mut c,
        "crime",
        &crime(&[]),
        &[
            ("1.png", PNG),
            ("2.png", PNG),
            ("3.png", PNG),
            ("4.png", PNG),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Đã đủ số tệp tối đa"));
}

#[actix_web::test]
async fn abuse_guards_rate_limit_honeypot_and_fill_time() {
    let db = TestDb::new();
    let mut cfg = test_config(&db.url);
    cfg.portal.reports_per_hour = 2;
    cfg.portal.lookups_per_hour = 2;
    let mut c =
        Client::new(crate::common::app(actix_web::web::Data::new(AppState::new(cfg))).await);
    // Honeypot filled: refused, nothing stored.
    let res = send(
        &mut c,
        "crime",
        &crime(&[("website", "http://spam.example")]),
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(db.count("SELECT count(*) AS n FROM submissions"), 0);
    let res = send(&mut c, "crime", &crime(&[]), &[]).await;
    assert_eq!(res.status, StatusCode::OK);
    let res = send(&mut c, "crime", &crime(&[]), &[]).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(res.body.contains("Retry") || res.headers.contains_key("retry-after"));
    for _ in 0..2 {
        c.post(
            "/track",
            &[("code", "AAAA-BBBB-CCCCC"), ("proof", "0987654321")],
        )
        .await;
    }
    assert_eq!(
        c.post(
            "/track",
            &[("code", "AAAA-BBBB-CCCCC"), ("proof", "0987654321")]
        )
        .await
        .status,
        StatusCode::TOO_MANY_REQUESTS
    );

    // Another instance on the same database draws on the same allowance.
    let mut cfg = test_config(&db.url);
    cfg.portal.min_fill_seconds = 60;
    cfg.portal.reports_per_hour = 2;
    let mut c =
        Client::new(crate::common::app(actix_web::web::Data::new(AppState::new(cfg))).await);
    let res = send(&mut c, "crime", &crime(&[]), &[]).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(db.count("SELECT count(*) AS n FROM submissions"), 1);
    db.exec("DELETE FROM rate_limits");

    // Sent faster than a person can: refused, input kept.
    let res = send(&mut c, "crime", &crime(&[]), &[("anh.png", PNG)]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("quá nhanh") && res.body.contains("Trần Thị Bích"));
    // A person may be quick: the file stays attached, shown as attached.
    assert!(
        res.body.contains("anh.png"),
        "the file kept after the fill-time check"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM submission_files WHERE submission_id IS NULL"),
        1
    );
    // A forged time stamp is refused too.
    let fields = crime(&[]);
    let mut all: Vec<(&str, &str)> = fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    all.push(("form_ts", "1.99999999999.deadbeef"));
    let res = c.post_multipart("/report/crime", &all, &[]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(db.count("SELECT count(*) AS n FROM submissions"), 1);

    // In a burst, the form asks a challenge (with a fresh allowance: the
    // refused posts above took theirs).
    db.exec("DELETE FROM rate_limits");
    let mut cfg = test_config(&db.url);
    cfg.portal.burst_per_minute = 1;
    let mut c =
        Client::new(crate::common::app(actix_web::web::Data::new(AppState::new(cfg))).await);
    let res = send(&mut c, "crime", &crime(&[]), &[("sao ke.png", PNG)]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("challenge_answer"));
    assert!(
        res.body.contains("sao ke.png"),
        "the file kept after the challenge"
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM submissions"), 1);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM submission_files WHERE submission_id IS NULL"),
        2
    );
    // A robot's form (the honeypot filled) keeps nothing.
    let res = send(
        &mut c,
        "crime",
        &crime(&[("website", "http://spam.example")]),
        &[("x.png", PNG)],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!res.body.contains("x.png"));
    assert_eq!(
        db.count("SELECT count(*) AS n FROM submission_files WHERE submission_id IS NULL"),
        2
    );

    // Without the CSRF token, nothing public is accepted.
    let mut bare = client(&db).await;
    let res = bare
        .post_raw("/track", &[("code", "x"), ("proof", "y")])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn tracking_needs_the_code_and_the_contact_and_answers_alike_otherwise() {
    let db = TestDb::new();
    let mut c = client(&db).await;
    let res = send(&mut c, "crime", &crime(&[]), &[]).await;
    let code = code_of(&res.body);
    let mut t = client(&db).await;
    t.get("/track").await;
    let ok = t
        .post(
            "/track",
            &[("code", &code.to_lowercase()), ("proof", "+84 987-654-321")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(ok.body.contains("Đã tiếp nhận"), "public status");
    assert!(!ok.body.contains("track-not-found"));
    let by_mail = t
        .post(
            "/track",
            &[("code", &code), ("proof", "BICH.TRAN@example.vn")],
        )
        .await;
    assert!(by_mail.body.contains("name=\"grant\""));
    let wrong_contact = t
        .post("/track", &[("code", &code), ("proof", "0912000111")])
        .await;
    let wrong_code = t
        .post(
            "/track",
            &[("code", "ZZZZ-ZZZZ-ZZZZZ"), ("proof", "0987654321")],
        )
        .await;
    assert_eq!(wrong_contact.status, wrong_code.status);
    let msg = "Không tìm thấy trình báo với thông tin này";
    assert!(wrong_contact.body.contains(msg) && wrong_code.body.contains(msg));
    assert!(!wrong_contact.body.contains("name=\"grant\""));

    // Anonymous: the code plus the secret shown once.
    let res = send(
        &mut c,
        "crime",
        &crime(&[
            ("anonymous", "1"),
            ("reporter_name", ""),
            ("reporter_phone", ""),
            ("reporter_email", ""),
        ]),
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let code = code_of(&res.body);
    let marker = "id=\"tracking-secret\">";
    let start = res.body.find(marker).expect("secret shown") + marker.len();
    let secret = &res.body[start..start + 10];
    let ok = t
        .post("/track", &[("code", &code), ("proof", secret)])
        .await;
    assert!(ok.body.contains("name=\"grant\""));
    assert_eq!(db.count("SELECT count(*) AS n FROM submissions WHERE anonymous AND secret_hash IS NOT NULL AND contact_phone IS NULL"), 1);
}

#[actix_web::test]
async fn triage_into_a_case_then_the_reporter_adds_information() {
    let db = TestDb::new();
    let mut c = client(&db).await;
    let res = send(&mut c, "crime", &crime(&[]), &[("anh.png", PNG)]).await;
    let code = code_of(&res.body);
    let id = db.count("SELECT max(id) AS n FROM submissions");

    // An officer off duty cannot triage; on duty they can.
    let (mut o, oid) = signed_in(&db, "officer").await;
    assert_eq!(o.get("/intake").await.status, StatusCode::FORBIDDEN);
    db.exec(&format!("UPDATE users SET on_duty = true WHERE id = {oid}"));
    let q = o.get("/intake").await;
    assert_eq!(q.status, StatusCode::OK);
    assert!(q.body.contains("Bị giả danh công an lừa chuyển tiền"));
    let page = o.get(&format!("/intake/{id}")).await;
    assert!(page.body.contains("Trần Thị Bích"), "as sent");
    // It reads as a report: labels, not field names; codes by name; local
    // times; banks by name; a total. The stored form is one click away.
    let report = page
        .body
        .split("<details class=\"as-stored\">")
        .next()
        .unwrap_or("");
    for shown in [
        "<dt>Họ tên</dt>",
        "<dt>Loại sự việc</dt>",
        "<dd>Cuộc gọi điện thoại</dd>",
        ">01/11/2026 20:00</time>",
        ">01/11/2026 21:00</time>",
        "Vietcombank (VCB) · 0011 0044 55667",
        "Techcombank (TCB)",
        "20.000.000",
        "<th scope=\"col\">Loại</th>",
        "<dt>Đồng ý cho xử lý dữ liệu cá nhân</dt><dd>Có</dd>",
    ] {
        assert!(report.contains(shown), "{shown} in the report view");
    }
    for raw in [
        "category_id",
        "tx-0-to_bank",
        "id-0-kind",
        "false_report_ack",
    ] {
        assert!(!report.contains(raw), "{raw} is not shown as a field name");
    }
    assert!(
        page.body.contains("<code>tx-1-to_account</code>"),
        "as stored"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'submission_view'"),
        1
    );
    let fid = db.count("SELECT max(id) AS n FROM submission_files");
    let file = o.get(&format!("/intake/{id}/files/{fid}")).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(file.header("content-disposition").starts_with("attachment"));
    assert_eq!(file.header("x-content-type-options"), "nosniff");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'submission_file_download'"),
        1
    );

    let reference = to_case(&mut o, id).await;
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM cases WHERE ref = '{reference}' AND channel = 'online_portal' AND total_loss = 20000000 AND reporter_name = 'Trần Thị Bích' AND title = 'Bị giả danh công an lừa chuyển tiền'")), 1);
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM submissions WHERE status = 'case' AND case_id = (SELECT id FROM cases WHERE ref = '{reference}')")), 1);
    // The screenshot is now an exhibit of the case: same file, hash and
    // receipt time; its custody starts at the portal, then the triage.
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM exhibits x JOIN submission_files f ON f.id = x.submission_file_id WHERE x.case_id = (SELECT id FROM cases WHERE ref = '{reference}') AND x.source = 'reporter' AND x.sha256 = f.sha256 AND x.received_at = f.received_at AND x.storage_id = f.storage_id AND x.received_by IS NULL")), 1);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM custody_events WHERE action = 'received'"),
        2
    );
    // Three suspect identifiers and the victim's own phone, now the case's.
    assert_eq!(
        db.count("SELECT count(DISTINCT identifier_id) AS n FROM identifier_links WHERE case_id IS NOT NULL"),
        4
    );
    assert_eq!(
        db.count(&format!("SELECT count(*) AS n FROM identifier_links WHERE submission_id = {id} AND case_id IS NULL")),
        0,
        "the submission's links moved to the case"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM email_outbox WHERE kind = 'public_status'"),
        1,
        "reporter told"
    );
    // A second triage of the same submission is refused.
    assert_eq!(
        o.post(&format!("/intake/{id}/spam"), &[("reason", "x")])
            .await
            .status,
        StatusCode::CONFLICT
    );
    db.exec(&format!(
        "UPDATE cases SET assignee_id = {oid} WHERE ref = '{reference}'"
    ));

    // The reporter looks it up and adds information and a file.
    let mut t = client(&db).await;
    t.get("/track").await;
    let st = t
        .post("/track", &[("code", &code), ("proof", "0987654321")])
        .await;
    assert!(st.body.contains("Đang xác minh"));
    let grant = hidden(&st.body, "grant");
    let res = t
        .post_multipart(
            "/track/add",
            &[
                ("grant", &grant),
                ("body", "Đối tượng vừa gọi lại từ số 0911 222 333."),
            ],
            &[("ghi-am.txt", b"ban ghi chep")],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("Đã nhận thông tin bổ sung"));
    assert_eq!(db.count("SELECT count(*) AS n FROM case_events WHERE kind = 'reporter' AND body LIKE '%0911 222 333%'"), 1);
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM email_outbox WHERE kind = 'reporter_info' AND recipient_user_id = {oid}")), 1);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM submission_files WHERE follow_up"),
        1
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM exhibits x JOIN submission_files f ON f.id = x.submission_file_id WHERE f.follow_up AND x.source = 'reporter'"),
        1,
        "a file added later is an exhibit too"
    );
    // A forged grant adds nothing.
    let res = t
        .post_multipart(
            "/track/add",
            &[("grant", "1.9999999999.00"), ("body", "x")],
            &[],
        )
        .await;
    assert!(res.body.contains("Không tìm thấy"));
    assert_eq!(db.count("SELECT count(*) AS n FROM submission_messages"), 1);
}

#[actix_web::test]
async fn hits_match_numbers_written_differently_and_spam_is_kept_aside() {
    let db = TestDb::new();
    let mut c = client(&db).await;
    for (phone, account) in [
        ("0912 345 678", "0011004455667"),
        ("+84912345678", "0011-0044-55667"),
        ("84-912-345-678", "001 100 445 5667"),
    ] {
        let res = send(
            &mut c,
            "crime",
            &crime(&[("id-0-value", phone), ("tx-0-to_account", account)]),
            &[],
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM identifiers WHERE kind = 'phone' AND value = '+84912345678'"
        ),
        1
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM identifiers WHERE kind = 'bank_account' AND value = 'VCB:0011004455667'"), 1);
    let (mut s, _) = signed_in(&db, "supervisor").await;
    let first = db.count("SELECT min(id) AS n FROM submissions");
    let page = s.get(&format!("/intake/{first}")).await;
    assert!(page.body.contains("+84912345678") && page.body.contains("VCB:0011004455667"));
    for other in [first + 1, first + 2] {
        assert!(
            page.body.contains(&format!("href=\"/intake/{other}\"")),
            "links to #{other}"
        );
    }

    // Spam needs a reason; then it leaves the queue and is listed for supervisors.
    let res = s
        .post(&format!("/intake/{first}/spam"), &[("reason", "")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let res = s
        .post(
            &format!("/intake/{first}/spam"),
            &[("reason", "Gửi thử, nội dung trùng lặp")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let q = s.get("/intake").await;
    assert!(q.body.contains("Đang chờ: 2"));
    let spam = s.get("/intake?show=spam").await;
    assert!(spam.body.contains(&format!("/intake/{first}")));
    let (mut o, oid) = signed_in(&db, "officer").await;
    db.exec(&format!("UPDATE users SET on_duty = true WHERE id = {oid}"));
    let _ = o.get("/").await;
    assert_eq!(
        o.get("/intake?show=spam").await.status,
        StatusCode::FORBIDDEN
    );
    // Attaching another to an existing case, and asking for more information.
    let second = first + 1;
    let res = s
        .post(
            &format!("/intake/{second}/message"),
            &[
                ("body", "Đề nghị gửi ảnh chụp biên lai."),
                ("request_info", "1"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM submissions WHERE id = {second} AND status = 'info_requested'")), 1);
    assert_eq!(db.count("SELECT count(*) AS n FROM email_outbox WHERE kind = 'info_request' AND body_text LIKE '%biên lai%'"), 1);
    let res = s
        .post(
            &format!("/intake/{second}/attach"),
            &[("case_ref", "PA05-TG-2026-99999")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let third = first + 2;
    let res = s
        .post(
            &format!("/intake/{third}/case"),
            &[
                ("case_type", "crime_report"),
                ("category_id", "2"),
                ("severity", "medium"),
            ],
        )
        .await;
    let reference = res.location().trim_start_matches("/cases/").to_owned();
    let res = s
        .post(
            &format!("/intake/{second}/attach"),
            &[("case_ref", &reference)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM submissions WHERE id = {second} AND status = 'attached'"
        )),
        1
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM case_events WHERE kind = 'submission'"),
        2
    );
}

#[actix_web::test]
async fn files_of_forms_never_sent_are_removed_after_a_day() {
    let db = TestDb::new();
    let mut c = client(&db).await;
    let res = send(
        &mut c,
        "crime",
        &crime(&[("narrative", "")]),
        &[("bo-do.png", PNG)],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let cfg = test_config(&db.url);
    let storage: String = {
        use diesel::prelude::*;
        cyberdesk::db::schema::submission_files::table
            .select(cyberdesk::db::schema::submission_files::storage_id)
            .first(&mut db.conn())
            .expect("staged")
    };
    let path = cyberdesk::storage::path_of(&cfg.data_dir, &storage).expect("path");
    assert!(path.exists());
    assert_eq!(
        cyberdesk::services::portal::expire_staged(&mut db.conn(), &cfg).expect("expire"),
        0,
        "still fresh"
    );
    db.exec("UPDATE submission_files SET received_at = now() - interval '25 hours'");
    assert_eq!(
        cyberdesk::services::portal::expire_staged(&mut db.conn(), &cfg).expect("expire"),
        1
    );
    assert!(!path.exists());
    assert_eq!(db.count("SELECT count(*) AS n FROM submission_files"), 0);
}

#[actix_web::test]
async fn organisations_report_incidents_and_breaches_with_their_own_fields() {
    let db = TestDb::new();
    let mut c = client(&db).await;
    let base: Vec<(String, String)> = [
        ("reporter_name", "Sở Y tế tỉnh"),
        ("reporter_email", "attt@soyte.gov.vn"),
        ("category_id", "18"),
        ("summary", "Cổng thông tin bị thay đổi giao diện"),
        (
            "narrative",
            "Sáng nay trang chủ cổng thông tin hiển thị nội dung lạ, nghi bị tấn công.",
        ),
        ("consent", "1"),
        ("false_report_ack", "1"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    // The incident form needs the organisation and the affected system.
    let res = send(&mut c, "incident", &base, &[]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["org_name", "affected_system"] {
        assert!(res.body.contains(&format!("href=\"#{field}\"")), "{field}");
    }
    let mut incident = base.clone();
    for (k, v) in [
        ("org_name", "Sở Y tế tỉnh"),
        ("affected_system", "Cổng thông tin điện tử"),
        ("security_level", "3"),
        ("incident_state", "not_handled"),
        ("ips_domains", "203.0.113.10, soyte.example.vn"),
    ] {
        incident.push((k.to_string(), v.to_string()));
    }
    let res = send(&mut c, "incident", &incident, &[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(db.count("SELECT count(*) AS n FROM submissions WHERE kind = 'incident' AND payload->>'affected_system' = 'Cổng thông tin điện tử'"), 1);
    let mut bad = incident.clone();
    bad.retain(|(k, _)| k != "security_level");
    bad.push(("security_level".into(), "9".into()));
    let res = send(&mut c, "incident", &bad, &[]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

    let mut breach = base.clone();
    breach.retain(|(k, _)| k != "category_id");
    breach.push(("category_id".into(), "20".into()));
    let res = send(&mut c, "breach", &breach, &[]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("href=\"#controller\"") && res.body.contains("href=\"#data_types\""));
    breach.push(("controller".into(), "Công ty ABC".into()));
    breach.push((
        "data_types".into(),
        "Họ tên, số điện thoại, địa chỉ khách hàng".into(),
    ));
    breach.push(("subjects_count".into(), "nhiều".into()));
    let res = send(&mut c, "breach", &breach, &[]).await;
    assert!(res.body.contains("href=\"#subjects_count\""));
    breach.retain(|(k, _)| k != "subjects_count");
    breach.push(("subjects_count".into(), "12000".into()));
    let res = send(&mut c, "breach", &breach, &[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("72"), "the breach time limit");
    assert_eq!(c.get("/report/other").await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn review_fixes_drafts_payload_visibility_and_orphans() {
    let db = TestDb::new();
    // A draft key works only with the CSRF token it was made for.
    let mut a = client(&db).await;
    let res = send(
        &mut a,
        "crime",
        &crime(&[("narrative", "")]),
        &[("cua-a.png", PNG)],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let stolen = hidden(&res.body, "draft");
    let mut b = client(&db).await;
    let page = b.get("/report/crime").await;
    let ts = hidden(&page.body, "form_ts");
    let fields = crime(&[]);
    let mut all: Vec<(&str, &str)> = fields
        .iter()
        .map(|(x, y)| (x.as_str(), y.as_str()))
        .collect();
    all.push(("draft", &stolen));
    all.push(("form_ts", &ts));
    let res = b.post_multipart("/report/crime", &all, &[]).await;
    let res = receipt_of(&mut b, res).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM submission_files WHERE submission_id IS NULL"),
        1,
        "the other visitor's file stays theirs"
    );
    // Only the form's own fields are stored, each once.
    let fields = crime(&[("x-injected", "rác"), ("summary", "Tóm tắt thứ nhất")]);
    let mut with_dup = fields.clone();
    with_dup.push(("summary".into(), "Tóm tắt thứ hai".into()));
    let res = send(&mut b, "crime", &with_dup, &[]).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM submissions WHERE payload ? 'x-injected'"),
        0
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM submissions WHERE payload->>'summary' = 'Tóm tắt thứ nhất' AND summary = 'Tóm tắt thứ nhất'"), 1);

    // An addition without a valid grant writes no file (own data folder, so
    // other tests' files do not count).
    let mut cfg = test_config(&db.url);
    cfg.data_dir = std::env::temp_dir().join(format!("cd-nogrant-{}", db.name));
    let nogrant_dir = cyberdesk::storage::evidence_dir(&cfg.data_dir);
    let mut t =
        Client::new(crate::common::app(actix_web::web::Data::new(AppState::new(cfg))).await);
    t.get("/track").await;
    let res = t
        .post_multipart(
            "/track/add",
            &[("grant", "7.99999999999.00"), ("body", "x")],
            &[("a.png", PNG)],
        )
        .await;
    assert!(res.body.contains("Không tìm thấy"));
    assert_eq!(
        std::fs::read_dir(&nogrant_dir)
            .map(|d| d.count())
            .unwrap_or(0),
        0
    );

    // A triaged submission is as visible as its case.
    let id = db.count("SELECT max(id) AS n FROM submissions");
    let (mut s, _) = signed_in(&db, "supervisor").await;
    let res = s
        .post(
            &format!("/intake/{id}/case"),
            &[
                ("case_type", "crime_report"),
                ("category_id", "2"),
                ("severity", "high"),
            ],
        )
        .await;
    let reference = res.location().trim_start_matches("/cases/").to_owned();
    db.exec(&format!(
        "UPDATE cases SET tlp = 'RED' WHERE ref = '{reference}'"
    ));
    let (mut o, oid) = signed_in(&db, "officer").await;
    db.exec(&format!("UPDATE users SET on_duty = true WHERE id = {oid}"));
    assert_eq!(
        o.get(&format!("/intake/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(s.get(&format!("/intake/{id}")).await.status, StatusCode::OK);

    // Files no row refers to are swept after a day.
    let dir = cyberdesk::storage::evidence_dir(&test_config(&db.url).data_dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let orphan = dir.join("0123456789abcdef0123456789abcdef");
    std::fs::write(&orphan, b"left behind").expect("write");
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 86400);
    std::fs::File::options()
        .write(true)
        .open(&orphan)
        .and_then(|f| f.set_modified(old))
        .expect("age");
    cyberdesk::services::portal::expire_staged(&mut db.conn(), &test_config(&db.url))
        .expect("sweep");
    assert!(!orphan.exists());
}

#[actix_web::test]
async fn a_public_report_finds_an_officer_case_with_the_same_account() {
    let db = TestDb::new();
    let (mut s, sid) = signed_in(&db, "supervisor").await;
    // An officer logs a phone report: money to "Vietcombank" 0011-0044-55667.
    let reference = crate::cases::create(
        &db,
        &crate::cases::me(&db, sid),
        &[
            ("tx-0-to_bank", "Vietcombank"),
            ("tx-0-to_account", "0011-0044-55667"),
        ],
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM identifier_links l JOIN identifiers i ON i.id = l.identifier_id WHERE l.source = 'officer' AND i.value = 'VCB:0011004455667'"),
        1
    );
    // A citizen reports the same account, written another way.
    let mut c = client(&db).await;
    let res = send(
        &mut c,
        "crime",
        &crime(&[
            ("tx-0-to_bank", "VCB"),
            ("tx-0-to_account", "001 100 445 5667"),
        ]),
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let id = db.count("SELECT max(id) AS n FROM submissions");
    let page = s.get(&format!("/intake/{id}")).await;
    assert!(
        page.body.contains(&format!("href=\"/cases/{reference}\"")),
        "hit on the officer's case"
    );
    // Both receiving accounts of the officer's form and the reporter's phone.
    assert_eq!(
        db.count("SELECT count(*) AS n FROM identifier_links WHERE source = 'officer' AND case_id IS NOT NULL"),
        3
    );
}

/// Files in an evidence folder (kept ones and partial ones alike).
fn files_in(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().filter(|e| e.path().is_file()).count())
        .unwrap_or(0)
}

#[actix_web::test]
async fn an_upload_whose_first_part_is_not_the_token_is_refused_before_anything_is_kept() {
    use crate::common::Part;
    let db = TestDb::new();
    // Its own data folder, so other tests' files do not count.
    let mut cfg = test_config(&db.url);
    cfg.data_dir = std::env::temp_dir().join(format!("cd-firstpart-{}", db.name));
    let dir = cyberdesk::storage::evidence_dir(&cfg.data_dir);
    let mut c = Client::new(
        crate::common::app(actix_web::web::Data::new(AppState::new(cfg.clone()))).await,
    );
    let page = c.get("/report/crime").await;
    assert!(
        !page.body.contains("?csrf_token="),
        "the token is never put in the address bar"
    );
    let token = c.csrf.clone().expect("a visitor's token");
    let (draft, ts) = (hidden(&page.body, "draft"), hidden(&page.body, "form_ts"));
    let fields: Vec<Part> = crime(&[])
        .iter()
        .map(|(k, v)| Part::field(k, v))
        .chain([Part::field("draft", &draft), Part::field("form_ts", &ts)])
        .collect();
    let file = || Part::file("evidence", "anh.png", PNG);
    let bodies: Vec<(&str, Vec<Part>)> = vec![
        // The token after the fields (as the old forms sent it).
        (
            "token last",
            fields
                .iter()
                .cloned()
                .chain([file(), Part::field("csrf_token", &token)])
                .collect(),
        ),
        // A file first, the token after it.
        (
            "file first",
            [file(), Part::field("csrf_token", &token)]
                .into_iter()
                .collect(),
        ),
        (
            "wrong token",
            vec![Part::field("csrf_token", "0123456789abcdef"), file()],
        ),
        (
            "token as a file",
            vec![Part::file("csrf_token", "t.txt", token.as_bytes()), file()],
        ),
        ("empty body", vec![]),
    ];
    for (what, parts) in &bodies {
        let res = c.post_parts("/report/crime", parts).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{what}: {}", res.body);
    }
    // The token only in the query string, as the forms used to send it.
    let mut parts: Vec<Part> = vec![file()];
    parts.extend(crime(&[]).iter().map(|(k, v)| Part::field(k, v)));
    let res = c
        .post_parts(&format!("/report/crime?csrf_token={token}"), &parts)
        .await;
    assert_eq!(
        res.status,
        StatusCode::FORBIDDEN,
        "query token: {}",
        res.body
    );
    let res = c
        .post_parts(&format!("/track/add?csrf_token={token}"), &[file()])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "track/add: {}", res.body);
    assert_eq!(db.count("SELECT count(*) AS n FROM submissions"), 0);
    assert_eq!(db.count("SELECT count(*) AS n FROM submission_files"), 0);
    assert_eq!(files_in(&dir), 0, "no file written, not even a partial one");
    // The same report with the token first is received.
    let res = send(&mut c, "crime", &crime(&[]), &[("anh.png", PNG)]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(db.count("SELECT count(*) AS n FROM submissions"), 1);
    assert_eq!(files_in(&dir), 1);
    let _ = std::fs::remove_dir_all(&cfg.data_dir);
}

#[actix_web::test]
async fn a_bank_is_accepted_as_people_write_it_and_shown_back() {
    let db = TestDb::new();
    let mut c = client(&db).await;
    for (written, account) in [
        ("Vietcombank", "0011001234561"),
        ("vietcombank", "0011001234562"),
        ("ngan hang tmcp ngoai thuong viet nam", "0011001234563"),
        ("LienVietPostBank", "0011001234564"),
        ("970436", "0011001234565"),
    ] {
        let fields = crime(&[
            ("id-1-kind", "bank_account"),
            ("id-1-value", account),
            ("id-1-qualifier", written),
        ]);
        let res = send(&mut c, "crime", &fields, &[]).await;
        assert_eq!(res.status, StatusCode::OK, "{written}: {}", res.body);
    }
    for v in [
        "VCB:0011001234561",
        "VCB:0011001234562",
        "VCB:0011001234563",
        "LPB:0011001234564",
        "VCB:0011001234565",
    ] {
        assert_eq!(
            db.count(&format!(
                "SELECT count(*) AS n FROM identifiers WHERE value = '{v}'"
            )),
            1,
            "{v}"
        );
    }
    // A name no bank goes by: a message that says what to type, everything kept,
    // and a bank that was recognised is shown back by name.
    let fields = crime(&[
        ("id-0-kind", "bank_account"),
        ("id-0-value", "0011009999999"),
        ("id-0-qualifier", "Ngân hàng Mặt Trăng"),
        ("id-1-kind", "bank_account"),
        ("id-1-value", "0011008888888"),
        ("id-1-qualifier", "vietcom"),
    ]);
    let res = send(&mut c, "crime", &fields, &[]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains("Không nhận ra ngân hàng này"),
        "{}",
        res.body
    );
    assert!(res.body.contains("Ngân hàng Mặt Trăng"), "input kept");
    assert!(
        res.body.contains("Vietcombank (VCB)"),
        "the recognised bank shown back"
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM submissions"), 5);
}

#[actix_web::test]
async fn an_over_long_narrative_comes_back_as_a_message_with_everything_kept() {
    let db = TestDb::new();
    let mut c = client(&db).await;
    // 100 KB of Vietnamese: past what the field keeps, far from abuse.
    let long = "Tôi bị lừa chuyển tiền qua Zalo. ".repeat(2600);
    assert!(long.len() > 100 * 1024);
    let fields = crime(&[("narrative", &long)]);
    let res = send(&mut c, "crime", &fields, &[("anh.png", PNG)]).await;
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        &res.body[..200.min(res.body.len())]
    );
    assert!(
        res.body.contains("Nội dung quá dài"),
        "the message, next to the field"
    );
    assert!(
        res.body.contains("Trần Thị Bích"),
        "the rest of the form kept"
    );
    assert!(res.body.contains("0011 0044 55667"), "money rows kept");
    assert!(
        res.body.contains("anh.png"),
        "the file already received stays attached"
    );
    assert!(
        !res.body.contains('\u{fffd}'),
        "no character broken by the cut"
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM submissions"), 0);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM submission_files WHERE submission_id IS NULL"),
        1,
        "staged for the next send"
    );
    // Megabytes of text are abuse, not a report: cut off.
    let abuse = "x".repeat(3 * 1024 * 1024);
    let fields = crime(&[("narrative", &abuse)]);
    let res = send(&mut c, "crime", &fields, &[]).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(db.count("SELECT count(*) AS n FROM submissions"), 0);
}

/// An anonymous crime report as one opened form sends it (its draft key and
/// time stamp included), to send more than once.
async fn anonymous_form<
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
>(
    c: &mut Client<S>,
) -> Vec<(String, String)> {
    let page = c.get("/report/crime").await;
    let mut fields = crime(&[
        ("anonymous", "1"),
        ("reporter_name", ""),
        ("reporter_phone", ""),
        ("reporter_email", ""),
    ]);
    fields.push(("draft".into(), hidden(&page.body, "draft")));
    fields.push(("form_ts".into(), hidden(&page.body, "form_ts")));
    fields
}

#[actix_web::test]
async fn sending_the_same_form_twice_makes_one_report_with_one_receipt_and_one_round_of_mail() {
    let db = TestDb::new();
    let sup = db.user(
        "truc.ban@pa05.test.vn",
        "supervisor",
        crate::common::PASSWORD,
    );
    db.exec(&format!(
        "UPDATE users SET report_notice = 'immediate' WHERE id = {sup}"
    ));
    // Its own data folder, so the files on disk can be counted.
    let mut cfg = test_config(&db.url);
    cfg.data_dir = std::env::temp_dir().join(format!("cd-onesend-{}", db.name));
    let dir = cyberdesk::storage::evidence_dir(&cfg.data_dir);
    let mut c = Client::new(
        crate::common::app(actix_web::web::Data::new(AppState::new(cfg.clone()))).await,
    );
    let fields = anonymous_form(&mut c).await;
    let all: Vec<(&str, &str)> = fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    // A double tap, then a reload of the result (the browser sends it again).
    let mut receipts = Vec::new();
    for _ in 0..3 {
        let res = c
            .post_multipart("/report/crime", &all, &[("anh.png", PNG)])
            .await;
        let res = receipt_of(&mut c, res).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let marker = "id=\"tracking-secret\">";
        let start = res.body.find(marker).expect("the secret shown") + marker.len();
        receipts.push((code_of(&res.body), res.body[start..start + 10].to_owned()));
    }
    assert!(receipts.iter().all(|r| *r == receipts[0]), "{receipts:?}");
    assert_eq!(db.count("SELECT count(*) AS n FROM submissions"), 1);
    assert_eq!(db.count("SELECT count(*) AS n FROM submission_files"), 1);
    assert_eq!(files_in(&dir), 1, "the files sent again are not kept");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM email_outbox WHERE kind = 'submission_new'"),
        1,
        "one notice per person for one report"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'submission_create'"),
        1
    );
    // The secret shown every time is the one that works.
    let (code, secret) = &receipts[0];
    let mut t = client(&db).await;
    t.get("/track").await;
    let ok = t.post("/track", &[("code", code), ("proof", secret)]).await;
    assert!(ok.body.contains("name=\"grant\""), "{}", ok.body);
    // A new form is a new report.
    let res = send(&mut c, "crime", &crime(&[]), &[]).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_ne!(code_of(&res.body), *code);
    assert_eq!(db.count("SELECT count(*) AS n FROM submissions"), 2);
    let _ = std::fs::remove_dir_all(&cfg.data_dir);
}

#[actix_web::test]
async fn the_receipt_has_an_address_to_reload_and_the_secret_shows_once() {
    let db = TestDb::new();
    let mut c = client(&db).await;
    let fields = anonymous_form(&mut c).await;
    let all: Vec<(&str, &str)> = fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let sent = c.post_multipart("/report/crime", &all, &[]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let address = sent.location().to_owned();
    assert!(address.starts_with("/report/receipt/"), "{address}");
    assert!(
        !sent.header("set-cookie").is_empty(),
        "the secret goes along in a cookie"
    );
    let first = c.get(&address).await;
    assert_eq!(first.status, StatusCode::OK);
    let code = code_of(&first.body);
    assert!(
        first.body.contains("id=\"tracking-secret\""),
        "the secret on the first view"
    );
    // Reloaded (or bookmarked and opened later): the receipt, without the secret.
    let again = c.get(&address).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(code_of(&again.body), code);
    assert!(
        !again.body.contains("id=\"tracking-secret\""),
        "the secret only once"
    );
    // Another browser with the address sees the receipt, never the secret.
    let mut other = client(&db).await;
    let theirs = other.get(&address).await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(!theirs.body.contains("id=\"tracking-secret\""));
    // An address not made here is not a receipt.
    for bad in [
        "/report/receipt/x",
        "/report/receipt/ABCDEFGHJKMNP.99999999999.00",
    ] {
        assert_eq!(c.get(bad).await.status, StatusCode::NOT_FOUND, "{bad}");
    }
    let forged = address.replacen(&code.replace('-', "")[..4], "2222", 1);
    assert_eq!(c.get(&forged).await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn an_on_duty_officer_finds_a_report_by_what_the_caller_says() {
    let db = TestDb::new();
    let mut c = client(&db).await;
    let res = send(&mut c, "crime", &crime(&[]), &[]).await;
    let code = code_of(&res.body);
    let other = send(
        &mut c,
        "crime",
        &crime(&[
            ("reporter_name", "Lê Văn Cường"),
            ("reporter_phone", "0903 111 222"),
            ("reporter_email", "cuong@example.vn"),
            ("summary", "Bị chiếm tài khoản Facebook"),
        ]),
        &[],
    )
    .await;
    assert_eq!(other.status, StatusCode::OK);
    let first = db.count("SELECT min(id) AS n FROM submissions");

    let (mut o, oid) = signed_in(&db, "officer").await;
    assert_eq!(
        o.get(&format!("/intake?q={code}")).await.status,
        StatusCode::FORBIDDEN
    );
    db.exec(&format!("UPDATE users SET on_duty = true WHERE id = {oid}"));
    let found = |body: &str, summary: &str| {
        let results = &body[body.find("id=\"q-hint\"").unwrap_or(0)..];
        let results = &results[..results.find("<h2>Trình báo chờ").unwrap_or(results.len())];
        results.contains(summary)
    };
    // The tracking code as read out over the phone: any case, with or without dashes.
    let by_code = o
        .get(&format!(
            "/intake?q={}",
            code.to_lowercase().replace('-', "%20")
        ))
        .await;
    assert_eq!(by_code.status, StatusCode::OK);
    assert!(
        found(&by_code.body, "Bị giả danh công an lừa chuyển tiền"),
        "{}",
        by_code.body
    );
    assert!(!found(&by_code.body, "Bị chiếm tài khoản Facebook"));
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'submission_search'"),
        0
    );
    // The phone however it is written, the e-mail in any case, the name without
    // its diacritics: each search of who reported is in the audit log.
    for q in [
        "%2B84903111222",
        "0903-111-222",
        "CUONG%40example.vn",
        "le%20van%20cuong",
    ] {
        let res = o.get(&format!("/intake?q={q}")).await;
        assert_eq!(res.status, StatusCode::OK, "{q}");
        assert!(found(&res.body, "Bị chiếm tài khoản Facebook"), "{q}");
        assert!(!found(&res.body, "Bị giả danh công an"), "{q}");
    }
    assert_eq!(
        db.count(&format!("SELECT count(*) AS n FROM audit_log WHERE action = 'submission_search' AND actor_id = {oid}")),
        4
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'submission_search' AND detail->>'by' = 'name' AND detail->>'query' = 'le van cuong'"),
        1
    );
    // LIKE's own characters are only characters.
    let res = o.get("/intake?q=%25").await;
    assert!(!found(&res.body, "Bị chiếm"), "'%' matches no name");
    // Triaged reports list where each went.
    let res = o
        .post(
            &format!("/intake/{first}/case"),
            &[
                ("case_type", "crime_report"),
                ("category_id", "2"),
                ("severity", "high"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let reference = res.location().trim_start_matches("/cases/").to_owned();
    let triaged = o.get("/intake?show=triaged").await;
    assert!(found(&triaged.body, "Bị giả danh công an lừa chuyển tiền"));
    assert!(
        triaged
            .body
            .contains(&format!("href=\"/cases/{reference}\"")),
        "the case it went to"
    );
    assert!(
        !found(&triaged.body, "Bị chiếm tài khoản Facebook"),
        "still waiting"
    );
    // Kind and dates filter; a date that cannot be read says so.
    let res = o.get("/intake?kind=breach").await;
    assert!(res.body.contains("Không có trình báo nào khớp"));
    let res = o
        .get("/intake?from=2020-01-01&to=2099-12-31&kind=crime")
        .await;
    assert!(found(&res.body, "Bị chiếm tài khoản Facebook"));
    let res = o.get("/intake?from=hom-qua").await;
    assert!(res.body.contains("Một số bộ lọc không hợp lệ"));
    // Spam is a supervisor's list.
    assert_eq!(
        o.get("/intake?show=spam&q=x").await.status,
        StatusCode::FORBIDDEN
    );
}

/// Each person hears of a new report as they chose (at once, hourly, daily;
/// by default at once for on-duty officers and hourly for supervisors), and
/// never more than once per report whatever they switch to.
#[actix_web::test]
async fn each_person_hears_of_a_report_once_as_they_chose() {
    use cyberdesk::models::user::ReportNotice;
    let db = TestDb::new();
    let user = |email: &str, role: &str, sql: &str| {
        let id = db.user(email, role, crate::common::PASSWORD);
        if !sql.is_empty() {
            db.exec(&format!("UPDATE users SET {sql} WHERE id = {id}"));
        }
        id
    };
    let sup_hourly = user("ld1@pa05.test.vn", "supervisor", "");
    let sup_daily = user("ld2@pa05.test.vn", "supervisor", "report_notice = 'daily'");
    let duty_now = user("cb1@pa05.test.vn", "officer", "on_duty = true");
    let duty_hourly = user(
        "cb2@pa05.test.vn",
        "officer",
        "on_duty = true, report_notice = 'hourly'",
    );
    let off_duty = user("cb3@pa05.test.vn", "officer", "");
    let mut c = client(&db).await;
    let res = send(&mut c, "crime", &crime(&[]), &[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let first = db.count("SELECT max(id) AS n FROM submissions");
    let mails = |kind: &str, to: i64| {
        db.count(&format!(
            "SELECT count(*) AS n FROM email_outbox WHERE kind = '{kind}' AND recipient_user_id = {to}"
        ))
    };
    // At once: only the on-duty officer on the default.
    for (to, n) in [
        (duty_now, 1),
        (sup_hourly, 0),
        (sup_daily, 0),
        (duty_hourly, 0),
        (off_duty, 0),
    ] {
        assert_eq!(mails("submission_new", to), n, "immediate mail to {to}");
    }

    // The hourly summary: the default supervisor and the officer who chose it.
    let cfg = db.config();
    let pool = cyberdesk::db::build_pool(&db.url, 2, cfg.db_timeout);
    let end = chrono::Utc::now() + chrono::Duration::minutes(1);
    let summaries = |cadence, end| {
        cyberdesk::services::notify::queue_summaries(&pool, &cfg, cadence, (1, cfg.time_zone), end)
            .expect("summary")
    };
    assert_eq!(summaries(ReportNotice::Hourly, end), 2);
    // The same period again (another instance): nothing.
    assert_eq!(summaries(ReportNotice::Hourly, end), 0);
    let summary = |extra: &str| {
        db.count(&format!(
            "SELECT count(*) AS n FROM email_outbox WHERE kind = 'report_summary' AND recipient_user_id = {sup_hourly} AND {extra}"
        ))
    };
    assert_eq!(
        summary(&format!(
            "body_text LIKE '%#{first}%' AND body_text LIKE '%/intake/{first}%'"
        )),
        1
    );
    assert_eq!(
        summary("(body_text LIKE '%Bích%' OR body_text LIKE '%0987%')"),
        0,
        "no personal data"
    );

    // The officer mailed at once switches to hourly (audited): the next
    // summary does not tell them of the same report again.
    let mut o = client(&db).await;
    assert_eq!(
        o.login("cb1@pa05.test.vn", crate::common::PASSWORD)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let saved = o
        .post(
            "/profile/mail",
            &[("on", "submission"), ("report_notice", "hourly")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(
        db.count(&format!("SELECT count(*) AS n FROM audit_log WHERE action = 'profile_mail_prefs' AND actor_id = {duty_now} AND detail->>'report_notice' = 'hourly'")),
        1
    );
    let later = end + chrono::Duration::hours(1);
    assert_eq!(
        summaries(ReportNotice::Hourly, later),
        0,
        "everyone hourly was already told of it"
    );
    // A value the page does not offer: refused, nothing changed.
    let bad = o
        .post(
            "/profile/mail",
            &[("on", "submission"), ("report_notice", "weekly")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM users WHERE id = {duty_now} AND report_notice = 'hourly'"
        )),
        1
    );

    // The daily summary: the supervisor who chose it.
    assert_eq!(summaries(ReportNotice::Daily, later), 1);
    assert_eq!(mails("report_summary", sup_daily), 1);
    // One mail per person per report, whatever the route.
    assert_eq!(
        db.count("SELECT count(*) AS n FROM (SELECT recipient_user_id FROM email_outbox WHERE kind IN ('submission_new', 'report_summary') GROUP BY recipient_user_id HAVING count(*) > 1) t"),
        0
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM email_outbox WHERE kind IN ('submission_new', 'report_summary')"),
        4
    );
    assert_eq!(
        mails("report_summary", off_duty) + mails("submission_new", off_duty),
        0
    );
}

/// A unit whose clocks read another zone hears of its reports in that zone's
/// times, its daily summary comes at the digest hour there, and each unit's
/// summary is its own: its staff only, claimed once per unit.
#[actix_web::test]
async fn report_mails_and_summaries_read_the_units_own_clock() {
    use cyberdesk::models::user::ReportNotice;
    use cyberdesk::services::notify::{queue_summaries, summary_due};
    let db = TestDb::new();
    db.exec("UPDATE units SET time_zone = 'Asia/Tokyo' WHERE id = 1");
    let tokyo: chrono_tz::Tz = "Asia/Tokyo".parse().expect("zone");
    let duty = db.user("cb1@pa05.test.vn", "officer", crate::common::PASSWORD);
    db.exec(&format!(
        "UPDATE users SET on_duty = true WHERE id = {duty}"
    ));
    let daily = db.user("ld@pa05.test.vn", "supervisor", crate::common::PASSWORD);
    db.exec(&format!(
        "UPDATE users SET report_notice = 'daily' WHERE id = {daily}"
    ));
    let other = crate::units::add_unit(&db, "DNG", "DNG", "Công an TP Đà Nẵng").await;
    let theirs = db.user("ld@dng.test.vn", "supervisor", crate::common::PASSWORD);
    db.exec(&format!(
        "UPDATE users SET report_notice = 'daily', unit_id = {other} WHERE id = {theirs}"
    ));

    let mut c = client(&db).await;
    let res = send(&mut c, "crime", &crime(&[]), &[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    #[derive(diesel::QueryableByName)]
    struct At {
        #[diesel(sql_type = diesel::sql_types::Timestamptz)]
        at: chrono::DateTime<chrono::Utc>,
    }
    use diesel::RunQueryDsl;
    let received = diesel::sql_query("SELECT received_at AS at FROM submissions")
        .get_result::<At>(&mut db.conn())
        .expect("received")
        .at;
    let in_tokyo = cyberdesk::i18n::fmt_datetime(&received, tokyo);
    let in_hcm = cyberdesk::i18n::fmt_datetime(&received, db.config().time_zone);
    assert_ne!(in_tokyo, in_hcm);
    let body = |to: i64, kind: &str| {
        db.count(&format!(
            "SELECT count(*) AS n FROM email_outbox WHERE recipient_user_id = {to} AND kind = '{kind}'
             AND body_text LIKE '%{in_tokyo}%' AND body_text NOT LIKE '%{in_hcm}%'"
        ))
    };
    assert_eq!(
        body(duty, "submission_new"),
        1,
        "the report's time in Tokyo"
    );

    // The daily period ends at the digest hour in Tokyo, not in Hà Nội.
    let cfg = db.config();
    let now = chrono::Utc::now();
    let end = summary_due(&cfg, ReportNotice::Daily, tokyo, now).expect("due");
    assert_eq!(
        end.with_timezone(&tokyo).format("%H:%M").to_string(),
        format!("{:02}:00", cfg.mail.digest_hour)
    );
    assert_ne!(
        Some(end),
        summary_due(&cfg, ReportNotice::Daily, cfg.time_zone, now)
    );
    let pool = cyberdesk::db::build_pool(&db.url, 2, cfg.db_timeout);
    let later = now + chrono::Duration::minutes(1);
    let queue = |unit: i32| {
        queue_summaries(&pool, &cfg, ReportNotice::Daily, (unit, tokyo), later).expect("summary")
    };
    assert_eq!(queue(1), 1, "the unit's daily supervisor");
    assert_eq!(body(daily, "report_summary"), 1, "its times in Tokyo");
    assert_eq!(queue(1), 0, "claimed once");
    // The other unit's period is its own to claim, and it has no reports.
    assert_eq!(queue(other as i32), 0);
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM report_summary_runs WHERE unit_id IN (1, {other})"
        )),
        2
    );
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM email_outbox WHERE recipient_user_id = {theirs}"
        )),
        0,
        "nobody hears of another unit's reports"
    );
}
