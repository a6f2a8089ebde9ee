//! The deployment of `docs/deploy.md` (issue 20): the server as a process
//! behind nginx with TLS, configured by `docs/nginx/cyberdesk-tls.conf`
//! itself (ports, certificate and upstream replaced). Through it, with curl
//! as the browser over HTTP/2: a sign-in, a public report with a file, the
//! client's own address seen by the server (not nginx's, not a forged
//! X-Forwarded-For), HSTS, plain HTTP sent to HTTPS. The server logs as
//! JSON (LOG_FORMAT=json): one object per line, each request's id, and no
//! personal data.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::raw::{csrf_of, wait_healthy};
use common::{free_port, KillOnDrop, TestDb, PASSWORD};

const BIN: &str = env!("CARGO_BIN_EXE_cyberdesk");

struct Got {
    status: u16,
    version: String,
    headers: String,
    body: String,
}

impl Got {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// curl over TLS from 127.0.0.2 (a client address that is not nginx's),
/// keeping cookies in `dir/jar`.
fn curl(dir: &Path, url: &str, extra: &[&str]) -> Got {
    // Not "body": nginx keeps its request bodies there.
    let (h, b) = (dir.join("curl-headers"), dir.join("curl-body"));
    let out = Command::new("curl")
        .args(["-s", "--http2", "--interface", "127.0.0.2"])
        .arg("--cacert")
        .arg(dir.join("cert.pem"))
        .arg("-b")
        .arg(dir.join("jar"))
        .arg("-c")
        .arg(dir.join("jar"))
        .arg("-D")
        .arg(&h)
        .arg("-o")
        .arg(&b)
        .args(["-w", "%{http_code} %{http_version}"])
        .args(extra)
        .arg(url)
        .output()
        .expect("run curl");
    let w = String::from_utf8_lossy(&out.stdout).into_owned();
    let (status, version) = w.split_once(' ').unwrap_or(("0", ""));
    Got {
        status: status.parse().unwrap_or(0),
        version: version.to_owned(),
        headers: std::fs::read_to_string(&h).unwrap_or_default(),
        body: std::fs::read_to_string(&b).unwrap_or_default(),
    }
}

fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker).map(|i| i + marker.len()).unwrap_or(0);
    let end = body[start..].find('"').map(|i| i + start).unwrap_or(start);
    body[start..end].to_owned()
}

