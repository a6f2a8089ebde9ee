//! A real streaming replica (issue 17): the test makes a private PostgreSQL
//! primary on its own port, a replica of it with `pg_basebackup -R`, and
//! runs the server with `DATABASE_REPLICA_URL`. Replay is paused on the
//! replica to tell the two apart: the list reads the replica, a browser that
//! has just written reads the primary, and a replica that falls behind is
//! no longer read.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::raw::{csrf_of, http, submit, wait_healthy, Jar};
use common::{free_port, KillOnDrop};
use diesel::{Connection, PgConnection, RunQueryDsl};

const BIN: &str = env!("CARGO_BIN_EXE_cyberdesk");

/// The directory holding `initdb`, `pg_ctl` and `pg_basebackup`.
fn pg_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists() && p.join("pg_basebackup").exists())
        .collect();
    found.sort();
    found.pop()
}

/// PostgreSQL refuses to run as root: as root, its tools run as `postgres`.
fn pg(bin: &Path, tool: &str, args: &[&str]) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let mut c = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(tool));
        c
    } else {
        Command::new(bin.join(tool))
    };
    c.args(args);
    c
}

fn run(mut c: Command, what: &str) {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A cluster started with `pg_ctl`, stopped (fast) when dropped.
struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
}

impl Cluster {
    fn start(bin: &Path, dir: &Path, port: u16) -> Cluster {
        let opts = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off -c max_connections=60",
            dir.parent().expect("parent").display()
        );
        run(
            pg(
                bin,
                "pg_ctl",
                &[
                    "-D",
                    &dir.to_string_lossy(),
                    "-o",
                    &opts,
                    "-w",
                    "-l",
                    &format!("{}.log", dir.display()),
                    "start",
                ],
            ),
            "pg_ctl start",
        );
        Cluster {
            bin: bin.to_owned(),
            dir: dir.to_owned(),
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = pg(
            &self.bin,
            "pg_ctl",
            &["-D", &self.dir.to_string_lossy(), "-m", "immediate", "stop"],
        )
        .output();
    }
}

