//! Role matrix, user administration and the audit log.

use actix_web::http::StatusCode;

use crate::common::{signed_in, TestDb, PASSWORD};
use cyberdesk::auth::policy::{allows, Action};
use cyberdesk::models::user::Role;

#[test]
fn the_role_matrix_is_exactly_as_designed() {
    // (role, [UseApp, ManageUsers, ViewAuditLog, WorkCases, SuperviseCases,
    //         ManageReferenceData, ManageMail, ManageUnits,
    //         ReadNationalCorrelation, ImportRecords])
    let expected = [
        (
            Role::Admin,
            [
                true, true, true, false, false, true, true, true, false, true,
            ],
        ),
        (
            Role::Supervisor,
            [
                true, false, false, true, true, false, false, false, false, false,
            ],
        ),
        (
            Role::Officer,
            [
                true, false, false, true, false, false, false, false, false, false,
            ],
        ),
        (
            Role::NationalAnalyst,
            [
                true, false, false, false, false, false, false, false, true, false,
            ],
        ),
    ];
    assert_eq!(Action::ALL.len(), 10, "a new action needs a column here");
    for (role, row) in expected {
        for (action, want) in Action::ALL.iter().zip(row) {
            assert_eq!(allows(role, *action), want, "{role:?} × {action:?}");
        }
    }
}

#[actix_web::test]
async fn each_role_reaches_exactly_its_pages() {
    let db = TestDb::new();
    // (role, users list, new-user form, audit log)
    let table = [
        ("admin", 200, 200, 200),
        ("supervisor", 403, 403, 403),
        ("officer", 403, 403, 403),
    ];
    for (role, users, new, audit) in table {
        let (mut c, _) = signed_in(&db, role).await;
        assert_eq!(c.get("/").await.status.as_u16(), 200, "{role} dashboard");
        assert_eq!(
            c.get("/profile").await.status.as_u16(),
            200,
            "{role} profile"
        );
        assert_eq!(
            c.get("/admin/users").await.status.as_u16(),
            users,
            "{role} users"
        );
        assert_eq!(
            c.get("/admin/users/new").await.status.as_u16(),
            new,
            "{role} new user"
        );
        assert_eq!(
            c.get("/admin/audit").await.status.as_u16(),
            audit,
            "{role} audit"
        );
        let res = c
            .post(
                "/admin/users/new",
                &[
                    ("email", &format!("x-{role}@pa05.test.vn")),
                    ("full_name", "X"),
                    ("role", "admin"),
                    ("lang", "vi"),
                ],
            )
            .await;
        assert_eq!(
            res.status.as_u16(),
            if role == "admin" { 200 } else { 403 },
            "{role} create user"
        );
        // Navigation shows only what the role may open.
        let home = c.get("/").await.body;
        assert_eq!(
            home.contains("href=\"/admin/users\""),
            users == 200,
            "{role} nav users"
        );
        assert_eq!(
            home.contains("href=\"/admin/audit\""),
            audit == 200,
            "{role} nav audit"
        );
    }
    // Nobody signed in: sent to sign in.
    let mut anon = crate::common::client(&db).await;
    for path in ["/", "/profile", "/admin/users", "/admin/audit"] {
        assert_eq!(anon.get(path).await.status, StatusCode::SEE_OTHER, "{path}");
    }
}

