//! Two server processes on one database, behind the nginx configuration of
//! `docs/nginx/cyberdesk.conf`: they must behave as one (issue 17). Both
//! start and migrate at once on an empty database; a session made on one
//! works on the other; the portal's limit is counted across both; an admin's
//! edit on one shows on the other within a second, and so does a revoked API
//! token; each mail goes out once.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::raw::{http, http_with, sign_in, submit, wait_healthy, Jar};
use common::{free_port, smtp::SmtpServer, KillOnDrop, TestDb};

const BIN: &str = env!("CARGO_BIN_EXE_cyberdesk");

fn instance(db: &TestDb, smtp: &SmtpServer, dir: &Path, port: u16) -> KillOnDrop {
    let log = std::fs::File::create(dir.join(format!("server-{port}.log"))).expect("log");
    KillOnDrop(
        Command::new(BIN)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &db.url)
            .env("BIND", format!("127.0.0.1:{port}"))
            .env("DATA_DIR", dir.join("data"))
            .env("SMTP_HOST", "127.0.0.1")
            .env("SMTP_PORT", smtp.port.to_string())
            .env("SMTP_TLS", "none")
            .env("TRACK_LIMIT_PER_HOUR", "5")
            .env("REQUIRE_2FA_FOR", "none")
            .env("TRUSTED_PROXIES", "127.0.0.1")
            .env("RUST_LOG", "info")
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn cyberdesk"),
    )
}

/// nginx with the documented configuration, in front of `upstreams`.
fn nginx(dir: &Path, listen: u16, upstreams: [u16; 2]) -> Option<KillOnDrop> {
    let doc = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/nginx/cyberdesk.conf");
    let site = std::fs::read_to_string(doc)
        .expect("docs/nginx/cyberdesk.conf")
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{listen}"))
        .replace("127.0.0.1:8081", &format!("127.0.0.1:{}", upstreams[0]))
        .replace("127.0.0.1:8082", &format!("127.0.0.1:{}", upstreams[1]));
    assert!(site.contains(&format!("127.0.0.1:{}", upstreams[1])));
    common::raw::nginx(dir, &site)
}

