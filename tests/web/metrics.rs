//! `/metrics` (issue 20): Prometheus text with what this instance served by
//! route pattern and the figures an operator alerts on, open only to
//! `METRICS_ALLOW` addresses (the real client's, not a proxy's) or the token.

use actix_web::http::StatusCode;

use crate::common::{app, Client, TestDb, PASSWORD};
use crate::portal::{crime, send};
use cyberdesk::AppState;

/// The value of the sample line that starts with `prefix`.
fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix) && l[prefix.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[actix_web::test]
async fn metrics_show_routes_queues_and_pools_to_the_allowed_only() {
    let db = TestDb::new();
    let mut cfg = db.config();
    cfg.metrics_allow = vec!["127.0.0.1".parse().expect("ip")];
    cfg.metrics_token = Some("m".repeat(32));
    cfg.trusted_proxies = vec!["10.0.0.2".parse().expect("ip")];
    let state = actix_web::web::Data::new(AppState::new(cfg));
    let mut c = Client::new(app(state.clone()).await);

    // Traffic: two public reports, an officer's case page, a page that is not there.
    for _ in 0..2 {
        let res = send(&mut c, "crime", &crime(&[]), &[]).await;
        assert_eq!(res.status, StatusCode::OK);
    }
    let oid = db.user("lan@pa05.test.vn", "officer", PASSWORD);
    let reference = crate::cases::create(&db, &crate::cases::me(&db, oid), &[]);
    assert_eq!(
        c.login("lan@pa05.test.vn", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let page = c.get(&format!("/cases/{reference}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let rid = page.header("x-request-id").to_owned();
    assert_eq!(rid.len(), 12, "every response names its request");
    assert_eq!(
        c.get("/khong-co-trang-nay").await.status,
        StatusCode::NOT_FOUND
    );

    // From anywhere else: 404, as for a page that does not exist.
    let mut outsider = Client::new(app(state.clone()).await);
    let res = outsider.get("/metrics").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(!res.body.contains("cyberdesk_"));
    // A proxy on the allowed address does not let its clients in: the
    // address that counts is the one X-Forwarded-For gives through it.
    outsider.peer = "10.0.0.2:5000".parse().expect("addr");
    outsider.headers = vec![("x-forwarded-for".into(), "198.51.100.4".into())];
    assert_eq!(outsider.get("/metrics").await.status, StatusCode::NOT_FOUND);
    // ...but a client it names as 127.0.0.1 is the allowed host.
    outsider.headers = vec![("x-forwarded-for".into(), "127.0.0.1".into())];
    assert_eq!(outsider.get("/metrics").await.status, StatusCode::OK);
    // The token opens it from anywhere; a wrong one does not.
    outsider.peer = "198.51.100.4:5000".parse().expect("addr");
    outsider.headers = vec![("authorization".into(), format!("Bearer {}", "x".repeat(32)))];
    assert_eq!(outsider.get("/metrics").await.status, StatusCode::NOT_FOUND);
    outsider.headers = vec![("authorization".into(), format!("Bearer {}", "m".repeat(32)))];
    assert_eq!(outsider.get("/metrics").await.status, StatusCode::OK);

    let mut monitor = Client::new(app(state.clone()).await);
    monitor.peer = "127.0.0.1:9090".parse().expect("addr");
    let res = monitor.get("/metrics").await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res
        .header("content-type")
        .starts_with("application/openmetrics-text"));
    let m = &res.body;
    assert!(m.ends_with("# EOF\n"), "{m}");
    // Route patterns, never the concrete address (no case reference, no query).
    assert_eq!(
        sample(
            m,
            r#"cyberdesk_http_requests_total{method="GET",route="/cases/{ref}",status="200"}"#
        ),
        Some(1.0),
        "{m}"
    );
    assert_eq!(
        sample(
            m,
            r#"cyberdesk_http_requests_total{method="GET",route="unmatched",status="404"}"#
        ),
        Some(1.0),
        "{m}"
    );
    assert!(!m.contains(&reference) && !m.contains("khong-co"));
    assert!(
        m.contains(r#"cyberdesk_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/cases/{ref}"} 1"#),
        "{m}"
    );
    assert_eq!(sample(m, "cyberdesk_intake_pending"), Some(2.0));
    assert!(sample(m, "cyberdesk_intake_oldest_pending_seconds").is_some_and(|s| s >= 0.0));
    // Each report queued its receipt mail; nothing has been sent (tests send by hand).
    let queued = db.count("SELECT count(*) AS n FROM email_outbox WHERE status = 'queued'");
    assert!(queued >= 2);
    assert_eq!(
        sample(m, r#"cyberdesk_outbox_mails{state="queued"}"#),
        Some(queued as f64)
    );
    assert_eq!(
        sample(m, r#"cyberdesk_outbox_mails{state="failed"}"#),
        Some(0.0)
    );
    assert!(sample(m, "cyberdesk_outbox_oldest_queued_seconds").is_some_and(|s| s >= 0.0));
    assert!(sample(m, r#"cyberdesk_db_pool_connections{state="idle"}"#).is_some_and(|n| n >= 1.0));
    assert!(sample(m, "cyberdesk_db_pool_waiting").is_some());
    assert_eq!(
        sample(m, "cyberdesk_hotlist_age_seconds"),
        Some(-1.0),
        "never computed here"
    );
    assert_eq!(
        sample(m, "cyberdesk_housekeeping_last_run_seconds"),
        Some(-1.0)
    );
    assert_eq!(sample(m, "cyberdesk_up"), Some(1.0));
    // Scrapes set no cookie and leave no session.
    assert!(res.set_cookies().is_empty());
}