#[actix_web::test]
async fn an_admin_creates_an_officer_who_must_change_the_generated_password() {
    let db = TestDb::new();
    let (mut admin, admin_id) = signed_in(&db, "admin").await;
    let res = admin
        .post(
            "/admin/users/new",
            &[
                ("email", " Minh.Tran@PA05.test.vn "),
                ("full_name", "Trần Văn Minh"),
                ("role", "officer"),
                ("team", "Đội 2"),
                ("on_duty", "on"),
                ("lang", "en"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let start = res
        .body
        .find("id=\"one-time-password\">")
        .expect("password shown")
        + "id=\"one-time-password\">".len();
    let password = res.body[start..start + 20].to_owned();
    assert_eq!(db.count("SELECT count(*) AS n FROM users WHERE email = 'minh.tran@pa05.test.vn' AND must_change_password AND on_duty AND lang = 'en'"), 1);
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM audit_log WHERE action = 'user_create' AND actor_id = {admin_id}")), 1);

    let mut officer = crate::common::client(&db).await;
    let res = officer.login("minh.tran@pa05.test.vn", &password).await;
    assert_eq!(res.location(), "/password/change");
    let page = officer.get("/password/change").await;
    assert!(
        page.body.contains("<html lang=\"en\""),
        "the user's language applies"
    );
}

#[actix_web::test]
async fn user_form_validation_keeps_the_input_and_writes_nothing() {
    let db = TestDb::new();
    let (mut admin, _) = signed_in(&db, "admin").await;
    let users_before = db.count("SELECT count(*) AS n FROM users");
    let long = "N".repeat(121);
    let res = admin
        .post(
            "/admin/users/new",
            &[
                ("email", "not-an-email"),
                ("full_name", &long),
                ("role", "god"),
                ("team", "Đội 9"),
                ("lang", "fr"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    for msg in [
        "Địa chỉ thư điện tử không hợp lệ",
        "Nội dung quá dài",
        "Vui lòng chọn một vai trò hợp lệ",
        "Vui lòng chọn Tiếng Việt hoặc English",
    ] {
        assert!(res.body.contains(msg), "missing {msg}");
    }
    assert!(
        res.body.contains("value=\"not-an-email\"") && res.body.contains("value=\"Đội 9\""),
        "input kept"
    );
    assert!(res.body.contains("aria-invalid=\"true\""));
    let res = admin
        .post(
            "/admin/users/new",
            &[
                ("email", ""),
                ("full_name", "   "),
                ("role", "officer"),
                ("lang", "vi"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Vui lòng nhập thông tin này"));
    // Duplicate e-mail, whatever its case.
    db.user("dup@pa05.test.vn", "officer", PASSWORD);
    let res = admin
        .post(
            "/admin/users/new",
            &[
                ("email", "DUP@pa05.test.vn"),
                ("full_name", "Dup"),
                ("role", "officer"),
                ("lang", "vi"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .body
        .contains("Đã có tài khoản dùng địa chỉ thư điện tử này"));
    assert_eq!(
        db.count("SELECT count(*) AS n FROM users"),
        users_before + 1
    );
}

#[actix_web::test]
async fn edit_deactivate_reactivate_and_reset_are_audited() {
    let db = TestDb::new();
    let (mut admin, admin_id) = signed_in(&db, "admin").await;
    let id = db.user("hoa@pa05.test.vn", "officer", PASSWORD);
    let page = admin.get(&format!("/admin/users/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("value=\"hoa@pa05.test.vn\""));

    let res = admin
        .post(
            &format!("/admin/users/{id}"),
            &[
                ("email", "hoa@pa05.test.vn"),
                ("full_name", "Nguyễn Thị Hoa"),
                ("role", "supervisor"),
                ("team", ""),
                ("lang", "vi"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM users WHERE id = {id} AND role = 'supervisor' AND team IS NULL")), 1);
    let changed = db.count(&format!("SELECT jsonb_array_length(detail->'changed')::bigint AS n FROM audit_log WHERE action = 'user_update' AND target_id = '{id}'"));
    assert_eq!(changed, 3, "full_name, role, team");

    let res = admin
        .post(
            &format!("/admin/users/{id}"),
            &[
                ("email", "bad"),
                ("full_name", "X"),
                ("role", "officer"),
                ("lang", "vi"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(
        admin
            .post(&format!("/admin/users/{id}/deactivate"), &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        admin
            .post(&format!("/admin/users/{id}/activate"), &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let res = admin
        .post(&format!("/admin/users/{id}/reset-password"), &[])
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("one-time-password"));
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM users WHERE id = {id} AND must_change_password"
        )),
        1
    );
    for action in ["user_deactivate", "user_activate", "user_password_reset"] {
        assert_eq!(db.count(&format!("SELECT count(*) AS n FROM audit_log WHERE action = '{action}' AND actor_id = {admin_id} AND target_id = '{id}'")), 1, "{action}");
    }
    // The old password no longer works.
    let mut c = crate::common::client(&db).await;
    assert_eq!(
        c.login("hoa@pa05.test.vn", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn the_last_admin_cannot_be_removed_and_nobody_deactivates_themselves() {
    let db = TestDb::new();
    let (mut admin, admin_id) = signed_in(&db, "admin").await;
    let res = admin
        .post(&format!("/admin/users/{admin_id}/deactivate"), &[])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("tự vô hiệu hóa"));
    let res = admin
        .post(
            &format!("/admin/users/{admin_id}"),
            &[
                ("email", "solo-admin@pa05.test.vn"),
                ("full_name", "Solo"),
                ("role", "officer"),
                ("lang", "vi"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("quản trị viên cuối cùng"), "{}", res.body);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM users WHERE role = 'admin' AND active"),
        1
    );
}

#[actix_web::test]
async fn the_user_list_filters_and_paginates() {
    let db = TestDb::new();
    let (mut admin, _) = signed_in(&db, "admin").await;
    {
        let mut conn = db.conn();
        for i in 0..55 {
            let input = cyberdesk::services::users::UserInput {
                email: format!("o{i:02}@pa05.test.vn"),
                full_name: format!("Cán bộ {i:02}"),
                role: "officer".into(),
                team: String::new(),
                on_duty: false,
                lang: "vi".into(),
                unit: String::new(),
                service: false,
            };
            cyberdesk::services::users::create(
                &mut conn,
                None,
                &Default::default(),
                &input,
                Some(PASSWORD),
            )
            .expect("create");
        }
    }
    let page1 = admin.get("/admin/users?role=officer").await;
    assert!(page1.body.contains("55 người dùng"), "total shown");
    assert!(page1.body.contains("rel=\"next\""));
    let page2 = admin.get("/admin/users?role=officer&page=2").await;
    assert_eq!(
        page2.body.matches("<tr>").count() + page2.body.matches("<tr class").count(),
        1 + 5,
        "header + 5 rows"
    );
    let found = admin.get("/admin/users?q=b%E1%BB%99%2007").await;
    assert!(
        found.body.contains("Cán bộ 07") && found.body.contains("1 người dùng"),
        "search by name"
    );
    let none = admin.get("/admin/users?q=%25").await;
    assert!(
        none.body.contains("Không có người dùng nào"),
        "LIKE wildcards are literal"
    );
}

#[actix_web::test]
async fn the_audit_log_is_browsable_and_filterable() {
    let db = TestDb::new();
    let (mut sup, sup_id) = signed_in(&db, "admin").await;
    let mut other = crate::common::client(&db).await;
    other.login("ghost@pa05.test.vn", "bad password!!").await;
    let page = sup.get("/admin/audit").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Đăng nhập thất bại") && page.body.contains("Test admin"));
    let filtered = sup.get("/admin/audit?action=login_failed").await;
    assert!(
        filtered.body.contains("Đăng nhập thất bại")
            && !filtered.body.contains("<td>Test admin</td>")
    );
    let mine = sup.get(&format!("/admin/audit?actor={sup_id}")).await;
    assert!(mine.body.contains("Test admin"));
    let bad = sup.get("/admin/audit?from=31-12-2026&actor=abc").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Bộ lọc không hợp lệ"));
    let future = sup.get("/admin/audit?from=2999-01-01").await;
    assert!(future.body.contains("Không có bản ghi nào"));
}

#[actix_web::test]
async fn times_carry_a_machine_readable_datetime_and_action_columns_a_label() {
    let db = TestDb::new();
    let (mut admin, _) = signed_in(&db, "admin").await;
    let page = admin.get("/admin/audit").await;
    assert_eq!(page.status, StatusCode::OK);
    let times = page.body.matches("<time").count();
    assert!(times > 0, "the sign-in is in the log");
    assert_eq!(
        page.body.matches("<time datetime=\"").count(),
        times,
        "every <time> says its datetime"
    );
    // 2026-12-01T08:58:00Z: a valid global date and time string.
    let at = page.body.find("<time datetime=\"").expect("a time") + 16;
    let value = &page.body[at..at + 20];
    assert!(
        chrono::DateTime::parse_from_rfc3339(value).is_ok(),
        "{value}"
    );
    for path in ["/admin/banks", "/admin/categories"] {
        let page = admin.get(path).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            !page.body.contains("<th scope=\"col\"></th>"),
            "{path}: every column header has a label"
        );
    }
}
