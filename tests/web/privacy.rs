//! Personal data looked up for a purpose (docs/domain.md §19): searches by a
//! reporter's details are audited with their purpose, a victim's own
//! identifiers are masked until revealed, and a reporter's request about
//! their data reaches the officer as a task.

use actix_web::http::StatusCode;

use crate::cases::{create, me};
use crate::common::{client, signed_in, TestDb};
use crate::portal::{code_of, crime, hidden, send};

fn audits(db: &TestDb, action: &str) -> i64 {
    db.count(&format!(
        "SELECT count(*) AS n FROM audit_log WHERE action = '{action}'"
    ))
}

#[actix_web::test]
async fn searches_by_a_reporter_are_audited_with_their_purpose() {
    let db = TestDb::new();
    let (mut c, sup) = signed_in(&db, "supervisor").await;
    let reference = create(&db, &me(&db, sup), &[]);

    // By the reporter's phone: found, and audited with the default purpose.
    let res = c.get("/cases?q=0912%20345%20678").await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains(&reference));
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'case_search_reporter' AND detail->>'purpose' = 'verification' AND detail->>'cases' = '1'"),
        1
    );
    let res = c
        .get("/cases?q=Nguyen%20Van%20An&purpose=data_request")
        .await;
    assert!(res.body.contains(&reference));
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'case_search_reporter' AND detail->>'purpose' = 'data_request' AND detail->>'query' = 'Nguyen Van An'"),
        1
    );
    // By what the case is about: no personal data searched, nothing logged.
    let res = c.get("/cases?q=Telegram").await;
    assert!(res.body.contains(&reference));
    // By the suspect's account: not the reporter either.
    let res = c.get("/cases?q=0011004455667").await;
    assert!(res.body.contains(&reference));
    assert_eq!(audits(&db, "case_search_reporter"), 2);
    // The reporter's name mixed with words of the case: still a search of them.
    let res = c.get("/cases?q=Nguyen%20Telegram").await;
    assert!(res.body.contains(&reference));
    assert_eq!(audits(&db, "case_search_reporter"), 3);
    // A purpose nobody knows: the filter is refused and the reporter's cases
    // are left out.
    let res = c.get("/cases?q=0912345678&purpose=curiosity").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Một số bộ lọc không hợp lệ"));
    assert!(!res.body.contains(&format!("href=\"/cases/{reference}\"")));
    assert_eq!(audits(&db, "case_search_reporter"), 3);

    // Identifiers: the reporter's own phone is victim data; the suspect's is not.
    let res = c
        .get("/identifiers?q=0912345678&purpose=agency_request")
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'identifier_search_victim' AND detail->>'purpose' = 'agency_request'"),
        1
    );
    c.get("/identifiers?q=0011004455667").await;
    assert_eq!(audits(&db, "identifier_search_victim"), 1);
    // The reporter's phone's own page lists the cases it is a victim's in.
    let victim = db.count("SELECT i.id AS n FROM identifiers i JOIN identifier_links l ON l.identifier_id = i.id WHERE l.role = 'victim' LIMIT 1");
    assert_eq!(
        c.get(&format!("/identifiers/{victim}")).await.status,
        StatusCode::OK
    );
    assert_eq!(audits(&db, "identifier_view_victim"), 1);
    let res = c.get(&format!("/identifiers/{victim}?purpose=bogus")).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(audits(&db, "identifier_view_victim"), 1);
    let res = c.get("/identifiers?q=0912345678&purpose=bogus").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(audits(&db, "identifier_search_victim"), 1);

    // The case page masks the victim's identifier until the reporter is shown.
    let page = c.get(&format!("/cases/{reference}")).await;
    assert!(page.body.contains("+849••••••78"), "masked");
    assert!(!page.body.contains(">+84912345678<"));
    assert!(
        page.body.contains("0011004455667"),
        "suspects' identifiers shown"
    );
    let views = audits(&db, "case_reporter_view");
    let page = c.get(&format!("/cases/{reference}?reporter=1")).await;
    assert!(page.body.contains("+84912345678"));
    assert_eq!(
        audits(&db, "case_reporter_view"),
        views + 1,
        "revealing is logged"
    );
    // Its export counts the victim's identifiers in its audit row.
    let csv = c.get(&format!("/cases/{reference}/identifiers.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'identifiers_export_csv' AND detail->>'victim_identifiers' = '1'"),
        1
    );

    // Intake: a search by who reported says why.
    let mut public = client(&db).await;
    send(&mut public, "crime", &crime(&[]), &[]).await;
    let oid = db.user("truc@pa05.test.vn", "officer", crate::common::PASSWORD);
    db.exec(&format!("UPDATE users SET on_duty = true WHERE id = {oid}"));
    let mut o = client(&db).await;
    o.login("truc@pa05.test.vn", crate::common::PASSWORD).await;
    let res = o.get("/intake?q=0987654321&purpose=agency_request").await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'submission_search' AND detail->>'purpose' = 'agency_request'"),
        1
    );
    let res = o.get("/intake?q=0987654321&purpose=bogus").await;
    assert!(res.body.contains("Một số bộ lọc không hợp lệ"));
    assert!(
        res.body.contains("Không có trình báo nào khớp"),
        "nothing searched"
    );
    assert_eq!(audits(&db, "submission_search"), 1);
}