#[test]
fn two_instances_on_one_database_behave_as_one() {
    let smtp = SmtpServer::start();
    let db = TestDb::empty();
    let dir = std::env::temp_dir().join(format!("cd-instances-{}", db.name));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777))
        .expect("chmod");
    let (pa, pb, px) = (free_port(), free_port(), free_port());

    // Both start at the same moment on an empty database: one migrates, the
    // other waits for it; exactly one first administrator.
    let _a = instance(&db, &smtp, &dir, pa);
    let _b = instance(&db, &smtp, &dir, pb);
    wait_healthy(pa);
    wait_healthy(pb);
    for port in [pa, pb] {
        let log =
            std::fs::read_to_string(dir.join(format!("server-{port}.log"))).unwrap_or_default();
        assert!(
            !log.contains(" ERROR ") && !log.contains("panicked"),
            "instance {port}: {log}"
        );
    }
    assert_eq!(db.count("SELECT count(*) AS n FROM users"), 1);
    assert!(db.count("SELECT count(*) AS n FROM __diesel_schema_migrations") > 20);

    db.user(
        "truong.phong@pa05.test.vn",
        "supervisor",
        "mat-khau-dai-123",
    );
    db.user("quan.tri@pa05.test.vn", "admin", "mat-khau-dai-456");

    // A session made on A is a session on B.
    let mut sup = Jar::default();
    sign_in(
        pa,
        &mut sup,
        "truong.phong@pa05.test.vn",
        "mat-khau-dai-123",
    );
    let on_b = http(pb, &mut sup, "GET", "/cases", &[]);
    assert_eq!(on_b.status, 200, "{}", on_b.headers);

    // An admin's new category, saved on B, is in A's case-list filter
    // within a second (A had the list cached).
    assert!(!http(pa, &mut sup, "GET", "/cases", &[])
        .body
        .contains("Lừa đảo thử nghiệm liên máy"));
    let mut admin = Jar::default();
    sign_in(pb, &mut admin, "quan.tri@pa05.test.vn", "mat-khau-dai-456");
    let saved = submit(
        pb,
        &mut admin,
        "/admin/categories",
        "/admin/categories",
        &[
            ("code", "cross_instance"),
            ("name_vi", "Lừa đảo thử nghiệm liên máy"),
            ("name_en", "Cross-instance test fraud"),
            ("parent_id", "1"),
            ("sort", "95"),
            ("active", "on"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let saved_at = Instant::now();
    loop {
        if http(pa, &mut sup, "GET", "/cases", &[])
            .body
            .contains("Lừa đảo thử nghiệm liên máy")
        {
            break;
        }
        assert!(
            saved_at.elapsed() < Duration::from_secs(1),
            "the category did not reach the other instance within a second"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // An API token that instance A remembers is refused there within a
    // second of being revoked anywhere (here by hand, as in psql).
    let secret = format!("cdk_{}", "Q7".repeat(20));
    db.exec(&format!(
        "INSERT INTO api_tokens (user_id, name, prefix, token_hash, scopes, expires_at)
         SELECT id, 'cross', 'Q7Q7Q7', sha256('{secret}'::bytea), ARRAY['cases:read'], now() + interval '1 day'
         FROM users WHERE email = 'truong.phong@pa05.test.vn'"
    ));
    let bearer = format!("Bearer {secret}");
    let api = |port: u16| {
        http_with(
            port,
            &mut Jar::default(),
            "GET",
            "/api/v1/cases",
            &[],
            &[("Authorization", &bearer)],
        )
        .status
    };
    assert_eq!((api(pa), api(pa), api(pb)), (200, 200, 200));
    db.exec("UPDATE api_tokens SET revoked_at = now() WHERE name = 'cross'");
    let revoked_at = Instant::now();
    while api(pa) != 401 {
        assert!(
            revoked_at.elapsed() < Duration::from_secs(1),
            "the revoked token still worked on A after a second"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(api(pb), 401);

    // Twelve tracking look-ups, alternating between the instances, against
    // a limit of five an hour: five answered, seven refused.
    let mut visitor = Jar::default();
    let mut refused = 0;
    for i in 0..12 {
        let port = if i % 2 == 0 { pa } else { pb };
        let res = submit(
            port,
            &mut visitor,
            "/track",
            "/track",
            &[("code", "AAAA-BBBB-CCCCC"), ("proof", "0987654321")],
        );
        assert!(matches!(res.status, 200 | 422 | 429), "{}", res.headers);
        refused += usize::from(res.status == 429);
    }
    assert_eq!(refused, 7, "the limit is counted across both instances");

    // Each mail is sent once, though both instances run a sender.
    {
        let mut conn = db.conn();
        let mails: Vec<cyberdesk::models::outbox::NewMail> = (0..30)
            .map(|i| cyberdesk::models::outbox::NewMail {
                kind: "test".into(),
                recipient: format!("can.bo{i}@pa05.test.vn"),
                recipient_user_id: None,
                lang: "vi".into(),
                subject: format!("Thư thử số {i}"),
                body_text: "Nội dung".into(),
                body_html: String::new(),
                case_id: None,
                token: format!("instances-{i}"),
                dedupe_key: None,
            })
            .collect();
        cyberdesk::models::outbox::insert(&mut conn, &mails).expect("queue");
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while smtp.received().len() < 30 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(2));
    let mut to: Vec<String> = smtp.received().iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    let before = to.len();
    to.dedup();
    assert_eq!((before, to.len()), (30, 30), "each mail once: {to:?}");

    // Through nginx, with the documented configuration: the pair serves a
    // signed-in user's list without an error, whichever instance answers.
    if let Some(_proxy) = nginx(&dir, px, [pa, pb]) {
        wait_healthy(px);
        let mut jar = Jar::default();
        sign_in(
            px,
            &mut jar,
            "truong.phong@pa05.test.vn",
            "mat-khau-dai-123",
        );
        for _ in 0..10 {
            let res = http(px, &mut jar, "GET", "/cases", &[]);
            assert_eq!(res.status, 200, "{}", res.headers);
        }
    } else if std::env::var("CI").is_ok() {
        panic!("nginx is not installed (.ci/run installs it)");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
