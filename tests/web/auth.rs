//! Sign-in, sessions, lockout, sign-out, password changes, first run.

use actix_web::http::StatusCode;

use crate::common::{client, signed_in, TestDb, PASSWORD};
use cyberdesk::services::auth::bootstrap_admin;

#[actix_web::test]
async fn first_run_creates_an_admin_who_must_change_the_password() {
    let db = TestDb::new();
    let cfg = db.config();
    let password = bootstrap_admin(&mut db.conn(), &cfg)
        .expect("bootstrap")
        .expect("a password on first run");
    assert!(
        bootstrap_admin(&mut db.conn(), &cfg)
            .expect("second call")
            .is_none(),
        "only once"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'user_bootstrap'"),
        1
    );

    let mut c = client(&db).await;
    let res = c.login("ADMIN@cyberdesk.local", &password).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/password/change");

    // Everything else sends the user back to the change page.
    for path in ["/", "/admin/users", "/profile"] {
        let res = c.get(path).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(res.location(), "/password/change", "{path}");
    }
    let page = c.get("/password/change").await;
    assert!(
        page.body.contains("mật khẩu tạm thời"),
        "explains why: {}",
        page.body
    );

    // Bad input is refused field by field, nothing changes.
    let res = c
        .post(
            "/password/change",
            &[
                ("current_password", &password),
                ("new_password", "short"),
                ("confirm_password", "short"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("ít nhất 12 ký tự"));
    let res = c
        .post(
            "/password/change",
            &[
                ("current_password", "wrong one"),
                ("new_password", PASSWORD),
                ("confirm_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Mật khẩu hiện tại không đúng"));
    let res = c
        .post(
            "/password/change",
            &[
                ("current_password", &password),
                ("new_password", PASSWORD),
                ("confirm_password", "something else entirely"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("không khớp"));

    let res = c
        .post(
            "/password/change",
            &[
                ("current_password", &password),
                ("new_password", PASSWORD),
                ("confirm_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let home = c.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Đã đổi mật khẩu"), "flash shown");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM users WHERE must_change_password"),
        0
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'password_change'"),
        1
    );
}

#[actix_web::test]
async fn sign_in_sets_a_hardened_cookie_and_stores_only_its_hash() {
    let db = TestDb::new();
    db.user("lan@pa05.test.vn", "officer", PASSWORD);
    let mut c = client(&db).await;
    let res = c.login("  Lan@PA05.test.vn ", PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/");
    let cookie = res
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("cd_session="))
        .expect("session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http in tests");
    let token = c.cookies["cd_session"].clone();
    assert_eq!(token.len(), 64, "256-bit token");
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM sessions WHERE token_hash = sha256('{token}'::bytea)"
        )),
        1
    );
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM sessions WHERE encode(token_hash, 'hex') = '{token}'"
        )),
        0
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'login'"),
        1
    );

    let home = c.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Xin chào"));

    // A second sign-in issues a new token and ends the old session.
    let res = c.login("lan@pa05.test.vn", PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_ne!(c.cookies["cd_session"], token, "rotated at sign-in");
    assert_eq!(db.count("SELECT count(*) AS n FROM sessions"), 1);
}

#[actix_web::test]
async fn secure_cookie_and_hsts_over_https() {
    let db = TestDb::new();
    db.user("lan@pa05.test.vn", "officer", PASSWORD);
    let mut cfg = db.config();
    cfg.public_base_url = "https://cyberdesk.pa05.example".into();
    let mut c = crate::common::Client::new(
        crate::common::app(actix_web::web::Data::new(cyberdesk::AppState::new(cfg))).await,
    );
    let res = c.login("lan@pa05.test.vn", PASSWORD).await;
    let cookie = res
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("cd_session="))
        .expect("session cookie");
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(res.header("strict-transport-security").contains("max-age="));
}

#[actix_web::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let db = TestDb::new();
    db.user("lan@pa05.test.vn", "officer", PASSWORD);
    let mut c = client(&db).await;
    let wrong = c.login("lan@pa05.test.vn", "not the password").await;
    let unknown = c.login("nobody@pa05.test.vn", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let msg = "Thư điện tử hoặc mật khẩu không đúng.";
    assert!(wrong.body.contains(msg) && unknown.body.contains(msg));
    assert!(!c.cookies.contains_key("cd_session"));
    assert!(
        wrong.body.contains("value=\"lan@pa05.test.vn\""),
        "e-mail kept in the form"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'login_failed'"),
        2
    );
    // The typed address of an unknown account is not stored in the audit log.
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE detail::text LIKE '%nobody%'"),
        0
    );
}