fn exec(url: &str, sql: &str) {
    let mut c = PgConnection::establish(url).expect("connect");
    diesel::sql_query(sql)
        .execute(&mut c)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn list_shows(port: u16, jar: &mut Jar, title: &str) -> bool {
    let res = http(port, jar, "GET", "/cases?status=all", &[]);
    assert_eq!(res.status, 200);
    res.body.contains(title)
}

#[test]
fn lists_read_a_fresh_replica_and_a_writer_reads_the_primary() {
    let Some(bin) = pg_bin() else {
        if std::env::var("CI").is_ok() {
            panic!("PostgreSQL's server binaries (initdb, pg_basebackup) are not installed");
        }
        eprintln!("skipped: no PostgreSQL server binaries on this machine");
        return;
    };
    let root = std::env::temp_dir().join(format!(
        "cd-replica-{}",
        cyberdesk::domain::token::random_alnum(8).to_lowercase()
    ));
    std::fs::create_dir_all(&root).expect("dir");
    let _ = Command::new("chown")
        .args(["postgres:postgres", &root.to_string_lossy()])
        .status();
    let (primary_dir, replica_dir) = (root.join("primary"), root.join("replica"));
    let (pp, rp, port) = (free_port(), free_port(), free_port());

    run(
        pg(
            &bin,
            "initdb",
            &[
                "-D",
                &primary_dir.to_string_lossy(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
        ),
        "initdb",
    );
    let _primary = Cluster::start(&bin, &primary_dir, pp);
    run(
        pg(
            &bin,
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &pp.to_string(),
                "-U",
                "postgres",
                "-D",
                &replica_dir.to_string_lossy(),
                "-R",
                "-X",
                "stream",
            ],
        ),
        "pg_basebackup",
    );
    let _replica = Cluster::start(&bin, &replica_dir, rp);

    let primary_url = format!("postgres://postgres@127.0.0.1:{pp}/cyberdesk");
    let replica_url = format!("postgres://postgres@127.0.0.1:{rp}/cyberdesk");
    let log = std::fs::File::create(root.join("server.log")).expect("log");
    let _server = KillOnDrop(
        Command::new(BIN)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &primary_url)
            .env("DATABASE_REPLICA_URL", &replica_url)
            .env("REPLICA_STICKY_SECONDS", "2")
            .env("BIND", format!("127.0.0.1:{port}"))
            .env("DATA_DIR", root.join("data"))
            .env("REQUIRE_2FA_FOR", "none")
            .env("RUST_LOG", "info")
            .current_dir(&root)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn"),
    );
    wait_healthy(port);

    // A supervisor, on the primary.
    // Not a TestDb: its drop would drop a database of that name on the
    // tests' main server.
    cyberdesk::services::users::create(
        &mut PgConnection::establish(&primary_url).expect("connect"),
        None,
        &cyberdesk::auth::RequestMeta::default(),
        &cyberdesk::services::users::UserInput {
            email: "truong.phong@pa05.test.vn".into(),
            full_name: "Trưởng phòng".into(),
            role: "supervisor".into(),
            team: String::new(),
            on_duty: false,
            lang: "vi".into(),
            unit: String::new(),
            service: false,
        },
        Some("mat-khau-dai-123"),
    )
    .expect("create user");
    // Signing in is a write: the browser reads from the primary for 2 s.
    let mut writer = Jar::default();
    let token = csrf_of(&http(port, &mut writer, "GET", "/login", &[]).body);
    let res = http(
        port,
        &mut writer,
        "POST",
        "/login",
        &[
            ("csrf_token", &token),
            ("email", "truong.phong@pa05.test.vn"),
            ("password", "mat-khau-dai-123"),
        ],
    );
    assert_eq!(res.status, 303);
    assert!(
        writer.0.contains_key("cd_wrote"),
        "a write marks the browser"
    );
    let res = submit(
        port,
        &mut writer,
        "/cases/new",
        "/cases/new",
        &[
            ("case_type", "crime_report"),
            ("channel", "phone"),
            ("received_at", "2026-11-20T09:15"),
            ("reporter_kind", "individual"),
            ("reporter_name", "Nguyễn Văn An"),
            ("reporter_phone", "0912 345 678"),
            ("title", "Vụ việc trước khi dừng bản sao"),
            ("category_id", "1"),
            ("severity", "high"),
            ("tlp", "AMBER"),
            ("description", "Bị hại chuyển tiền cho đối tượng."),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let mut reader = writer.clone();
    reader.0.remove("cd_wrote");

    let deadline = Instant::now() + Duration::from_secs(20);
    while !list_shows(port, &mut reader, "Vụ việc trước khi dừng bản sao") {
        assert!(Instant::now() < deadline, "the replica never caught up");
        std::thread::sleep(Duration::from_millis(200));
    }

    // Replay paused, a change on the primary: the list without the mark
    // reads the replica (old title), the writer's reads the primary (new).
    exec(&replica_url, "SELECT pg_wal_replay_pause()");
    exec(
        &primary_url,
        "UPDATE cases SET title = 'Vụ việc sau khi dừng bản sao'",
    );
    assert!(
        list_shows(port, &mut reader, "Vụ việc trước khi dừng bản sao"),
        "read from the replica"
    );
    assert!(
        list_shows(port, &mut writer, "Vụ việc sau khi dừng bản sao"),
        "the writer reads its write"
    );
    // The export's rows and the statistics come from the replica too.
    let res = http(
        port,
        &mut reader,
        "GET",
        "/cases/export.csv?status=all",
        &[],
    );
    assert_eq!(res.status, 200);
    let csv = res.body;
    assert!(
        csv.contains("trước khi dừng") && !csv.contains("sau khi dừng"),
        "{csv}"
    );
    assert_eq!(http(port, &mut reader, "GET", "/stats", &[]).status, 200);

    // Left behind for longer than the window, the replica is no longer read.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !list_shows(port, &mut reader, "Vụ việc sau khi dừng bản sao") {
        assert!(Instant::now() < deadline, "a stale replica is still read");
        std::thread::sleep(Duration::from_millis(200));
    }

    // Caught up again, it is read again.
    exec(&replica_url, "SELECT pg_wal_replay_resume()");
    std::thread::sleep(Duration::from_secs(1));
    exec(&replica_url, "SELECT pg_wal_replay_pause()");
    exec(
        &primary_url,
        "UPDATE cases SET title = 'Vụ việc lần thứ ba'",
    );
    assert!(
        list_shows(port, &mut reader, "Vụ việc sau khi dừng bản sao"),
        "the replica is read again"
    );
    let log = std::fs::read_to_string(root.join("server.log")).unwrap_or_default();
    assert!(
        log.contains("reading lists, statistics and exports from the replica"),
        "{log}"
    );
    drop(_server);
    drop(_replica);
    drop(_primary);
    let _ = std::fs::remove_dir_all(&root);
}
