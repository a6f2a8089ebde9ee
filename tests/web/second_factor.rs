//! The second factor (TOTP with recovery codes), its requirement for some
//! roles, an administrator's reset, and the sessions one sees and ends.

use actix_web::http::StatusCode;

use crate::common::{app, client, AppService, Client, TestDb, PASSWORD};
use cyberdesk::domain::second_factor::code_at;

fn now() -> u64 {
    chrono::Utc::now().timestamp() as u64
}

fn secret(db: &TestDb, id: i64) -> Vec<u8> {
    use cyberdesk::db::schema::users;
    use diesel::prelude::*;
    users::table
        .find(id)
        .select(users::totp_secret)
        .first::<Option<Vec<u8>>>(&mut db.conn())
        .expect("user")
        .expect("a secret")
}

/// An app over `db` whose configuration requires a second factor of supervisors.
async fn strict(db: &TestDb) -> Client<impl AppService> {
    let mut cfg = db.config();
    cfg.require_2fa_for = vec![cyberdesk::models::user::Role::Supervisor];
    Client::new(app(actix_web::web::Data::new(cyberdesk::AppState::new(cfg))).await)
}

fn codes_on(body: &str) -> Vec<String> {
    body.split("<li><code>")
        .skip(1)
        .filter_map(|s| s.split('<').next().map(str::to_owned))
        .collect()
}

