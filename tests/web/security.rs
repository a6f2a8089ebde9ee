//! CSRF on every POST route, security headers, error pages.

use actix_web::http::StatusCode;

use crate::common::{client, signed_in, Client, TestDb};

/// Every POST route registered in `routes::configure`, read from the source so a
/// new route without a test entry (and so without CSRF coverage) fails here.
fn post_routes() -> Vec<String> {
    let src = include_str!("../../src/routes/mod.rs");
    // Split per `.route(` call: rustfmt may wrap a call over several lines.
    src.split(".route(")
        .skip(1)
        .filter(|call| {
            call.split(')')
                .next()
                .is_some_and(|head| head.contains("web::post("))
                || call.contains("web::post()")
        })
        .filter_map(|call| {
            call.split('"').nth(1).map(|p| {
                p.replace("{id}", "1")
                    .replace("{ref}", "PA05-TG-2026-00001")
            })
        })
        .collect()
}

#[test]
fn the_route_list_is_read_from_the_source() {
    let routes = post_routes();
    assert!(
        routes.contains(&"/login".to_owned()) && routes.contains(&"/logout".to_owned()),
        "{routes:?}"
    );
    assert!(routes.len() >= 9, "{routes:?}");
}

#[actix_web::test]
async fn every_post_route_refuses_missing_wrong_or_foreign_csrf() {
    let db = TestDb::new();
    let (mut admin, _) = signed_in(&db, "admin").await;
    let good = admin.csrf().await;
    let audit_before = db.count("SELECT count(*) AS n FROM audit_log");
    for route in post_routes() {
        // Missing token.
        let res = admin.post_raw(&route, &[("lang", "en")]).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{route} without a token");
        assert!(
            res.body.contains("Biểu mẫu đã hết hạn"),
            "{route}: friendly page"
        );
        // Wrong token.
        let res = admin
            .post_raw(
                &route,
                &[
                    ("lang", "en"),
                    (
                        "csrf_token",
                        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                    ),
                ],
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::FORBIDDEN,
            "{route} with a wrong token"
        );
        // Right token, foreign Origin.
        admin.headers = vec![("origin".into(), "https://evil.example".into())];
        let res = admin
            .post_raw(&route, &[("lang", "en"), ("csrf_token", &good)])
            .await;
        assert_eq!(
            res.status,
            StatusCode::FORBIDDEN,
            "{route} from another origin"
        );
        admin.headers = vec![("sec-fetch-site".into(), "cross-site".into())];
        let res = admin
            .post_raw(&route, &[("lang", "en"), ("csrf_token", &good)])
            .await;
        assert_eq!(
            res.status,
            StatusCode::FORBIDDEN,
            "{route} cross-site fetch"
        );
        admin.headers.clear();
    }
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log"),
        audit_before,
        "nothing was changed"
    );
    // The same browser with the right token and its own origin is fine.
    admin.headers = vec![("origin".into(), "http://localhost:8080".into())];
    let res = admin
        .post_raw(
            "/lang",
            &[("lang", "en"), ("next", "/"), ("csrf_token", &good)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
}

#[actix_web::test]
async fn anonymous_forms_use_a_cookie_bound_token() {
    let db = TestDb::new();
    let mut c = client(&db).await;
    let token = c.csrf().await;
    // Another browser's token does not work with this browser's cookie.
    let mut other = client(&db).await;
    let foreign = other.csrf().await;
    assert_ne!(token, foreign);
    let res = c
        .post_raw(
            "/login",
            &[
                ("email", "a@b.vn"),
                ("password", "x"),
                ("csrf_token", &foreign),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM login_attempts"),
        0,
        "no attempt recorded"
    );
}

#[actix_web::test]
async fn every_response_carries_the_security_headers() {
    let db = TestDb::new();
    let (mut c, _) = signed_in(&db, "admin").await;
    for path in [
        "/",
        "/login",
        "/admin/users",
        "/static/app.css",
        "/nope",
        "/healthz",
    ] {
        let res = c.get(path).await;
        let csp = res.header("content-security-policy");
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(res.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(res.header("referrer-policy"), "same-origin", "{path}");
        assert_eq!(res.header("x-frame-options"), "DENY", "{path}");
        assert!(
            res.header("strict-transport-security").is_empty(),
            "no HSTS over http"
        );
    }
    assert_eq!(c.get("/").await.header("cache-control"), "no-store");
}

#[actix_web::test]
async fn pages_load_nothing_from_other_hosts() {
    let db = TestDb::new();
    let (mut c, _) = signed_in(&db, "admin").await;
    for path in [
        "/",
        "/login",
        "/admin/users",
        "/admin/users/new",
        "/admin/audit",
        "/profile",
        "/password/change",
    ] {
        let body = c.get(path).await.body;
        assert!(
            !body.contains("http://") && !body.contains("https://") && !body.contains("<script"),
            "{path}"
        );
    }
}

#[actix_web::test]
async fn not_found_is_a_page_in_the_users_language() {
    let db = TestDb::new();
    let mut c = client(&db).await;
    let res = c.get("/khong-co-trang-nay").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(res.body.contains("Không tìm thấy trang") && res.body.contains("<html lang=\"vi\""));
    c.cookies.insert("cd_lang".into(), "en".into());
    let res = c.get("/nothing-here").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(res.body.contains("Page not found") && res.body.contains("<html lang=\"en\""));
    let (mut admin, _) = signed_in(&db, "admin").await;
    assert_eq!(
        admin.get("/admin/users/999999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin.get("/admin/users/not-a-number").await.status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn forbidden_is_a_page_with_403() {
    let db = TestDb::new();
    let (mut c, _) = signed_in(&db, "officer").await;
    let res = c.get("/admin/users").await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.body.contains("Không có quyền truy cập"));
    assert!(res.body.contains("Đăng xuất"), "rendered inside the layout");
}

#[actix_web::test]
async fn internal_errors_show_only_a_reference() {
    let db = TestDb::new();
    let (mut c, _) = signed_in(&db, "officer").await;
    // Break the schema under the running app: the session query now fails.
    db.exec("ALTER TABLE users RENAME COLUMN team TO team_renamed");
    let res = c.get("/").await;
    assert_eq!(res.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(res.body.contains("Đã xảy ra lỗi") && res.body.contains("Mã tham chiếu lỗi"));
    assert!(
        !res.body.contains("team") && !res.body.to_lowercase().contains("column"),
        "no SQL detail leaks: {}",
        res.body
    );
}

#[actix_web::test]
async fn a_lost_database_answers_503_and_healthz_says_so() {
    let db = TestDb::new();
    let mut cfg = db.config();
    cfg.database_url = "postgres://postgres@127.0.0.1:1/cyberdesk".into();
    cfg.db_timeout = std::time::Duration::from_millis(500);
    let mut c = Client::new(
        crate::common::app(actix_web::web::Data::new(cyberdesk::AppState::new(cfg))).await,
    );
    let res = c.get("/healthz").await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    c.cookies.insert("cd_session".into(), "a".repeat(64));
    let res = c.get("/").await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        res.body.contains("Hệ thống tạm thời gián đoạn"),
        "{}",
        res.body
    );
    assert!(!res.header("retry-after").is_empty());
    // Pages that need no database still work.
    c.cookies.clear();
    assert_eq!(c.get("/login").await.status, StatusCode::OK);
}

#[actix_web::test]
async fn oversized_and_malformed_posts_are_refused_cleanly() {
    let db = TestDb::new();
    let mut c = client(&db).await;
    let token = c.csrf().await;
    let big = "x".repeat(100 * 1024);
    let res = c
        .post_raw(
            "/login",
            &[("email", &big), ("password", "x"), ("csrf_token", &token)],
        )
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.body.contains("Dữ liệu quá lớn"));
    let res = c
        .post_raw("/lang", &[("lang", "fr"), ("csrf_token", &token)])
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
}