#[test]
fn behind_nginx_with_tls_sign_in_upload_and_the_client_address_hold() {
    if !Path::new("/usr/sbin/nginx").exists() && !Path::new("/usr/bin/nginx").exists() {
        panic!("nginx is not installed (.ci/run installs it)");
    }
    let db = TestDb::new();
    db.user("lan@pa05.test.vn", "officer", PASSWORD);
    let dir = std::env::temp_dir().join(format!(
        "cyberdesk-deploy-{}",
        cyberdesk::domain::token::random_alnum(10).to_lowercase()
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
        ])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run openssl");
    assert!(made.success(), "a self-signed certificate");

    let (app_port, tls_port, plain_port) = (free_port(), free_port(), free_port());
    let log_path = dir.join("server.log");
    let _server = KillOnDrop(
        Command::new(BIN)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &db.url)
            .env("BIND", format!("127.0.0.1:{app_port}"))
            .env("PUBLIC_BASE_URL", format!("https://localhost:{tls_port}"))
            .env("TRUSTED_PROXIES", "127.0.0.1")
            .env("DATA_DIR", dir.join("data"))
            .env("REQUIRE_2FA_FOR", "none")
            .env("REPORT_MIN_FILL_SECONDS", "0")
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log_path).expect("log"))
            .spawn()
            .expect("spawn cyberdesk"),
    );
    wait_healthy(app_port);

    let doc = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/nginx/cyberdesk-tls.conf");
    let site = std::fs::read_to_string(doc)
        .expect("docs/nginx/cyberdesk-tls.conf")
        .replace("listen 80;", &format!("listen 127.0.0.1:{plain_port};"))
        .replace(
            "listen 443 ssl http2;",
            &format!("listen 127.0.0.1:{tls_port} ssl http2;"),
        )
        .replace(
            "/etc/ssl/cyberdesk/fullchain.pem",
            &dir.join("cert.pem").display().to_string(),
        )
        .replace(
            "/etc/ssl/cyberdesk/privkey.pem",
            &dir.join("key.pem").display().to_string(),
        )
        .replace("127.0.0.1:8081", &format!("127.0.0.1:{app_port}"))
        .replace("cyberdesk.pa05.example", "localhost");
    assert!(
        site.contains(&format!("127.0.0.1:{tls_port} ssl http2")),
        "the documented listen line"
    );
    let _nginx = common::raw::nginx(&dir, &site).expect("nginx");
    let base = format!("https://localhost:{tls_port}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while curl(&dir, &format!("{base}/healthz"), &[]).status != 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "nginx did not come up: {}",
            std::fs::read_to_string(dir.join("nginx-error.log")).unwrap_or_default()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }

    // Plain HTTP only points to HTTPS.
    let got = curl(
        &dir,
        &format!("http://localhost:{plain_port}/login"),
        &["--http1.1"],
    );
    assert_eq!(got.status, 301);
    assert!(got
        .header("location")
        .is_some_and(|l| l.starts_with("https://localhost")));

    // Sign in over HTTP/2 with TLS, sending a forged X-Forwarded-For.
    let page = curl(&dir, &format!("{base}/login"), &[]);
    assert_eq!(
        (page.status, page.version.as_str()),
        (200, "2"),
        "HTTP/2 through nginx: {}{}",
        page.headers,
        page.body
    );
    assert!(page
        .header("strict-transport-security")
        .is_some_and(|v| v.contains("max-age=")));
    let hsts = page
        .headers
        .to_ascii_lowercase()
        .matches("strict-transport-security")
        .count();
    assert_eq!(hsts, 1, "one HSTS header: {}", page.headers);
    assert!(
        page.body.contains("csrf_token"),
        "{}{}",
        page.headers,
        page.body
    );
    let token = csrf_of(&page.body);
    let signed = curl(
        &dir,
        &format!("{base}/login"),
        &[
            "-H",
            "X-Forwarded-For: 203.0.113.66",
            "--data-urlencode",
            &format!("csrf_token={token}"),
            "--data-urlencode",
            "email=lan@pa05.test.vn",
            "--data-urlencode",
            &format!("password={PASSWORD}"),
        ],
    );
    assert_eq!(signed.status, 303, "{}{}", signed.headers, signed.body);
    let login_id = signed.header("x-request-id").unwrap_or_default().to_owned();
    assert_eq!(login_id.len(), 12);
    assert!(signed
        .header("set-cookie")
        .is_some_and(|c| c.contains("Secure") && c.contains("HttpOnly")));
    let home = curl(&dir, &format!("{base}/"), &[]);
    assert_eq!(home.status, 200);
    // The session records the client's address: not nginx's, not the forged one.
    assert_eq!(
        db.count("SELECT count(*) AS n FROM sessions WHERE ip = '127.0.0.2'"),
        1
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM sessions WHERE ip IN ('127.0.0.1', '203.0.113.66')"),
        0
    );

    // A public report with a screenshot, streamed through the proxy.
    let png = dir.join("anh chup.png");
    std::fs::write(
        &png,
        [
            0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48,
            0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
            0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78,
            0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00,
            0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
        ],
    )
    .expect("png");
    std::fs::remove_file(dir.join("jar")).expect("a citizen, not the officer");
    let form = curl(&dir, &format!("{base}/report/crime"), &[]);
    assert_eq!(form.status, 200);
    let mut args: Vec<String> = vec![
        "-H".into(),
        "X-Forwarded-For: 198.51.100.9".into(),
        "-F".into(),
        format!("csrf_token={}", csrf_of(&form.body)),
        "-F".into(),
        format!("draft={}", hidden(&form.body, "draft")),
        "-F".into(),
        format!("form_ts={}", hidden(&form.body, "form_ts")),
    ];
    for (k, v) in [
        ("on_behalf", "self"),
        ("reporter_name", "Trần Thị Bích"),
        ("reporter_phone", "0987 654 321"),
        ("reporter_email", "bich.tran@example.vn"),
        ("category_id", "2"),
        ("occurred_at", "2026-11-01T20:00"),
        ("first_contact", "phone_call"),
        ("summary", "Bị giả danh công an lừa chuyển tiền"),
        (
            "narrative",
            "Một người xưng là công an gọi điện, yêu cầu chuyển tiền để xác minh.",
        ),
        ("consent", "1"),
        ("false_report_ack", "1"),
    ] {
        args.push("-F".into());
        args.push(format!("{k}={v}"));
    }
    args.push("-F".into());
    args.push(format!("evidence=@{};type=image/png", png.display()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let sent = curl(&dir, &format!("{base}/report/crime"), &refs);
    assert_eq!(sent.status, 303, "{}{}", sent.headers, sent.body);
    assert!(sent
        .header("location")
        .is_some_and(|l| l.starts_with("/report/receipt/")));
    assert_eq!(
        db.count("SELECT count(*) AS n FROM submissions WHERE ip = '127.0.0.2'"),
        1
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM submission_files WHERE size_bytes = 67 AND detected_type = 'image/png'"), 1);
    assert_eq!(db.count("SELECT count(*) AS n FROM rate_limits WHERE key LIKE '%198.51.100.9%' OR key LIKE '%127.0.0.1%'"), 0);

    // The monitoring address is not served through the public proxy.
    assert_eq!(curl(&dir, &format!("{base}/metrics"), &[]).status, 404);

    // The log: JSON lines, the request ids, no personal data or secrets.
    drop(_nginx);
    let log = std::fs::read_to_string(&log_path).expect("log");
    let mut access = 0;
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        for field in ["ts", "level", "target", "msg"] {
            assert!(v[field].is_string(), "{field} in {line}");
        }
        if v["target"] == "access" {
            access += 1;
            assert_eq!(v["req"].as_str().map(str::len), Some(12), "{line}");
        }
    }
    assert!(access >= 6, "{log}");
    assert!(
        log.lines().any(
            |l| l.contains(&format!("\"req\":\"{login_id}\"")) && l.contains("POST /login 303")
        ),
        "the sign-in's line carries the id the browser saw: {log}"
    );
    for secret in [
        PASSWORD,
        "lan@pa05.test.vn",
        "0987",
        "Bích",
        "bich.tran",
        &token,
    ] {
        assert!(!log.contains(secret), "{secret:?} in the log");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_log_format_names_the_variable() {
    let out = Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LOG_FORMAT", "xml")
        .current_dir(std::env::temp_dir())
        .arg("migrate")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("LOG_FORMAT must be text or json"));
}

/// The documented systemd unit is valid as systemd reads it, and its sandbox
/// leaves little exposed (`systemd-analyze security`, 0 best, 10 worst).
#[test]
fn the_systemd_unit_verifies_and_is_sandboxed() {
    let dir = std::env::temp_dir().join(format!(
        "cyberdesk-unit-{}",
        cyberdesk::domain::token::random_alnum(10).to_lowercase()
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    let doc = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/deploy/cyberdesk@.service");
    let unit = std::fs::read_to_string(doc)
        .expect("docs/deploy/cyberdesk@.service")
        .replace("/usr/local/bin/cyberdesk", BIN);
    assert!(unit.contains(&format!("ExecStart={BIN} serve")));
    let path = dir.join("cyberdesk@8081.service");
    std::fs::write(&path, unit).expect("unit");
    let verify = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze (Debian's systemd; scripts/test installs it)");
    assert!(
        verify.status.success() && verify.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let security = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--threshold=25", "--no-pager"])
        .arg(&path)
        .output()
        .expect("systemd-analyze");
    let text = String::from_utf8_lossy(&security.stdout);
    assert!(security.status.success(), "exposure above 2.5: {text}");
    assert!(text.contains("Overall exposure level"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
