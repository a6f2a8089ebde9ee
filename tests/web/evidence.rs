//! Case evidence: streamed uploads, the chain of custody, re-hashed downloads,
//! tampering detected, withdrawal, hand-over, the custody report, limits and
//! permissions.

use actix_web::http::StatusCode;
use sha2::{Digest, Sha256};

use crate::cases::{create, me, user_with_team};
use crate::common::{app, signed_in, AppService, Client, Resp, TestDb, PASSWORD};
use cyberdesk::AppState;

pub(crate) const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// Attaches `PDF` to the case as a bank statement ("sao kê.pdf"), as the
/// officer signed in on `c`.
pub(crate) async fn attach_statement<S: AppService>(c: &mut Client<S>, reference: &str) -> Resp {
    c.post_files(
        &format!("/cases/{reference}/exhibits"),
        &[("kind", "evidence"), ("description", "Sao kê")],
        "file",
        &[("sao kê.pdf", PDF)],
    )
    .await
}

/// A client with its own evidence folder (so files on disk can be checked).
async fn client_with_dir(
    db: &TestDb,
    email: &str,
) -> (Client<impl crate::common::AppService>, std::path::PathBuf) {
    let mut cfg = db.config();
    let dir = std::env::temp_dir().join(format!(
        "cyberdesk-evidence-{}",
        cyberdesk::domain::token::random_alnum(10).to_lowercase()
    ));
    cfg.data_dir = dir.clone();
    let mut c = Client::new(app(actix_web::web::Data::new(AppState::new(cfg))).await);
    let res = c.login(email, PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    (c, dir)
}

fn evidence_files(dir: &std::path::Path) -> Vec<(String, u64)> {
    std::fs::read_dir(dir.join("evidence"))
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        e.metadata().map(|m| m.len()).unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[actix_web::test]
async fn an_officer_attaches_evidence_and_every_step_is_in_the_custody_log() {
    let db = TestDb::new();
    let oid = user_with_team(&db, "lan@pa05.test.vn", "officer", "Đội 1");
    let reference = create(&db, &me(&db, oid), &[]);
    let (mut c, dir) = client_with_dir(&db, "lan@pa05.test.vn").await;
    let page = c.get(&format!("/cases/{reference}")).await;
    assert!(page.body.contains("Chưa có chứng cứ nào"), "empty state");

    let res = c
        .post_files(
            &format!("/cases/{reference}/exhibits"),
            &[
                ("kind", "evidence"),
                ("exhibit_no", "VC-01"),
                ("seal_no", "NP-123"),
                ("description", "Sao kê tài khoản do bị hại cung cấp"),
            ],
            "file",
            &[("sao kê.pdf", PDF)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let xid = db.count("SELECT max(id) AS n FROM exhibits");
    assert_eq!(res.location(), format!("/cases/{reference}/exhibits/{xid}"));
    let sha = cyberdesk::domain::token::hex(&Sha256::digest(PDF));
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM exhibits WHERE sha256 = '{sha}' AND size_bytes = {} AND detected_type = 'application/pdf' AND original_name = 'sao kê.pdf' AND exhibit_no = 'VC-01' AND seal_no = 'NP-123' AND source = 'officer' AND received_by = {oid}", PDF.len())), 1);
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM custody_events WHERE exhibit_id = {xid} AND action = 'received' AND actor_id = {oid} AND sha256_seen = '{sha}'")), 1);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM case_events WHERE kind = 'exhibit'"),
        1
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'exhibit_add'"),
        1
    );
    // Stored outside the web root by a random id, never under its sent name.
    let files = evidence_files(&dir);
    assert_eq!(files.len(), 1);
    assert!(files[0].0.len() == 32 && !files[0].0.contains("pdf"));

    // Opening its page is logged.
    let page = c.get(&format!("/cases/{reference}/exhibits/{xid}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&sha));
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM custody_events WHERE exhibit_id = {xid} AND action = 'viewed'")), 1);

    // A download needs a stated purpose.
    let url = format!("/cases/{reference}/exhibits/{xid}/download");
    let res = c.post(&url, &[("purpose", " ")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Ghi mục đích"));
    let res = c
        .post(&url, &[("purpose", "Gửi giám định kỹ thuật số")])
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body.as_bytes(), PDF);
    assert!(res.header("content-disposition").starts_with("attachment;"));
    assert!(res.header("content-disposition").contains("sao%20k"));
    assert_eq!(res.header("x-content-type-options"), "nosniff");
    assert!(res.header("content-security-policy").contains("sandbox"));
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM custody_events WHERE exhibit_id = {xid} AND action = 'downloaded' AND hash_ok AND purpose = 'Gửi giám định kỹ thuật số' AND actor_id = {oid} AND ip = '203.0.113.7'")), 1);

    // Re-verification, then a hand-over.
    let res = c
        .post(&format!("/cases/{reference}/exhibits/{xid}/verify"), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM custody_events WHERE exhibit_id = {xid} AND action = 'verified' AND hash_ok")), 1);
    let res = c
        .post(
            &format!("/cases/{reference}/exhibits/{xid}/export"),
            &[("recipient", ""), ("purpose", "x")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let res = c
        .post(
            &format!("/cases/{reference}/exhibits/{xid}/export"),
            &[
                ("recipient", "Viện KSND tỉnh"),
                ("purpose", "Chuyển hồ sơ đề nghị truy tố"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM custody_events WHERE exhibit_id = {xid} AND action = 'exported' AND detail = 'Viện KSND tỉnh'")), 1);

    // Withdrawal needs a reason; afterwards the exhibit stays listed but
    // cannot be downloaded, and the file is still there.
    let wurl = format!("/cases/{reference}/exhibits/{xid}/withdraw");
    assert_eq!(
        c.post(&wurl, &[("reason", "")]).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let res = c
        .post(&wurl, &[("reason", "Nộp nhầm tệp của vụ khác")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        c.post(&wurl, &[("reason", "lần hai")]).await.status,
        StatusCode::CONFLICT
    );
    let res = c.post(&url, &[("purpose", "Xem lại")]).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM custody_events WHERE exhibit_id = {xid} AND action = 'downloaded'")), 1);
    let page = c.get(&format!("/cases/{reference}")).await;
    assert!(page.body.contains("sao kê.pdf") && page.body.contains("Đã rút"));
    assert_eq!(evidence_files(&dir).len(), 1, "files are never deleted");

    // The printable custody report has the exhibit, its hash and every step.
    let report = c.get(&format!("/cases/{reference}/custody")).await;
    assert_eq!(report.status, StatusCode::OK);
    for text in [
        sha.as_str(),
        "VC-01",
        "Tiếp nhận",
        "Tải về",
        "Kiểm tra mã băm",
        "Bàn giao",
        "Rút",
        "Gửi giám định kỹ thuật số",
        "Nộp nhầm tệp của vụ khác",
    ] {
        assert!(report.body.contains(text), "custody report lacks {text}");
    }
    assert!(report.body.contains("print.css"));

    // The log and the record cannot be rewritten, even from SQL.
    let mut conn = db.conn();
    use diesel::RunQueryDsl;
    assert!(diesel::sql_query("UPDATE custody_events SET purpose = 'x'")
        .execute(&mut conn)
        .is_err());
    assert!(diesel::sql_query("DELETE FROM custody_events")
        .execute(&mut conn)
        .is_err());
    assert!(diesel::sql_query("DELETE FROM exhibits")
        .execute(&mut conn)
        .is_err());
    assert!(diesel::sql_query(format!(
        "UPDATE exhibits SET sha256 = repeat('0', 64) WHERE id = {xid}"
    ))
    .execute(&mut conn)
    .is_err());
    assert!(diesel::sql_query(format!(
        "UPDATE exhibits SET withdrawn_reason = 'khác' WHERE id = {xid}"
    ))
    .execute(&mut conn)
    .is_err());
    let _ = std::fs::remove_dir_all(dir);
}

#[actix_web::test]
async fn a_file_changed_on_disk_is_detected_and_never_served() {
    let db = TestDb::new();
    let oid = user_with_team(&db, "lan@pa05.test.vn", "officer", "Đội 1");
    let reference = create(&db, &me(&db, oid), &[]);
    let (mut c, dir) = client_with_dir(&db, "lan@pa05.test.vn").await;
    c.get(&format!("/cases/{reference}")).await;
    let res = c
        .post_files(
            &format!("/cases/{reference}/exhibits"),
            &[],
            "file",
            &[("log.txt", b"2026-11-01 10:00 login from 203.0.113.9\n")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let xid = db.count("SELECT max(id) AS n FROM exhibits");
    let (name, _) = evidence_files(&dir).pop().expect("stored");
    std::fs::write(
        dir.join("evidence").join(&name),
        b"2026-11-01 10:00 login from 198.51.100.1\n",
    )
    .expect("tamper");

    c.get(&format!("/cases/{reference}/exhibits/{xid}")).await;
    let res = c
        .post(
            &format!("/cases/{reference}/exhibits/{xid}/download"),
            &[("purpose", "Đối chiếu")],
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(!res.body.contains("198.51.100.1"), "nothing of it served");
    assert!(res.body.contains("không còn khớp mã băm"));
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM custody_events WHERE exhibit_id = {xid} AND action = 'refused' AND hash_ok = false AND sha256_seen IS NOT NULL AND sha256_seen <> (SELECT sha256 FROM exhibits WHERE id = {xid})")), 1);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM custody_events WHERE action = 'downloaded'"),
        0
    );

    let res = c
        .post(&format!("/cases/{reference}/exhibits/{xid}/verify"), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM custody_events WHERE exhibit_id = {xid} AND action = 'verified' AND hash_ok = false")), 1);
    let page = c.get(res.location()).await;
    assert!(page.body.contains("CẢNH BÁO"));

    // A file gone from storage is refused and logged the same way.
    std::fs::remove_file(dir.join("evidence").join(&name)).expect("remove");
    let res = c
        .post(
            &format!("/cases/{reference}/exhibits/{xid}/download"),
            &[("purpose", "Đối chiếu")],
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM custody_events WHERE exhibit_id = {xid} AND action = 'refused' AND sha256_seen IS NULL")), 1);
    let _ = std::fs::remove_dir_all(dir);
}

#[actix_web::test]
async fn uploads_are_limited_while_streaming_and_bad_forms_leave_nothing() {
    let db = TestDb::new();
    let oid = user_with_team(&db, "lan@pa05.test.vn", "officer", "Đội 1");
    let reference = create(&db, &me(&db, oid), &[]);
    let (mut c, dir) = client_with_dir(&db, "lan@pa05.test.vn").await;
    c.get(&format!("/cases/{reference}")).await;
    let url = format!("/cases/{reference}/exhibits");

    // Over the 2 MB test limit: refused while streaming, no row, no file.
    let big = vec![b'a'; 3 * 1024 * 1024];
    let res = c.post_files(&url, &[], "file", &[("big.txt", &big)]).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(db.count("SELECT count(*) AS n FROM exhibits"), 0);
    assert!(evidence_files(&dir).is_empty(), "no partial file left");

    // Empty file, no file, bad kind, over-long labels: a clear error each,
    // nothing kept.
    let res = c.post_files(&url, &[], "file", &[("empty.txt", b"")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Tệp rỗng"));
    let res = c
        .post_files(&url, &[("kind", "evidence")], "file", &[])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Chọn tệp cần tải lên"));
    let res = c
        .post_files(&url, &[("kind", "weapon")], "file", &[("a.pdf", PDF)])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let long = "x".repeat(41);
    let res = c
        .post_files(&url, &[("exhibit_no", &long)], "file", &[("a.pdf", PDF)])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Tối đa 40 ký tự"));
    assert_eq!(db.count("SELECT count(*) AS n FROM exhibits"), 0);
    assert!(evidence_files(&dir).is_empty(), "refused files are removed");

    // Exhibit numbers are unique within a case.
    let ok = c
        .post_files(&url, &[("exhibit_no", "VC-01")], "file", &[("a.pdf", PDF)])
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    c.get(&format!("/cases/{reference}")).await;
    let dup = c
        .post_files(&url, &[("exhibit_no", "VC-01")], "file", &[("b.pdf", PDF)])
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.body.contains("Số hiệu này đã được dùng"));
    assert_eq!(db.count("SELECT count(*) AS n FROM exhibits"), 1);
    assert_eq!(evidence_files(&dir).len(), 1);

    // Any type an officer holds is accepted (it is only ever an attachment).
    let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00malware sample";
    let res = c
        .post_files(&url, &[], "file", &[("sample.exe", exe)])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM exhibits WHERE original_name = 'sample.exe' AND detected_type <> 'text/plain'"),
        1
    );

    // The token must be the body's first part: after the file it is refused,
    // and nothing of the file is written.
    let token = c.csrf.clone().expect("token");
    let res = c
        .post_parts(
            &url,
            &[
                crate::common::Part::file("file", "d.pdf", PDF),
                crate::common::Part::field("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(db.count("SELECT count(*) AS n FROM exhibits"), 2);
    assert_eq!(evidence_files(&dir).len(), 2, "no file written for it");

    // Without the CSRF token nothing is read.
    c.csrf = Some("wrong".into());
    let res = c.post_files(&url, &[], "file", &[("c.pdf", PDF)]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(db.count("SELECT count(*) AS n FROM exhibits"), 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[actix_web::test]
async fn evidence_follows_case_permissions() {
    let db = TestDb::new();
    let a = user_with_team(&db, "a@pa05.test.vn", "officer", "Đội 1");
    user_with_team(&db, "b@pa05.test.vn", "officer", "Đội 2");
    let reference = create(&db, &me(&db, a), &[]);
    let (mut ca, dir) = client_with_dir(&db, "a@pa05.test.vn").await;
    ca.get(&format!("/cases/{reference}")).await;
    let res = ca
        .post_files(
            &format!("/cases/{reference}/exhibits"),
            &[],
            "file",
            &[("a.pdf", PDF)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let xid = db.count("SELECT max(id) AS n FROM exhibits");

    // Another team's officer: the case and its evidence do not exist for them.
    let (mut cb, dir_b) = client_with_dir(&db, "b@pa05.test.vn").await;
    cb.get("/cases").await;
    assert_eq!(
        cb.get(&format!("/cases/{reference}/exhibits/{xid}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        cb.post(
            &format!("/cases/{reference}/exhibits/{xid}/download"),
            &[("purpose", "tò mò")]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let res = cb
        .post_files(
            &format!("/cases/{reference}/exhibits"),
            &[],
            "file",
            &[("x.pdf", PDF)],
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(evidence_files(&dir_b).is_empty(), "nothing stored for them");
    // An exhibit of another case is not reachable through this one.
    let other = create(&db, &me(&db, a), &[]);
    assert_eq!(
        ca.get(&format!("/cases/{other}/exhibits/{xid}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // A viewer who may not work the case (a watcher from another team, once
    // someone is assigned) may read and download but not add or withdraw.
    let (mut sup, _) = signed_in(&db, "supervisor").await;
    assert_eq!(
        sup.get(&format!("/cases/{reference}/exhibits/{xid}"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM custody_events WHERE action = 'viewed'"),
        1
    );
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(dir_b);
}

#[actix_web::test]
async fn evidence_kept_in_an_s3_bucket_is_verified_and_served_the_same_way() {
    let s3 = crate::common::s3::S3Server::start();
    let db = TestDb::new();
    let oid = user_with_team(&db, "lan@pa05.test.vn", "officer", "Đội 1");
    let reference = create(&db, &me(&db, oid), &[]);
    let mut cfg = db.config();
    let dir = std::env::temp_dir().join(format!(
        "cyberdesk-s3-{}",
        cyberdesk::domain::token::random_alnum(10).to_lowercase()
    ));
    cfg.data_dir = dir.clone();
    cfg.s3 = Some(s3.config());
    let mut c = Client::new(app(actix_web::web::Data::new(AppState::new(cfg))).await);
    c.login("lan@pa05.test.vn", PASSWORD).await;
    c.get(&format!("/cases/{reference}")).await;
    // 3 MB in 1 MB batches, so the object goes up in parts.
    let big: Vec<u8> = (0..3 * 1024 * 1024u32)
        .map(|i| b'a' + (i % 26) as u8)
        .collect();
    let mut c2 = c;
    let res = c2
        .post_files(
            &format!("/cases/{reference}/exhibits"),
            &[],
            "file",
            &[("pcap.bin", &big[..1024 * 1024 + 17])],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let (xid, storage_id) = {
        use cyberdesk::db::schema::exhibits;
        use diesel::prelude::*;
        exhibits::table
            .order(exhibits::id.desc())
            .select((exhibits::id, exhibits::storage_id))
            .first::<(i64, String)>(&mut db.conn())
            .expect("exhibit")
    };
    // In the bucket, not on local disk.
    assert_eq!(
        s3.object(&storage_id).as_deref(),
        Some(&big[..1024 * 1024 + 17])
    );
    assert!(evidence_files(&dir).is_empty(), "no local copy left");

    c2.get(&format!("/cases/{reference}/exhibits/{xid}")).await;
    let url = format!("/cases/{reference}/exhibits/{xid}/download");
    let res = c2.post(&url, &[("purpose", "Giám định")]).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body.len(), 1024 * 1024 + 17);
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM custody_events WHERE action = 'downloaded' AND hash_ok"
        ),
        1
    );

    // Someone changes the object in the bucket: refused and logged.
    let (status, _) = s3.raw(
        "PUT",
        &format!("/{}/evidence/{storage_id}", s3.bucket),
        b"replaced",
    );
    assert_eq!(status, 200);
    let res = c2.post(&url, &[("purpose", "Giám định lại")]).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM custody_events WHERE action = 'refused' AND NOT hash_ok"
        ),
        1
    );
    let res = c2
        .post(&format!("/cases/{reference}/exhibits/{xid}/verify"), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM custody_events WHERE action = 'verified' AND NOT hash_ok"
        ),
        1
    );
    // Nothing is spooled locally after the downloads.
    assert_eq!(
        std::fs::read_dir(dir.join("spool"))
            .map(|d| d.count())
            .unwrap_or(0),
        0
    );
    // A refused form leaves nothing in the bucket either.
    let res = c2
        .post_files(
            &format!("/cases/{reference}/exhibits"),
            &[("kind", "bogus")],
            "file",
            &[("x.bin", &big[..10])],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, listing) = s3.raw("GET", &format!("/{}?list-type=2", s3.bucket), b"");
    let listing = String::from_utf8_lossy(&listing);
    assert_eq!(listing.matches("<Key>").count(), 1, "{listing}");
    let _ = std::fs::remove_dir_all(dir);
}
