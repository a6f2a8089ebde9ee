//! Test support: a real PostgreSQL database per test, cloned from a migrated
//! template, and a cookie-keeping client that drives the real app (the same
//! `configure` as `main`).
#![allow(dead_code)]

pub mod raw;
pub mod s3;
pub mod smtp;

use std::{collections::BTreeMap, path::PathBuf, sync::OnceLock, time::Duration};

use actix_web::{
    body::{to_bytes, BoxBody},
    dev::{Service, ServiceResponse},
    http::{header::HeaderMap, StatusCode},
    test, web, App,
};
use diesel::{pg::PgConnection, Connection, RunQueryDsl};
use sha2::{Digest, Sha256};

use cyberdesk::{
    auth::RequestMeta,
    config::Config,
    db,
    i18n::Lang,
    services::users::{self, UserInput},
    AppState,
};

/// The PostgreSQL server the tests use (`DATABASE_URL`'s server, default local).
pub fn server_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/cyberdesk".into())
}

fn admin_conn() -> PgConnection {
    let url = db::with_database(&server_url(), "postgres");
    PgConnection::establish(&url).unwrap_or_else(|e| {
        panic!(
            "tests need a PostgreSQL server at {} (set DATABASE_URL to one whose role may CREATE DATABASE): {e}",
            db::describe_url(&url)
        )
    })
}

/// Runs a statement on the server's maintenance database.
pub fn admin_exec(sql: &str) -> usize {
    diesel::sql_query(sql)
        .execute(&mut admin_conn())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Template name derived from the migrations' content, so editing a migration
/// builds a fresh template instead of reusing a stale one.
fn template_name() -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("migrations dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    let mut h = Sha256::new();
    for d in entries {
        h.update(
            d.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
                .as_bytes(),
        );
        h.update(std::fs::read(d.join("up.sql")).unwrap_or_default());
    }
    // And the migrations this build embeds: a test binary built before a
    // migration was added must not take the template of the newer set.
    let embedded =
        diesel::migration::MigrationSource::<diesel::pg::Pg>::migrations(&db::MIGRATIONS)
            .unwrap_or_default();
    for m in embedded {
        h.update(m.name().to_string().as_bytes());
    }
    format!(
        "cdtpl_{}",
        &cyberdesk::domain::token::hex(&h.finalize())[..16]
    )
}

fn template() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let name = template_name();
        let mut conn = admin_conn();
        diesel::sql_query("SELECT pg_advisory_lock(7246)")
            .execute(&mut conn)
            .expect("lock");
        let exists = diesel::sql_query(format!(
            "SELECT 1 FROM pg_database WHERE datname = '{name}'"
        ))
        .execute(&mut conn)
        .expect("query")
            > 0;
        if !exists {
            // Built under a temporary name and renamed, so a crash never leaves a
            // half-migrated template behind.
            let tmp = format!("{name}_build");
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {tmp} WITH (FORCE)"))
                .execute(&mut conn)
                .expect("drop");
            diesel::sql_query(format!("CREATE DATABASE {tmp}"))
                .execute(&mut conn)
                .expect("create template");
            db::run_migrations(&db::with_database(&server_url(), &tmp)).expect("migrate template");
            diesel::sql_query(format!("ALTER DATABASE {tmp} RENAME TO {name}"))
                .execute(&mut conn)
                .expect("rename");
        }
        diesel::sql_query("SELECT pg_advisory_unlock(7246)")
            .execute(&mut conn)
            .expect("unlock");
        name
    })
}