#[actix_web::test]
async fn five_failures_lock_the_account_for_fifteen_minutes_known_or_not() {
    let db = TestDb::new();
    db.user("lan@pa05.test.vn", "officer", PASSWORD);
    let mut c = client(&db).await;
    for email in ["lan@pa05.test.vn", "ghost@pa05.test.vn"] {
        for _ in 0..5 {
            assert_eq!(
                c.login(email, "wrong password!").await.status,
                StatusCode::UNAUTHORIZED
            );
        }
        let res = c
            .login(
                email,
                if email.starts_with("lan") {
                    PASSWORD
                } else {
                    "x"
                },
            )
            .await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{email} locked");
        assert!(res.body.contains("15 phút"));
    }
    assert!(
        !c.cookies.contains_key("cd_session"),
        "right password refused while locked"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'lockout'"),
        2
    );

    // When the lock and the failures are older than the window, sign-in works again.
    db.exec("UPDATE login_lockouts SET locked_until = now() - interval '1 second'");
    db.exec("UPDATE login_attempts SET at = at - interval '16 minutes'");
    let res = c.login("lan@pa05.test.vn", PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
}

#[actix_web::test]
async fn one_ip_spraying_many_accounts_is_stopped() {
    let db = TestDb::new();
    db.user("lan@pa05.test.vn", "officer", PASSWORD);
    let mut c = client(&db).await;
    for i in 0..20 {
        let res = c
            .login(&format!("user{i}@pa05.test.vn"), "guess guess guess")
            .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    let res = c.login("lan@pa05.test.vn", PASSWORD).await;
    assert_eq!(
        res.status,
        StatusCode::TOO_MANY_REQUESTS,
        "same IP is refused"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'login_ip_limited'"),
        1
    );
    // Further refusals are recorded as attempts, not as more audit rows.
    assert_eq!(
        c.login("lan@pa05.test.vn", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'login_ip_limited'"),
        1
    );
    // Another address is not affected.
    c.peer = "198.51.100.9:5000".parse().expect("addr");
    assert_eq!(
        c.login("lan@pa05.test.vn", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}

#[actix_web::test]
async fn idle_and_absolute_expiry_end_the_session() {
    let db = TestDb::new();
    let (mut c, _) = signed_in(&db, "officer").await;
    assert_eq!(c.get("/").await.status, StatusCode::OK);

    db.exec("UPDATE sessions SET last_seen_at = now() - interval '2 hours 1 minute'");
    let res = c.get("/profile").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/login?next=/profile");
    assert!(!c.cookies.contains_key("cd_session"), "cookie cleared");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM sessions"),
        0,
        "expired session deleted"
    );

    let (mut c, _) = signed_in(&db, "supervisor").await;
    db.exec("UPDATE sessions SET expires_at = now() - interval '1 second'");
    let res = c.get("/").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/login");
}

#[actix_web::test]
async fn recent_activity_keeps_a_session_alive() {
    let db = TestDb::new();
    let (mut c, _) = signed_in(&db, "officer").await;
    db.exec("UPDATE sessions SET last_seen_at = now() - interval '1 hour'");
    assert_eq!(c.get("/").await.status, StatusCode::OK);
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM sessions WHERE last_seen_at > now() - interval '1 minute'"
        ),
        1,
        "touched"
    );
}

#[actix_web::test]
async fn sign_out_deletes_the_session() {
    let db = TestDb::new();
    let (mut c, _) = signed_in(&db, "officer").await;
    let token = c.cookies["cd_session"].clone();
    let res = c.post("/logout", &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/login");
    assert_eq!(db.count("SELECT count(*) AS n FROM sessions"), 0);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'logout'"),
        1
    );
    // Replaying the old cookie does not work.
    c.cookies.insert("cd_session".into(), token);
    assert_eq!(c.get("/").await.status, StatusCode::SEE_OTHER);
    // GET /logout is not a way to sign out (state changes are POST only).
    assert_eq!(c.get("/logout").await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn deactivated_users_cannot_sign_in_and_lose_their_sessions() {
    let db = TestDb::new();
    let (mut officer, officer_id) = signed_in(&db, "officer").await;
    let (mut admin, _) = signed_in(&db, "admin").await;
    let res = admin
        .post(&format!("/admin/users/{officer_id}/deactivate"), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(
        officer.get("/").await.status,
        StatusCode::SEE_OTHER,
        "session ended"
    );
    let email: String = {
        use cyberdesk::db::schema::users;
        use diesel::prelude::*;
        users::table
            .find(officer_id)
            .select(users::email)
            .first(&mut db.conn())
            .expect("email")
    };
    let res = officer.login(&email, PASSWORD).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(
        res.body.contains("Thư điện tử hoặc mật khẩu không đúng."),
        "no hint that the account exists"
    );
}

#[actix_web::test]
async fn changing_the_password_ends_other_sessions_only() {
    let db = TestDb::new();
    db.user("lan@pa05.test.vn", "officer", PASSWORD);
    let mut laptop = client(&db).await;
    let mut phone = client(&db).await;
    laptop.login("lan@pa05.test.vn", PASSWORD).await;
    phone.login("lan@pa05.test.vn", PASSWORD).await;
    let new = "một mật khẩu mới toanh 2027";
    let res = laptop
        .post(
            "/password/change",
            &[
                ("current_password", PASSWORD),
                ("new_password", new),
                ("confirm_password", new),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        laptop.get("/").await.status,
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(
        phone.get("/").await.status,
        StatusCode::SEE_OTHER,
        "the other one ends"
    );
    assert_eq!(
        laptop.login("lan@pa05.test.vn", new).await.status,
        StatusCode::SEE_OTHER
    );
    let audit = db.count("SELECT (detail->>'other_sessions_ended')::bigint AS n FROM audit_log WHERE action = 'password_change'");
    assert_eq!(audit, 1);
}

#[actix_web::test]
async fn sign_in_returns_to_the_page_asked_for_but_never_off_site() {
    let db = TestDb::new();
    db.user("lan@pa05.test.vn", "admin", PASSWORD);
    let mut c = client(&db).await;
    let res = c.get("/admin/users?q=an").await;
    assert_eq!(res.location(), "/login?next=/admin/users%3Fq%3Dan");
    let page = c.get(res.location()).await;
    assert!(
        page.body
            .contains("name=\"next\" value=\"/admin/users?q=an\""),
        "{}",
        page.body
    );
    let res = c
        .post(
            "/login",
            &[
                ("email", "lan@pa05.test.vn"),
                ("password", PASSWORD),
                ("next", "/admin/users?q=an"),
            ],
        )
        .await;
    assert_eq!(res.location(), "/admin/users?q=an");

    let mut c = client(&db).await;
    let res = c
        .post(
            "/login",
            &[
                ("email", "lan@pa05.test.vn"),
                ("password", PASSWORD),
                ("next", "//evil.example/steal"),
            ],
        )
        .await;
    assert_eq!(res.location(), "/");
}

#[actix_web::test]
async fn housekeeping_removes_expired_sessions_and_old_attempts() {
    let db = TestDb::new();
    let (_c, _) = signed_in(&db, "officer").await;
    db.exec("UPDATE sessions SET expires_at = now() - interval '1 minute'");
    db.exec("INSERT INTO login_attempts (email, ip, outcome, at) VALUES ('x@y.vn', '1.2.3.4', 'failure', now() - interval '2 days')");
    let removed = cyberdesk::services::auth::housekeeping(&mut db.conn(), &db.config())
        .expect("housekeeping");
    assert_eq!(removed, 2);
}

#[actix_web::test]
async fn a_failed_sign_in_leaves_the_current_session_alone() {
    let db = TestDb::new();
    let (mut c, _) = signed_in(&db, "officer").await;
    let res = c
        .login("someone-else@pa05.test.vn", "wrong password!")
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(c.get("/").await.status, StatusCode::OK, "still signed in");
    // And the form it showed carries a token that still works.
    assert_eq!(
        c.post("/lang", &[("lang", "en"), ("next", "/")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}