#[actix_web::test]
async fn a_reporters_request_about_their_data_is_a_task_answered_on_the_tracking_page() {
    let db = TestDb::new();
    let mut public = client(&db).await;
    let res = send(&mut public, "crime", &crime(&[]), &[]).await;
    let code = code_of(&res.body);
    let sid = db.count("SELECT max(id) AS n FROM submissions");
    let (mut sup, sup_id) = signed_in(&db, "supervisor").await;
    let reference = crate::portal::to_case(&mut sup, sid).await;
    db.exec(&format!(
        "UPDATE cases SET assignee_id = {sup_id} WHERE ref = '{reference}'"
    ));

    let mut t = client(&db).await;
    t.get("/track").await;
    let found = t
        .post("/track", &[("code", &code), ("proof", "0987654321")])
        .await;
    let grant = hidden(&found.body, "grant");
    assert!(found.body.contains("Yêu cầu về dữ liệu cá nhân"));

    // Bad requests: a clear message, nothing written.
    for (form, message) in [
        (
            vec![
                ("grant", grant.as_str()),
                ("request_kind", ""),
                ("request_body", "Sửa số điện thoại"),
            ],
            "Hãy chọn xem hay sửa thông tin.",
        ),
        (
            vec![
                ("grant", grant.as_str()),
                ("request_kind", "delete"),
                ("request_body", "Xoá hết"),
            ],
            "Hãy chọn xem hay sửa thông tin.",
        ),
        (
            vec![
                ("grant", grant.as_str()),
                ("request_kind", "correction"),
                ("request_body", "  "),
            ],
            "Vui lòng nhập thông tin này.",
        ),
    ] {
        let res = t.post("/track/data-request", &form).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}");
        assert!(res.body.contains(message), "{message}");
    }
    let forged = t
        .post(
            "/track/data-request",
            &[
                ("grant", "forged"),
                ("request_kind", "access"),
                ("request_body", "Cho xem"),
            ],
        )
        .await;
    assert!(forged
        .body
        .contains("Không tìm thấy trình báo với thông tin này"));
    assert_eq!(db.count("SELECT count(*) AS n FROM data_requests"), 0);

    let body = "Số điện thoại đúng của tôi là 0987 000 111, xin sửa lại.";
    let res = t
        .post(
            "/track/data-request",
            &[
                ("grant", &grant),
                ("request_kind", "correction"),
                ("request_body", body),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("Đã nhận yêu cầu."));
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM data_requests WHERE kind = 'correction' AND state = 'open'"
        ),
        1
    );
    assert_eq!(audits(&db, "data_request_receive"), 1);
    assert_eq!(
        db.count(&format!("SELECT count(*) AS n FROM email_outbox WHERE kind = 'data_request' AND recipient_user_id = {sup_id}")),
        1,
        "the assignee hears of it"
    );
    assert_eq!(
        db.count(&format!("SELECT count(*) AS n FROM cases WHERE ref = '{reference}' AND reporter_phone = '+84987654321'")),
        1,
        "nothing changes by itself"
    );
    // Asking again and again: a limit.
    for _ in 0..2 {
        t.post(
            "/track/data-request",
            &[
                ("grant", &grant),
                ("request_kind", "access"),
                ("request_body", "Cho tôi xem"),
            ],
        )
        .await;
    }
    let res = t
        .post(
            "/track/data-request",
            &[
                ("grant", &grant),
                ("request_kind", "access"),
                ("request_body", "Lần nữa"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("đã có yêu cầu đang chờ xử lý"));
    assert_eq!(db.count("SELECT count(*) AS n FROM data_requests"), 3);

    // The officer sees the task on the case page and answers it.
    let page = sup.get(&format!("/cases/{reference}")).await;
    assert!(page.body.contains("Yêu cầu về dữ liệu cá nhân"));
    assert!(
        !page.body.contains("Số điện thoại đúng của tôi là"),
        "behind the logged reveal"
    );
    let page = sup.get(&format!("/cases/{reference}?reporter=1")).await;
    assert!(page.body.contains("Số điện thoại đúng của tôi là"));
    let id = db.count("SELECT min(id) AS n FROM data_requests");
    let path = format!("/cases/{reference}/data-requests/{id}/done");
    let res = sup.post(&path, &[("answer", " ")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Hãy ghi đã trả lời hoặc đã làm gì."));
    let answer = "Đã sửa số điện thoại trong hồ sơ theo yêu cầu.";
    let res = sup.post(&path, &[("answer", answer)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM data_requests WHERE id = {id} AND state = 'done' AND done_by = {sup_id}")), 1);
    assert_eq!(audits(&db, "data_request_answer"), 1);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM email_outbox WHERE kind = 'public_message' AND recipient = 'bich.tran@example.vn'"),
        1,
        "the reporter is told"
    );
    let res = sup.post(&path, &[("answer", answer)]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "once");
    let again = t
        .post("/track", &[("code", &code), ("proof", "0987654321")])
        .await;
    assert!(
        again.body.contains(answer),
        "the answer is on the tracking page"
    );
    // Another unit's officer, or one who may not work the case, cannot close it.
    let (mut officer, _) = signed_in(&db, "officer").await;
    let other = format!("/cases/{reference}/data-requests/{}/done", id + 1);
    let res = officer.post(&other, &[("answer", "x")]).await;
    assert!(matches!(
        res.status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    assert_eq!(
        db.count("SELECT count(*) AS n FROM data_requests WHERE state = 'done'"),
        1
    );
}
