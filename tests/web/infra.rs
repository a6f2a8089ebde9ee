//! Migrations, the audit log's immutability, health and recovery.

use actix_web::http::StatusCode;

use crate::common::{client, signed_in, TestDb};

#[test]
fn migrations_run_on_an_empty_database_and_concurrently() {
    let db = TestDb::empty();
    let url = db.url.clone();
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                cyberdesk::db::run_migrations(&url).map_err(|e| e.to_string())
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread").expect("migrations");
    }
    cyberdesk::db::run_migrations(&url).expect("idempotent");
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .expect("dir")
        .count() as i64;
    assert_eq!(
        db.count("SELECT count(*) AS n FROM __diesel_schema_migrations"),
        migrations
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM information_schema.tables WHERE table_name IN ('users','sessions','audit_log','login_attempts','login_lockouts')"), 5);
}

#[test]
fn ensure_database_creates_a_missing_database() {
    let name = crate::common::test_db_name();
    let url = cyberdesk::db::with_database(&crate::common::server_url(), &name);
    cyberdesk::db::ensure_database(&url).expect("create");
    cyberdesk::db::ensure_database(&url).expect("exists already");
    let holder = crate::common::TestDb { name, url };
    assert_eq!(holder.count("SELECT 1::bigint AS n"), 1);
}

#[actix_web::test]
async fn audit_rows_cannot_be_changed_or_deleted() {
    let db = TestDb::new();
    let (_c, _) = signed_in(&db, "officer").await;
    let mut conn = db.conn();
    use diesel::RunQueryDsl;
    for sql in [
        "UPDATE audit_log SET action = 'x'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let err = diesel::sql_query(sql).execute(&mut conn).expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let row = db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'login' AND ip = '203.0.113.7' AND user_agent IS NULL AND actor_id IS NOT NULL");
    assert_eq!(row, 1, "who, what, where");
}

#[actix_web::test]
async fn healthz_is_ok_while_the_database_answers() {
    let db = TestDb::new();
    let mut c = client(&db).await;
    let res = c.get("/healthz").await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body, "ok");
}

#[actix_web::test]
async fn the_app_recovers_when_its_connections_are_killed() {
    let db = TestDb::new();
    let (mut c, _) = signed_in(&db, "officer").await;
    assert_eq!(c.get("/").await.status, StatusCode::OK);
    // Simulates a database restart: every connection of the pool dies.
    crate::common::admin_exec(&format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}' AND pid <> pg_backend_pid()", db.name));
    // A connection used in the last second is not pinged, so one request may
    // find its connection dead (503); that marks every older one for a ping.
    let mut ok = false;
    for _ in 0..2 {
        if c.get("/").await.status == StatusCode::OK {
            ok = true;
            break;
        }
    }
    assert!(ok, "back to normal without a restart");
    assert_eq!(c.get("/healthz").await.status, StatusCode::OK);
}
