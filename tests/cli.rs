//! The binary itself: start-up, configuration errors, migrate, user add, first run,
//! graceful shutdown.

mod common;

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use common::{admin_exec, free_port, server_url, KillOnDrop, TestDb};

const BIN: &str = env!("CARGO_BIN_EXE_cyberdesk");

fn cyberdesk(db_url: &str) -> Command {
    let mut c = Command::new(BIN);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", db_url)
        .env("RUST_LOG", "info")
        .env("DATA_DIR", std::env::temp_dir().join("cyberdesk-cli-test"))
        // Run from a directory without a .env file.
        .current_dir(std::env::temp_dir());
    c
}

fn fresh_name() -> String {
    common::test_db_name()
}

/// Drops a database created by the binary when the test ends.
struct DropDb(String);
impl Drop for DropDb {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(|| {
            admin_exec(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.0))
        });
    }
}

#[test]
fn an_unreachable_database_stops_start_up_with_one_clear_line() {
    let out = cyberdesk("postgres://postgres@127.0.0.1:1/cyberdesk")
        .arg("serve")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(
        lines[0].contains("127.0.0.1:1") && lines[0].contains("DATABASE_URL"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn a_bad_setting_names_the_variable() {
    for (key, value) in [
        ("BIND", "nowhere"),
        ("DEFAULT_LANG", "fr"),
        ("REF_PREFIX", "pa-05"),
        ("PUBLIC_BASE_URL", "ftp://x"),
        ("SESSION_IDLE_MINUTES", "0"),
        ("TIME_ZONE", "Mars/Olympus"),
        ("MAIL_FROM", "not an address"),
        ("MAIL_SENDER", "maybe"),
        ("MAIL_DIGEST_HOUR", "24"),
    ] {
        let out = cyberdesk(&server_url())
            .env(key, value)
            .arg("serve")
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{key}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{key}: {stderr}");
        assert!(stderr.contains(key), "{key}: {stderr}");
    }
    // SMTP settings are checked when SMTP is chosen.
    for (key, value) in [
        ("SMTP_TLS", "ssl"),
        ("SMTP_PORT", "70000"),
        ("SMTP_PASSWORD", "without-a-user"),
    ] {
        let out = cyberdesk(&server_url())
            .env("SMTP_HOST", "mail.pa05.test.vn")
            .env(key, value)
            .arg("serve")
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{key}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{key}: {stderr}");
        assert!(stderr.contains(key), "{key}: {stderr}");
    }
    // A password is never sent over a plain connection to a remote server.
    let out = cyberdesk(&server_url())
        .env("SMTP_HOST", "mail.pa05.test.vn")
        .env("SMTP_TLS", "none")
        .env("SMTP_USER", "cyberdesk")
        .env("SMTP_PASSWORD", "secret-password")
        .arg("serve")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("SMTP_TLS") && !stderr.contains("secret-password"),
        "{stderr}"
    );
    let out = cyberdesk("mysql://localhost/x")
        .arg("migrate")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_URL"));
}

#[test]
fn migrate_and_user_add_work_on_a_new_database() {
    let name = fresh_name();
    let _guard = DropDb(name.clone());
    let url = cyberdesk::db::with_database(&server_url(), &name);
    // Two instances migrating the same new database at once do not race.
    let a = cyberdesk(&url)
        .arg("migrate")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let b = cyberdesk(&url)
        .arg("migrate")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    for child in [a, b] {
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let mut child = cyberdesk(&url)
        .args([
            "user",
            "add",
            "--email",
            "Lan@PA05.vn",
            "--name",
            "Nguyễn Thị Lan",
            "--role",
            "supervisor",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"mat khau rat dai 2026\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("lan@pa05.vn"));

    let out = cyberdesk(&url)
        .args([
            "user",
            "add",
            "--email",
            "minh@pa05.vn",
            "--name",
            "Minh",
            "--role",
            "officer",
        ])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("one-time password:"),
        "{stdout}"
    );

    let out = cyberdesk(&url)
        .args([
            "user",
            "add",
            "--email",
            "LAN@pa05.vn",
            "--name",
            "Dup",
            "--role",
            "officer",
        ])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already an account"));
    let out = cyberdesk(&url)
        .args([
            "user",
            "add",
            "--email",
            "x@pa05.vn",
            "--name",
            "X",
            "--role",
            "officer",
            "--password-stdin",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert!(!out.status.success(), "an empty password is refused");

    let db = TestDb {
        name: name.clone(),
        url: url.clone(),
    };
    assert_eq!(db.count("SELECT count(*) AS n FROM users WHERE email = 'lan@pa05.vn' AND NOT must_change_password AND role = 'supervisor'"), 1);
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM users WHERE email = 'minh@pa05.vn' AND must_change_password"
        ),
        1
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'user_create' AND detail->>'via' = 'cli'"), 2);
    std::mem::forget(db); // _guard drops it
}

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

#[test]
fn first_start_creates_the_database_and_the_admin_then_stops_gracefully() {
    let name = fresh_name();
    let _guard = DropDb(name.clone());
    let url = cyberdesk::db::with_database(&server_url(), &name);
    let port = free_port();
    let mut child = KillOnDrop(
        cyberdesk(&url)
            .env("BIND", format!("127.0.0.1:{port}"))
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn"),
    );
    let stderr = child.0.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut password = None;
    let mut listening = false;
    while Instant::now() < deadline && !(listening && password.is_some()) {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            if let Some(rest) = line.split("one-time password ").nth(1) {
                password = rest.split_whitespace().next().map(str::to_owned);
                assert!(
                    line.contains("admin@cyberdesk.local") && line.contains("must be changed"),
                    "{line}"
                );
            }
            listening |= line.contains("listening on");
        }
    }
    let password = password.expect("first-run password in the log");
    assert_eq!(password.len(), 20);
    let health = http_get(port, "/healthz").expect("server answers");
    assert!(
        health.starts_with("HTTP/1.1 200") && health.ends_with("ok"),
        "{health}"
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(s) = child.0.try_wait().expect("wait") {
            break s;
        }
        assert!(started.elapsed() < Duration::from_secs(35), "did not stop");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
    let rest: Vec<String> = rx.try_iter().collect();
    assert!(
        rest.iter().any(|l| l.contains("cyberdesk stopped")),
        "{rest:?}"
    );
    assert!(
        !rest.iter().any(|l| l.contains(&password)),
        "password printed only once"
    );

    // A second start finds the admin and does not create another.
    let port = free_port();
    let mut child = KillOnDrop(
        cyberdesk(&url)
            .env("BIND", format!("127.0.0.1:{port}"))
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while http_get(port, "/healthz").is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    // Signal it only while it runs: a pid that already exited may belong to
    // another test's process by now.
    if child.0.try_wait().expect("wait").is_none() {
        Command::new("kill")
            .args(["-TERM", &child.0.id().to_string()])
            .status()
            .expect("kill");
    }
    child.0.wait().expect("wait");
    let db = TestDb {
        name: name.clone(),
        url,
    };
    assert_eq!(db.count("SELECT count(*) AS n FROM users"), 1);
    std::mem::forget(db);
}

#[test]
fn mail_test_sends_through_the_configured_transport_and_says_so() {
    let db = TestDb::new();
    let dir = std::env::temp_dir().join(format!("cd-cli-mail-{}", db.name));
    let out = cyberdesk(&db.url)
        .env("DATA_DIR", &dir)
        .args(["mail", "test", "--to", "truc.ban@pa05.test.vn"])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{:?}: {} / {}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        stdout
    );
    assert!(
        stdout.contains("sent to truc.ban@pa05.test.vn via file:"),
        "{stdout}"
    );
    assert!(stdout.contains("Message-ID <outbox-"), "{stdout}");
    let files: Vec<_> = std::fs::read_dir(dir.join("mail"))
        .expect("mail dir")
        .flatten()
        .collect();
    assert_eq!(files.len(), 1);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM email_outbox WHERE kind = 'test' AND status = 'sent'"),
        1
    );

    // Over SMTP, to a server that is down: a clear failure, exit status 1,
    // and the row recorded as failed.
    let out = cyberdesk(&db.url)
        .env("DATA_DIR", &dir)
        .env("SMTP_HOST", "127.0.0.1")
        .env("SMTP_PORT", free_port().to_string())
        .env("SMTP_TLS", "none")
        .env("SMTP_TIMEOUT_SECONDS", "2")
        .args(["mail", "test", "--to", "truc.ban@pa05.test.vn"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("failed") && stderr.contains("smtp: 127.0.0.1"),
        "{stderr}"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM email_outbox WHERE status = 'failed'"),
        1
    );

    // Through the test SMTP server: delivered.
    let server = common::smtp::SmtpServer::start();
    let out = cyberdesk(&db.url)
        .env("DATA_DIR", &dir)
        .env("SMTP_HOST", "127.0.0.1")
        .env("SMTP_PORT", server.port.to_string())
        .env("SMTP_TLS", "none")
        .args(["mail", "test", "--to", "truc.ban@pa05.test.vn"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(server.received().len(), 1);
    assert_eq!(
        server.received()[0].to,
        vec!["truc.ban@pa05.test.vn".to_owned()]
    );

    let out = cyberdesk(&db.url)
        .args(["mail", "test", "--to", "not-an-address"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--to must be an e-mail address"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn units_are_kept_from_the_command_line_and_users_join_one() {
    let name = fresh_name();
    let _guard = DropDb(name.clone());
    let url = cyberdesk::db::with_database(&server_url(), &name);
    let run = |args: &[&str]| {
        let out = cyberdesk(&url).args(args).output().expect("run");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, err) = run(&[
        "unit",
        "add",
        "--code",
        "CAP-HOAXUAN",
        "--prefix",
        "HX",
        "--kind",
        "commune_police",
        "--name",
        "Công an phường Hòa Xuân",
        "--parent",
        "PA05",
        "--contact",
        "0236 111 222",
    ]);
    assert!(ok, "{out}{err}");
    // The same code or prefix again: refused with the reason, nothing added.
    let (ok, _, err) = run(&[
        "unit",
        "add",
        "--code",
        "CAP-HOAXUAN",
        "--prefix",
        "HX",
        "--kind",
        "commune_police",
        "--name",
        "Trùng",
    ]);
    assert!(
        !ok && err.contains("code") && err.contains("ref_prefix"),
        "{err}"
    );
    let (ok, _, err) = run(&[
        "unit", "add", "--code", "X1", "--prefix", "Y1", "--kind", "galaxy", "--name", "X",
    ]);
    assert!(!ok && err.contains("kind"), "{err}");
    // A new name from a date; the list shows the current one.
    let (ok, out, err) = run(&[
        "unit",
        "edit",
        "CAP-HOAXUAN",
        "--name",
        "Công an phường Hòa Xuân (mới)",
        "--name-from",
        "2025-07-01",
    ]);
    assert!(ok, "{out}{err}");
    let (ok, out, _) = run(&["unit", "list"]);
    assert!(
        ok && out.contains("CAP-HOAXUAN\tHX\tcommune_police\tPA05\tCông an phường Hòa Xuân (mới)"),
        "{out}"
    );
    let (ok, _, err) = run(&["unit", "edit", "NOPE", "--name", "x"]);
    assert!(!ok && err.contains("cyberdesk unit list"), "{err}");
    // A user of the unit, and one of a unit that does not exist.
    let add = |unit: &str, email: &str| {
        let mut child = cyberdesk(&url)
            .args([
                "user",
                "add",
                "--email",
                email,
                "--name",
                "Cán bộ",
                "--role",
                "officer",
                "--unit",
                unit,
                "--password-stdin",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write;
            let _ = stdin.write_all(b"mot mat khau rat dai 2026\n");
        }
        child.wait_with_output().expect("wait")
    };
    assert!(add("CAP-HOAXUAN", "cb@hoaxuan.vn").status.success());
    let bad = add("NOPE", "cb2@hoaxuan.vn");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unit"));
    use diesel::prelude::*;
    let mut conn = diesel::PgConnection::establish(&url).expect("connect");
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let n: N = diesel::sql_query("SELECT count(*) AS n FROM users u JOIN units x ON x.id = u.unit_id WHERE u.email = 'cb@hoaxuan.vn' AND x.code = 'CAP-HOAXUAN'")
        .get_result(&mut conn)
        .expect("count");
    assert_eq!(n.n, 1);
    let n: N = diesel::sql_query(
        "SELECT count(*) AS n FROM audit_log WHERE action IN ('unit_create', 'unit_update')",
    )
    .get_result(&mut conn)
    .expect("count");
    assert_eq!(n.n, 2);
}

#[test]
fn import_prints_its_template_dry_runs_row_by_row_and_imports() {
    let name = fresh_name();
    let _guard = DropDb(name.clone());
    let url = cyberdesk::db::with_database(&server_url(), &name);
    let dir = std::env::temp_dir().join(format!("cd-import-cli-{name}"));
    std::fs::create_dir_all(&dir).expect("dir");
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut cmd = cyberdesk(&url);
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run");
        if let Some(s) = stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(s.as_bytes())
                .expect("write");
        }
        let out = child.wait_with_output().expect("wait");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, _) = run(&["import", "--template", "--lang", "en"], None);
    assert!(
        ok && out.starts_with("External ID,Case type,Received,"),
        "{out}"
    );
    let (ok, out, _) = run(&["import", "--template"], None);
    assert!(
        ok && out.starts_with("Số hồ sơ cũ,Loại vụ việc,Ngày tiếp nhận,"),
        "{out}"
    );

    let file = dir.join("so-cu.csv");
    std::fs::write(
        &file,
        "External ID;Case type;Received;Title\n1;crime_report;05/03/2024;Lừa đảo\n2;crime_report;hôm qua;Sai ngày\n",
    )
    .expect("write");
    let path = file.to_string_lossy().into_owned();
    // No administrator yet: the import says who is missing.
    run(&["migrate"], None);
    let (ok, _, err) = run(&["import", &path], None);
    assert!(!ok && err.contains("no active administrator"), "{err}");
    let (ok, _, err) = run(
        &[
            "user",
            "add",
            "--email",
            "qt@pa05.vn",
            "--name",
            "Quản trị",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("mat khau quan tri 2026"),
    );
    assert!(ok, "{err}");
    let errors = dir.join("errors.csv");
    let errors_path = errors.to_string_lossy().into_owned();
    let (ok, out, err) = run(
        &[
            "import",
            &path,
            "--dry-run",
            "--lang",
            "en",
            "--errors",
            &errors_path,
        ],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("Row 2 (no. 1): would create a case"), "{out}");
    assert!(
        out.contains("Row 3 (no. 2): not imported: Received: “hôm qua” cannot be read as a date"),
        "{out}"
    );
    assert!(
        out.contains("would create 1, already imported 0, differing 0, rejected 1"),
        "{out}"
    );
    assert!(std::fs::read_to_string(&errors)
        .expect("errors")
        .contains("hôm qua"));
    let (ok, out, err) = run(&["import", &path, "--source", "Sổ cũ"], None);
    assert!(ok && out.contains("created 1,"), "{out}{err}");
    let (ok, out, _) = run(&["import", &path, "--source", "Sổ cũ"], None);
    assert!(ok && out.contains("created 0, already imported 1"), "{out}");
    // A file that is not a register: one clear line, failure.
    let png = dir.join("x.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\0IHDR").expect("write");
    let (ok, _, err) = run(&["import", &png.to_string_lossy(), "--lang", "en"], None);
    assert!(!ok && err.contains("not a spreadsheet or CSV"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_service_account_and_its_token_are_made_from_the_command_line() {
    let db = TestDb::new();
    let out = cyberdesk(&db.url)
        .args([
            "user",
            "add",
            "--email",
            "api@vcb.test.vn",
            "--name",
            "VCB",
            "--role",
            "officer",
            "--service",
        ])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !stdout.contains("password"),
        "no password for a service account: {stdout}"
    );

    let out = cyberdesk(&db.url)
        .args([
            "token",
            "create",
            "--user",
            "API@vcb.test.vn",
            "--scope",
            "identifiers:lookup,hotlist:read",
            "--expires",
            "30",
            "--name",
            "đối soát",
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(
        secret.starts_with("cdk_") && secret.len() == 44,
        "only the token on stdout: {secret}"
    );
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM api_tokens WHERE token_hash = sha256('{secret}'::bytea)
               AND scopes = ARRAY['identifiers:lookup', 'hotlist:read']
               AND expires_at BETWEEN now() + interval '29 days' AND now() + interval '31 days'"
        )),
        1
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'token_create' AND detail->>'via' = 'cli'"),
        1
    );
    let out = cyberdesk(&db.url)
        .args(["token", "list", "--user", "api@vcb.test.vn"])
        .output()
        .expect("run");
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("đối soát") && listed.contains("live") && !listed.contains(&secret[4..]),
        "{listed}"
    );

    // Bad input: a clear line, non-zero, nothing written.
    for (args, says) in [
        (
            vec!["--user", "api@vcb.test.vn", "--scope", "cases:delete"],
            "scope",
        ),
        (
            vec![
                "--user",
                "api@vcb.test.vn",
                "--scope",
                "cases:read",
                "--expires",
                "0",
            ],
            "730",
        ),
        (
            vec!["--user", "nobody@vcb.test.vn", "--scope", "cases:read"],
            "no account",
        ),
    ] {
        let out = cyberdesk(&db.url)
            .args(["token", "create"])
            .args(&args)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(says),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(db.count("SELECT count(*) AS n FROM api_tokens"), 1);
}

#[test]
fn audit_verify_exits_zero_when_intact_and_names_the_row_when_not() {
    let db = TestDb::new();
    db.user("ld@pa05.test.vn", "supervisor", "mat khau rat dai 2026");
    db.user("cb@pa05.test.vn", "officer", "mat khau rat dai 2026");
    let out = cyberdesk(&db.url)
        .args(["audit", "verify"])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("audit log intact"), "{stdout}");
    let id = db.count("SELECT min(id) AS n FROM audit_log");
    db.exec("ALTER TABLE audit_log DISABLE TRIGGER USER");
    db.exec(&format!(
        "UPDATE audit_log SET ip = '10.0.0.1' WHERE id = {id}"
    ));
    db.exec("ALTER TABLE audit_log ENABLE TRIGGER USER");
    let out = cyberdesk(&db.url)
        .args(["audit", "verify"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("row id {id}")) && stderr.contains("changed"),
        "{stderr}"
    );
}

#[test]
fn demo_loads_a_working_unit_on_an_empty_database_once() {
    let db = TestDb::empty();
    let dir = std::env::temp_dir().join(format!("cd-cli-demo-{}", db.name));
    let _ = std::fs::remove_dir_all(&dir);
    let demo = || {
        cyberdesk(&db.url)
            .env("DATA_DIR", &dir)
            .args(["demo", "--cases", "300"])
            .output()
            .expect("run")
    };

    let out = demo();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{:?}: {}\n{stdout}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );

    // The printed passwords are the accounts' passwords.
    let staff_password = stdout
        .lines()
        .find_map(|l| l.split_once("password: "))
        .map(|(_, p)| p.trim().to_owned())
        .unwrap_or_else(|| panic!("no staff password in: {stdout}"));
    let admin_password = stdout
        .split("one-time password ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no administrator password in: {stdout}"))
        .to_owned();
    let mut conn = db.conn();
    for (email, password) in [
        ("lanhdao0@seed.pa05.vn", &staff_password),
        ("canbo5@seed.pa05.vn", &staff_password),
        ("canbo39@seed.pa05.vn", &staff_password),
        ("admin@cyberdesk.local", &admin_password),
    ] {
        let u = cyberdesk::models::user::find_by_email(&mut conn, email)
            .expect("read users")
            .unwrap_or_else(|| panic!("{email} exists"));
        assert!(
            cyberdesk::auth::password::verify(password, &u.password_hash),
            "the printed password signs {email} in"
        );
    }
    assert!(
        stdout.contains("canbo5*"),
        "on-duty officers are marked: {stdout}"
    );
    assert!(stdout.contains("authenticator app"), "{stdout}");
    for path in ["/login", "/intake", "/cases", "/identifiers", "/stats"] {
        assert!(
            stdout.contains(&format!("http://127.0.0.1:8080{path}")),
            "{path}: {stdout}"
        );
    }

    assert_eq!(
        db.count("SELECT count(*) AS n FROM users WHERE email LIKE '%@seed.pa05.vn'"),
        40
    );
    assert!(db.count("SELECT count(*) AS n FROM cases") >= 300);
    assert!(db.count("SELECT count(*) AS n FROM submissions WHERE status = 'new'") >= 15);
    // Received through the portal: each with its tracking code, audit row and
    // receipt to a reporter who gave an address.
    assert_eq!(
        db.count("SELECT count(*) AS n FROM audit_log WHERE action = 'submission_create'"),
        db.count("SELECT count(*) AS n FROM submissions")
    );
    assert!(
        db.count("SELECT count(*) AS n FROM submission_files WHERE submission_id IS NOT NULL") >= 3
    );
    // Identifiers recur: across cases, and from reports into cases.
    assert!(
        db.count(
            "SELECT count(*) AS n FROM (SELECT identifier_id FROM identifier_links WHERE case_id IS NOT NULL
             GROUP BY identifier_id HAVING count(DISTINCT case_id) >= 5) x"
        ) >= 1
    );
    assert!(
        db.count(
            "SELECT count(DISTINCT s.submission_id) AS n FROM identifier_links s
             JOIN identifier_links c ON c.identifier_id = s.identifier_id AND c.case_id IS NOT NULL
             WHERE s.submission_id IS NOT NULL"
        ) >= 5
    );
    assert!(db.count("SELECT count(*) AS n FROM hot_list_runs") > 0);
    assert!(db.count("SELECT count(*) AS n FROM hot_identifiers") > 0);

    // Exhibits, received by the case's officer, with their files on disk.
    #[derive(diesel::QueryableByName)]
    struct Kept {
        #[diesel(sql_type = diesel::sql_types::Text)]
        storage_id: String,
    }
    use diesel::RunQueryDsl;
    let kept: Vec<Kept> = diesel::sql_query(
        "SELECT x.storage_id FROM exhibits x JOIN cases c ON c.id = x.case_id
         WHERE x.received_by = c.assignee_id AND x.source = 'officer'",
    )
    .load(&mut conn)
    .expect("exhibits");
    assert!(kept.len() >= 2, "{} exhibits", kept.len());
    for k in &kept {
        assert!(
            dir.join("evidence").join(&k.storage_id).is_file(),
            "{} is stored",
            k.storage_id
        );
    }

    // The mail it caused, written out by one pass of the sender.
    let eml = |dir: &std::path::Path| {
        std::fs::read_dir(dir.join("mail"))
            .map(|d| {
                d.flatten()
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .count() as i64
            })
            .unwrap_or(0)
    };
    let mails = eml(&dir);
    assert!(mails > 0, "no .eml under {}", dir.display());
    assert_eq!(
        mails,
        db.count("SELECT count(*) AS n FROM email_outbox WHERE status = 'sent'")
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM email_outbox WHERE status <> 'sent'"),
        0
    );
    assert!(
        db.count("SELECT count(*) AS n FROM email_outbox WHERE kind = 'receipt'") >= 10,
        "receipts to the reporters"
    );
    let out = cyberdesk(&db.url)
        .args(["audit", "verify"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "the demo's audit rows chain: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Again: nothing added, and it says so.
    let snapshot = || {
        [
            "users",
            "cases",
            "submissions",
            "exhibits",
            "identifier_links",
            "email_outbox",
            "audit_log",
        ]
        .map(|t| db.count(&format!("SELECT count(*) AS n FROM {t}")))
    };
    let before = snapshot();
    let out = demo();
    let again = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(again.contains("already loaded"), "{again}");
    assert!(again.contains("300 cases"), "{again}");
    assert_eq!(snapshot(), before);
    assert_eq!(eml(&dir), mails);

    // Made-up people are never mailed through a real server.
    let out = cyberdesk(&db.url)
        .env("DATA_DIR", &dir)
        .env("SMTP_HOST", "mail.pa05.test.vn")
        .arg("demo")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SMTP_HOST"));
    // The number of cases is bounded.
    let out = cyberdesk(&db.url)
        .env("DATA_DIR", &dir)
        .args(["demo", "--cases", "50"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}