#[actix_web::test]
async fn a_supervisor_sets_up_the_second_factor_then_signs_in_with_it_once_per_code() {
    let db = TestDb::new();
    let id = db.user("ld@pa05.test.vn", "supervisor", PASSWORD);
    let mut c = strict(&db).await;
    // The role requires it: nothing but the set-up page until it is on.
    let res = c.login("ld@pa05.test.vn", PASSWORD).await;
    assert_eq!(
        (res.status, res.location()),
        (StatusCode::SEE_OTHER, "/profile/2fa")
    );
    for path in ["/", "/cases", "/profile/tokens"] {
        let res = c.get(path).await;
        assert_eq!(res.location(), "/profile/2fa", "{path}");
    }
    let page = c.get("/profile/2fa").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("data:image/svg+xml;base64,")
            && page.body.contains("id=\"totp-secret\"")
    );
    let shown = page
        .body
        .split("id=\"totp-secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("secret");
    // Reloading keeps the same secret (what the phone scanned stays valid).
    let again = c.get("/profile/2fa").await;
    assert!(again.body.contains(shown));
    let key = secret(&db, id);

    // A wrong code: the message, nothing turned on.
    for bad in ["000000", "12345", "abcdef", ""] {
        let res = c.post("/profile/2fa", &[("code", bad)]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(res.body.contains("Mã không đúng"), "{bad}");
    }
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM users WHERE id = {id} AND totp_enabled_at IS NOT NULL"
        )),
        0
    );

    let t = now();
    let first = code_at(&key, t);
    let res = c.post("/profile/2fa", &[("code", &first)]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let codes = codes_on(&res.body);
    assert_eq!(codes.len(), 10, "ten recovery codes shown once");
    assert!(
        res.set_cookies()
            .iter()
            .any(|c| c.starts_with("cd_session=")),
        "the session is rotated"
    );
    assert_eq!(c.get("/cases").await.status, StatusCode::OK);
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM recovery_codes WHERE user_id = {id} AND used_at IS NULL"
        )),
        10
    );
    assert_eq!(
        db.count(&format!("SELECT count(*) AS n FROM recovery_codes WHERE user_id = {id} AND code_hash = convert_to('{}', 'UTF8')", codes[0])),
        0,
        "stored hashed"
    );
    let page = c.get("/profile/2fa").await;
    assert!(codes_on(&page.body).is_empty(), "never shown again");

    // Signing in again: the password opens only the second step.
    c.post("/logout", &[]).await;
    let res = c.login("ld@pa05.test.vn", PASSWORD).await;
    assert_eq!(res.location(), "/login/2fa");
    assert_eq!(c.get("/cases").await.location(), "/login/2fa");
    assert_eq!(c.get("/password/change").await.location(), "/login/2fa");
    // The code that turned it on is spent; so is any earlier one.
    let res = c.post("/login/2fa", &[("code", &first)]).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "a replayed code");
    let next = code_at(&key, t + 30);
    let res = c.post("/login/2fa", &[("code", &next)]).await;
    assert_eq!(
        (res.status, res.location()),
        (StatusCode::SEE_OTHER, "/"),
        "{}",
        res.body
    );
    assert!(
        res.set_cookies()
            .iter()
            .any(|c| c.starts_with("cd_session=")),
        "a new session"
    );
    assert_eq!(c.get("/cases").await.status, StatusCode::OK);

    // A recovery code, once.
    c.post("/logout", &[]).await;
    c.login("ld@pa05.test.vn", PASSWORD).await;
    let typed = codes[3].to_uppercase().replace('-', " ");
    let res = c.post("/login/2fa", &[("code", &typed)]).await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "a recovery code as typed"
    );
    c.post("/logout", &[]).await;
    c.login("ld@pa05.test.vn", PASSWORD).await;
    let res = c.post("/login/2fa", &[("code", &codes[3])]).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "used already");
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM recovery_codes WHERE user_id = {id} AND used_at IS NULL"
        )),
        9
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'login' AND detail->>'second_factor' = 'recovery_code'"), 1);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'second_factor_on'"),
        1
    );

    // It cannot be turned off by a role that requires it.
    // A code two steps ahead is outside the window (one step either side).
    let res = c
        .post("/login/2fa", &[("code", &code_at(&key, t + 90))])
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let res = c.post("/login/2fa", &[("code", &codes[5])]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = c.post("/profile/2fa/off", &[("code", "123456")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("không thể tắt"), "{}", res.body);
    // New recovery codes need a right code.
    let res = c.post("/profile/2fa/codes", &[("code", "000000")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn wrong_codes_count_toward_the_lock_out_and_a_right_one_then_waits() {
    let db = TestDb::new();
    let id = db.user("ld@pa05.test.vn", "supervisor", PASSWORD);
    let mut c = strict(&db).await;
    c.login("ld@pa05.test.vn", PASSWORD).await;
    c.get("/profile/2fa").await;
    let key = secret(&db, id);
    let t = now();
    assert_eq!(
        c.post("/profile/2fa", &[("code", &code_at(&key, t))])
            .await
            .status,
        StatusCode::OK
    );
    c.post("/logout", &[]).await;
    c.login("ld@pa05.test.vn", PASSWORD).await;
    for _ in 0..5 {
        let res = c.post("/login/2fa", &[("code", "999999")]).await;
        assert!(matches!(
            res.status,
            StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS
        ));
    }
    let res = c
        .post("/login/2fa", &[("code", &code_at(&key, t + 30))])
        .await;
    assert_eq!(
        res.status,
        StatusCode::TOO_MANY_REQUESTS,
        "locked: even the right code waits"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'lockout'"),
        1
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'login_failed' AND detail->>'reason' = 'second_factor'"), 5);
    // And a password sign-in is locked as well.
    let mut other = strict(&db).await;
    assert_eq!(
        other.login("ld@pa05.test.vn", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[actix_web::test]
async fn an_administrator_resets_a_lost_second_factor_and_the_owner_is_told() {
    let db = TestDb::new();
    let id = db.user("ld@pa05.test.vn", "supervisor", PASSWORD);
    db.user("qt@pa05.test.vn", "admin", PASSWORD);
    let mut c = strict(&db).await;
    c.login("ld@pa05.test.vn", PASSWORD).await;
    c.get("/profile/2fa").await;
    let key = secret(&db, id);
    assert_eq!(
        c.post("/profile/2fa", &[("code", &code_at(&key, now()))])
            .await
            .status,
        StatusCode::OK
    );

    let mut admin = client(&db).await;
    admin.login("qt@pa05.test.vn", PASSWORD).await;
    let page = admin.get(&format!("/admin/users/{id}")).await;
    assert!(page.body.contains(&format!("/admin/users/{id}/reset-2fa")));
    let res = admin
        .post(&format!("/admin/users/{id}/reset-2fa"), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(db.count(&format!("SELECT count(*) AS n FROM users WHERE id = {id} AND totp_secret IS NULL AND totp_enabled_at IS NULL")), 1);
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM recovery_codes WHERE user_id = {id}"
        )),
        0
    );
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM sessions WHERE user_id = {id}"
        )),
        0,
        "their sessions ended"
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM email_outbox WHERE kind = 'second_factor_reset' AND recipient = 'ld@pa05.test.vn'"), 1);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'second_factor_reset'"),
        1
    );
    assert!(
        c.get("/cases").await.location().starts_with("/login?"),
        "signed out"
    );
    // Resetting again: nothing to reset.
    let res = admin
        .post(&format!("/admin/users/{id}/reset-2fa"), &[])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Their next sign-in sets up a new one.
    let res = c.login("ld@pa05.test.vn", PASSWORD).await;
    assert_eq!(res.location(), "/profile/2fa");
    // Only an administrator resets.
    let (mut officer, _) = crate::common::signed_in(&db, "officer").await;
    let res = officer
        .post(&format!("/admin/users/{id}/reset-2fa"), &[])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn an_officer_sees_their_sessions_and_ends_the_others() {
    let db = TestDb::new();
    let id = db.user("cb@pa05.test.vn", "officer", PASSWORD);
    let mut laptop = client(&db).await;
    laptop.headers.push((
        "user-agent".into(),
        "Mozilla/5.0 (X11; Linux) Firefox/140".into(),
    ));
    laptop.login("cb@pa05.test.vn", PASSWORD).await;
    let mut phone = client(&db).await;
    phone.peer = "198.51.100.20:5000".parse().expect("addr");
    phone.headers.push((
        "user-agent".into(),
        "Mozilla/5.0 (Android 15) Chrome/141".into(),
    ));
    phone.login("cb@pa05.test.vn", PASSWORD).await;

    let page = laptop.get("/profile/sessions").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Firefox/140")
            && page.body.contains("Android 15")
            && page.body.contains("198.51.100.20")
    );
    assert!(page.body.contains("Phiên này"));
    // Someone else's session is not theirs to end.
    let other = db.user("x@pa05.test.vn", "officer", PASSWORD);
    let mut x = client(&db).await;
    x.login("x@pa05.test.vn", PASSWORD).await;
    let xs = db.count(&format!(
        "SELECT id AS n FROM sessions WHERE user_id = {other}"
    ));
    let res = laptop
        .post(&format!("/profile/sessions/{xs}/end"), &[])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(x.get("/").await.status, StatusCode::OK);

    let res = laptop.post("/profile/sessions/others/end", &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        phone.get("/").await.location(),
        "/login",
        "the phone is signed out"
    );
    assert_eq!(
        laptop.get("/").await.status,
        StatusCode::OK,
        "this one stays"
    );
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM sessions WHERE user_id = {id}"
        )),
        1
    );

    // An administrator sees a user's sessions and ends one.
    phone.login("cb@pa05.test.vn", PASSWORD).await;
    let (mut admin, _) = crate::common::signed_in(&db, "admin").await;
    let page = admin.get(&format!("/admin/users/{id}")).await;
    assert!(
        page.body.contains("Android 15"),
        "listed on the account page"
    );
    let phone_session = db.count(&format!(
        "SELECT max(id) AS n FROM sessions WHERE user_id = {id}"
    ));
    let res = admin
        .post(
            &format!("/profile/sessions/{phone_session}/end"),
            &[("back", &format!("/admin/users/{id}"))],
        )
        .await;
    assert_eq!(
        (res.status, res.location()),
        (StatusCode::SEE_OTHER, format!("/admin/users/{id}").as_str())
    );
    assert!(phone.get("/").await.location().starts_with("/login"));
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'session_end'"),
        2
    );

    // Without a required role, turning it on and off again is one's own choice.
    laptop.get("/profile/2fa").await;
    let key = secret(&db, id);
    let t = now();
    assert_eq!(
        laptop
            .post("/profile/2fa", &[("code", &code_at(&key, t))])
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        laptop
            .post("/profile/2fa/off", &[("code", "000000")])
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let res = laptop
        .post("/profile/2fa/off", &[("code", &code_at(&key, t + 30))])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM users WHERE id = {id} AND totp_enabled_at IS NULL"
        )),
        1
    );
}