/// Drops databases left behind by killed test runs: per-test databases older than two
/// hours (their names carry the creation time) and templates of older migrations
/// that nobody is using.
fn sweep(conn: &mut PgConnection, current_template: &str) {
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let names: Vec<Name> = diesel::sql_query(
        "SELECT datname::text AS datname FROM pg_database WHERE datname LIKE 'cdt%'",
    )
    .load(conn)
    .unwrap_or_default();
    let cutoff = unix_now().saturating_sub(2 * 3600);
    for Name { datname } in names {
        let stale_test = datname
            .strip_prefix("cdt_")
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok())
            .is_some_and(|created| created < cutoff);
        if stale_test {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {datname} WITH (FORCE)"))
                .execute(conn);
        } else if datname.starts_with("cdtpl_")
            && datname != current_template
            && !datname.ends_with("_build")
        {
            // Without FORCE: a template another checkout is cloning right now stays.
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {datname}")).execute(conn);
        }
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A name for a per-test database: creation time (for the sweep) and randomness.
pub fn test_db_name() -> String {
    format!(
        "cdt_{}_{}",
        unix_now(),
        cyberdesk::domain::token::random_alnum(10).to_lowercase()
    )
}

/// A fresh, migrated database for one test; dropped when the value is dropped.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub fn new() -> TestDb {
        let tpl = template();
        let name = test_db_name();
        let mut conn = admin_conn();
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {tpl}"))
            .execute(&mut conn)
            .expect("create test database");
        TestDb {
            url: db::with_database(&server_url(), &name),
            name,
        }
    }

    /// An empty database (no migrations), for migration tests.
    pub fn empty() -> TestDb {
        let name = format!(
            "cdt_{}",
            cyberdesk::domain::token::random_alnum(16).to_lowercase()
        );
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin_conn())
            .expect("create");
        TestDb {
            url: db::with_database(&server_url(), &name),
            name,
        }
    }

    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.url).expect("connect to test database")
    }

    pub fn exec(&self, sql: &str) -> usize {
        diesel::sql_query(sql)
            .execute(&mut self.conn())
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Runs a query returning one bigint.
    pub fn count(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let rows: Vec<N> = diesel::sql_query(sql)
            .load(&mut self.conn())
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        rows.first().map(|r| r.n).unwrap_or(0)
    }

    pub fn config(&self) -> Config {
        test_config(&self.url)
    }

    /// Creates a user with a chosen password (no forced change), in the
    /// first unit.
    pub fn user(&self, email: &str, role: &str, password: &str) -> i64 {
        self.user_in(email, role, password, "")
    }

    /// The same in the unit with code `unit`.
    pub fn user_in(&self, email: &str, role: &str, password: &str, unit: &str) -> i64 {
        let input = UserInput {
            email: email.into(),
            full_name: format!("Test {role}"),
            role: role.into(),
            team: "Đội 1".into(),
            on_duty: false,
            lang: "vi".into(),
            unit: unit.into(),
            service: false,
        };
        let (u, _) = users::create(
            &mut self.conn(),
            None,
            &RequestMeta::default(),
            &input,
            Some(password),
        )
        .expect("create user");
        u.id
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = diesel::sql_query(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin_conn());
    }
}

pub fn test_config(url: &str) -> Config {
    Config {
        database_url: url.to_owned(),
        replica_url: None,
        replica_sticky: Duration::from_secs(5),
        bind: "127.0.0.1:0".parse().expect("addr"),
        public_base_url: "http://localhost:8080".into(),
        data_dir: std::env::temp_dir().join("cyberdesk-test"),
        unit_name: "Phòng PA05 - Công an tỉnh Thử Nghiệm".into(),
        ref_prefix: "PA05".into(),
        default_lang: Lang::Vi,
        time_zone: chrono_tz::Asia::Ho_Chi_Minh,
        admin_email: "admin@cyberdesk.local".into(),
        session_idle: Duration::from_secs(2 * 3600),
        session_lifetime: Duration::from_secs(12 * 3600),
        pool_size: 4,
        db_timeout: Duration::from_secs(2),
        login_ip_max_failures: 20,
        trusted_proxies: Vec::new(),
        evidence_max_bytes: 2 * 1024 * 1024,
        report_cutoff_day: 15,
        export_max_rows: 1_000_000,
        api_requests_per_minute: 600,
        // Tests that are about the second factor require it themselves.
        require_2fa_for: Vec::new(),
        s3: None,
        metrics_allow: vec![std::net::IpAddr::from([127, 0, 0, 1])],
        metrics_token: None,
        portal: cyberdesk::config::PortalConfig {
            max_files: 3,
            max_file_bytes: 64 * 1024,
            reports_per_hour: 1000,
            lookups_per_hour: 1000,
            burst_per_minute: 1000,
            min_fill_seconds: 0,
        },
        mail: cyberdesk::config::MailConfig {
            transport: cyberdesk::config::MailTransport::File(
                std::env::temp_dir().join("cyberdesk-test").join("mail"),
            ),
            from: "PA05 cyberdesk <noreply@pa05.test.vn>".into(),
            // Tests drive the sender themselves (mail::send_due).
            sender: false,
            threads: 2,
            poll: Duration::from_millis(50),
            max_attempts: 3,
            retry_base: Duration::from_secs(60),
            retry_max: Duration::from_secs(600),
            digest_hour: 7,
        },
    }
}

pub const PASSWORD: &str = "mật khẩu thật dài 2026";

/// A response, read whole.
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The body as sent (files).
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn location(&self) -> &str {
        self.header("location")
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }
}

pub trait AppService:
    Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>
{
}
impl<S> AppService for S where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>
{
}

/// Builds the real app over `state`.
pub async fn app(state: web::Data<AppState>) -> impl AppService {
    test::init_service(App::new().app_data(state).configure(cyberdesk::configure)).await
}

/// A browser-like client: keeps cookies, finds CSRF tokens in pages.
pub struct Client<S> {
    pub app: S,
    pub cookies: BTreeMap<String, String>,
    pub csrf: Option<String>,
    pub peer: std::net::SocketAddr,
    pub headers: Vec<(String, String)>,
}

impl<S: AppService> Client<S> {
    pub fn new(app: S) -> Client<S> {
        Client {
            app,
            cookies: BTreeMap::new(),
            csrf: None,
            peer: "203.0.113.7:40000".parse().expect("addr"),
            headers: Vec::new(),
        }
    }

    pub async fn send(&mut self, mut req: test::TestRequest) -> Resp {
        if !self.cookies.is_empty() {
            let header = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req = req.insert_header(("cookie", header));
        }
        for (k, v) in &self.headers {
            req = req.insert_header((k.as_str(), v.as_str()));
        }
        let res = test::call_service(&self.app, req.peer_addr(self.peer).to_request()).await;
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = to_bytes(res.into_body()).await.unwrap_or_default().to_vec();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        for c in headers
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok())
        {
            let pair = c.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                let removed = c.contains("Max-Age=0") || value.is_empty();
                if removed {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
                if name == "cd_session" {
                    self.csrf = None;
                }
            }
        }
        if let Some(token) = find_csrf(&body) {
            self.csrf = Some(token);
        }
        Resp {
            status,
            headers,
            body,
            bytes,
        }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        self.send(test::TestRequest::get().uri(path)).await
    }

    /// The CSRF token a page would carry for this client now.
    pub async fn csrf(&mut self) -> String {
        if self.csrf.is_none() {
            let page = if self.cookies.contains_key("cd_session") {
                "/password/change"
            } else {
                "/login"
            };
            self.get(page).await;
            if self.csrf.is_none() {
                // A sign-in waiting for its second factor reaches only that page.
                self.get("/login/2fa").await;
            }
        }
        self.csrf.clone().expect("a page with a CSRF token")
    }

    /// POSTs a form with the right CSRF token.
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Resp {
        let token = self.csrf().await;
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        fields.push(("csrf_token", &token));
        self.post_raw(path, &fields).await
    }

    /// POSTs exactly these fields.
    pub async fn post_raw(&mut self, path: &str, form: &[(&str, &str)]) -> Resp {
        let body = serde_urlencoded::to_string(form).expect("encode");
        self.send(
            test::TestRequest::post()
                .uri(path)
                .insert_header(("content-type", "application/x-www-form-urlencoded"))
                .set_payload(body),
        )
        .await
    }

    /// POSTs a multipart form (text fields and files) with the CSRF token as
    /// its first part, as the public forms do.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &[u8])],
    ) -> Resp {
        self.post_files(path, fields, "evidence", files).await
    }

    /// A multipart form whose files go in the field `file_field`.
    pub async fn post_files(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file_field: &str,
        files: &[(&str, &[u8])],
    ) -> Resp {
        let token = self.csrf.clone().unwrap_or_default();
        let mut parts: Vec<Part> = vec![Part::field("csrf_token", &token)];
        parts.extend(fields.iter().map(|(name, value)| Part::field(name, value)));
        parts.extend(
            files
                .iter()
                .map(|(filename, bytes)| Part::file(file_field, filename, bytes)),
        );
        self.post_parts(path, &parts).await
    }

    /// A multipart body of exactly these parts, in this order (no token added).
    pub async fn post_parts(&mut self, path: &str, parts: &[Part]) -> Resp {
        let boundary = "----cyberdesk-test-boundary-7MA4YWxkTrZu0gW";
        let mut body: Vec<u8> = Vec::new();
        for part in parts {
            match &part.filename {
                None => body.extend_from_slice(
                    format!(
                        "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n",
                        part.name
                    )
                    .as_bytes(),
                ),
                Some(filename) => body.extend_from_slice(
                    format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{filename}\"\r\nContent-Type: image/png\r\n\r\n", part.name).as_bytes(),
                ),
            }
            body.extend_from_slice(&part.bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.send(
            test::TestRequest::post()
                .uri(path)
                .insert_header((
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                ))
                .set_payload(body),
        )
        .await
    }

    pub async fn login(&mut self, email: &str, password: &str) -> Resp {
        self.post("/login", &[("email", email), ("password", password)])
            .await
    }
}

fn find_csrf(body: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = body.find(marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_owned())
}

/// App state for a test database.
pub fn state(db: &TestDb) -> web::Data<AppState> {
    web::Data::new(AppState::new(db.config()))
}

/// A client over a fresh app for `db`.
pub async fn client(db: &TestDb) -> Client<impl AppService> {
    Client::new(app(state(db)).await)
}

/// A client signed in as a new user of `role`.
pub async fn signed_in(db: &TestDb, role: &str) -> (Client<impl AppService>, i64) {
    let email = format!(
        "{role}-{}@pa05.test.vn",
        cyberdesk::domain::token::random_alnum(6).to_lowercase()
    );
    let id = db.user(&email, role, PASSWORD);
    let mut c = client(db).await;
    let res = c.login(&email, PASSWORD).await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "sign-in as {role} failed: {}",
        res.body
    );
    (c, id)
}

/// Kills a spawned process when the test ends, pass or fail, so no orphan keeps
/// the test's output pipe open.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// One part of a multipart body.
#[derive(Clone)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub bytes: Vec<u8>,
}

impl Part {
    pub fn field(name: &str, value: &str) -> Part {
        Part {
            name: name.to_owned(),
            filename: None,
            bytes: value.as_bytes().to_vec(),
        }
    }

    pub fn file(name: &str, filename: &str, bytes: &[u8]) -> Part {
        Part {
            name: name.to_owned(),
            filename: Some(filename.to_owned()),
            bytes: bytes.to_vec(),
        }
    }
}
